"""The staff's pages: signing in with an API key (api.web.pages.staff_session), the review
queue of recognition applications (a registrar: the institution's programmes; the
authority: the credit bank's), one application with its decision form, and read pages of
the credit bank's registry (framework, outcome standards, rule sets). Managing registry
documents stays in the API (/docs).

Every POST is checked for its CSRF token before anything is done.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.service import credit_registry, recognition, rule_sets
from api.service.context import Service
from api.service.errors import NotFound, ServiceError
from api.web.auth import ServiceDep
from api.web.errors import status_of

from .account import ERROR, FORM_EXPIRED
from .i18n import N_
from .render import message, redirect, render
from .staff_session import (
    STAFF_LOGIN_COOKIE,
    STAFF_PATH,
    Staff,
    clear_staff_cookie,
    key_of,
    set_staff_cookie,
    staff_csrf_ok,
    staff_of,
)
from .visitor import Visitor, login_token

router = APIRouter(include_in_schema=False)

BAD_KEY = N_("This API key is unknown, revoked, or not a registrar's or the authority's.")
NO_STAFF_APPLICATION = N_("No such application for you to decide.")
Text = Annotated[str, Form(max_length=500)]
Texts = Annotated[list[str] | None, Form()]


def _who(staff: Staff) -> Visitor:
    return Visitor(staff=staff)


def _staff_form(request: Request, svc: Service, csrf: str) -> Staff | Response:
    staff = staff_of(request, svc)
    if staff is None:
        return redirect("/staff/login")
    if not staff_csrf_ok(staff, csrf):
        return message(request, 403, ERROR, FORM_EXPIRED, who=_who(staff))
    return staff


def _login_form(request: Request, status: int = 200, error: str = "") -> HTMLResponse:
    token = login_token()
    response = render(request, "staff_sign_in.html", status, csrf=token, error=error)
    response.set_cookie(STAFF_LOGIN_COOKIE, token, max_age=3600, path="/staff/login",
                        httponly=True, samesite="strict")
    return response


@router.get("/staff/login")
def staff_login_page(request: Request, svc: ServiceDep) -> Response:
    if staff_of(request, svc) is not None:
        return redirect(STAFF_PATH)
    return _login_form(request)


@router.post("/staff/login")
def staff_login(request: Request, svc: ServiceDep,
                api_key: Annotated[str, Form(max_length=200)] = "", csrf: Text = "") -> Response:
    expected = request.cookies.get(STAFF_LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(request, 403, FORM_EXPIRED)
    key = key_of(svc, api_key)
    if key is None:
        return _login_form(request, 401, BAD_KEY)
    response = redirect(STAFF_PATH)
    set_staff_cookie(response, svc, key)
    response.delete_cookie(STAFF_LOGIN_COOKIE, path="/staff/login")
    return response


@router.post("/staff/logout")
def staff_logout(request: Request, svc: ServiceDep, csrf: Text = "") -> Response:
    staff = _staff_form(request, svc, csrf)
    if isinstance(staff, Response):
        return staff
    response = redirect("/staff/login")
    clear_staff_cookie(response)
    return response


# ---- the review queue ---------------------------------------------------------------------

@router.get("/staff")
def queue_page(request: Request, svc: ServiceDep) -> Response:
    staff = staff_of(request, svc)
    if staff is None:
        return redirect("/staff/login")
    state = request.query_params.get("state", "submitted")
    if state not in recognition.STATES:
        state = "submitted"
    applications = recognition.queue(svc, staff.issuer_id, state)
    return render(request, "staff_queue.html", who=_who(staff), applications=applications,
                  state=state, states=recognition.STATES)


def _application_page(request: Request, svc: Service, staff: Staff, application_id: str,
                      status: int = 200, error: str = "") -> Response:
    try:
        application = recognition.for_decider(svc, staff.issuer_id, application_id)
    except NotFound:
        return message(request, 404, ERROR, NO_STAFF_APPLICATION, who=_who(staff))
    return render(request, "application.html", status, who=_who(staff),
                  application=application, staff_view=True, error=error)


@router.get("/staff/applications/{application_id}")
def application_page(application_id: str, request: Request, svc: ServiceDep) -> Response:
    staff = staff_of(request, svc)
    if staff is None:
        return redirect("/staff/login")
    return _application_page(request, svc, staff, application_id)


@router.post("/staff/applications/{application_id}/decision")
def decide(application_id: str, request: Request, svc: ServiceDep, decision: Text = "",
           reason: Text = "", source: Texts = None, exclude: Texts = None,
           exclude_reason: Texts = None, csrf: Text = "") -> Response:
    """``decision`` approve or refuse; an approval excludes the ticked ``exclude`` sources,
    each with its reason (``exclude_reason``, in the order of ``source``)."""
    staff = _staff_form(request, svc, csrf)
    if isinstance(staff, Response):
        return staff
    sources, reasons = list(source or []), list(exclude_reason or [])
    excluded = {}
    for n, credential in enumerate(sources):
        if credential in (exclude or []):
            said = reasons[n].strip() if n < len(reasons) else ""
            if not said:
                return _application_page(request, svc, staff, application_id, 422,
                                         N_("Say why each excluded source is excluded."))
            excluded[credential] = said
    if decision not in ("approve", "refuse"):
        return _application_page(request, svc, staff, application_id, 422,
                                 N_("Choose to approve or to refuse."))
    try:
        recognition.decide(svc, staff.issuer_id, application_id, recognition.Decision(
            decision == "approve", reason.strip(), excluded or None))
    except ServiceError as exc:
        if status_of(exc) == 404:
            return message(request, 404, ERROR, NO_STAFF_APPLICATION, who=_who(staff))
        return _application_page(request, svc, staff, application_id, status_of(exc),
                                 str(exc))
    return redirect(f"/staff/applications/{application_id}")


# ---- the registry, read only ------------------------------------------------------------

@router.get("/staff/registry")
def registry_page(request: Request, svc: ServiceDep) -> Response:
    staff = staff_of(request, svc)
    if staff is None:
        return redirect("/staff/login")
    try:
        framework = credit_registry.current_framework(svc)
    except NotFound:
        framework = None
    standards = [credit_registry.standard_json(row) for row in credit_registry.standards(svc)]
    return render(request, "staff_registry.html", who=_who(staff), framework=framework,
                  standards=standards, sets=rule_sets.rule_sets(svc, None))


@router.get("/staff/registry/rule-sets/{set_id:path}/{version}")
def rule_set_page(set_id: str, version: str, request: Request, svc: ServiceDep) -> Response:
    staff = staff_of(request, svc)
    if staff is None:
        return redirect("/staff/login")
    try:
        found = rule_sets.rule_set(svc, set_id, version, None)
    except NotFound:
        return message(request, 404, ERROR, N_("No such rule set."), who=_who(staff))
    return render(request, "staff_rule_set.html", who=_who(staff), rule_set=found)
