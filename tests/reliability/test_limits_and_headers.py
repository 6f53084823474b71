"""Abuse limits and protective headers: body size, list caps, security headers, CORS."""

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from tests.builders import assert_problem, make_kitchen
from tests.reliability.conftest import ClientFactory

MIB = 1024 * 1024


def _kitchen_body_of_size(size: int) -> bytes:
    """A valid kitchen JSON document of exactly `size` bytes (padded with whitespace)."""
    raw = json.dumps({"code": "K-size", "name": "SPPG Ukuran", "region_code": "32.73"}).encode()
    assert len(raw) <= size
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


# -- body size ---------------------------------------------------------------------------


def test_body_at_the_limit_passes_and_one_byte_more_is_413(
    client_with: ClientFactory, admin: dict[str, str]
) -> None:
    with client_with(max_body_bytes=2000) as c:
        headers = {**admin, "Content-Type": "application/json"}
        at_limit = c.post("/api/v1/kitchens", content=_kitchen_body_of_size(2000), headers=headers)
        assert at_limit.status_code == 201, at_limit.text
        over = c.post("/api/v1/kitchens", content=_kitchen_body_of_size(2001), headers=headers)
        body = assert_problem(over, 413, "payload_too_large")
        assert "2000" in body["detail"]
        kitchens = c.get("/api/v1/kitchens", headers=admin).json()["items"]
        assert [k["code"] for k in kitchens] == ["K-size"]


def test_default_limit_is_one_mebibyte(client: TestClient, admin: dict[str, str]) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    over = client.post("/api/v1/kitchens", content=_kitchen_body_of_size(MIB + 1), headers=headers)
    assert_problem(over, 413, "payload_too_large")
    # At exactly 1 MiB the body is read and judged on its merits (valid here: 201).
    at = client.post("/api/v1/kitchens", content=_kitchen_body_of_size(MIB), headers=headers)
    assert at.status_code == 201, at.text


def test_chunked_body_over_the_limit_is_413(
    client_with: ClientFactory, admin: dict[str, str]
) -> None:
    with client_with(max_body_bytes=2000) as c:
        body = _kitchen_body_of_size(3000)
        chunks = (body[i : i + 500] for i in range(0, len(body), 500))
        resp = c.post(
            "/api/v1/kitchens",
            content=chunks,
            headers={**admin, "Content-Type": "application/json"},
        )
        assert_problem(resp, 413, "payload_too_large")
        small = _kitchen_body_of_size(1500)
        ok = c.post(
            "/api/v1/kitchens",
            content=(small[i : i + 400] for i in range(0, len(small), 400)),
            headers={**admin, "Content-Type": "application/json"},
        )
        assert ok.status_code == 201, ok.text


def _raw_exchange(base_url: str, request_head: bytes, body_parts: list[bytes]) -> tuple[int, bytes]:
    """Send a request by hand (so nothing finishes the body for us); read one response."""
    url = urlsplit(base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request_head)
        for part in body_parts:
            sock.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before a response: {data!r}"
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:])
        length = int({k.lower(): v for k, v in fields.items()}["content-length"])
        while len(rest) < length:
            chunk = sock.recv(65536)
            assert chunk
            rest += chunk
        return int(lines[0].split()[1]), rest[:length]


def test_declared_oversize_body_is_refused_without_being_read(live_server: str) -> None:
    """Only the headers are sent: the 413 comes back without waiting for 10 MB."""
    head = (
        b"POST /api/v1/kitchens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000\r\n\r\n"
    )
    status, body = _raw_exchange(live_server, head, [])
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"


def test_streamed_body_is_cut_at_the_limit(live_server: str) -> None:
    """Chunks past 1 MiB are refused while the client is still sending (no final chunk)."""
    head = (
        b"POST /api/v1/kitchens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b" " * (256 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    status, body = _raw_exchange(live_server, head, [chunk] * 5)  # 1.25 MiB, never finished
    assert status == 413
    assert json.loads(body)["code"] == "payload_too_large"


# -- list caps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/kitchens",
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/audit-events",
        "/api/v1/kitchens/{kitchen_id}/schools",
    ],
)
def test_list_limit_is_capped_at_1000(client: TestClient, admin: dict[str, str], url: str) -> None:
    url = url.format(kitchen_id=make_kitchen(client, admin)["id"])
    assert client.get(url, params={"limit": 1000}, headers=admin).status_code == 200
    for bad in (1001, 0, -1, 10**9):
        body = assert_problem(client.get(url, params={"limit": bad}, headers=admin), 422)
        assert body["errors"][0]["loc"] == ["query", "limit"]


# -- security headers --------------------------------------------------------------------

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_security_headers(resp: Any) -> None:
    for name, value in BASE_HEADERS.items():
        assert resp.headers.get(name) == value, (resp.status_code, resp.request.url, name)
    assert resp.headers.get("content-security-policy"), (resp.status_code, resp.request.url)


