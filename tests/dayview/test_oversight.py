"""The day view of issue 18: each school's deliveries, and alerts on the hygiene
certificate, capacity and suspension, all behind the view's ETag."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import make_kitchen, make_school
from tests.builders.deliveries import make_delivery, patch_delivery, put_certificate, suspend
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import make_menu, make_safety_check, put_counts

DAY = date(2026, 3, 4)


def _view(client: TestClient, admin: dict[str, str], kitchen: dict[str, Any]) -> Any:
    resp = client.get(
        f"/api/v1/kitchens/{kitchen['id']}/today", params={"date": str(DAY)}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    return resp


def _alerts(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in view["alerts"] if a["kind"] == kind]


def test_each_school_shows_its_deliveries(client: TestClient, admin: dict[str, str]) -> None:
    k = make_kitchen(client, admin)
    a = make_school(client, admin, k["id"], name="A")
    b = make_school(client, admin, k["id"], name="B")
    make_safety_check(client, admin, k["id"], service_date=str(DAY))
    lunch = make_delivery(client, admin, k["id"], a["id"], str(DAY))
    snack = make_delivery(client, admin, k["id"], a["id"], str(DAY), meal_type="snack")
    make_delivery(client, admin, k["id"], b["id"], str(DAY + timedelta(days=1)))
    patch_delivery(client, admin, lunch["id"], arrived_at=f"{DAY}T09:20:00+07:00")
    view = _view(client, admin, k).json()
    schools = {s["name"]: s for s in view["schools"]}
    assert [d["id"] for d in schools["A"]["deliveries"]] == [lunch["id"], snack["id"]]
    assert schools["B"]["deliveries"] == []
    got = schools["A"]["deliveries"][0]
    assert got == client.get(f"/api/v1/deliveries/{lunch['id']}", headers=admin).json()
    assert got["flags"] == ["over_4h", "over_6h"]  # cooked 03:00, arrived 09:20
    assert schools["A"]["deliveries"][1]["flags"] == ["not_received"]


@pytest.mark.parametrize(
    ("expires", "status"),
    [(None, "missing"), (DAY - timedelta(days=1), "expired"), (DAY + timedelta(30), "expiring")],
)
def test_hygiene_certificate_alert(
    client: TestClient, admin: dict[str, str], expires: date | None, status: str
) -> None:
    k = make_kitchen(client, admin)
    if expires is not None:
        put_certificate(client, admin, k["id"], issued_on="2020-01-01", expires_on=str(expires))
    (alert,) = _alerts(_view(client, admin, k).json(), "hygiene_certificate")
    assert alert["details"]["status"] == status
    assert alert["date"] == str(DAY)
    assert alert["details"]["expires_on"] == (str(expires) if expires else None)


def test_a_valid_certificate_raises_no_alert_and_moves_the_etag(
    client: TestClient, admin: dict[str, str]
) -> None:
    k = make_kitchen(client, admin)
    before = _view(client, admin, k)
    put_certificate(client, admin, k["id"], issued_on="2020-01-01", expires_on="2026-04-04")
    after = _view(client, admin, k)
    assert _alerts(after.json(), "hygiene_certificate") == []
    assert after.headers["etag"] != before.headers["etag"]
    # The same certificate is "expiring" a few days later: another day, another tag.
    later = client.get(
        f"/api/v1/kitchens/{k['id']}/today",
        params={"date": str(DAY + timedelta(days=10))},
        headers={**admin, "If-None-Match": after.headers["etag"]},
    )
    assert later.status_code == 200
    assert _alerts(later.json(), "hygiene_certificate")[0]["details"]["status"] == "expiring"


def test_over_capacity_alert(client: TestClient, admin: dict[str, str]) -> None:
    k = make_kitchen(client, admin, capacity_per_day=250)
    a = make_school(client, admin, k["id"], enrolment={"7-9": 100, "10-12-m": 40})
    b = make_school(client, admin, k["id"], enrolment={"7-9": 60})
    food = make_food(client, admin, {"energy_kcal": 100})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    make_menu(client, admin, k["id"], [(recipe["id"], 1)], service_date=str(DAY))
    view = _view(client, admin, k).json()
    assert view["planned_portions"] == 200 and view["capacity_per_day"] == 250
    assert _alerts(view, "over_capacity") == []
    # A second meal that day doubles what is cooked; counts replace enrolment where given.
    make_menu(client, admin, k["id"], [(recipe["id"], 1)], service_date=str(DAY), meal_type="snack")
    put_counts(
        client, admin, k["id"], str(DAY),
        [{"school_id": a["id"], "target_group": "7-9", "planned": 90}],
    )  # fmt: skip
    view = _view(client, admin, k).json()
    assert view["planned_portions"] == 2 * (90 + 40 + 60)
    (alert,) = _alerts(view, "over_capacity")
    assert alert["details"] == {"planned_portions": 380, "capacity_per_day": 250}
    # Raising the capacity (an admin PATCH of the kitchen) clears it, and moves the tag.
    tag = _view(client, admin, k).headers["etag"]
    resp = client.patch(
        f"/api/v1/kitchens/{k['id']}", json={"capacity_per_day": 3000}, headers=admin
    )
    assert resp.status_code == 200
    after = _view(client, admin, k)
    assert _alerts(after.json(), "over_capacity") == [] and after.headers["etag"] != tag
    assert b["id"] in {s["id"] for s in after.json()["schools"]}


def test_suspension_alert(client: TestClient, admin: dict[str, str]) -> None:
    k = make_kitchen(client, admin)
    suspend(client, admin, k["id"], "Outbreak under investigation by Dinkes")
    (alert,) = _alerts(_view(client, admin, k).json(), "kitchen_suspended")
    assert alert["details"]["reason"] == "Outbreak under investigation by Dinkes"
