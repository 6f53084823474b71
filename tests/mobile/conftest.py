"""Test-only routes that exercise §9 where the real API offers no such endpoint yet.

`notes`: a GET/PUT resource (PUT replaces or creates, as meal counts do) kept in a dict,
with an adjustable pause inside the write so races between check and write are wide
open. `flaky`: a POST that fails (exception or 503) on its first call. `slow`: a POST that
takes a while, without touching the database. `echo`: a POST that
counts its calls. `export`: a streamed CSV.
"""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from app.auth.deps import CurrentPrincipal
from app.core.config import Settings
from app.core.errors import NotFound
from app.main import create_app
from tests.conftest import serve


class NoteIn(BaseModel):
    text: str


class Notes:
    """The store behind the test routes, shareable between several apps ("processes")."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.write_pause = 0.0
        self.calls: dict[str, int] = {}
        self.export_may_finish = threading.Event()


def notes_router(store: Notes) -> APIRouter:
    router = APIRouter()

    @router.get("/test-notes/{name}")
    def get_note(name: str, _: CurrentPrincipal) -> dict[str, Any]:
        if name not in store.items:
            raise NotFound("Note")
        return store.items[name]

    @router.put("/test-notes/{name}")
    def put_note(name: str, data: NoteIn, _: CurrentPrincipal) -> dict[str, Any]:
        time.sleep(store.write_pause)
        store.items[name] = {"name": name, "text": data.text}
        return store.items[name]

    @router.patch("/test-notes/{name}")
    def patch_note(name: str, data: NoteIn, _: CurrentPrincipal) -> dict[str, Any]:
        if name not in store.items:
            raise NotFound("Note")
        store.items[name] = {"name": name, "text": data.text}
        return {"changed": name}  # not the note itself: an answer no GET gives

    @router.post("/test-flaky/{mode}", status_code=201)
    def flaky(mode: str, data: NoteIn) -> Any:
        store.calls[mode] = store.calls.get(mode, 0) + 1
        if store.calls[mode] == 1:
            if mode == "raise":
                raise RuntimeError("first call fails")
            return JSONResponse({"detail": "try again"}, status_code=503)
        return {"text": data.text, "call": store.calls[mode]}

    @router.post("/test-echo", status_code=201)
    def echo(data: NoteIn) -> dict[str, Any]:
        store.calls["echo"] = store.calls.get("echo", 0) + 1
        return {"text": data.text, "call": store.calls["echo"]}

    @router.post("/test-slow", status_code=201)
    def slow(data: NoteIn) -> dict[str, Any]:
        store.calls["slow"] = store.calls.get("slow", 0) + 1
        time.sleep(1.0)
        return {"text": data.text, "call": store.calls["slow"]}

    @router.get("/test-export")
    def export(_: CurrentPrincipal) -> StreamingResponse:
        def rows() -> Iterator[bytes]:
            yield b"school,served\n"
            # The rest comes only once the client has seen the first row: a middleware that
            # held the stream back would never let this export finish.
            store.export_may_finish.wait(timeout=30)
            yield b"SD 1,120\n"

        return StreamingResponse(rows(), media_type="text/csv")

    return router


@pytest.fixture
def notes(app: FastAPI) -> Notes:
    """The test routes, mounted on the test's app under /api/v1."""
    store = Notes()
    app.include_router(notes_router(store), prefix="/api/v1")
    return store


@pytest.fixture
def second_server(notes: Notes, settings: Settings) -> Iterator[str]:
    """Another app on the same database and notes, on its own port: a second process."""
    other = create_app(settings)
    other.include_router(notes_router(notes), prefix="/api/v1")
    url, server, thread = serve(other)
    yield url
    server.should_exit = True
    thread.join(timeout=10)