def test_security_headers_on_every_kind_of_response(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    @app.get("/api/v1/test-not-modified")
    def not_modified() -> Response:
        return Response(status_code=304, headers={"ETag": '"v1"'})

    @app.get("/api/v1/test-boom")
    def boom() -> None:
        raise RuntimeError("boom")

    headers = {**admin, "Content-Type": "application/json"}
    responses = {
        200: client.get("/api/v1/kitchens", headers=admin),
        201: client.post(
            "/api/v1/kitchens",
            json={"code": "K-h", "name": "n", "region_code": "32"},
            headers=admin,
        ),
        304: client.get("/api/v1/test-not-modified", headers=admin),
        401: client.get("/api/v1/kitchens"),
        404: client.get("/api/v1/nowhere", headers=admin),
        405: client.delete("/api/v1/kitchens", headers=admin),
        413: client.post("/api/v1/kitchens", content=b" " * (MIB + 1), headers=headers),
        422: client.get("/api/v1/kitchens", params={"limit": 0}, headers=admin),
        500: client.get("/api/v1/test-boom", headers=admin),
    }
    for status, resp in responses.items():
        assert resp.status_code == status, resp.text
        _assert_security_headers(resp)
        assert (
            resp.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        )
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        _assert_security_headers(client.get(path))


def test_api_cache_control_lets_devices_revalidate_but_never_share(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    @app.get("/api/v1/test-not-modified")
    def not_modified() -> Response:
        return Response(status_code=304, headers={"ETag": '"v1"'})

    kitchen = make_kitchen(client, admin)
    for resp in (
        client.get("/api/v1/kitchens", headers=admin),
        client.get(f"/api/v1/kitchens/{kitchen['id']}", headers=admin),
        client.get("/api/v1/test-not-modified", headers=admin),
    ):
        assert resp.headers["cache-control"] == "private, no-cache"
    for resp in (
        client.post(
            "/api/v1/kitchens",
            json={"code": "K-c", "name": "n", "region_code": "32"},
            headers=admin,
        ),
        client.patch(f"/api/v1/kitchens/{kitchen['id']}", json={"name": "m"}, headers=admin),
        client.get("/api/v1/kitchens"),
        client.get("/api/v1/kitchens/9b2e4f7a-0000-4000-8000-000000000000", headers=admin),
        client.post("/api/v1/auth/token", data={"username": "admin", "password": "x" * 12}),
    ):
        assert resp.headers["cache-control"] == "no-store", resp.request.url


def test_docs_page_gets_a_policy_without_outside_hosts(client: TestClient) -> None:
    # Swagger UI's assets are served by the service (tests/ops/test_docs_offline.py checks
    # them and the policy in detail); ReDoc is not served.
    resp = client.get("/docs")
    assert resp.status_code == 200
    _assert_security_headers(resp)
    csp = resp.headers["content-security-policy"]
    assert "https:" not in csp and "https://" not in resp.text
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert client.get("/redoc").status_code == 404


def test_hsts_only_over_https_and_configurable(client_with: ClientFactory) -> None:
    with client_with(base_url="https://testserver") as c:
        assert c.get("/healthz").headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains"
        )
    with client_with(base_url="https://testserver", hsts_seconds=600) as c:
        assert c.get("/api/v1/me").headers["strict-transport-security"].startswith("max-age=600;")
    with client_with(base_url="https://testserver", hsts_seconds=0) as c:
        assert "strict-transport-security" not in c.get("/healthz").headers
    with client_with() as c:  # plain http: the header would be meaningless
        assert "strict-transport-security" not in c.get("/healthz").headers


# -- CORS --------------------------------------------------------------------------------

ALLOWED = "https://dapur.example.id"
OTHER = "https://evil.example.com"


def test_cors_only_for_configured_origins(
    client_with: ClientFactory, admin: dict[str, str]
) -> None:
    with client_with(cors_origins=f"{ALLOWED}, https://second.example.id") as c:
        allowed = c.get("/api/v1/kitchens", headers={**admin, "Origin": ALLOWED})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED
        assert "ETag" in allowed.headers["access-control-expose-headers"]
        other = c.get("/api/v1/kitchens", headers={**admin, "Origin": OTHER})
        assert other.status_code == 200  # CORS is the browser's check; no grant is given
        assert "access-control-allow-origin" not in other.headers

        preflight = {"Access-Control-Request-Method": "POST"}
        ok = c.options("/api/v1/kitchens", headers={**preflight, "Origin": ALLOWED})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == ALLOWED
        assert "POST" in ok.headers["access-control-allow-methods"]
        refused = c.options("/api/v1/kitchens", headers={**preflight, "Origin": OTHER})
        assert "access-control-allow-origin" not in refused.headers


def test_no_cors_without_configured_origins(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.get("/api/v1/kitchens", headers={**admin, "Origin": ALLOWED})
    assert "access-control-allow-origin" not in resp.headers
