"""Conditional requests: strong ETags, `If-None-Match` (304) and `If-Match` (412).

Two kinds of tag, both 32 hex digits in quotes:

- A resource kept in a row tags itself from its version column (`version_tag`), together
  with the data versions its representation reads (its kitchen's, the reference data's).
  Tagging costs the row the route loads anyway, so a 304 is one indexed read, and the
  write's own transaction compares `If-Match` with the version it has locked.
- Anything else (lists, reports) is tagged from its body bytes by the route class
  (app/core/routing.py), after it was built.

Routes call `Conditional.tag()` for the first kind; the If-Match check of a write is made
by the loader that locks the row (app/kitchens/access.py) through `Conditional.require()`.
"""

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response

from app.core.errors import PreconditionFailed

CACHE_CONTROL = "private, no-cache"
_ENTITY_TAG = re.compile(r'(W/)?("[^"]*")')


def etag_of(body: bytes) -> str:
    """The strong entity tag of a response body: a quoted SHA-256 prefix."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def version_tag(*parts: Any) -> str:
    """The strong tag of a versioned representation, e.g. ("kitchens", id, version)."""
    return etag_of(":".join(str(p) for p in parts).encode())


@dataclass(frozen=True)
class EntityTags:
    """A parsed If-Match / If-None-Match header: `*`, or tags with their weak flag."""

    any: bool
    tags: tuple[tuple[bool, str], ...]

    @classmethod
    def parse(cls, value: str) -> "EntityTags":
        if value.strip() == "*":
            return cls(any=True, tags=())
        found = tuple((weak == "W/", tag) for weak, tag in _ENTITY_TAG.findall(value))
        return cls(any=False, tags=found)

    @property
    def empty(self) -> bool:
        """A header naming no entity-tag at all: malformed, treated as absent."""
        return not self.any and not self.tags

    def matches_weakly(self, current: str) -> bool:
        """If-None-Match: weak comparison, so `W/"x"` matches `"x"` (RFC 9110 §13.1.2)."""
        return self.any or any(tag == current for _, tag in self.tags)

    def matches_strongly(self, current: str) -> bool:
        """If-Match: strong comparison; `*` matches any current representation (§13.1.1)."""
        return self.any or any(not weak and tag == current for weak, tag in self.tags)


class NotModified(Exception):
    """Raised to answer 304: the client already holds the current representation."""

    def __init__(self, etag: str) -> None:
        super().__init__(etag)
        self.etag = etag


def not_modified_response(exc: NotModified) -> Response:
    return Response(status_code=304, headers={"ETag": exc.etag, "Cache-Control": CACHE_CONTROL})


class Conditional:
    """The request's conditional headers, and the response whose ETag it sets."""

    def __init__(self, request: Request, response: Response) -> None:
        self.reading = request.method in ("GET", "HEAD")
        self.if_none_match = request.headers.get("if-none-match") if self.reading else None
        self.if_match = request.headers.get("if-match")
        self.response = response

    def tag(self, etag: str) -> None:
        """Tag the answer; 304 at once when the client already holds this tag."""
        self.response.headers["ETag"] = etag
        if self.reading:
            self.response.headers["Cache-Control"] = CACHE_CONTROL
        if self.if_none_match is not None and EntityTags.parse(self.if_none_match).matches_weakly(
            etag
        ):
            raise NotModified(etag)

    def require(self, current: str | None) -> None:
        """412 unless If-Match (when sent) names `current`, the tag of what is locked now.

        `None` means there is no current representation (a PUT about to create one): the
        write then goes ahead as it would without the header.
        """
        if self.if_match is None or current is None:
            return
        expected = EntityTags.parse(self.if_match)
        if not expected.empty and not expected.matches_strongly(current):
            raise PreconditionFailed()


async def conditional(request: Request, response: Response) -> Conditional:
    return Conditional(request, response)


ConditionalDep = Annotated[Conditional, Depends(conditional)]
