"""/docs works without internet: every asset comes from the service, under a tight CSP."""

import base64
import hashlib
import re

from fastapi.testclient import TestClient

from tests.builders import assert_problem

ATTRIBUTE_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def test_docs_page_loads_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "://" not in html, "the page names an outside address"
    urls = ATTRIBUTE_URL.findall(html)
    assert {u.rsplit(".", 1)[-1] for u in urls} >= {"js", "css"}, urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert asset.headers["content-type"].startswith(EXPECTED_TYPES[suffix]), url
        assert len(asset.content) > 1000, url
    scripts = [u for u in urls if u.endswith(".js")]
    assert any("SwaggerUIBundle" in client.get(u).text for u in scripts)
    # The document the page renders is the service's own.
    spec_url = re.search(r"url: '([^']+)'", html)
    assert spec_url and spec_url.group(1) == "/openapi.json"
    assert client.get(spec_url.group(1)).json()["info"]["title"] == "Dapur API"


def test_docs_page_csp_allows_only_this_origin_and_its_own_inline_script(
    client: TestClient,
) -> None:
    page = client.get("/docs")
    csp = page.headers["content-security-policy"]
    assert "http" not in csp and "*" not in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    directives = _directives(csp)
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    inline = INLINE_SCRIPT.findall(page.text)
    assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert sorted(directives["script-src"]) == sorted(["'self'", f"'sha256-{digest}'"])
    for directive in ("style-src", "connect-src"):
        assert directives[directive] == ["'self'"], directive
    # The stylesheet draws its icons from data: URIs; nothing else is allowed.
    assert directives["img-src"] == ["'self'", "data:"]


def test_redoc_is_not_served(client: TestClient) -> None:
    assert_problem(client.get("/redoc"), 404, "not_found")
