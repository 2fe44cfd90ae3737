"""The learner's side of job-seeking verification: a request's consent page
(``/present/{id}``: who asks, registered or self-declared; each requirement and exactly the
fields it needs; the credentials to choose, suggested ones ticked; the name only when asked)
and every presentation made, with withdrawal (``/account/presentations``).

Every POST is checked for the session's CSRF token before anything is done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.service import presentations
from api.service.errors import ServiceError
from api.web.auth import ServiceDep
from api.web.errors import status_of
from verifier.requirements import (
    CREDITS,
    FIELD,
    HUMAN_CODE,
    LEVEL,
    NAME,
    UNIT,
)

from .i18n import N_
from .render import message, redirect, render
from .visitor import Visitor, csrf_ok, visitor

router = APIRouter(include_in_schema=False)

ERROR = N_("Something went wrong")
FORM_EXPIRED = N_("This form has expired; reload the page and try again.")
FIELDS = {NAME: N_("Achievement"), HUMAN_CODE: N_("Code"), LEVEL: N_("Level"),
          FIELD: N_("Field of study"), UNIT: N_("Credit unit"),
          CREDITS: N_("Credits earned")}
KINDS = {"achievement": N_("A named achievement"),
         "credits": N_("Credits in a field"),
         "accredited": N_("Any credential from an accredited institution")}
STATES = {"presented": N_("presented"), "declined": N_("declined"),
          "withdrawn": N_("withdrawn")}


REFUSALS = {
    404: N_("There is no such request or presentation."),
    409: N_("This request was already answered, or there is nothing to withdraw."),
    410: N_("This request has expired, or its employer is no longer registered."),
}
REFUSED = N_("The answer could not be made: %(detail)s")


def _failed(request: Request, who: Visitor, exc: ServiceError) -> Response:
    status = status_of(exc)
    text = REFUSALS.get(status, REFUSED)
    return message(request, status, ERROR, text, who=who,
                   params={"detail": str(exc)} if text == REFUSED else None)


@router.get("/present/{request_id}")
def present_page(request_id: str, request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    try:
        row = presentations.public_request(svc, request_id)
    except ServiceError as exc:
        return _failed(request, who, exc)
    view = presentations.request_json(svc, row)
    if who.learner is None:
        return render(request, "present.html", who=who, view=view, fields=FIELDS,
                      kinds=KINDS, candidates={}, answered=None, states=STATES)
    answered = presentations.own_answer(svc, who.learner.id, request_id)
    candidates = presentations.suggestions(svc, who.learner.id, row)
    return render(request, "present.html", who=who, view=view, fields=FIELDS, kinds=KINDS,
                  candidates=candidates, answered=answered, states=STATES)


@router.post("/present/{request_id}")
def present_submit(request_id: str, request: Request, svc: ServiceDep,
                   choice: Annotated[list[str] | None, Form()] = None,
                   reveal_name: Annotated[str, Form(max_length=3)] = "",
                   action: Annotated[str, Form(max_length=16)] = "consent",
                   csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """``choice`` values are ``<requirement id>|<credential id>``, one per ticked box."""
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    if not csrf_ok(who, csrf):
        return message(request, 403, ERROR, FORM_EXPIRED, who=who)
    try:
        if action == "decline":
            presentations.decline(svc, who.learner.id, request_id)
        else:
            choices: dict[str, list[str]] = {}
            for value in (choice or [])[:200]:
                requirement_id, _, credential_id = value.partition("|")
                choices.setdefault(requirement_id[:32], []).append(credential_id[:64])
            presentations.present(svc, who.learner.id, request_id, choices,
                                  reveal_name == "yes")
    except ServiceError as exc:
        return _failed(request, who, exc)
    return redirect("/account/presentations")


@router.get("/account/presentations")
def presentations_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    rows = presentations.learner_presentations(svc, who.learner.id)
    return render(request, "presentations.html", who=who, rows=rows, states=STATES)


@router.post("/account/presentations/{presentation_id}/withdraw")
def withdraw(presentation_id: str, request: Request, svc: ServiceDep,
             csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    if not csrf_ok(who, csrf):
        return message(request, 403, ERROR, FORM_EXPIRED, who=who)
    try:
        presentations.withdraw(svc, who.learner.id, presentation_id)
    except ServiceError as exc:
        return _failed(request, who, exc)
    return redirect("/account/presentations")
