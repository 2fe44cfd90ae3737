"""The OpenAPI document, completed with the error answers every route can give.

Routes declare their own answers; what they share is added here once, so the document says
what a client will really see:

* 401 and 403 on every route that takes a key or a session, 404 on every route with a path
  parameter, 400 and 413 on every route with a body, 429 on the rate-limited public routes;
* the service's error shapes: ``{"detail": "..."}`` (``Problem``) and, for 422,
  ``{"detail": "...", "errors": [{"loc", "msg"}]}`` (``InvalidRequest``; ``errors`` when
  the request failed the schema, not when a handler refused it) in place of
  FastAPI's default ``HTTPValidationError``, which this service never sends.

A route's own declaration of a status wins over these defaults.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.web.limits import is_public

PROBLEM: dict[str, Any] = {
    "type": "object", "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "one line: what is wrong"}},
}
INVALID_REQUEST: dict[str, Any] = {
    "type": "object", "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "the first problem, in one line"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg"],
            "properties": {"loc": {"type": "array",
                                   "items": {"anyOf": [{"type": "string"},
                                                       {"type": "integer"}]}},
                           "msg": {"type": "string"}}}},
    },
}
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"


def _answer(schema: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/"
                                                                f"{schema}"}}}}


def _complete(operation: dict[str, Any], path: str) -> None:
    responses = operation.setdefault("responses", {})
    own_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
    if own_422.get("schema", {}).get("$ref") == _FASTAPI_422:
        responses["422"] = _answer("InvalidRequest", "the request does not match the schema")
    defaults: list[tuple[str, str, str]] = []
    if operation.get("security"):
        defaults += [("401", "Problem", "no, unknown, revoked or expired key or session"),
                     ("403", "Problem", "a key or session of another role")]
    if "{" in path:
        defaults.append(("404", "Problem", "no such resource (or not this caller's)"))
    if "requestBody" in operation:
        defaults += [("400", "Problem", "the body could not be read (not UTF-8)"),
                     ("413", "Problem", "body larger than the service accepts"),
                     ("422", "InvalidRequest", "the request does not match the schema")]
    if operation.get("parameters"):
        defaults.append(("422", "InvalidRequest", "a parameter does not match the schema"))
    if is_public(path.replace("{", "").replace("}", "")):
        defaults.append(("429", "Problem", "too many requests from this address; "
                                           "Retry-After says when to come back"))
    for status, schema, description in defaults:
        responses.setdefault(status, _answer(schema, description))


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                   description=app.description, routes=app.routes)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = PROBLEM
            schemas["InvalidRequest"] = INVALID_REQUEST
            for path, operations in document.get("paths", {}).items():
                for operation in operations.values():
                    _complete(operation, path)
            if _FASTAPI_422 not in json.dumps(document.get("paths", {})):
                schemas.pop("HTTPValidationError", None)
                schemas.pop("ValidationError", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
