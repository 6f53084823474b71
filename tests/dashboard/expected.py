"""What each dashboard page must show, computed from the API's answers for the same user
and the same filters (reports, kitchens, schools, menus, meal counts, checks).

Each function returns the page's tables in the shape `tests.dashboard.html.tables` reads
them ({table id: {row key: {field: value}}}), so a test compares them as a whole.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import Headers
from tests.builders.reports import DEMAND, HEALTH, get_rows

FLAGS = ("no_sample_retained", "organoleptic_failed", "core_temp_below_75c", "dispatch_over_4h")
DELIVERY_FLAGS = ("over_4h", "over_6h", "short_delivery", "not_received", "no_cooking_record")
HYGIENE = ("valid", "expiring", "expired", "missing")
Tables = dict[str, dict[str, dict[str, Any]]]


def _add(total: int | None, value: int | None) -> int | None:
    return total if value is None else (total or 0) + value


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _all(client: TestClient, url: str, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged list with these query parameters."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 1000, **({"cursor": cursor} if cursor else {})}
        resp = client.get(url, params=query, headers=headers)
        assert resp.status_code == 200, resp.text
        items += resp.json()["items"]
        cursor = resp.json().get("next_cursor")
        if cursor is None:
            return items


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def overview(
    client: TestClient,
    headers: Headers,
    region: str | None,
    first: date,
    last: date,
    *,
    today: date,
) -> Tables:
    """The overview's tables for a region and window, from the API (`today`: the
    overview's today, when kitchens' certificates are read on their own today)."""
    window_dates = {"from": first.isoformat(), "to": last.isoformat()}
    window = dict(window_dates)
    if region:
        window["region_code"] = region
    kitchens = _all(
        client, "/api/v1/kitchens", headers, **({"region_code": region} if region else {})
    )
    level = "province" if region is None else "regency" if len(region) < 5 else "kitchen"
    cut = {"province": 2, "regency": 5}.get(level)

    def part(k: dict[str, Any]) -> str:
        return str(k["id"]) if cut is None else k["region_code"][:cut]

    part_of = {k["id"]: part(k) for k in kitchens}
    parts: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"kitchens": 0, "enrolment": 0, "planned": None, "prepared": None,
                 "served": None, "reported": 0, "expected": 0, "overridden": 0,
                 "failing": 0, "flagged": 0, "late": 0, "incidents": 0}
    )  # fmt: skip
    enrolment = 0
    for k in kitchens:
        parts[part_of[k["id"]]]["kitchens"] += 1
        for school in _all(client, f"/api/v1/kitchens/{k['id']}/schools", headers):
            pupils = sum(school["enrolment"].values())
            parts[part_of[k["id"]]]["enrolment"] += pupils
            enrolment += pupils

    days = {
        d.isoformat(): {"planned": None, "prepared": None, "served": None}
        for d in _days(first, last)
    }
    counted: set[tuple[str, str]] = set()
    for row in get_rows(client, f"{HEALTH}/meal-counts", headers, group_by="kitchen", **window):
        for field in ("planned", "prepared", "served"):
            days[row["service_date"]][field] = _add(days[row["service_date"]][field], row[field])
            p = parts[part_of[row["kitchen_id"]]]
            p[field] = _add(p[field], row[field])
        counted.add((row["kitchen_id"], row["service_date"]))

    outcomes: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    reported: Counter[str] = Counter()
    for k in kitchens:
        menus = _all(client, f"/api/v1/kitchens/{k['id']}/menus", headers, **window_dates)
        for menu in menus:
            if menu["status"] == "approved":
                outcome = "overridden" if menu["override_reason"] else "passed"
            else:
                check = client.get(f"/api/v1/menus/{menu['id']}/nutrition-check", headers=headers)
                outcome = "draft" if check.json()["overall"] == "pass" else "failing"
            outcomes[outcome] += 1
            if outcome in ("overridden", "failing"):
                parts[part_of[k["id"]]][outcome] += 1
        for day in {m["service_date"] for m in menus}:
            expected[day] += 1
            parts[part_of[k["id"]]]["expected"] += 1
            if (k["id"], day) in counted:
                reported[day] += 1
                parts[part_of[k["id"]]]["reported"] += 1

    flags: dict[str, Counter[str]] = {day: Counter() for day in days}
    flagged = 0
    for row in get_rows(client, f"{HEALTH}/food-safety", headers, **window):
        if row["flags"]:
            flagged += 1
            parts[part_of[row["kitchen_id"]]]["flagged"] += 1
        for flag in row["flags"]:
            flags[row["service_date"]][flag] += 1

    delivery_flags: dict[str, Counter[str]] = {day: Counter() for day in days}
    late = 0
    for row in get_rows(client, f"{HEALTH}/deliveries", headers, **window):
        if {"over_4h", "over_6h"} & set(row["flags"]):
            late += 1
            parts[part_of[row["kitchen_id"]]]["late"] += 1
        for flag in row["flags"]:
            delivery_flags[row["service_date"]][flag] += 1

    hygiene: Counter[str] = Counter()
    on = {} if last == today else {"date": last.isoformat()}
    for row in get_rows(
        client, f"{HEALTH}/kitchens", headers, **on, **({"region_code": region} if region else {})
    ):
        hygiene[row["hygiene_status"]] += 1
        hygiene["suspended"] += row["status"] == "suspended"
        hygiene["over_capacity"] += row["over_capacity"]

    incidents = 0
    for incident in _all(client, "/api/v1/incidents", headers, **window_dates):
        if incident["kitchen_id"] in part_of:
            incidents += 1
            parts[part_of[incident["kitchen_id"]]]["incidents"] += 1

    total_menus = sum(outcomes.values())
    totals = {"planned": None, "prepared": None, "served": None}
    for line in days.values():
        for field in totals:
            totals[field] = _add(totals[field], line[field])
    return {
        "summary": {
            "summary": {
                "kitchens": len(kitchens),
                "enrolment": enrolment,
                "served": totals["served"],
                "overridden": outcomes["overridden"],
                "flagged": flagged,
                "late": late,
                "not_valid": len(kitchens) - hygiene["valid"],
                "incidents": incidents,
            }
        },
        "delivery-flags-by-day": {
            **{day: {f: delivery_flags[day][f] for f in DELIVERY_FLAGS} for day in days},
            "total": {f: sum(c[f] for c in delivery_flags.values()) for f in DELIVERY_FLAGS},
        },
        "hygiene": {
            key: {"kitchens": hygiene[key]} for key in (*HYGIENE, "suspended", "over_capacity")
        },
        "portions": {
            **{day: {**line, "enrolment": enrolment} for day, line in days.items()},
            "total": totals,
        },
        "completeness": {
            day: {
                "expected": expected[day],
                "reported": reported[day],
                "share": _pct(reported[day], expected[day]),
            }
            for day in days
        },
        "parts": {
            key: {
                **{f: v for f, v in p.items() if f != "expected"},
                "reported": f"{p['reported']} of {p['expected']}",
            }
            for key, p in parts.items()
        },
        "menu-outcomes": {
            **{
                key: {"count": outcomes[key], "share": _pct(outcomes[key], total_menus)}
                for key in ("passed", "overridden", "failing", "draft")
            },
            "total": {"count": total_menus},
        },
        "flags-by-day": {
            **{day: {f: flags[day][f] for f in FLAGS} for day in days},
            "total": {f: sum(c[f] for c in flags.values()) for f in FLAGS},
        },
    }


def kitchen(
    client: TestClient, headers: Headers, kitchen_id: str, day: date, *, today: date
) -> Tables:
    """The kitchen page's tables for a day, from the API (`today`: the kitchen's today)."""
    first = day - timedelta(days=13)
    counts = client.get(
        f"/api/v1/kitchens/{kitchen_id}/meal-counts",
        params={"from": first.isoformat(), "to": day.isoformat()},
        headers=headers,
    )
    assert counts.status_code == 200, counts.text
    by_day = {d["service_date"]: d["totals"] for d in counts.json()["items"]}
    schools = _all(client, f"/api/v1/kitchens/{kitchen_id}/schools", headers)
    last = (day + timedelta(days=7)).isoformat()
    menus = _all(
        client,
        f"/api/v1/kitchens/{kitchen_id}/menus",
        headers,
        **{"from": first.isoformat(), "to": last},
    )
    checks = {}
    for menu in menus:
        check = menu["nutrition_check"]
        if menu["status"] != "approved":
            live = client.get(f"/api/v1/menus/{menu['id']}/nutrition-check", headers=headers)
            check = live.json()
        cost = check.get("cost_per_day")
        checks[menu["id"]] = {
            "status": menu["status"],
            "check": check["overall"],
            "cost_per_day": None
            if cost is None
            else int(Decimal(repr(cost)).quantize(1, ROUND_HALF_UP)),
        }
    deliveries = _all(
        client,
        f"/api/v1/kitchens/{kitchen_id}/deliveries",
        headers,
        **{"from": first.isoformat(), "to": day.isoformat()},
    )
    summary: dict[str, Any] = {
        "schools": len(schools),
        "enrolment": sum(sum(s["enrolment"].values()) for s in schools),
    }
    the_kitchen = client.get(f"/api/v1/kitchens/{kitchen_id}", headers=headers).json()
    if day == today:  # the API gives the certificate's status on the kitchen's today
        summary |= {
            "hygiene_status": the_kitchen["hygiene_status"],
            "status": the_kitchen["status"],
        }
    return {
        "summary": {"summary": summary},
        "deliveries": {
            d["id"]: {
                "portions": d["portions"],
                "received_portions": d["received_portions"],
                "flags": ", ".join(d["flags"]).replace("_", " ") or "—",
            }
            for d in deliveries
        },
        "counts": {
            d.isoformat(): {
                f: by_day[d.isoformat()][f] for f in ("planned", "prepared", "served", "returned")
            }
            if d.isoformat() in by_day
            else {}
            for d in _days(first, day)
        },
        "menus": checks,
    }


def demand(
    client: TestClient, headers: Headers, region: str | None, first: date, last: date, level: str
) -> Tables:
    """The agriculture page's tables from the agriculture API: purchase kg (`demand`) and
    rupiah (`demand-value`) per commodity and ISO week, rows of one commodity and week
    added up across regions (as the page adds provinces up for the nation); a value is
    unknown when any row's is."""
    params: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "period": "week",
        "by": "commodity",
        "region_level": level,
    }
    if region:
        params["region_code"] = region
    kg: dict[str, dict[str, Any]] = defaultdict(dict)
    value: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in get_rows(client, DEMAND, headers, **params):
        commodity, week = row["commodity"], row["period"]
        kg[commodity][week] = round(kg[commodity].get(week, 0.0) + row["purchase_kg"], 3)
        known = value[commodity].get(week, 0)
        value[commodity][week] = (
            None if known is None or row["value_idr"] is None else known + row["value_idr"]
        )
    return {"demand": dict(kg), "demand-value": dict(value)}
