"""How a price is chosen, in SQL: the one place, for every reader of prices.

`resolved_prices(needs)` takes any set of (kitchen, date, food) triples: the foods of a
recipe for one kitchen and date, the purchases of a week of menus, a region's demand over
a month. For each it picks the price that applies:

1. the kitchen's own price (`kitchen_id`), else
2. the most specific regional price whose region holds the kitchen's region (a village
   before its district, a district before its regency, a regency before its province), else
3. the national price (no region, no kitchen);

within that scope, the price with the latest `valid_from` on or before the date (ties:
the latest recorded). A triple without a kitchen (`kitchen_id` NULL) takes national
prices only. Triples without any price get no row.
"""

from typing import Any

from sqlalchemy import FromClause, Select, and_, case, func, literal, or_, select

from app.core.db import table_of
from app.core.regions import region_within
from app.kitchens.models import Kitchen
from app.prices.models import FoodPrice, PriceSource

_prices = table_of(FoodPrice)
_kitchens = table_of(Kitchen)


def resolved_prices(needs: FromClause) -> Select[Any]:
    """The price of each (`kitchen_id`, `service_date`, `food_id`) row of `needs` (which must
    be distinct): those three columns, `price_per_kg`, `source`, `valid_from`."""
    n, p, k = needs.c, _prices.c, _kitchens.c
    tier = case((p.kitchen_id.is_not(None), 0), (p.region_code.is_not(None), 1), else_=2)
    source = case(
        (p.kitchen_id.is_not(None), literal(PriceSource.kitchen.value)),
        (p.region_code.is_not(None), literal(PriceSource.region.value)),
        else_=literal(PriceSource.national.value),
    )
    applies = or_(
        p.kitchen_id == n.kitchen_id,
        and_(
            p.kitchen_id.is_(None),
            or_(p.region_code.is_(None), region_within(k.region_code, p.region_code)),
        ),
    )
    pick = func.row_number().over(
        partition_by=(n.kitchen_id, n.service_date, n.food_id),
        order_by=(
            tier,
            func.coalesce(func.length(p.region_code), 0).desc(),
            p.valid_from.desc(),
            p.created_at.desc(),
            p.id.desc(),
        ),
    )
    candidates = (
        select(
            n.kitchen_id,
            n.service_date,
            n.food_id,
            p.price_per_kg,
            source.label("source"),
            p.valid_from,
            pick.label("pick"),
        )
        .select_from(needs)
        .outerjoin(_kitchens, k.id == n.kitchen_id)
        .join(
            _prices,
            and_(p.food_id == n.food_id, p.valid_from <= n.service_date, applies),
        )
        .subquery("price_candidates")
    )
    c = candidates.c
    return select(
        c.kitchen_id, c.service_date, c.food_id, c.price_per_kg, c.source, c.valid_from
    ).where(c.pick == 1)
