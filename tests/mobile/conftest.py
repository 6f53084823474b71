"""Test-only routes that exercise §9 where the real API offers no such endpoint.

`flaky`: a POST that fails (exception or 503) on its first call. `slow`: a POST that
takes a while. `echo`: a POST that counts its calls. `export`: a streamed CSV. They are
mounted as the API's own routes are (app/core/routing.py), so an Idempotency-Key works
on them as on every POST; conditional writes are tested on the API's real resources.
"""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from app.auth.deps import AnyPrincipal
from app.core.config import Settings
from app.core.routing import api_router, mount
from app.main import create_app
from tests.conftest import serve


class NoteIn(BaseModel):
    text: str


class Notes:
    """Call counts behind the test routes, shareable between several apps ("processes")."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.export_may_finish = threading.Event()


def notes_router(store: Notes) -> APIRouter:
    router = api_router()

    @router.post("/test-flaky/{mode}", status_code=201)
    def flaky(mode: str, data: NoteIn, _: AnyPrincipal) -> Any:
        store.calls[mode] = store.calls.get(mode, 0) + 1
        if store.calls[mode] == 1:
            if mode == "raise":
                raise RuntimeError("first call fails")
            return JSONResponse({"detail": "try again"}, status_code=503)
        return {"text": data.text, "call": store.calls[mode]}

    @router.post("/test-echo", status_code=201)
    def echo(data: NoteIn, _: AnyPrincipal) -> dict[str, Any]:
        store.calls["echo"] = store.calls.get("echo", 0) + 1
        return {"text": data.text, "call": store.calls["echo"]}

    @router.post("/test-slow", status_code=201)
    def slow(data: NoteIn, _: AnyPrincipal) -> dict[str, Any]:
        store.calls["slow"] = store.calls.get("slow", 0) + 1
        time.sleep(1.0)
        return {"text": data.text, "call": store.calls["slow"]}

    @router.get("/test-export")
    def export(_: AnyPrincipal) -> StreamingResponse:
        def rows() -> Iterator[bytes]:
            yield b"school,served\n"
            # The rest comes only once the client has seen the first row: anything that
            # held the stream back would never let this export finish.
            store.export_may_finish.wait(timeout=30)
            yield b"SD 1,120\n"

        return StreamingResponse(rows(), media_type="text/csv")

    return router


@pytest.fixture
def notes(app: FastAPI) -> Notes:
    """The test routes, mounted on the test's app under /api/v1."""
    store = Notes()
    mount(app, notes_router(store))
    return store


@pytest.fixture
def second_server(settings: Settings) -> Iterator[str]:
    """Another app on the same database, on its own port: a second server process."""
    other = create_app(settings)
    url, server, thread = serve(other)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
