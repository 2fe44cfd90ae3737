"""The employer's pages: the request builder (``/employer/requests/new``) and a request's
results (``/employer/r/{token}``, opened by the manage token the builder made).

The builder is open to anyone (rate-limited like the other public routes): a visitor's
name is self-declared, and the learner's page says so. Its form takes no CSRF token: it
acts for no signed-in account, and what it makes is reachable only by the token it shows.
Like a share link's, that token travels in the URL (and so in access logs a deployment
keeps): whoever has the results URL reads the answers. A registered employer uses the API
with its key (docs/api.md, "Job-seeking verification"). The result page checks every
presentation again as it is drawn, and links each one for download, to be checked offline
with ``credbank-verify VP.json --challenge C --domain D``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from api.service import presentations, sharing
from api.service.errors import ServiceError
from api.web.auth import ServiceDep
from api.web.errors import status_of

from .i18n import N_
from .presenting import FIELDS, KINDS, STATES
from .render import message, redirect, render
from .visitor import visitor

router = APIRouter(include_in_schema=False)

ERROR = N_("Something went wrong")
NOT_MADE = N_("The request could not be made: %(detail)s")
NO_REQUEST = N_("There is no such request.")
_NUMBER = 12  # characters of a number field


def _number(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


def requirements_of_form(achievement: str, achievement_level: str, field: str, unit: str,
                         minimum: str, accredited: bool, accredited_level: str) -> list[dict]:
    """The builder's three rows as the requirements language; empty rows are left out."""
    out: list[dict] = []
    if achievement.strip():
        out.append({"id": "achievement", "kind": "achievement", "name": achievement.strip(),
                    **({"minLevel": achievement_level.strip()}
                       if achievement_level.strip() else {})})
    if field.strip():
        out.append({"id": "credits", "kind": "credits", "field": field.strip(), "unit": unit,
                    "min": _number(minimum)})
    if accredited:
        out.append({"id": "accredited", "kind": "accredited",
                    **({"minLevel": accredited_level.strip()}
                       if accredited_level.strip() else {})})
    return out


@router.get("/employer/requests/new")
def builder(request: Request, svc: ServiceDep) -> Response:
    return render(request, "employer_new.html", who=visitor(request, svc), error="")


@router.post("/employer/requests/new")
def create(request: Request, svc: ServiceDep,
           visitor_name: Annotated[str, Form(max_length=200)] = "",
           title: Annotated[str, Form(max_length=200)] = "",
           achievement: Annotated[str, Form(max_length=100)] = "",
           achievement_level: Annotated[str, Form(max_length=_NUMBER)] = "",
           field: Annotated[str, Form(max_length=100)] = "",
           unit: Annotated[str, Form(max_length=8)] = "credit",
           minimum: Annotated[str, Form(max_length=_NUMBER)] = "",
           accredited: Annotated[str, Form(max_length=3)] = "",
           accredited_level: Annotated[str, Form(max_length=_NUMBER)] = "",
           ask_name: Annotated[str, Form(max_length=3)] = "",
           accept_status: Annotated[str, Form(max_length=3)] = "",
           hours: Annotated[str, Form(max_length=_NUMBER)] = "72") -> Response:
    who = visitor(request, svc)
    wanted = requirements_of_form(achievement, achievement_level, field, unit, minimum,
                                  accredited == "yes", accredited_level)
    try:
        _, token = presentations.create_request(
            svc, requirements=wanted, title=title, ask_name=ask_name == "yes",
            expires_in_hours=int(_number(hours) or 0), visitor_name=visitor_name,
            accept=["status"] if accept_status == "yes" else [])
    except ServiceError as exc:
        return render(request, "employer_new.html", status_of(exc), who=who,
                      error=str(exc))
    return redirect(f"/employer/r/{token}")


@router.get("/employer/r/{token}")
def results(token: str, request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    try:
        row = presentations.managed_request(svc, token[:128])
    except ServiceError as exc:
        return message(request, status_of(exc), ERROR, NO_REQUEST, who=who)
    view = presentations.request_json(svc, row)
    answers = presentations.request_responses(svc, row)
    qr = Markup(sharing.qr_svg_inline(view["link"]))  # segno's own SVG markup
    return render(request, "employer_request.html", who=who, view=view, answers=answers,
                  token=token, qr=qr, fields=FIELDS, kinds=KINDS, states=STATES)
