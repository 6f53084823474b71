"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the app
served by uvicorn. Officers sign in through the form, drill down, and every page's tables
must equal what the API answers the same user for the same filters; another region's
kitchen is not reachable; no page logs a console error (a CSP violation included). Each
page is photographed at phone (390 px) and desktop width into tests/artifacts/dashboard/
(and, with DASHBOARD_DOCS_SCREENSHOTS=1, the pages docs/dashboard.md shows into docs/img/).

Nothing downloads a browser: Playwright drives /usr/bin/chromium. Without it these tests
are skipped with the reason; CI installs it (.ci/run).
"""

import os
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.dashboard import expected
from tests.dashboard.html import element_attrs, shown, tables
from tests.dashboard.world import Person, World

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "dashboard"
DOCS_IMG = ROOT / "docs" / "img"
# This machine's flags: no GPU, no sandbox (root in a container), nothing from the network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# The pages docs/dashboard.md shows.
DOCS_PAGES = frozenset({"overview-province", "kitchen", "agriculture"})
DESKTOP = {"width": 1366, "height": 900}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed at /usr/bin/chromium (apt-get install chromium; "
    ".ci/run installs it, so CI runs these tests)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


class Officer:
    """A browser context of one person, noting every console error of its pages."""

    def __init__(self, browser: Browser, base: str, who: Person) -> None:
        self.context = browser.new_context(viewport=DESKTOP, base_url=base)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.who = who

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} at {self.page.url}")

    def sign_in(self) -> None:
        """Open the dashboard, get sent to the form, sign in, land on the first page."""
        self.page.goto("/dashboard")
        assert "/dashboard/login" in self.page.url
        self.page.fill("#username", self.who.username)
        self.page.fill("#password", self.who.password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        assert "/dashboard/login" not in self.page.url, self.page.content()

    def tables(self) -> dict[str, dict[str, dict[str, str]]]:
        return tables(self.page.content())

    def shoot(self, name: str) -> None:
        """The page at desktop and at phone width; at phone width nothing may be wider
        than the screen (no sideways scrolling of the page itself)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(DESKTOP)
        self.page.screenshot(path=ARTIFACTS / f"{name}-desktop.png", full_page=True)
        self.page.set_viewport_size(PHONE)
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width} px wide at 390 px"
        self.page.screenshot(path=ARTIFACTS / f"{name}-phone.png", full_page=True)
        if name in DOCS_PAGES and os.environ.get("DASHBOARD_DOCS_SCREENSHOTS") == "1":
            # docs/dashboard.md: the phone's first screen, and the whole page on a desktop.
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=DOCS_IMG / f"dashboard-{name}-phone.png")
            shutil.copyfile(ARTIFACTS / f"{name}-desktop.png", DOCS_IMG / f"dashboard-{name}.png")
        self.page.set_viewport_size(DESKTOP)

    def refused(self, path: str, status: int) -> None:
        """Opening `path` answers `status`; the browser's one console error is that answer."""
        assert self.errors == [], self.errors
        answer = self.page.goto(path)
        assert answer is not None and answer.status == status, path
        assert len(self.errors) == 1 and f"status of {status}" in self.errors[0], self.errors
        self.errors.clear()

    def close(self) -> None:
        self.context.close()


def _window(html: str) -> tuple[date, date]:
    """The dates the overview page says it covers."""
    attrs = element_attrs(html, "overview")
    return date.fromisoformat(attrs["data-from"]), date.fromisoformat(attrs["data-to"])


