"""docs/mobile.md: gzip for answers of 1 KB or more, and how it meets ETags and streams."""

import gzip
import hashlib
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.builders import make_kitchen
from tests.mobile.conftest import Notes

Headers = dict[str, str]
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def raw_get(client: Any, url: str, headers: Headers) -> tuple[httpx.Headers, bytes]:
    """The answer's headers and its bytes as sent on the wire (not decoded)."""
    with client.stream("GET", url, headers=headers) as resp:
        assert resp.status_code == 200
        return resp.headers, b"".join(resp.iter_raw())


def test_large_answers_are_gzipped_when_accepted(client: TestClient, admin: Headers) -> None:
    for _ in range(8):
        make_kitchen(client, admin, address="Jl. Raya Cimahi No. 1, Kota Cimahi, Jawa Barat")
    plain_headers, plain = raw_get(client, "/api/v1/kitchens", {**admin, **IDENTITY})
    assert len(plain) >= 1024
    assert "content-encoding" not in plain_headers

    zipped_headers, zipped = raw_get(client, "/api/v1/kitchens", {**admin, **GZIP})
    assert zipped_headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped_headers["vary"].lower()
    assert zipped[:2] == b"\x1f\x8b"
    assert len(zipped) < len(plain)
    assert gzip.decompress(zipped) == plain
    assert int(zipped_headers["content-length"]) == len(zipped)

    # One representation, one tag: computed on the uncompressed bytes, either way.
    tag = '"' + hashlib.sha256(plain).hexdigest()[:32] + '"'
    assert plain_headers["etag"] == zipped_headers["etag"] == tag
    resp = client.get("/api/v1/kitchens", headers={**admin, **GZIP, "If-None-Match": tag})
    assert resp.status_code == 304 and resp.content == b""
    assert "content-encoding" not in resp.headers


def test_small_answers_are_not_gzipped(client: TestClient, admin: Headers) -> None:
    kitchen = make_kitchen(client, admin)
    headers, body = raw_get(client, f"/api/v1/kitchens/{kitchen['id']}", {**admin, **GZIP})
    assert len(body) < 1000
    assert "content-encoding" not in headers
    assert body.startswith(b"{")


def test_replays_are_compressed_by_their_own_accept_encoding(
    client: TestClient, admin: Headers, notes: Notes
) -> None:
    headers = {**admin, "Idempotency-Key": "big-answer"}

    def post(accept: Headers) -> tuple[httpx.Headers, bytes]:
        with client.stream(
            "POST", "/api/v1/test-echo", json={"text": "x" * 2000}, headers={**headers, **accept}
        ) as r:
            assert r.status_code == 201
            return r.headers, b"".join(r.iter_raw())

    first_headers, first = post(GZIP)
    assert first_headers["content-encoding"] == "gzip"
    plain = gzip.decompress(first)
    assert len(plain) >= 1000
    # The stored answer is the uncompressed one: a replay is compressed only when accepted.
    replay_headers, replay = post(IDENTITY)
    assert replay_headers["idempotent-replayed"] == "true"
    assert "content-encoding" not in replay_headers
    assert replay == plain
    zipped_headers, zipped = post(GZIP)
    assert zipped_headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain
    assert notes.calls["echo"] == 1


def test_streamed_csv_passes_through_untouched(
    live_server: str, admin: Headers, notes: Notes
) -> None:
    with (
        httpx.Client(base_url=live_server, timeout=5) as c,
        c.stream("GET", "/api/v1/test-export", headers={**admin, **GZIP}) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/csv")
        assert "etag" not in resp.headers
        lines = resp.iter_lines()
        assert next(lines) == "school,served"
        notes.export_may_finish.set()
        assert list(lines) == ["SD 1,120"]
