"""Food prices: who records which, how one is chosen for a kitchen and a date (docs/costs.md)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import (
    assert_problem,
    list_all,
    make_api_key,
    make_kitchen,
    make_manager,
)
from tests.builders.foods import make_food

PRICES = "/api/v1/food-prices"
MISSING = "9b2e4f7a-0000-4000-8000-000000000000"


def every(
    client: TestClient, url: str, headers: dict[str, str], limit: int = 2, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a paged list with these query parameters, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        resp = client.get(url, params=query, headers=headers)
        assert resp.status_code == 200, resp.text
        items.extend(resp.json()["items"])
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            return items


def price(
    client: TestClient,
    headers: dict[str, str],
    food: dict[str, Any],
    value: int,
    since: str,
    **scope: Any,
) -> dict[str, Any]:
    body = {"food_id": food["id"], "price_per_kg": value, "valid_from": since, **scope}
    resp = client.post(PRICES, json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def kitchen_price(
    client: TestClient,
    headers: dict[str, str],
    kitchen: dict[str, Any],
    food: dict[str, Any],
    day: str,
) -> dict[str, Any]:
    """The food's item of the kitchen's price list on `day`."""
    items = every(client, f"/api/v1/kitchens/{kitchen['id']}/prices", headers, 1000, date=day)
    return next(i for i in items if i["food_id"] == food["id"])


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    k = make_kitchen(client, admin, region_code="32.73.01")
    other = make_kitchen(client, admin, region_code="35.78.02")
    return {
        "k": k,
        "other": other,
        "food": make_food(client, admin, {}),
        "manager": make_manager(client, admin, k["id"]),
        "other_manager": make_manager(client, admin, other["id"]),
        "health": make_api_key(client, admin, "health_office", "32.73")[1],
        "agriculture": make_api_key(client, admin, "agriculture_office", "32")[1],
        "health_east": make_api_key(client, admin, "health_office", "35")[1],
    }


def test_resolution_picks_the_most_specific_then_the_latest(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    food, k, other = world["food"], world["k"], world["other"]
    price(client, admin, food, 10_000, "2026-01-01")
    price(client, admin, food, 11_000, "2026-03-01")
    price(client, admin, food, 12_000, "2026-05-01")
    price(client, admin, food, 10_500, "2026-01-01", region_code="32")
    price(client, admin, food, 10_800, "2026-02-01", region_code="32.73")
    price(client, admin, food, 10_900, "2026-04-01", region_code="32.73.01")
    price(client, admin, food, 9_900, "2026-01-01", region_code="32.73.02")  # a neighbour
    price(client, world["manager"], food, 9_500, "2026-04-15", kitchen_id=k["id"])
    price(client, admin, food, 8_000, "2026-04-15", kitchen_id=other["id"])

    def at(kitchen: dict[str, Any], day: str) -> tuple[Any, ...]:
        item = kitchen_price(client, admin, kitchen, food, day)
        return item["price_per_kg"], item["source"], item["valid_from"]

    assert at(k, "2025-12-31") == (None, None, None)  # nothing valid yet
    assert at(k, "2026-01-15") == (10_500, "region", "2026-01-01")  # province beats national
    assert at(k, "2026-02-15") == (10_800, "region", "2026-02-01")  # regency beats province
    assert at(k, "2026-03-15") == (10_800, "region", "2026-02-01")  # any region beats national
    assert at(k, "2026-04-01") == (10_900, "region", "2026-04-01")  # district, from its day on
    assert at(k, "2026-04-15") == (9_500, "kitchen", "2026-04-15")  # the kitchen's own
    assert at(k, "2026-06-01") == (9_500, "kitchen", "2026-04-15")
    # East Java has no regional price: national, the latest valid on the date.
    east = make_kitchen(client, admin, region_code="35.78.03")
    assert at(east, "2026-01-15") == (10_000, "national", "2026-01-01")
    assert at(east, "2026-03-15") == (11_000, "national", "2026-03-01")
    assert at(east, "2026-05-01") == (12_000, "national", "2026-05-01")
    # Another kitchen's own price applies to it alone.
    assert at(other, "2026-04-20") == (8_000, "kitchen", "2026-04-15")


def test_price_list_covers_every_food_with_null_for_unpriced(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    k, food = world["k"], world["food"]
    price(client, admin, food, 15_000, "2026-01-01")
    url = f"/api/v1/kitchens/{k['id']}/prices"
    paged = every(client, url, admin, 100, date="2026-06-01")
    foods = list_all(client, "/api/v1/foods", admin, limit=1000)
    assert [i["food_id"] for i in paged] == [f["id"] for f in foods]
    priced = [i for i in paged if i["price_per_kg"] is not None]
    assert [(i["food_id"], i["price_per_kg"]) for i in priced] == [(food["id"], 15_000)]
    unpriced = next(i for i in paged if i["price_per_kg"] is None)
    assert (unpriced["source"], unpriced["valid_from"]) == (None, None)
    first = client.get(url, params={"date": "2026-06-01", "limit": 1}, headers=admin).json()
    assert (first["kitchen_id"], first["date"]) == (k["id"], "2026-06-01")
    # Without a date: the kitchen's today.
    assert client.get(url, headers=admin).json()["date"]
    assert_problem(client.get(url, params={"date": "2026-13-01"}, headers=admin), 422)


def test_who_may_record_which_price(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    food, k, other = world["food"], world["k"], world["other"]
    body = {"food_id": food["id"], "price_per_kg": 13_000, "valid_from": "2026-01-01"}
    manager = world["manager"]
    # A manager records the kitchen's own prices only.
    assert_problem(client.post(PRICES, json=body, headers=manager), 403, "role_forbidden")
    regional = {**body, "region_code": "32.73"}
    assert_problem(client.post(PRICES, json=regional, headers=manager), 403, "role_forbidden")
    theirs = {**body, "kitchen_id": other["id"]}
    assert_problem(client.post(PRICES, json=theirs, headers=manager), 404, "not_found")
    missing = {**body, "kitchen_id": MISSING}
    assert_problem(client.post(PRICES, json=missing, headers=manager), 404, "not_found")
    own = client.post(PRICES, json={**body, "kitchen_id": k["id"]}, headers=manager)
    assert own.status_code == 201, own.text
    assert own.json()["scope"] == "kitchen" and own.json()["kitchen_id"] == k["id"]
    # Offices read prices; they never write them.
    for office in (world["health"], world["agriculture"]):
        assert_problem(client.post(PRICES, json=body, headers=office), 403, "role_forbidden")
    assert_problem(client.post(PRICES, json=body), 401)
    # Admin writes all three scopes.
    national = client.post(PRICES, json=body, headers=admin).json()
    assert (national["scope"], national["region_code"], national["kitchen_id"]) == (
        "national",
        None,
        None,
    )
    assert client.post(PRICES, json=regional, headers=admin).json()["scope"] == "region"
    mine = client.post(PRICES, json={**theirs, "valid_from": "2026-02-01"}, headers=admin)
    assert mine.status_code == 201, mine.text


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"region_code": "32.73", "kitchen_id": "KITCHEN"}, "body"),
        ({"price_per_kg": 0}, "price_per_kg"),
        ({"price_per_kg": -5}, "price_per_kg"),
        ({"price_per_kg": 1500.5}, "price_per_kg"),
        ({"price_per_kg": "13000"}, "price_per_kg"),
        ({"price_per_kg": 2_147_483_648}, "price_per_kg"),
        ({"valid_from": "01-01-2026"}, "valid_from"),
        ({"valid_from": "1999-12-31"}, "valid_from"),
        ({"region_code": "32.7"}, "region_code"),
        ({"region_code": "٣٢"}, "region_code"),
        ({"note": " \u200b "}, "note"),
        ({"food_id": None}, "food_id"),
        ({"currency": "IDR"}, "currency"),
    ],
)
def test_bad_prices_are_422(
    client: TestClient,
    admin: dict[str, str],
    world: dict[str, Any],
    change: dict[str, Any],
    where: str,
) -> None:
    body = {"food_id": world["food"]["id"], "price_per_kg": 13_000, "valid_from": "2026-01-01"}
    body.update({k: world["k"]["id"] if v == "KITCHEN" else v for k, v in change.items()})
    problem = assert_problem(client.post(PRICES, json=body, headers=admin), 422)
    assert where in str(problem["errors"])
    assert list_all(client, PRICES, admin) == []


def test_unknown_food_and_duplicates(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    food, k = world["food"], world["k"]
    unknown = {"food_id": MISSING, "price_per_kg": 1000, "valid_from": "2026-01-01"}
    problem = assert_problem(client.post(PRICES, json=unknown, headers=admin), 422, "unknown_food")
    assert problem["errors"][0]["loc"] == ["body", "food_id"]
    first = price(client, admin, food, 13_000, "2026-01-01")
    again = {"food_id": food["id"], "price_per_kg": 13_100, "valid_from": "2026-01-01"}
    taken = assert_problem(client.post(PRICES, json=again, headers=admin), 409, "food_price_exists")
    assert taken["price_id"] == first["id"]
    # The same food and day in another scope is another price.
    price(client, admin, food, 13_100, "2026-01-01", region_code="32")
    price(client, admin, food, 13_200, "2026-01-01", region_code="32.73")
    price(client, world["manager"], food, 12_000, "2026-01-01", kitchen_id=k["id"])
    mine_again = {**again, "kitchen_id": k["id"]}
    assert_problem(client.post(PRICES, json=mine_again, headers=world["manager"]), 409)
    assert len(list_all(client, PRICES, admin)) == 4


def test_listing_is_scoped_and_filtered(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    food, k, other = world["food"], world["k"], world["other"]
    second = make_food(client, admin, {})
    national = price(client, admin, food, 10_000, "2026-01-01")
    regional = price(client, admin, food, 10_500, "2026-01-01", region_code="32.73")
    mine = price(client, admin, food, 9_000, "2026-01-01", kitchen_id=k["id"])
    theirs = price(client, admin, second, 8_000, "2026-01-01", kitchen_id=other["id"])

    def ids(headers: dict[str, str], **params: str) -> list[str]:
        return [p["id"] for p in every(client, PRICES, headers, **params)]

    everything = [national["id"], regional["id"], mine["id"], theirs["id"]]
    assert ids(admin) == everything
    assert ids(world["manager"]) == everything[:3]
    assert ids(world["other_manager"]) == [national["id"], regional["id"], theirs["id"]]
    # Offices read the own prices of the kitchens in their region.
    assert ids(world["health"]) == everything[:3]
    assert ids(world["agriculture"]) == everything[:3]
    assert ids(world["health_east"]) == [national["id"], regional["id"], theirs["id"]]
    assert ids(admin, kitchen_id=k["id"]) == [mine["id"]]
    assert ids(admin, region_code="32.73") == [regional["id"]]
    assert ids(admin, region_code="32") == []
    assert ids(admin, food_id=second["id"]) == [theirs["id"]]
    outside = client.get(PRICES, params={"kitchen_id": k["id"]}, headers=world["other_manager"])
    assert_problem(outside, 404, "not_found")
    assert_problem(client.get(PRICES, params={"kitchen_id": MISSING}, headers=admin), 404)
    assert_problem(client.get(PRICES), 401)


def test_kitchen_price_list_is_scoped(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    url = f"/api/v1/kitchens/{world['k']['id']}/prices"
    for headers in (world["manager"], world["health"], world["agriculture"]):
        assert client.get(url, params={"limit": 1}, headers=headers).status_code == 200
    for headers in (world["other_manager"], world["health_east"]):
        assert_problem(client.get(url, headers=headers), 404, "not_found")


def test_price_writes_move_the_etags_of_what_reads_them(
    client: TestClient, admin: dict[str, str], world: dict[str, Any]
) -> None:
    """A national price changes every recipe's cost: the recipe's ETag must move; a
    kitchen's own price moves that kitchen's price list but not another's."""
    food, k, other = world["food"], world["k"], world["other"]
    recipe = client.post(
        "/api/v1/recipes",
        json={
            "name": "Uji",
            "category": "other",
            "ingredients": [{"food_id": food["id"], "grams": 100}],
        },
        headers=admin,
    ).json()
    url = f"/api/v1/recipes/{recipe['id']}"
    before = client.get(url, headers=admin)
    assert before.json()["cost_per_portion"] is None
    price(client, admin, food, 20_000, "2020-01-01")
    after = client.get(url, headers={**admin, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.json()["cost_per_portion"] == 2000.0

    own = f"/api/v1/kitchens/{k['id']}/prices"
    theirs = f"/api/v1/kitchens/{other['id']}/prices"
    query = {"date": "2026-06-01", "limit": 1000}

    def tag(url: str, held: str | None = None) -> tuple[int, str]:
        resp = client.get(
            url, params=query, headers={**admin, **({"If-None-Match": held} if held else {})}
        )
        return resp.status_code, resp.headers["etag"]

    tags = {u: tag(u)[1] for u in (own, theirs)}
    price(client, world["manager"], food, 18_000, "2026-01-01", kitchen_id=k["id"])
    assert tag(own, tags[own])[0] == 200
    assert tag(theirs, tags[theirs]) == (304, tags[theirs])
