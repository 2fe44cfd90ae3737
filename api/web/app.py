"""The FastAPI application: routes for each audience, one error shape, no stack traces.

Every error answer is ``{"detail": "<one line>"}`` with a 4xx status, except validation
errors (422), which add ``errors``, the list of what is wrong where. An unexpected failure
answers 500 ``{"detail": "internal error"}`` and is logged without request bodies.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError

from api.service.background import Background
from api.service.context import Service
from api.service.settings import Settings
from api.web import errors, pages
from api.web.limits import BodySizeLimit, PublicRateLimit
from api.web.openapi import document_errors
from api.web.routes import admin, institution, jobs, learner, verify

log = logging.getLogger("credbank.service")


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    """The application; it opens (and migrates) the database unless given a service."""
    svc = service or Service.open(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the job runner and the anchoring worker (settings.run_worker; anchoring needs a
        # chain), stopped before the database closes
        background = Background.for_service(svc)
        app.state.anchoring, app.state.jobs = background.anchoring, background.jobs
        background.start()
        try:
            yield
        finally:
            background.stop()
            if service is None:
                svc.close()

    app = FastAPI(
        title="credbank",
        version="1",
        summary="Learning credentials: issue, anchor, revoke, share and verify.",
        lifespan=lifespan,
    )
    app.state.service = svc
    errors.install(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": _validation_message(exc), "errors": errors},
                            status_code=422)

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema let through (an id beyond its integer
        # type on PostgreSQL, say): the request's fault, so a 4xx, never a 500.
        log.info("%s %s: value refused by the database", request.method, request.url.path)
        return JSONResponse({"detail": "a value is out of range"}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__,
                  exc_info=exc)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.include_router(institution.router)
    app.include_router(jobs.router)
    app.include_router(admin.router)
    app.include_router(learner.router)
    app.include_router(learner.public_router)  # before the pages: /s/{token}.json first
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.include_router(verify.router)
    # the last added runs first: rate limit, then body size, then the routes
    app.add_middleware(BodySizeLimit, max_bytes=svc.settings.max_request_bytes,
                       job_max_bytes=svc.settings.max_job_bytes)
    app.add_middleware(PublicRateLimit, per_minute=svc.settings.public_rate_per_minute)
    document_errors(app)
    return app
