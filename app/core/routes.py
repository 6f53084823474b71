"""The application's API routes, flattened with their full paths.

FastAPI includes routers lazily, so `app.routes` holds included-router wrappers rather than
the routes themselves; this walks them the way FastAPI's own OpenAPI generator does.
"""

import re
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


@dataclass(frozen=True)
class ApiRoute:
    path: str
    methods: frozenset[str]
    route: APIRoute
    path_regex: re.Pattern[str]


def api_routes(app: FastAPI) -> list[ApiRoute]:
    """Every APIRoute of the app with its full path (prefixes applied) and methods."""
    found: list[ApiRoute] = []
    for ctx in iter_route_contexts(app.routes):
        original = ctx.original_route
        if isinstance(original, APIRoute) and ctx.path_format:
            found.append(
                ApiRoute(ctx.path_format, frozenset(ctx.methods or ()), original, ctx.path_regex)
            )
    return found


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at `path` (for the Allow header of a 405)."""
    methods: set[str] = set()
    for info in api_routes(app):
        if info.path_regex.match(path):
            methods |= info.methods
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
