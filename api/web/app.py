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
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.service.background import Background
from api.service.context import Service
from api.service.oidc_client import configured as configured_oidc
from api.service.settings import Settings
from api.web import errors, pages
from api.web.limits import BodySizeLimit, PublicRateLimit, is_page
from api.web.openapi import document_errors
from api.web.routes import (
    admin,
    attendance,
    checkin,
    deposits,
    employer,
    hr,
    institution,
    jobs,
    learner,
    points,
    presenting,
    recognition,
    registry,
    signin,
    verify,
)

log = logging.getLogger("credbank.service")


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return f"{where}: {first.get('msg', 'invalid')}"


# Swagger UI from the service's own static files (api/web/static/vendor/README.md): /docs
# works with no network beyond the service. The validator badge would call out; it is off.
SWAGGER_JS = "/static/vendor/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/vendor/swagger-ui.css"
SWAGGER_ICON = "/static/vendor/favicon-32x32.png"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def _docs(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - Swagger UI",
            swagger_js_url=SWAGGER_JS, swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url=SWAGGER_ICON, oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_ui_parameters={"validatorUrl": None})

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    """The application; it opens (and migrates) the database unless given a service."""
    svc = service or Service.open(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the job runner, the anchoring worker and the attendance pass (settings.run_worker;
        # anchoring and attendance need a chain), stopped before the database closes
        background = Background.for_service(svc)
        app.state.anchoring, app.state.jobs = background.anchoring, background.jobs
        app.state.attendance = background.attendance
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
        docs_url=None,  # served below from the service's own files
        redoc_url=None,
    )
    app.state.service = svc
    app.state.oidc = configured_oidc(svc.settings)  # None: no city sign-in
    errors.install(app, page=pages.refusal_page)
    _docs(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request.url.path):
            return pages.error_page(request.scope, 422, _validation_message(exc))
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": _validation_message(exc), "errors": errors},
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # a page route's errors are pages (a body cut off at the size limit, say)
        if is_page(request.url.path):
            return pages.error_page(request.scope, exc.status_code, str(exc.detail),
                                    dict(exc.headers or {}))
        return await http_exception_handler(request, exc)

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
    app.include_router(registry.router)
    app.include_router(recognition.admin_router)
    app.include_router(recognition.institution_router)
    app.include_router(recognition.learner_router)
    app.include_router(registry.public_router)
    app.include_router(attendance.admin_router)
    app.include_router(attendance.learner_router)
    app.include_router(learner.router)
    app.include_router(signin.router)
    app.include_router(deposits.learner_router)
    app.include_router(deposits.admin_router)
    app.include_router(points.admin_router)
    app.include_router(points.public_router)
    app.include_router(points.learner_router)
    app.include_router(checkin.admin_router)
    app.include_router(checkin.venue_router)
    app.include_router(checkin.learner_router)
    app.include_router(employer.admin_router)
    app.include_router(employer.router)
    app.include_router(employer.public_router)
    app.include_router(presenting.learner_router)
    app.include_router(presenting.public_router)
    app.include_router(hr.router)
    app.include_router(learner.public_router)  # before the pages: /s/{token}.json first
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.include_router(verify.router)
    # the last added runs first: rate limit, then body size, then the routes
    app.add_middleware(BodySizeLimit, max_bytes=svc.settings.max_request_bytes,
                       job_max_bytes=svc.settings.max_job_bytes, page=pages.error_page)
    app.add_middleware(PublicRateLimit, per_minute=svc.settings.public_rate_per_minute,
                       page=pages.error_page)
    document_errors(app)
    return app
