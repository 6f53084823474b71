"""docs/api.md documents exactly the operations of the OpenAPI document, each fully."""

import re
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
HEADING = re.compile(r"^#{2,4}\s+`(GET|POST|PUT|PATCH|DELETE)\s+(/[^`\s]*)`\s*$", re.M)
METHODS = {"get", "post", "put", "patch", "delete"}


def documented() -> dict[tuple[str, str], str]:
    """Each endpoint heading of docs/api.md: (method, path) -> the text of its section."""
    text = API_MD.read_text(encoding="utf-8")
    matches = list(HEADING.finditer(text))
    repeated = [k for k, n in Counter((m[1], m[2]) for m in matches).items() if n > 1]
    assert not repeated, f"documented twice in docs/api.md: {repeated}"
    sections = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections[(match[1], match[2])] = text[match.end() : end]
    return sections


def operations(client: TestClient) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }


def _listing(endpoints: set[tuple[str, str]]) -> str:
    return "".join(f"\n  {method} {path}" for method, path in sorted(endpoints, key=lambda e: e[1]))


def test_every_operation_is_documented(client: TestClient) -> None:
    missing = operations(client) - set(documented())
    assert not missing, (
        f"{len(missing)} operation(s) of /openapi.json have no '### `METHOD /path`' section "
        f"in docs/api.md:{_listing(missing)}"
    )


def test_every_documented_endpoint_exists(client: TestClient) -> None:
    stale = set(documented()) - operations(client)
    assert not stale, (
        f"docs/api.md documents {len(stale)} endpoint(s) the app does not have "
        f"(removed or renamed?):{_listing(stale)}"
    )


def test_every_section_says_who_may_call_and_what_comes_back() -> None:
    incomplete = {
        endpoint
        for endpoint, section in documented().items()
        if "Response" not in section or (endpoint[1].startswith("/api/") and "Who:" not in section)
    }
    assert not incomplete, f"sections without 'Who:' or 'Response':{_listing(incomplete)}"
