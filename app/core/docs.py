"""Interactive API docs (Swagger UI) served by the service itself, so /docs works offline.

Swagger UI's script, stylesheet and icon come from the installed `fastapi-offline` package
(which ships them as files), mounted under /docs/assets; nothing is loaded from a CDN. The
page carries its own Content-Security-Policy: scripts, styles and images from this origin
only, plus the one inline script that starts Swagger UI, allowed by its SHA-256 hash.

ReDoc is not offered: its page and bundle apply inline <style> elements (the bundle injects
them at run time, so no hash can allow them), and under this policy it renders nothing. It
would need style-src 'unsafe-inline' to show the same document Swagger UI shows.
"""

import base64
import hashlib
import re
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

DOCS_URL = "/docs"
ASSETS_URL = f"{DOCS_URL}/assets"
ASSETS_DIR = str(files("fastapi_offline") / "static")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _source_hash(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def docs_csp(html: str) -> str:
    """The policy for a docs page: this origin only, and the page's own inline scripts."""
    hashes = " ".join(_source_hash(script) for script in INLINE_SCRIPT.findall(html))
    return (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'none'"
    )


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from local assets (create the app with docs_url=None)."""
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("the docs need the OpenAPI document: keep openapi_url set")
    # Never send the document to the public validator; no OAuth2 redirect (the password
    # flow of /auth/token needs none).
    parameters: dict[str, Any] = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", ""))
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters=parameters,
        )
        # Set here, so the security-headers middleware (which only fills in missing
        # headers) keeps it.
        page.headers["Content-Security-Policy"] = docs_csp(bytes(page.body).decode())
        return page
