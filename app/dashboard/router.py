"""The shared monitoring dashboard: server-rendered pages under /dashboard.

Sign-in uses the API's own login steps (app/auth/service.py: the same throttle, hashing
bound and audit events); a session is a signed cookie (app/dashboard/session.py). Pages
read through the API's report modules and services (see each page's module), under the
API's access policies (app/dashboard/access.py).
"""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.auth import service as auth
from app.auth.models import Role
from app.auth.policy import AGRICULTURE_REPORTS, HEALTH_REPORTS, OPS_READ
from app.core.db import begin_writing
from app.core.deps import SessionDep, SettingsDep, StreamSessionDep
from app.core.errors import DomainError, Invalid
from app.core.security import HashingBusy
from app.dashboard import agriculture, charts, overview
from app.dashboard.access import ViewerDep, kitchen_in_scope, region_in_scope
from app.dashboard.kitchen import kitchen_page
from app.dashboard.pages import (
    HERE,
    HOME,
    LOGIN,
    LoginRefused,
    PageRoute,
    login_form,
    render,
    safe_next,
)
from app.dashboard.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    csrf_valid,
    issue_session,
    read_session,
    set_cookie,
)
from app.kitchens.models import Kitchen
from app.reports.demand import DemandRow
from app.reports.formats import filename, respond
from app.reports.paging import Paging

router = APIRouter(prefix="/dashboard", route_class=PageRoute, include_in_schema=False)

# The dashboard loads nothing from elsewhere and runs no script: its own stylesheet, and
# images that are its own or drawn inline (charts, as data: URIs).
DASHBOARD_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
STYLESHEET = (HERE / "static" / "dashboard.css").read_bytes()
FieldText = Annotated[str | None, Form(max_length=256)]
DateQuery = Annotated[str | None, Query(alias="date", max_length=10)]
RegionQuery = Annotated[str | None, Query(alias="region", max_length=16)]


def _date(value: str | None) -> date | None:
    """A YYYY-MM-DD query value (422 page for anything else)."""
    if not value:
        return None
    try:
        if len(value) != len("YYYY-MM-DD"):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid("The date must be written YYYY-MM-DD") from exc


# -- signing in and out ------------------------------------------------------------------


