"""Every problem code the suite sees must be documented on the route that answered it.

A pytest plugin: each test's app is wrapped so every problem+json answer is noted with
its route, method, status and code. When the run ends (all workers done), the notes are
held against the OpenAPI document of a fresh app: a code a route answered that its
operation does not list under that status (`x-problem-codes`) fails the run.
"""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DIR_ENV = "DAPUR_PROBLEM_CODES_DIR"


class CodeRecorder:
    """An ASGI wrapper noting (method, route template, status, code) of problem answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: set[tuple[str, str, str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0
        problem = False
        chunks: list[bytes] = []

        async def noting_send(message: Message) -> None:
            nonlocal status, problem
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                problem = headers.get(b"content-type", b"").startswith(b"application/problem+json")
                problem = problem and b"content-encoding" not in headers
            elif message["type"] == "http.response.body" and problem:
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, noting_send)
        route = getattr(scope.get("route"), "path", None)
        if problem and route and status != 500:
            try:
                code = json.loads(b"".join(chunks))["code"]
            except (ValueError, KeyError, TypeError):
                return
            self.seen.add((scope["method"], route, str(status), code))


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and _DIR_ENV not in os.environ:
        os.environ[_DIR_ENV] = tempfile.mkdtemp(prefix="dapur-codes-")


def save(recorder: CodeRecorder) -> None:
    """Keep what one test's app answered, for the check at the end of the run."""
    if not recorder.seen:
        return
    directory = Path(os.environ[_DIR_ENV])
    with (directory / f"{os.getpid()}.jsonl").open("a") as out:
        for seen in sorted(recorder.seen):
            out.write(json.dumps(seen) + "\n")


def _undocumented(spec: dict[str, Any], seen: set[tuple[str, ...]]) -> list[str]:
    missing = []
    for method, route, status, code in sorted(seen):
        op = spec["paths"].get(route, {}).get(method.lower())
        if op is None:
            continue  # a test-only route
        listed = op.get("responses", {}).get(status, {}).get("x-problem-codes", [])
        if code not in listed:
            missing.append(f"{method} {route} answered {status} `{code}`; it documents {listed}")
    return missing


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return
    directory = Path(os.environ[_DIR_ENV])
    seen: set[tuple[str, ...]] = set()
    for path in directory.glob("*.jsonl"):
        seen |= {tuple(json.loads(line)) for line in path.read_text().splitlines()}
    if not seen:
        return
    from app.core.config import Settings
    from app.main import create_app

    spec = create_app(Settings(_env_file=None, environment="test")).openapi()  # type: ignore[call-arg]
    missing = _undocumented(spec, seen)
    if missing:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(missing)
        message = f"\n{len(missing)} problem codes the suite saw are not documented:\n{lines}\n"
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
