"""The service's error family as HTTP answers, decided here once for every route.

A route calls a service function and lets its :class:`~api.service.errors.ServiceError`
through; the handler installed by :func:`install` answers ``{"detail": "<one line>"}``
with the status of the error's class (docs/architecture.md, docs/api.md). A browser on a
route the pages draw refusals for (the city sign-in's) gets a page with the same status.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from api.service.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    ServiceError,
    TooLarge,
    Unavailable,
    Unsupported,
)

STATUS: dict[type[ServiceError], int] = {
    InvalidInput: 422,
    TooLarge: 413,
    Unsupported: 415,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    Gone: 410,
    Unavailable: 503,  # ChainUnavailable among them
}


def status_of(exc: ServiceError) -> int:
    """The status code of the nearest mapped class (a ChainRefused is a Conflict: 409)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


# Draws a refusal as a page for a browser on a route that has one, else None: (request,
# status, detail) -> a response or None. The city sign-in's callback is such a route.
PageRefusal = Callable[[Request, int, str], Response | None]


def install(app: FastAPI, page: PageRefusal | None = None) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        status = status_of(exc)
        answer = page(request, status, str(exc)) if page is not None else None
        return answer or JSONResponse({"detail": str(exc)}, status_code=status)
