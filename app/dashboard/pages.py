"""How dashboard pages answer: HTML for every outcome, never a problem document.

Each page route runs under `PageRoute`: a request without a valid session is sent to the
sign-in form (303), a typed error (403 role, 404 out of scope, 429, 503, ...) becomes an
HTML page with the same status and headers, a session past half its life gets its renewed
cookie, and nothing is stored by caches (pages hold children's and officers' data).
"""

from collections.abc import Callable, Coroutine
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from app.auth.models import Principal
from app.auth.policy import AGRICULTURE_REPORTS, HEALTH_REPORTS
from app.core.config import Settings
from app.core.errors import DomainError
from app.dashboard.access import RENEWED_SESSION, SignInRequired, may
from app.dashboard.session import (
    LOGIN_COOKIE,
    LOGIN_NONCE_MINUTES,
    SESSION_COOKIE,
    csrf_token,
    new_nonce,
    set_cookie,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
DASH = "—"


def _num(value: int | float | None) -> str:
    """A count with thousands separators; unknown as a dash."""
    if value is None:
        return DASH
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}%"


def _kg(value: float | None) -> str:
    """Kilograms as the API gives them: three decimals."""
    return DASH if value is None else f"{value:,.3f}"


def _rp(value: float | None) -> str:
    """Rupiah, to the whole rupiah (halves away from zero)."""
    if value is None:
        return DASH
    whole = int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"Rp {whole:,}"


def _day(value: date) -> str:
    return value.strftime("%a %d %b")


def _longday(value: date) -> str:
    return value.strftime("%a %d %b %Y")


def _shift(value: date, days: int) -> str:
    return (value + timedelta(days=days)).isoformat()


def _clock(value: datetime | None, timezone: str) -> str:
    """An instant as the kitchen's local time of day."""
    return DASH if value is None else value.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


templates.env.filters.update(
    num=_num, pct=_pct, kg=_kg, rp=_rp, day=_day, longday=_longday, shift=_shift, clock=_clock
)
HOME = "/dashboard"
LOGIN = "/dashboard/login"


class LoginRefused(Exception):
    """A sign-in that did not succeed: the form is shown again with why, and the status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        next_: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.next = next_
        self.headers = headers or {}


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path of this site, else the home page."""
    if not target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME):
        return HOME
    if target.startswith("//") or "\\" in target:
        return HOME
    return target


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page from its template, with the viewer's navigation and logout token."""
    principal: Principal | None = getattr(request.state, "principal", None)
    settings: Settings = request.app.state.settings
    viewer_session = getattr(request.state, "viewer_session_id", None)
    base = {
        "viewer": principal,
        "nav": navigation(principal) if principal else [],
        "logout_token": (
            csrf_token(settings.secret_key, session_id=viewer_session) if viewer_session else None
        ),
        "path": request.url.path,
    }
    return templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status, headers=headers
    )


def login_form(
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    next_: str | None = None,
) -> Response:
    """The sign-in form, with a CSRF token bound to a nonce cookie (kept while it lives,
    so two open tabs both work)."""
    settings: Settings = request.app.state.settings
    nonce = request.cookies.get(LOGIN_COOKIE) or new_nonce()
    context = {
        "csrf_token": csrf_token(settings.secret_key, nonce=nonce),
        "error": error,
        "next": safe_next(next_),
    }
    response = render(request, "login.html", context, status=status, headers=headers)
    set_cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_NONCE_MINUTES * 60)
    return response


def navigation(principal: Principal) -> list[tuple[str, str]]:
    """The pages the viewer's role may open: (label, path)."""
    links = []
    if may(principal, HEALTH_REPORTS):
        links.append(("Region overview", "/dashboard/overview"))
    if may(principal, AGRICULTURE_REPORTS):
        links.append(("Ingredient demand", "/dashboard/agriculture"))
    if principal.kitchen_ids:
        links.append(("My kitchens", "/dashboard/kitchens"))
    return links


def login_redirect(request: Request) -> Response:
    """Send the browser to the sign-in form, to come back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = HOME
    return RedirectResponse(f"{LOGIN}?next={quote(target, safe='')}", status_code=303)


class PageRoute(APIRoute):
    """The route class of dashboard pages (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                response = login_redirect(request)
                response.delete_cookie(SESSION_COOKIE, path=HOME)
            except LoginRefused as refused:
                response = login_form(
                    request,
                    error=refused.message,
                    status=refused.status,
                    headers=refused.headers,
                    next_=refused.next,
                )
            except DomainError as error:
                response = render(
                    request,
                    "error.html",
                    {"status": error.status, "detail": error.detail},
                    status=error.status,
                    headers=error.headers,
                )
            except RequestValidationError:
                detail = "The address or the form holds a value this page does not take."
                response = render(
                    request, "error.html", {"status": 422, "detail": detail}, status=422
                )
            renewed = getattr(request.state, RENEWED_SESSION, None)
            if renewed is not None:
                settings: Settings = request.app.state.settings
                set_cookie(
                    response, request, SESSION_COOKIE, renewed, settings.access_token_minutes * 60
                )
            response.headers["cache-control"] = "no-store"
            return response

        return page