@router.get("/login")
async def login_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    """The sign-in form; a browser whose session still holds goes on where it was going."""
    value = request.cookies.get(SESSION_COOKIE)
    claims = read_session(value, secret=settings.secret_key) if value else None
    if claims and await auth.principal_of_user(session, claims.user_id, claims.token_version):
        return RedirectResponse(safe_next(next_), status_code=303)
    return login_form(request, next_=next_)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: FieldText = None,
    password: FieldText = None,
    csrf_token: FieldText = None,
    next_: Annotated[str | None, Form(alias="next", max_length=2000)] = None,
) -> Response:
    """The API's login, step for step (app/auth/router.py): the attempt is counted and
    committed before the password is checked, the check runs within the hashing bound
    with no transaction open, and the outcome (a failure's audit event included) is
    committed whatever it is. Success sets the session cookie instead of answering a token."""
    if not csrf_valid(csrf_token, settings.secret_key, nonce=request.cookies.get(LOGIN_COOKIE)):
        raise LoginRefused(403, "The form had expired; please sign in again.", next_=next_)
    if not username or not password:
        raise LoginRefused(422, "Enter your username and password.", next_=next_)
    try:
        attempt = await auth.begin_login(
            session,
            username=username,
            client=request.client.host if request.client else "unknown",
            settings=settings,
        )
    except DomainError as refused:  # too many attempts: nothing was counted
        raise LoginRefused(
            refused.status, refused.detail, next_=next_, headers=refused.headers
        ) from refused
    await session.commit()
    try:
        ok = await auth.check_password(attempt, password)
    except HashingBusy as busy:
        await begin_writing(session)
        await auth.forget_attempt(session, attempt)
        await session.commit()
        raise LoginRefused(busy.status, busy.detail, next_=next_, headers=busy.headers) from busy
    await begin_writing(session)
    try:
        await auth.finish_login(session, attempt, ok=ok, path=request.url.path, settings=settings)
    except DomainError as refused:
        await session.commit()
        raise LoginRefused(refused.status, refused.detail, next_=next_) from refused
    assert attempt.user_id is not None
    cookie = issue_session(
        attempt.user_id,
        token_version=attempt.token_version,
        secret=settings.secret_key,
        minutes=settings.access_token_minutes,
    )
    response = RedirectResponse(safe_next(next_), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, cookie, settings.access_token_minutes * 60)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(
    request: Request, viewer: ViewerDep, settings: SettingsDep, csrf_token: FieldText = None
) -> Response:
    """End the session in this browser (its cookie is removed)."""
    if not csrf_valid(csrf_token, settings.secret_key, session_id=viewer.session.session_id):
        raise LoginRefused(403, "The sign-out form had expired; you are still signed in.")
    response = RedirectResponse(LOGIN, status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


# -- pages -------------------------------------------------------------------------------


@router.get("")
async def home(viewer: ViewerDep) -> Response:
    """The first page of the viewer's role."""
    role = viewer.principal.role
    if role in HEALTH_REPORTS.roles:
        target = "/dashboard/overview"
    elif role in AGRICULTURE_REPORTS.roles:
        target = "/dashboard/agriculture"
    else:
        target = "/dashboard/kitchens"
    return RedirectResponse(target, status_code=303)


@router.get("/overview")
async def overview_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    region: RegionQuery = None,
    to: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The region overview, for the viewer's region or a part of it."""
    scope = region_in_scope(viewer.principal, HEALTH_REPORTS, region)
    last_day = _date(to) or overview.region_today()
    data = await overview.region_overview(
        session, principal=viewer.principal, region=scope, last_day=last_day
    )
    labels = [line.day.strftime("%d %b") for line in data.days]
    flags = overview.flag_names()
    delivery_flags = overview.delivery_flag_names()
    statuses = overview.hygiene_statuses()
    context = {
        "o": data,
        "today": overview.region_today(),
        "flags": flags,
        "delivery_flags": delivery_flags,
        "statuses": statuses,
        "trail": _trail(
            viewer.principal.region_code if not viewer.principal.is_admin else None, scope
        ),
        "portions_chart": charts.line_chart(
            "Portions per day",
            labels,
            overview.day_series(data),
            alt="Planned, prepared and served portions per day against enrolment; "
            "the numbers are in the table beside it.",
        ),
        "completeness_chart": charts.bar_chart(
            "Kitchens reporting meal counts (%)",
            labels,
            {"reported": [line.completeness for line in data.days]},
            alt="Share of kitchens with a menu whose meal counts are in, per day; "
            "the numbers are in the table beside it.",
            percent=True,
        ),
        "menus_chart": charts.horizontal_bars(
            "Menus by outcome",
            {
                "approved": data.menus.passed,
                "overridden": data.menus.overridden,
                "failing (draft)": data.menus.failing,
                "draft, passing": data.menus.draft,
            },
            alt="Menus of the 30 days by outcome; the numbers are in the table beside it.",
        ),
        "safety_chart": charts.bar_chart(
            "Food-safety flags per day",
            labels,
            {flag: [data.safety.by_day[line.day][flag] for line in data.days] for flag in flags},
            alt="Food-safety flags raised per day, by flag; the numbers are in the table "
            "beside it.",
            stacked=True,
        ),
        "deliveries_chart": charts.bar_chart(
            "Delivery flags per day",
            labels,
            {
                flag: [data.deliveries.by_day[line.day][flag] for line in data.days]
                for flag in delivery_flags
            },
            alt="Deliveries flagged per day, by flag (over 4 or 6 hours from cooking to "
            "eating, short, not received, no cooking record); the numbers are in the table "
            "beside it.",
            stacked=True,
        ),
        "hygiene_chart": charts.horizontal_bars(
            "Kitchens by hygiene certificate",
            {status: data.hygiene.by_status[status] for status in statuses},
            alt="Kitchens by hygiene certificate status; the numbers are in the table beside it.",
        ),
    }
    return render(request, "overview.html", context)


def _trail(own: str | None, region: str | None) -> list[tuple[str, str | None]]:
    """The drill-down path from the viewer's own region to the one shown: (label, region)."""
    trail: list[tuple[str, str | None]] = [("Indonesia" if own is None else own, own)]
    if region is None:
        return trail
    parts = region.split(".")
    for i in range(1, len(parts) + 1):
        code = ".".join(parts[:i])
        if (own is None or len(code) > len(own)) and code != own:
            trail.append((code, code))
    return trail


@router.get("/kitchens")
async def kitchens_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    """The kitchens a kitchen manager manages (offices find kitchens by drilling down)."""
    if viewer.principal.role is not Role.kitchen_manager:
        return RedirectResponse(HOME, status_code=303)
    ids = sorted(viewer.principal.kitchen_ids)
    kitchens = [k for k in [await session.get(Kitchen, i) for i in ids] if k is not None]
    if len(kitchens) == 1:
        return RedirectResponse(f"/dashboard/kitchens/{kitchens[0].id}", status_code=303)
    return render(request, "kitchens.html", {"kitchens": sorted(kitchens, key=lambda k: k.code)})


@router.get("/kitchens/{kitchen_id}")
async def kitchen(
    request: Request,
    kitchen_id: uuid.UUID,
    viewer: ViewerDep,
    session: SessionDep,
    day: DateQuery = None,
) -> Response:
    """One kitchen: its day, its last 14 days and its menus."""
    found = await kitchen_in_scope(session, viewer.principal, OPS_READ, kitchen_id)
    page = await kitchen_page(session, kitchen=found, principal=viewer.principal, day=_date(day))
    labels = [c.day.strftime("%d %b") for c in page.counts]
    counts_chart = charts.bar_chart(
        "Portions per day (last 14 days)",
        labels,
        {
            name: [getattr(c, name) for c in page.counts]
            for name in ("planned", "prepared", "served")
        },
        alt="Planned, prepared and served portions per day; the numbers are in the table "
        "beside it.",
    )
    own = None if viewer.principal.is_admin else viewer.principal.region_code
    trail = _trail(own, found.region_code) if viewer.principal.role in HEALTH_REPORTS.roles else []
    return render(
        request, "kitchen.html", {"k": page, "counts_chart": counts_chart, "trail": trail}
    )


@router.get("/agriculture")
async def agriculture_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    region: RegionQuery = None,
    day: DateQuery = None,
) -> Response:
    """Ingredient demand by commodity and week for the viewer's region or a part of it."""
    scope = region_in_scope(viewer.principal, AGRICULTURE_REPORTS, region)
    anchor = _date(day) or overview.region_today()
    data = await agriculture.demand(session, region=scope, anchor=anchor)
    chart = charts.bar_chart(
        "Purchase kg per week, by commodity",
        data.weeks,
        {
            name: [(c.purchase_kg if (c := data.cell(name, w)) else None) for w in data.weeks]
            for name in data.commodities
        },
        alt="Purchase kilograms per ISO week, stacked by commodity; the numbers are in the "
        "table beside it.",
        stacked=True,
    )
    value_chart = charts.bar_chart(
        "Value per week, million rupiah, by commodity",
        data.weeks,
        {
            name: [
                (
                    c.value_idr / 1e6
                    if (c := data.cell(name, w)) and c.value_idr is not None
                    else None
                )
                for w in data.weeks
            ]
            for name in data.commodities
        },
        alt="Value in million rupiah per ISO week, stacked by commodity; the numbers are in "
        "the table beside it.",
        stacked=True,
    )
    query = {"date": anchor.isoformat(), **({"region": scope} if scope else {})}
    context = {
        "d": data,
        "chart": chart,
        "value_chart": value_chart,
        "csv_href": "/dashboard/agriculture.csv?" + "&".join(f"{k}={v}" for k, v in query.items()),
        "api_csv": agriculture.api_query(data.window, csv=True),
        "api_json": agriculture.api_query(data.window, csv=False),
    }
    return render(request, "agriculture.html", context)


@router.get("/agriculture.csv")
async def agriculture_csv(
    viewer: ViewerDep,
    session: StreamSessionDep,
    region: RegionQuery = None,
    day: DateQuery = None,
) -> Response:
    """The page's demand rows as the API's CSV (same report, same columns, same bytes)."""
    scope = region_in_scope(viewer.principal, AGRICULTURE_REPORTS, region)
    window = agriculture.demand_window(scope, _date(day) or overview.region_today())
    response = await respond(
        session,
        agriculture.report_for(window),
        Paging(limit=1, cursor=None),
        format_="csv",
        row_model=DemandRow,
        csv_name=filename("ingredient-demand-week-commodity", window.date_from, window.date_to),
    )
    assert isinstance(response, Response)
    return response


@router.get("/static/dashboard.css")
async def stylesheet() -> Response:
    """The dashboard's one stylesheet (its own; no third-party assets)."""
    return Response(STYLESHEET, media_type="text/css; charset=utf-8")