def test_health_office_drills_down_to_a_kitchen_with_the_apis_numbers(
    browser: Browser, live_server: str, client: TestClient, world: World
) -> None:
    who = world.health_32
    officer = Officer(browser, live_server, who)
    try:
        officer.sign_in()
        assert officer.page.url.endswith("/dashboard/overview")
        html = officer.page.content()
        first, last = _window(html)
        assert (first, last) == (world.today - timedelta(days=29), world.today)
        want = expected.overview(client, who.headers, "32", first, last, today=world.today)
        assert shown(officer.tables(), want) == want
        # The drill-down lists regencies: 32.04 and 32.73, never 35.
        assert set(officer.tables()["parts"]) == {"32.04", "32.73"}
        officer.shoot("overview-province")

        officer.page.click("#parts a:text-is('32.73')")
        officer.page.wait_for_load_state()
        assert "region=32.73" in officer.page.url
        want = expected.overview(client, who.headers, "32.73", first, last, today=world.today)
        assert shown(officer.tables(), want) == want
        assert set(officer.tables()["parts"]) == {world.p.a1["id"], world.p.a2["id"]}
        officer.shoot("overview-regency")

        officer.page.click(f"#parts tr[data-key='{world.p.a1['id']}'] a")
        officer.page.wait_for_load_state()
        assert f"/dashboard/kitchens/{world.p.a1['id']}" in officer.page.url
        want = expected.kitchen(
            client, who.headers, world.p.a1["id"], world.today, today=world.today
        )
        assert shown(officer.tables(), want) == want
        # A health office sees no staff: no shift table.
        assert "day-shifts" not in officer.tables()
        officer.shoot("kitchen")

        # Another province's kitchen is not reachable, by link or by address.
        assert world.p.c["id"] not in officer.page.content()
        officer.refused(f"/dashboard/kitchens/{world.p.c['id']}", 404)
        officer.refused("/dashboard/overview?region=35", 404)
        officer.refused("/dashboard/agriculture", 403)
    finally:
        officer.close()


def test_agriculture_office_reads_demand_by_week_with_its_csv(
    browser: Browser, live_server: str, client: TestClient, world: World
) -> None:
    who = world.agri_32
    officer = Officer(browser, live_server, who)
    try:
        officer.sign_in()
        assert officer.page.url.endswith("/dashboard/agriculture")
        attrs = element_attrs(officer.page.content(), "agriculture")
        first, last = date.fromisoformat(attrs["data-from"]), date.fromisoformat(attrs["data-to"])
        assert (last - first).days == 55 and first.weekday() == 0
        assert first <= world.today <= last
        want = expected.demand(client, who.headers, "32", first, last, "province")
        assert want["demand"], "the world has demand in these weeks"
        assert shown(officer.tables(), want) == want
        for table in want:
            assert set(officer.tables()[table]) == {*want[table], "total"}
        officer.shoot("agriculture")

        # The CSV link gives the API's CSV of the same rows, byte for byte.
        with officer.page.expect_download() as download:
            officer.page.click("a[download]")
        saved = Path(download.value.path()).read_bytes()
        api = client.get(
            "/api/v1/integrations/agriculture/ingredient-demand",
            params={
                "from": first.isoformat(),
                "to": last.isoformat(),
                "period": "week",
                "by": "commodity",
                "region_level": "province",
                "region_code": "32",
                "format": "csv",
            },
            headers=who.headers,
        )
        assert api.status_code == 200
        assert saved == api.content

        officer.refused("/dashboard/overview", 403)
        officer.refused(f"/dashboard/kitchens/{world.p.a1['id']}", 403)
    finally:
        officer.close()


def test_sign_in_page_and_kitchen_manager_at_phone_width(
    browser: Browser, live_server: str, client: TestClient, world: World
) -> None:
    who = world.manager_a1
    officer = Officer(browser, live_server, who)
    try:
        officer.page.goto("/dashboard/login")
        officer.shoot("login")
        officer.sign_in()
        # One kitchen: straight to it, with its shifts (the manager may read staff).
        assert officer.page.url.endswith(f"/dashboard/kitchens/{world.p.a1['id']}")
        assert "day-shifts" in officer.tables()
        want = expected.kitchen(
            client, who.headers, world.p.a1["id"], world.today, today=world.today
        )
        assert shown(officer.tables(), want) == want
        officer.refused(f"/dashboard/kitchens/{world.p.a2['id']}", 404)
        officer.refused("/dashboard/overview", 403)
        # Signing out ends the session in this browser.
        officer.page.goto("/dashboard/kitchens")
        officer.page.click("header button[type=submit]")
        officer.page.wait_for_load_state()
        assert officer.page.url.endswith("/dashboard/login")
        officer.page.goto(f"/dashboard/kitchens/{world.p.a1['id']}")
        assert "/dashboard/login" in officer.page.url
        assert officer.errors == [], officer.errors
    finally:
        officer.close()
