"""The learner's pages of the learning code (申学码): "my code" (the rotating QR, refreshing
itself, and the printed card: make, replace, revoke), scanning a venue's code with the
phone's camera, and the check-in history: each check-in proven on chain or pending, and the
attendance record to download (``GET /v1/learner/attendance``, which takes the page's
session cookie) and check offline with ``credbank-verify``.

Every POST is checked for the session's CSRF token before anything is done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from api.service import attendance, checkins, learning_code
from api.service.errors import ServiceError
from api.web.auth import ServiceDep
from api.web.errors import status_of

from .account import ERROR, _signed_in_form
from .i18n import N_
from .render import message, redirect, render
from .visitor import visitor

router = APIRouter(include_in_schema=False)

# fetch() of the page's own JSON (the rotating code) is allowed; nothing else changes
FETCH_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
CHECKED_IN = N_("Checked in")
CHECKED_OUT = N_("Checked out")
REFUSED = N_("Not checked in")
CARD_REVOKED = N_("Your card is revoked: it no longer works anywhere.")
Csrf = Annotated[str, Form(max_length=200)]


def qr_data_uri(text: str) -> str:
    import segno

    return segno.make(text, error="m", micro=False).svg_data_uri(scale=6, border=4)


def with_fetch(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = FETCH_CSP
    return response


@router.get("/account/code")
def code_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    code, expires = learning_code.issue_learner_code(svc, who.learner.id)
    card = learning_code.current_card(svc, who.learner.id)
    history = checkins.learner_checkins(svc, who.learner.id, limit=50)
    anchored = attendance.anchored_checkins(svc, who.learner.id, [c.id for c, _, _ in history])
    return with_fetch(render(request, "code.html", who=who, qr=qr_data_uri(code),
                             expires=expires, card=card, history=history, anchored=anchored,
                             seconds=svc.settings.learner_code_seconds))


@router.get("/account/code.json")
def code_json(request: Request, svc: ServiceDep) -> Response:
    """A fresh code for the page's script; nothing about the learner but the sealed code."""
    who = visitor(request, svc)
    if who.learner is None:
        return JSONResponse({"detail": "not signed in"}, 401)
    code, expires = learning_code.issue_learner_code(svc, who.learner.id)
    return JSONResponse({"qr": qr_data_uri(code), "expiresAt": expires.isoformat(),
                         "seconds": svc.settings.learner_code_seconds},
                        headers={"Cache-Control": "no-store"})


@router.post("/account/code/card")
def new_card(request: Request, svc: ServiceDep, csrf: Csrf = "") -> Response:
    """A new printed card (the old one revoked), shown this once, ready to print."""
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    token, created = learning_code.replace_card(svc, who.learner.id)
    return render(request, "code_card.html", who=who, qr=qr_data_uri(token),
                  text=learning_code.card_text(token), created=created)


@router.post("/account/code/card/revoke")
def revoke_card(request: Request, svc: ServiceDep, csrf: Csrf = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    try:
        learning_code.revoke_card(svc, who.learner.id)
    except ServiceError as exc:
        return message(request, status_of(exc), ERROR, str(exc), who=who)
    return message(request, 200, CARD_REVOKED, CARD_REVOKED, who=who, state="card-revoked")


@router.get("/account/scan")
def scan_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return render(request, "code_scan.html", who=who)


@router.post("/account/scan")
def scan_submit(request: Request, svc: ServiceDep, csrf: Csrf = "",
                code: Annotated[str, Form(max_length=learning_code.MAX_TOKEN)] = "",
                action: Annotated[str, Form(max_length=3)] = "in") -> Response:
    """The venue's code scanned (or typed): check in or out, and say how it went."""
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    try:
        done = checkins.learner_scan(svc, who.learner.id, code, action)
    except ServiceError as exc:
        # the service's reason, in English: it names what is wrong precisely
        return render(request, "code_result.html", status_of(exc), who=who, done=None,
                      title=REFUSED, reason=str(exc))
    return render(request, "code_result.html", 201, who=who, done=done, reason="",
                  title=CHECKED_OUT if done.action == "out" else CHECKED_IN)
