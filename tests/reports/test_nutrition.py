"""Health nutrition report: the stored check of every approved menu, with portions served."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders.foods import NUTRIENTS, make_food, make_recipe
from tests.builders.menus import make_menu, nutrition_check, put_counts
from tests.builders.reports import (
    HEALTH,
    Programme,
    count,
    csv_text,
    get_csv,
    get_dhis2,
    get_rows,
    make_programme,
)

P1 = "2026-03-02"
REASON = "Disetujui untuk uji integrasi"


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    w = make_programme(client, admin)
    rice = make_food(
        client,
        admin,
        {"energy_kcal": 180, "protein_g": 3, "fat_g": 0.3, "carbohydrate_g": 40, "iron_mg": 0.4},
    )
    egg = make_food(
        client,
        admin,
        {"energy_kcal": 150, "protein_g": 12, "fat_g": 10, "sodium_mg": 140, "vitamin_a_mcg": 100},
    )
    nasi = make_recipe(client, admin, [(rice["id"], 150)])["id"]
    telur = make_recipe(client, admin, [(egg["id"], 60)])["id"]

    def approved(kitchen: dict[str, Any], **fields: Any) -> dict[str, Any]:
        menu = make_menu(client, admin, kitchen["id"], [(nasi, 1), (telur, 1)], **fields)
        resp = client.post(
            f"/api/v1/menus/{menu['id']}/approve", json={"override_reason": REASON}, headers=admin
        )
        assert resp.status_code == 200, resp.text
        return resp.json()  # type: ignore[no-any-return]

    menus = {
        "a1_lunch": approved(w.a1, service_date=P1, portion_factors={"10-12-m": 1.2}),
        "a1_snack": approved(w.a1, service_date=P1, meal_type="snack"),
        "b_lunch": approved(w.b, service_date=P1),
    }
    make_menu(client, admin, w.a2["id"], [(nasi, 1)], service_date=P1)  # a draft: not reported
    put_counts(
        client,
        admin,
        w.a1["id"],
        P1,
        [
            count(w.sa1, "7-9", 100, 95, 90, 5),
            count(w.sa1, "10-12-m", 40, 40, 38),
            count(w.sa2, "7-9", 60, 60, 55),
        ],
    )
    # B: 7-9 reported without a served count; 13-15-f not reported at all.
    put_counts(client, admin, w.b["id"], P1, [count(w.sb, "7-9", 50, 50)])
    checks = {name: nutrition_check(client, admin, m["id"]) for name, m in menus.items()}
    return {"w": w, "menus": menus, "checks": checks}


def _expected(
    menu: dict[str, Any], check: dict[str, Any], kitchen: dict[str, Any], served: dict[str, Any]
) -> list[dict[str, Any]]:
    """The report's rows for one menu, read off its nutrition check."""
    return [
        {
            "service_date": menu["service_date"],
            "kitchen_id": kitchen["id"],
            "kitchen_code": kitchen["code"],
            "region_code": kitchen["region_code"],
            "menu_id": menu["id"],
            "meal_type": menu["meal_type"],
            "target_group": g["target_group"],
            **{n: g["nutrients"][n]["value"] for n in NUTRIENTS},
            "energy_share": g["nutrients"]["energy_kcal"]["share"],
            "protein_share": g["nutrients"]["protein_g"]["share"],
            "status": g["status"],
            "override_reason": REASON,
            "portions_served": served[g["target_group"]],
        }
        for g in check["groups"]
    ]


def test_nutrition_rows_equal_the_approved_checks(client: TestClient, world: Any) -> None:
    w: Programme = world["w"]
    menus, checks = world["menus"], world["checks"]
    rows = get_rows(client, f"{HEALTH}/nutrition", w.health_32, **{"from": P1, "to": P1})
    # Portions served: A1 7-9 is 90 + 55 over its two schools, 10-12-m 38. B's 7-9 has a
    # count row but no served count, and 13-15-f has no row: both unknown.
    a1_served = {"7-9": 145, "10-12-m": 38}
    b_served = {"7-9": None, "13-15-f": None}
    assert rows == [
        *_expected(menus["b_lunch"], checks["b_lunch"], w.b, b_served),
        *_expected(menus["a1_lunch"], checks["a1_lunch"], w.a1, a1_served),
        *_expected(menus["a1_snack"], checks["a1_snack"], w.a1, a1_served),
    ]
    # Groups in AKG order within a menu; the factor 1.2 shows in the 10-12-m values.
    a1_lunch = [r for r in rows if r["menu_id"] == menus["a1_lunch"]["id"]]
    assert [r["target_group"] for r in a1_lunch] == ["7-9", "10-12-m"]
    # 150 g rice (180 kcal/100 g) + 60 g egg (150 kcal/100 g) = 360 kcal, x 1.2 = 432.
    assert a1_lunch[0]["energy_kcal"] == pytest.approx(360)
    assert a1_lunch[1]["energy_kcal"] == pytest.approx(432)


def test_nutrition_is_scoped_and_paged(client: TestClient, world: Any) -> None:
    w: Programme = world["w"]
    params = {"from": P1, "to": P1}
    whole = get_rows(client, f"{HEALTH}/nutrition", w.admin, **params)
    assert get_rows(client, f"{HEALTH}/nutrition", w.admin, limit=1, **params) == whole
    own = get_rows(client, f"{HEALTH}/nutrition", w.health_3273, **params)
    assert {r["kitchen_code"] for r in own} == {"K-3273-1"}
    assert len(own) == 4
    assert get_rows(client, f"{HEALTH}/nutrition", w.health_35, **params) == []


def test_nutrition_csv_and_dhis2_match_json(client: TestClient, world: Any) -> None:
    w: Programme = world["w"]
    params = {"from": P1, "to": P1}
    rows = get_rows(client, f"{HEALTH}/nutrition", w.health_32, **params)
    lines = get_csv(client, f"{HEALTH}/nutrition", w.health_32, **params)
    assert lines[0] == list(rows[0])
    assert lines[1:] == [[csv_text(v) for v in r.values()] for r in rows]

    values = get_dhis2(client, f"{HEALTH}/nutrition", w.health_32, **params)
    by_key = {
        (v["dataElement"], v["orgUnit"], v["categoryOptionCombo"], v["attributeOptionCombo"]): v
        for v in values
    }
    assert len(by_key) == len(values)  # lunch and snack of one kitchen do not collide
    for r in rows:
        for field in (*NUTRIENTS, "energy_share", "protein_share"):
            key = (f"MBG_{field.upper()}", r["kitchen_code"], r["target_group"], r["meal_type"])
            if r[field] is None:
                assert key not in by_key
                continue
            value = by_key[key]
            assert value["period"] == "20260302"
            assert float(value["value"]) == pytest.approx(r[field], rel=1e-12)
            assert "e" not in value["value"].lower()
        passed = by_key[("MBG_CHECK_PASSED", r["kitchen_code"], r["target_group"], r["meal_type"])]
        assert passed["value"] == ("true" if r["status"] == "pass" else "false")
