"""Request limits: a cap on body size for every route, a rate limit on the public ones.

Both are plain ASGI middleware, so they run before routing and before any body is parsed.

* Body size: a request whose ``Content-Length`` exceeds ``max_request_bytes`` (for a batch
  job, ``POST /v1/jobs``, and a bulk check, ``max_job_bytes``: 100,000 records or a zip
  of certificates need more) is answered
  413 at once; a body without one (chunked) is counted as it streams in and refused with
  413 the moment it passes the cap, so nothing larger is ever buffered.
* Rate: public routes (verification, trust downloads, share links, the verify page, learner
  sign-in, the city sign-in) take tokens from a bucket per client address holding
  ``public_rate_per_minute`` tokens and refilled at that rate; an empty bucket answers 429
  with ``Retry-After``.
  The buckets live in this process: a deployment with several worker processes or hosts
  rate-limits in its reverse proxy instead (docs/api.md, "Limits").

The API answers both as ``{"detail": ...}``; a page route (:func:`is_page`) answers an HTML
page with the same status, drawn by the ``page`` function the app hands in.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Exact paths and path prefixes (ending in "/") of the routes anyone may call.
PUBLIC_PATHS = frozenset({
    "/v1/verify", "/credentials/verify", "/v1/trust-bundle", "/v1/trust-list", "/verify",
    "/v1/learner/session", "/login", "/v1/verify/archive", "/staff/login", "/venue/login",
    "/hr/login", "/v1/requests",
})
PUBLIC_PREFIXES = ("/s/", "/v1/shares/", "/verify/", "/v1/registry/", "/v1/learner/oidc/",
                   "/v1/requests/", "/v1/exchanges/", "/v1/employers/", "/present/",
                   "/employer/")
MAX_CLIENTS = 50_000  # buckets kept; the least recently seen are dropped first
JOBS_PATH = "/v1/jobs"  # batch jobs take bodies up to max_job_bytes
# so do bulk checks (a zip of certificate PDFs), through the API and the employer's page
LARGE_BODY_PATHS = frozenset({JOBS_PATH, "/v1/employer/bulk-checks", "/hr/checks"})


def is_public(path: str) -> bool:
    """Whether ``path`` is rate-limited as a public route."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


# The server-rendered pages (api.web.pages): their errors are pages, not JSON.
PAGE_PATHS = frozenset({"/verify", "/login", "/logout", "/account", "/staff", "/venue", "/hr"})
_SHARE_PAGE = re.compile(r"/s/[A-Za-z0-9_-]+/?")


def is_page(path: str) -> bool:
    """Whether ``path`` is a page route (a share link's page, not its JSON or QR code)."""
    return path in PAGE_PATHS or path.startswith(("/account/", "/staff/", "/venue/", "/hr/",
                                                  "/present/", "/employer/")) or bool(
        _SHARE_PAGE.fullmatch(path))


# Draws the error page for a page route: (scope, status, detail, headers) -> a response.
PageAnswer = Callable[[Scope, int, str, dict[str, str]], Response]


def _reject(status: int, detail: str, headers: dict[str, str] | None = None):
    body = json.dumps({"detail": detail}).encode()
    raw_headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def respond(send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    return respond


async def _answer(scope: Scope, receive: Receive, send: Send, page: PageAnswer | None,
                  status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """The refusal as a page on a page route (when the app gave a ``page``), else JSON."""
    if page is not None and is_page(scope.get("path", "")):
        await page(scope, status, detail, headers or {})(scope, receive, send)
    else:
        await _reject(status, detail, headers)(send)


class BodySizeLimit:
    """413 for a request body larger than ``max_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, job_max_bytes: int | None = None,
                 page: PageAnswer | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.job_max_bytes = job_max_bytes or max_bytes
        self.page = page

    @staticmethod
    def _too_large(limit: int) -> str:
        return f"request body larger than {limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.job_max_bytes if scope.get("path") in LARGE_BODY_PATHS else self.max_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _answer(scope, receive, send, self.page, 400,
                                  "Content-Length is not a number")
                    return
                if declared > limit:
                    await _answer(scope, receive, send, self.page, 413,
                                  self._too_large(limit))
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI re-raises an HTTPException met while reading the body, so the
                    # client gets this 413, not a parse error (a page on a page route: the
                    # app's handler draws it).
                    raise HTTPException(413, self._too_large(limit))
            return message

        await self.app(scope, counted, send)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per key: ``capacity`` tokens, refilled at ``capacity`` a minute."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_CLIENTS) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there is."""
        now = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        self._buckets[key] = bucket  # most recently seen last
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


class PublicRateLimit:
    """429 with Retry-After when a client address calls public routes too often."""

    def __init__(self, app: ASGIApp, per_minute: int,
                 clock: Callable[[], float] = time.monotonic,
                 page: PageAnswer | None = None) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute, clock=clock)
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_public(scope.get("path", "")):
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "unknown")
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                await _answer(scope, receive, send, self.page, 429,
                              f"too many requests from this address; retry in {seconds} s",
                              {"Retry-After": str(seconds)})
                return
        await self.app(scope, receive, send)
