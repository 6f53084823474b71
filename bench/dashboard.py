"""The dashboard's province overview page against the API calls whose numbers it shows.

A health office of the busiest province signs in through the dashboard's form; the page
is its region overview for the 30 days ending on the nation's last counted day. The
baseline is the same user's API calls, in the same run, each as cheap as the API allows:
every row of the region's reports as CSV (meal counts by kitchen, food-safety checks, the
nutrition of approved menus, deliveries, kitchens with their hygiene certificates), the
region's kitchens and the window's incidents (JSON pages of 1,000). Enrolment and drafts'
live checks have no region-wide API (one call per kitchen); they are left out of the
baseline, which makes the target harder, not easier. Target: page / API <= 1.5.
"""

import re
import secrets
import statistics
import time
from datetime import date, timedelta
from typing import Any

import httpx
import psycopg

from bench.common import Context, Headers, Result, admin_headers
from bench.demand import busiest_province

TARGET = 1.5
HEALTH = "/api/v1/integrations/health"


def _health_user(client: httpx.Client, admin: Headers, region: str) -> tuple[str, str]:
    """A fresh health-office user of the region: (username, password)."""
    username = f"bench-health-{region}-{secrets.token_hex(3)}"
    password = secrets.token_urlsafe(16)
    resp = client.post(
        "/api/v1/users",
        json={
            "username": username,
            "password": password,
            "full_name": "Bench health office",
            "role": "health_office",
            "region_code": region,
        },
        headers=admin,
    )
    resp.raise_for_status()
    return username, password


def _sign_in(client: httpx.Client, username: str, password: str) -> None:
    """Sign in through the dashboard's form; the client keeps the session cookie."""
    form = client.get("/dashboard/login")
    form.raise_for_status()
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "the sign-in form has no CSRF token"
    data = {"username": username, "password": password, "csrf_token": found.group(1)}
    resp = client.post("/dashboard/login", data=data)
    assert resp.status_code == 303, resp.text
    assert "dapur_session" in client.cookies


def _served_on_page(html: str) -> int:
    found = re.search(r'<dd data-field="served">([^<]*)</dd>', html)
    assert found, "the page has no served total"
    return int(found.group(1).replace(",", ""))


def run(ctx: Context) -> list[Result]:
    to = date.fromisoformat(ctx.anchor)
    first = to - timedelta(days=29)
    runs = 3 if ctx.smoke else 7
    with psycopg.connect(ctx.libpq_url) as conn:
        region = busiest_province(conn)
        (kitchens,) = conn.execute(
            "SELECT count(*) FROM kitchens WHERE region_code LIKE %s", (region + ".%",)
        ).fetchone() or (0,)

    window = {"from": first.isoformat(), "to": to.isoformat()}
    with ctx.client() as api_client, ctx.client() as browser:
        admin = admin_headers(api_client)
        username, password = _health_user(api_client, admin, region)
        token = api_client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        token.raise_for_status()
        office = {"Authorization": f"Bearer {token.json()['access_token']}"}
        _sign_in(browser, username, password)

        def page() -> str:
            resp = browser.get("/dashboard/overview", params={"to": to.isoformat()})
            resp.raise_for_status()
            return resp.text

        def csv(path: str, **params: Any) -> str:
            resp = api_client.get(
                f"{HEALTH}/{path}", params={**window, **params, "format": "csv"}, headers=office
            )
            resp.raise_for_status()
            return resp.text

        def kitchens_pages() -> int:
            count, cursor = 0, None
            while True:
                params: dict[str, Any] = {"region_code": region, "limit": 1000}
                if cursor:
                    params["cursor"] = cursor
                resp = api_client.get("/api/v1/kitchens", params=params, headers=office)
                resp.raise_for_status()
                count += len(resp.json()["items"])
                cursor = resp.json()["next_cursor"]
                if cursor is None:
                    return count

        def incidents() -> int:
            count, cursor = 0, None
            while True:
                params: dict[str, Any] = {**window, "limit": 1000}
                if cursor:
                    params["cursor"] = cursor
                resp = api_client.get("/api/v1/incidents", params=params, headers=office)
                resp.raise_for_status()
                count += len(resp.json()["items"])
                cursor = resp.json()["next_cursor"]
                if cursor is None:
                    return count

        def api() -> dict[str, Any]:
            kitchens_today = api_client.get(
                f"{HEALTH}/kitchens", params={"format": "csv"}, headers=office
            )
            kitchens_today.raise_for_status()
            return {
                "kitchens": kitchens_pages(),
                "meal_counts": csv("meal-counts", group_by="kitchen"),
                "food_safety": csv("food-safety"),
                "nutrition": csv("nutrition"),
                "deliveries": csv("deliveries"),
                "hygiene": kitchens_today.text,
                "incidents": incidents(),
            }

        # Alternate the two after a warm-up of each, so both meet the same machine load.
        html, answers = page(), api()
        page_times, api_times = [], []
        for _ in range(runs):
            started = time.perf_counter()
            html = page()
            page_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            answers = api()
            api_times.append(time.perf_counter() - started)

    counts = answers["meal_counts"].splitlines()
    header = counts[0].split(",")
    served_column = header.index("served")
    api_served = sum(int(line.split(",")[served_column] or 0) for line in counts[1:])
    page_served = _served_on_page(html)
    page_median, api_median = statistics.median(page_times), statistics.median(api_times)
    ratio = page_median / api_median
    return [
        Result(
            name=f"dashboard province overview {region}, 30 days, against its API calls",
            figures={
                "kitchens in province": kitchens,
                "window": f"{first} .. {to}",
                "page bytes": len(html.encode()),
                "API rows (meal counts CSV)": len(counts) - 1,
                "page median ms": page_median * 1000,
                "API calls median ms (sum of 7)": api_median * 1000,
                "page runs ms": " ".join(f"{t * 1000:.0f}" for t in page_times),
                "API runs ms": " ".join(f"{t * 1000:.0f}" for t in api_times),
                "served (page / API)": f"{page_served:,} / {api_served:,}",
            },
            ratio=ratio,
            target=f"<= {TARGET}",
            met=ratio <= TARGET and page_served == api_served,
        )
    ]
