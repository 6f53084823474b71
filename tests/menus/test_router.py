"""Menus (docs/menus.md): creation rules, listing, approval with override, locking, scope."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.builders import assert_problem, list_all, make_school
from tests.builders.foods import make_food, make_recipe
from tests.builders.menus import MISSING, OpsWorld, make_menu, make_ops_world, nutrition_check


@pytest.fixture
def world(client: TestClient, admin: dict[str, str]) -> OpsWorld:
    w = make_ops_world(client, admin)
    make_school(client, admin, w.a["id"], enrolment={"7-9": 50, "13-15-m": 30})
    return w


@pytest.fixture
def recipes(client: TestClient, world: OpsWorld) -> dict[str, dict[str, Any]]:
    """`good`: 100 kcal and 10 g protein per serving (5 servings pass 7-9 and, scaled, 13-15-m);
    `own_a` and `own_b`: recipes of kitchen A and kitchen B."""
    food = make_food(client, world.admin, {"energy_kcal": 100, "protein_g": 10})
    return {
        "good": make_recipe(client, world.admin, [(food["id"], 100)], name="Nasi telur"),
        "own_a": make_recipe(client, world.manager_a, [(food["id"], 50)], kitchen_id=world.a["id"]),
        "own_b": make_recipe(client, world.manager_b, [(food["id"], 50)], kitchen_id=world.b["id"]),
    }


def menus_url(world: OpsWorld, kitchen: str = "a") -> str:
    return f"/api/v1/kitchens/{getattr(world, kitchen)['id']}/menus"


def passing_menu(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """5 servings = 500 kcal: 0.303 of 1650 for 7-9; 13-15-m served 1.5x = 750 of 2400 = 0.3125."""
    return make_menu(
        client,
        world.manager_a,
        world.a["id"],
        [(recipes["good"]["id"], 5)],
        portion_factors={"13-15-m": 1.5},
        **fields,
    )


def test_create_returns_a_draft(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    body = {
        "service_date": "2026-03-02",
        "meal_type": "lunch",
        "items": [
            {"recipe_id": recipes["good"]["id"]},
            {"recipe_id": recipes["own_a"]["id"], "servings": 2.5},
        ],
        "portion_factors": {"7-9": 0.8},
    }
    resp = client.post(menus_url(world), json=body, headers=world.manager_a)
    assert resp.status_code == 201, resp.text
    menu = resp.json()
    assert menu["status"] == "draft"
    assert menu["kitchen_id"] == world.a["id"]
    assert (menu["service_date"], menu["meal_type"]) == ("2026-03-02", "lunch")
    assert menu["items"] == [
        {"recipe_id": recipes["good"]["id"], "recipe_name": "Nasi telur", "servings": 1.0},
        {
            "recipe_id": recipes["own_a"]["id"],
            "recipe_name": recipes["own_a"]["name"],
            "servings": 2.5,
        },
    ]
    assert menu["portion_factors"] == {"7-9": 0.8}
    for field in ("approved_by", "approved_by_name", "approved_at", "override_reason"):
        assert menu[field] is None
    assert menu["nutrition_check"] is None
    assert menu["created_at"] and menu["updated_at"]
    got = client.get(f"/api/v1/menus/{menu['id']}", headers=world.manager_a)
    assert got.status_code == 200 and got.json() == menu


def test_recipe_of_another_kitchen_or_none_is_422(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    for recipe_id in (recipes["own_b"]["id"], MISSING):
        body = {
            "service_date": "2026-03-02",
            "meal_type": "lunch",
            "items": [{"recipe_id": recipes["good"]["id"]}, {"recipe_id": recipe_id}],
        }
        resp = client.post(menus_url(world), json=body, headers=world.manager_a)
        problem = assert_problem(resp, 422, "recipe_not_available")
        assert problem["errors"][0]["loc"] == ["body", "items", 1, "recipe_id"]
    # Admin may not put kitchen B's recipe on kitchen A's menu either.
    body["items"] = [{"recipe_id": recipes["own_b"]["id"]}]
    assert_problem(client.post(menus_url(world), json=body, headers=world.admin), 422)
    assert client.get(menus_url(world), headers=world.admin).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"items": []}, ["body", "items"]),
        ({"items": [{"recipe_id": "GOOD", "servings": 0}]}, ["body", "items", 0, "servings"]),
        ({"items": [{"recipe_id": "GOOD", "servings": -1}]}, ["body", "items", 0, "servings"]),
        ({"meal_type": "dinner"}, ["body", "meal_type"]),
        ({"service_date": "2026-02-30"}, ["body", "service_date"]),
        ({"portion_factors": {"7-8": 1.0}}, ["body", "portion_factors"]),
        ({"portion_factors": {"7-9": 0}}, ["body", "portion_factors", "7-9"]),
        ({"portion_factors": {"7-9": -0.5}}, ["body", "portion_factors", "7-9"]),
    ],
)
def test_invalid_menu_is_422(
    client: TestClient,
    world: OpsWorld,
    recipes: dict[str, Any],
    change: dict[str, Any],
    loc: list[Any],
) -> None:
    body: dict[str, Any] = {
        "service_date": "2026-03-02",
        "meal_type": "lunch",
        "items": [{"recipe_id": recipes["good"]["id"]}],
        **change,
    }
    for item in body["items"]:
        if item["recipe_id"] == "GOOD":
            item["recipe_id"] = recipes["good"]["id"]
    problem = assert_problem(client.post(menus_url(world), json=body, headers=world.manager_a), 422)
    assert problem["errors"][0]["loc"][: len(loc)] == loc


def test_one_menu_per_kitchen_date_and_meal_type(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    first = passing_menu(client, world, recipes)
    again = {
        "service_date": "2026-03-02",
        "meal_type": "lunch",
        "items": [{"recipe_id": recipes["good"]["id"]}],
    }
    problem = assert_problem(
        client.post(menus_url(world), json=again, headers=world.admin), 409, "menu_exists"
    )
    assert problem["menu_id"] == first["id"]  # issue 15: the conflict names the menu
    # Another meal type, another date, another kitchen: all fine.
    passing_menu(client, world, recipes, meal_type="snack")
    next_day = passing_menu(client, world, recipes, service_date="2026-03-03")
    make_menu(client, world.manager_b, world.b["id"], [(recipes["good"]["id"], 1)])
    # Moving a menu onto a taken slot is the same conflict; onto a free one, fine.
    snack_url = f"/api/v1/menus/{first['id']}"
    taken = assert_problem(
        client.patch(snack_url, json={"service_date": "2026-03-03"}, headers=world.manager_a),
        409,
        "menu_exists",
    )
    assert taken["menu_id"] == next_day["id"]
    moved = client.patch(snack_url, json={"meal_type": "breakfast"}, headers=world.manager_a)
    assert moved.status_code == 200 and moved.json()["meal_type"] == "breakfast"


def test_patch_replaces_items_and_factors(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    menu = passing_menu(client, world, recipes)
    url = f"/api/v1/menus/{menu['id']}"
    resp = client.patch(
        url,
        json={"items": [{"recipe_id": recipes["own_a"]["id"], "servings": 3}]},
        headers=world.manager_a,
    )
    assert resp.status_code == 200, resp.text
    patched = resp.json()
    assert [(i["recipe_id"], i["servings"]) for i in patched["items"]] == [
        (recipes["own_a"]["id"], 3.0)
    ]
    assert patched["portion_factors"] == {"13-15-m": 1.5}  # untouched
    assert patched["updated_at"] > menu["updated_at"]
    cleared = client.patch(url, json={"portion_factors": {}}, headers=world.manager_a).json()
    assert cleared["portion_factors"] == {}
    assert_problem(
        client.patch(
            url, json={"items": [{"recipe_id": recipes["own_b"]["id"]}]}, headers=world.manager_a
        ),
        422,
        "recipe_not_available",
    )
    assert_problem(client.patch(url, json={"items": []}, headers=world.manager_a), 422)
    # Issue 15: null on a field that may not be null is 422, not silently ignored.
    for field in ("items", "portion_factors", "service_date", "meal_type"):
        problem = assert_problem(
            client.patch(url, json={field: None}, headers=world.manager_a), 422
        )
        assert problem["errors"][0]["loc"] == ["body", field]
    assert client.get(url, headers=world.manager_a).json()["items"] == patched["items"]


def test_delete_draft(client: TestClient, world: OpsWorld, recipes: dict[str, Any]) -> None:
    menu = passing_menu(client, world, recipes)
    url = f"/api/v1/menus/{menu['id']}"
    resp = client.delete(url, headers=world.manager_a)
    assert resp.status_code == 204 and resp.content == b""
    assert_problem(client.get(url, headers=world.manager_a), 404)
    assert_problem(client.get(f"{url}/nutrition-check", headers=world.manager_a), 404)
    # The slot is free again, and the recipe is no longer in use.
    passing_menu(client, world, recipes)


def test_approve_passing_menu_records_who_when_and_the_check(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    menu = passing_menu(client, world, recipes)
    me = client.get("/api/v1/me", headers=world.manager_a).json()
    before = nutrition_check(client, world.manager_a, menu["id"])
    assert before["overall"] == "pass"
    resp = client.post(f"/api/v1/menus/{menu['id']}/approve", headers=world.manager_a)
    assert resp.status_code == 200, resp.text
    approved = resp.json()
    assert approved["status"] == "approved"
    assert approved["approved_by"] == me["id"]
    assert approved["approved_by_name"] == me["username"]
    at = datetime.fromisoformat(approved["approved_at"])
    assert at.utcoffset() == timedelta(0)
    assert abs(at - datetime.now(UTC)) < timedelta(minutes=1)
    assert approved["override_reason"] is None
    stored = approved["nutrition_check"]
    assert stored["overall"] == "pass"
    assert {k: v for k, v in stored.items() if k != "computed_at"} == {
        k: v for k, v in before.items() if k != "computed_at"
    }
    assert client.get(f"/api/v1/menus/{menu['id']}", headers=world.health_a).json() == approved


def test_failing_menu_needs_an_override_reason(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    # 5 servings without a factor: 500 / 2400 = 0.2083 for 13-15-m, which fails; 7-9 passes.
    menu = make_menu(client, world.manager_a, world.a["id"], [(recipes["good"]["id"], 5)])
    url = f"/api/v1/menus/{menu['id']}/approve"
    problem = assert_problem(
        client.post(url, headers=world.manager_a), 409, "nutrition_check_failed"
    )
    assert "13-15-m" in problem["detail"] and "7-9" not in problem["detail"]
    assert problem["failing_groups"] == ["13-15-m"]
    problem = assert_problem(client.post(url, json={}, headers=world.manager_a), 409)
    assert problem["code"] == "nutrition_check_failed"
    # Whitespace and invisible characters (zero-width spaces, joiners, BOMs) do not count.
    invisible = ("\u200b" * 12, "\u200b\u200c\u200d\u2060\ufeff" * 3, "abc\u200b" * 3 + "\u00ad")
    for short in ("too short", "  123456789  ", "", *invisible):
        assert_problem(
            client.post(url, json={"override_reason": short}, headers=world.manager_a), 422
        )
    assert client.get(f"/api/v1/menus/{menu['id']}", headers=world.admin).json()["status"] == (
        "draft"
    )
    reason = "SMP dapat porsi tambahan"  # ≥ 10 characters
    resp = client.post(url, json={"override_reason": reason}, headers=world.manager_a)
    assert resp.status_code == 200, resp.text
    approved = resp.json()
    assert approved["status"] == "approved"
    assert approved["override_reason"] == reason
    assert approved["nutrition_check"]["overall"] == "fail"
    failing = [
        g["target_group"] for g in approved["nutrition_check"]["groups"] if g["status"] == "fail"
    ]
    assert failing == ["13-15-m"]


def test_reason_of_exactly_ten_characters_is_enough(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    menu = make_menu(client, world.manager_a, world.a["id"], [(recipes["good"]["id"], 1)])
    resp = client.post(
        f"/api/v1/menus/{menu['id']}/approve",
        json={"override_reason": "0123456789"},
        headers=world.admin,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["override_reason"] == "0123456789"


def test_approved_menu_is_locked_and_keeps_its_check(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    menu = passing_menu(client, world, recipes)
    url = f"/api/v1/menus/{menu['id']}"
    approved = client.post(f"{url}/approve", headers=world.admin).json()
    assert approved["approved_by_name"]
    assert_problem(
        client.patch(url, json={"meal_type": "snack"}, headers=world.manager_a), 409, "menu_locked"
    )
    assert_problem(client.delete(url, headers=world.admin), 409, "menu_locked")
    assert_problem(client.post(f"{url}/approve", headers=world.manager_a), 409, "menu_locked")
    assert_problem(
        client.post(
            f"{url}/approve", json={"override_reason": "once more please"}, headers=world.admin
        ),
        409,
        "menu_locked",
    )
    # Targets change after approval: the approved menu keeps the check it was approved with.
    client.put("/api/v1/nutrition-targets/7-9", json={"energy_kcal": 3000}, headers=world.admin)
    check = nutrition_check(client, world.manager_a, menu["id"])
    assert check == approved["nutrition_check"]
    assert check["groups"][0]["nutrients"]["energy_kcal"]["target"] == 1650
    assert client.get(url, headers=world.admin).json() == approved
    # A draft computed now sees the new target.
    draft = passing_menu(client, world, recipes, service_date="2026-03-09")
    draft_check = nutrition_check(client, world.manager_a, draft["id"])
    assert draft_check["groups"][0]["nutrients"]["energy_kcal"]["target"] == 3000
    assert draft_check["overall"] == "fail"


def test_list_filters_and_pages(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        passing_menu(client, world, recipes, service_date=day)
    snack = passing_menu(client, world, recipes, service_date="2026-03-03", meal_type="snack")
    client.post(
        f"/api/v1/menus/{snack['id']}/approve",
        json={"override_reason": "snack is fine"},
        headers=world.admin,
    )
    make_menu(client, world.manager_b, world.b["id"], [(recipes["good"]["id"], 1)])

    def listed(**params: str) -> list[tuple[str, str]]:
        resp = client.get(menus_url(world), params=params, headers=world.manager_a)
        assert resp.status_code == 200, resp.text
        return sorted((m["service_date"], m["meal_type"]) for m in resp.json()["items"])

    every = list_all(client, menus_url(world), world.manager_a, limit=3)
    assert len(every) == 4 and len({m["id"] for m in every}) == 4
    assert listed(**{"from": "2026-03-03", "to": "2026-03-03"}) == [
        ("2026-03-03", "lunch"),
        ("2026-03-03", "snack"),
    ]
    assert listed(status="approved") == [("2026-03-03", "snack")]
    assert listed(status="draft", **{"from": "2026-03-03"}) == [
        ("2026-03-03", "lunch"),
        ("2026-03-04", "lunch"),
    ]
    assert_problem(
        client.get(menus_url(world), params={"status": "eaten"}, headers=world.admin), 422
    )
    assert_problem(
        client.get(
            menus_url(world), params={"from": "2026-03-04", "to": "2026-03-03"}, headers=world.admin
        ),
        422,
    )


def test_access_rules(client: TestClient, world: OpsWorld, recipes: dict[str, Any]) -> None:
    menu = passing_menu(client, world, recipes)
    url = f"/api/v1/menus/{menu['id']}"
    create = {
        "service_date": "2026-04-01",
        "meal_type": "lunch",
        "items": [{"recipe_id": recipes["good"]["id"]}],
    }
    for reader in (world.admin, world.manager_a, world.health_a):
        assert [m["id"] for m in client.get(menus_url(world), headers=reader).json()["items"]] == [
            menu["id"]
        ]
        assert client.get(url, headers=reader).json()["id"] == menu["id"]
        assert client.get(f"{url}/nutrition-check", headers=reader).json()["menu_id"] == menu["id"]
    for office in (world.health_a, world.health_other, world.agri_a):
        assert_problem(client.post(menus_url(world), json=create, headers=office), 403)
        assert_problem(client.patch(url, json={"meal_type": "snack"}, headers=office), 403)
        assert_problem(client.delete(url, headers=office), 403)
        assert_problem(client.post(f"{url}/approve", headers=office), 403)
    for read in (menus_url(world), url, f"{url}/nutrition-check"):
        assert_problem(client.get(read, headers=world.agri_a), 403)
        assert_problem(client.get(read, headers=world.manager_b), 404)
        assert_problem(client.get(read, headers=world.health_other), 404)
        assert_problem(client.get(read), 401)
    assert_problem(client.post(menus_url(world), json=create, headers=world.manager_b), 404)
    assert_problem(client.patch(url, json={"meal_type": "snack"}, headers=world.manager_b), 404)
    assert_problem(client.delete(url, headers=world.manager_b), 404)
    assert_problem(client.post(f"{url}/approve", headers=world.manager_b), 404)
    assert_problem(client.post(f"{url}/approve"), 401)
    assert_problem(client.get(f"/api/v1/menus/{MISSING}", headers=world.admin), 404)
    after = client.get(url, headers=world.admin).json()
    assert after["status"] == "draft" and after["meal_type"] == "lunch"


@pytest.mark.postgres_only
def test_concurrent_creates_of_one_slot_make_one_menu(
    client: TestClient, live_server: str, admin: dict[str, str]
) -> None:
    world = make_ops_world(client, admin)
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    body = {
        "service_date": "2026-03-02",
        "meal_type": "lunch",
        "items": [{"recipe_id": recipe["id"]}],
    }
    statuses: list[int] = []
    codes: list[str] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        with httpx.Client(base_url=live_server, headers=world.manager_a, timeout=30) as http:
            barrier.wait()
            resp = http.post(f"/api/v1/kitchens/{world.a['id']}/menus", json=body)
            statuses.append(resp.status_code)
            if resp.status_code != 201:
                codes.append(resp.json()["code"])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert codes == ["menu_exists"] * 7
    assert (
        len(client.get(f"/api/v1/kitchens/{world.a['id']}/menus", headers=admin).json()["items"])
        == 1
    )


@pytest.mark.postgres_only
def test_concurrent_approvals_and_edits_take_turns(
    client: TestClient, live_server: str, admin: dict[str, str]
) -> None:
    """One approval wins; every other request then sees the lock, and the menu stays as
    approved (no edit lands after the check was recorded)."""
    world = make_ops_world(client, admin)
    make_school(client, admin, world.a["id"], enrolment={"7-9": 10})
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10})
    recipe = make_recipe(client, admin, [(food["id"], 100)])
    menu = make_menu(client, world.manager_a, world.a["id"], [(recipe["id"], 5)])
    url = f"/api/v1/menus/{menu['id']}"
    results: list[tuple[str, int]] = []
    barrier = threading.Barrier(8)

    def send(kind: str) -> None:
        with httpx.Client(base_url=live_server, headers=world.manager_a, timeout=30) as http:
            barrier.wait()
            if kind == "approve":
                resp = http.post(f"{url}/approve")
            else:
                resp = http.patch(
                    url, json={"items": [{"recipe_id": recipe["id"], "servings": 5.5}]}
                )
            results.append((kind, resp.status_code))

    threads = [threading.Thread(target=send, args=(k,)) for k in ["approve", "patch"] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    approvals = [s for k, s in results if k == "approve"]
    assert sorted(approvals) == [200, 409, 409, 409]
    final = client.get(url, headers=admin).json()
    assert final["status"] == "approved"
    # The stored check describes exactly the items the approved menu holds.
    servings = final["items"][0]["servings"]
    energy = final["nutrition_check"]["groups"][0]["nutrients"]["energy_kcal"]["value"]
    assert energy == pytest.approx(100 * servings)


def test_menu_etag_follows_what_it_reads(
    client: TestClient, world: OpsWorld, recipes: dict[str, Any]
) -> None:
    """A menu's ETag moves with its own edits, its kitchen's data (recipe names) and the
    reference data (national recipes); If-Match compares the same tag."""
    menu = passing_menu(client, world, recipes)
    url = f"/api/v1/menus/{menu['id']}"
    tag = client.get(url, headers=world.manager_a).headers["etag"]
    assert client.get(url, headers={**world.manager_a, "If-None-Match": tag}).status_code == 304
    renamed = client.patch(
        f"/api/v1/recipes/{recipes['good']['id']}",
        json={"name": "Nasi telur dadar"},
        headers=world.admin,
    )
    assert renamed.status_code == 200, renamed.text
    after = client.get(url, headers={**world.manager_a, "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["items"][0]["recipe_name"] == "Nasi telur dadar"
    stale = client.patch(
        url, json={"meal_type": "snack"}, headers={**world.manager_a, "If-Match": tag}
    )
    assert_problem(stale, 412, "precondition_failed")
    moved = client.patch(
        url,
        json={"meal_type": "snack"},
        headers={**world.manager_a, "If-Match": after.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert client.get(url, headers=world.manager_a).headers["etag"] == moved.headers["etag"]


ROUNDS = 10
REASON = {"override_reason": "Uji balapan persetujuan"}
Send = Callable[[httpx.Client], httpx.Response]


def race(live_server: str, headers: dict[str, str], **requests: Send) -> dict[str, httpx.Response]:
    """Send the requests at the same moment, each from its own thread and connection."""
    answers: dict[str, httpx.Response] = {}
    barrier = threading.Barrier(len(requests))

    def run(name: str, send: Send) -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
            barrier.wait()
            answers[name] = send(http)

    threads = [threading.Thread(target=run, args=item) for item in requests.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def outcome(resp: httpx.Response) -> tuple[int, str]:
    return resp.status_code, resp.json()["code"] if resp.status_code >= 400 else ""


@pytest.mark.postgres_only
def test_menu_created_while_its_recipe_is_deleted(
    client: TestClient, live_server: str, admin: dict[str, str]
) -> None:
    """Issue 15: one of the two wins, the other gets its problem, never a 500: the menu
    (and the delete 409 `recipe_in_use`) or the delete (and the menu 422
    `recipe_not_available`)."""
    world = make_ops_world(client, admin)
    food = make_food(client, admin, {"energy_kcal": 100, "protein_g": 10})
    outcomes = []
    for day in range(1, ROUNDS + 1):
        recipe = make_recipe(client, admin, [(food["id"], 100)])
        body = {
            "service_date": f"2026-04-{day:02d}",
            "meal_type": "lunch",
            "items": [{"recipe_id": recipe["id"]}],
        }
        answers = race(
            live_server,
            admin,
            menu=lambda http, body=body: http.post(menus_url(world), json=body),
            delete=lambda http, rid=recipe["id"]: http.delete(f"/api/v1/recipes/{rid}"),
        )
        outcomes.append((outcome(answers["menu"]), outcome(answers["delete"])))
    allowed = {
        ((201, ""), (409, "recipe_in_use")),
        ((422, "recipe_not_available"), (204, "")),
    }
    assert set(outcomes) <= allowed, outcomes
    menus = list_all(client, menus_url(world), admin, limit=100)
    assert len(menus) == sum(1 for menu, _ in outcomes if menu[0] == 201)


@pytest.mark.postgres_only
def test_approval_racing_a_grams_change_records_what_the_recipe_gives(
    client: TestClient, live_server: str, admin: dict[str, str]
) -> None:
    """Issue 15: approving a menu while its (national) recipe's grams change. Either the
    edit goes first and the approval's check sees it, or the approval goes first and the
    edit is refused (409 `recipe_in_use`): the approved check always matches the recipe."""
    world = make_ops_world(client, admin)
    make_school(client, admin, world.a["id"], enrolment={"7-9": 10})
    food = make_food(client, admin, {"energy_kcal": 357, "protein_g": 8})
    triple = {"ingredients": [{"food_id": food["id"], "grams": 300}]}
    outcomes = []
    for day in range(1, ROUNDS + 1):
        recipe = make_recipe(client, admin, [(food["id"], 100)])
        menu = make_menu(
            client,
            world.manager_a,
            world.a["id"],
            [(recipe["id"], 1)],
            service_date=f"2026-05-{day:02d}",
        )
        answers = race(
            live_server,
            admin,
            approve=lambda http, mid=menu["id"]: http.post(
                f"/api/v1/menus/{mid}/approve", json=REASON
            ),
            patch=lambda http, rid=recipe["id"]: http.patch(f"/api/v1/recipes/{rid}", json=triple),
        )
        result = (outcome(answers["approve"]), outcome(answers["patch"]))
        outcomes.append(result)
        approved = client.get(f"/api/v1/menus/{menu['id']}", headers=admin).json()
        now = client.get(f"/api/v1/recipes/{recipe['id']}", headers=admin).json()
        energy = approved["nutrition_check"]["groups"][0]["nutrients"]["energy_kcal"]["value"]
        assert energy == pytest.approx(now["nutrients_per_portion"]["energy_kcal"]), result
        assert energy == pytest.approx(357 if result[1][0] == 409 else 1071), result
    assert set(outcomes) <= {((200, ""), (200, "")), ((200, ""), (409, "recipe_in_use"))}
