"""AKG target groups (Permenkes 28/2019): the age and sex groups school kitchens serve.

One home for the group codes every layer speaks of: nutrition targets are set per group,
schools enrol per group, menus scale portions per group, and a kitchen's budget per
portion is set per group (app/kitchens, below the nutrition domain, so the codes live here).
"""

from enum import StrEnum


class TargetGroup(StrEnum):
    """AKG (Permenkes 28/2019) age and sex groups served by school kitchens."""

    g1_3 = "1-3"
    g4_6 = "4-6"
    g7_9 = "7-9"
    g10_12_m = "10-12-m"
    g10_12_f = "10-12-f"
    g13_15_m = "13-15-m"
    g13_15_f = "13-15-f"
    g16_18_m = "16-18-m"
    g16_18_f = "16-18-f"


# Where each group sorts when groups are listed: AKG order.
GROUP_ORDER: dict[str, int] = {g.value: i for i, g in enumerate(TargetGroup)}
