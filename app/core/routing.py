"""The route class every API route uses: the per-route protocol work of §9, in one place.

- GET: an answer that no route tagged from its versions gets a strong ETag of its body,
  and `If-None-Match` with that tag answers 304. Streams and CSV pass untouched.
- POST: `Idempotency-Key` (app/core/idempotency.py). The claim is the route's last
  dependency, after authentication and access checks, and the route then runs under it.

Only requests that need this work pay for it; no middleware wraps every request.
"""

import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_parameterless_sub_dependant
from fastapi.params import Depends
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.core.conditional import (
    CACHE_CONTROL,
    EntityTags,
    NotModified,
    etag_of,
    not_modified_response,
)
from app.core.errors import Invalid, render
from app.core.idempotency import Claim, Replay, claim_key, replay_response, run_once

# Bodies larger than this are sent untagged rather than hashed.
ETAG_MAX_BYTES = 16 * 1024 * 1024
_CLAIM_PARAM = "_idempotency_claim"


def _taggable(response: Response) -> bool:
    media_type = (response.media_type or "").partition(";")[0].strip().lower()
    return (
        response.status_code == 200
        and "etag" not in response.headers
        and hasattr(response, "body")
        and len(response.body) <= ETAG_MAX_BYTES
        and media_type != "text/csv"
    )


def tag_body(request: Request, response: Response) -> Response:
    """Tag a complete GET answer with its body's hash; 304 when the client holds it."""
    if not _taggable(response):
        return response
    tag = etag_of(bytes(response.body))
    response.headers["ETag"] = tag
    response.headers.setdefault("Cache-Control", CACHE_CONTROL)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and EntityTags.parse(if_none_match).matches_weakly(tag):
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": CACHE_CONTROL})
    return response


_NUL_IN_QUERY = re.compile(rb"%00", re.IGNORECASE)


async def refuse_nul(request: Request) -> None:
    """422 for a NUL character anywhere in the query, the path or the body (§11): no
    column can hold one, and the login form, a search or a note must not smuggle one in."""
    where: list[str | int] | None = None
    if _NUL_IN_QUERY.search(request.scope.get("query_string", b"")):
        where = ["query"]
    elif (
        _NUL_IN_QUERY.search(request.scope.get("raw_path", b"") or b"")
        or "\x00" in request.url.path
    ):
        where = ["path"]
    elif request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        form = request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        if b"\x00" in body or (_NUL_IN_QUERY.search(body) if form else b"\\u0000" in body):
            where = ["body"]
    if where is not None:
        raise Invalid("Text may not contain the NUL character", loc=where)


class ApiRoute(APIRoute):
    """An APIRoute with ETags on GET and idempotent POSTs."""

    _keyed = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # Called once, while APIRoute builds the route: its dependencies are known by then.
        if "POST" in (self.methods or ()) and self.include_in_schema and not self._keyed:
            self._run_under_idempotency_keys()
        handler = super().get_route_handler()
        reads = "GET" in (self.methods or ())

        async def checked(request: Request) -> Response:
            await refuse_nul(request)
            response = await handler(request)
            return tag_body(request, response) if reads else response

        return checked

    def _run_under_idempotency_keys(self) -> None:
        """Append the key's claim as the last dependency, and run the endpoint under it."""
        claim = get_parameterless_sub_dependant(depends=Depends(claim_key), path=self.path_format)
        claim.name = _CLAIM_PARAM
        self.dependant.dependencies.append(claim)
        self.dependant.call = _under_claim(self.dependant, self._render_success())
        self._keyed = True

    def _render_success(self) -> Callable[[Any], Response]:
        status = self.status_code or 200
        adapter: TypeAdapter[Any] | None = (
            TypeAdapter(self.response_model) if self.response_model is not None else None
        )

        def render_success(result: Any) -> Response:
            if isinstance(result, Response):
                return result
            body = adapter.dump_json(adapter.validate_python(result)) if adapter else b"null"
            return Response(body, status_code=status, media_type="application/json")

        return render_success


def _under_claim(
    dependant: Dependant, render_success: Callable[[Any], Response]
) -> Callable[..., Awaitable[Any]]:
    endpoint = dependant.call
    assert endpoint is not None
    is_async = inspect.iscoroutinefunction(endpoint)

    async def call(**values: Any) -> Any:
        held: Claim | None = values.pop(_CLAIM_PARAM, None)

        async def run() -> Any:
            if is_async:
                return await endpoint(**values)
            from starlette.concurrency import run_in_threadpool

            return await run_in_threadpool(endpoint, **values)

        if held is None:
            return await run()
        return await run_once(held, run, render_success, render)

    return call


API_PREFIX = "/api/v1"


def api_router(**kwargs: Any) -> APIRouter:
    """A domain's router: its routes under /api/v1, each an ApiRoute."""
    return APIRouter(prefix=API_PREFIX, route_class=ApiRoute, **kwargs)


def mount(app: FastAPI, *routers: APIRouter) -> None:
    """Put the routers' routes straight into the app's route table.

    `include_router` would wrap each router in a layer that every request matches through;
    the routes already carry their full paths, so they are added as they are.
    """
    for router in routers:
        app.router.routes.extend(router.routes)


def install_protocol_handlers(app: FastAPI) -> None:
    """Answer 304 and idempotent replays raised from dependencies."""

    @app.exception_handler(NotModified)
    async def _not_modified(_: Request, exc: NotModified) -> Response:
        return not_modified_response(exc)

    @app.exception_handler(Replay)
    async def _replay(_: Request, exc: Replay) -> Response:
        return replay_response(exc)
