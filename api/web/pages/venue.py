"""A venue operator's pages: sign-in with the operator API key (``venue_session``), the
venue's activities, the scanning page (the phone's camera reads a learner's code or card;
scans are signed on the device and queued while offline) and an activity's rotating-QR
display for the venue's screen.

The scanning page gets a device key (api.service.checkins.issue_device) each time it is
drawn; its script signs every scan with it (WebCrypto HMAC-SHA256) and sends scans as a
batch to ``POST /venue/scans``, live or later from the browser's storage.
"""

from __future__ import annotations

import base64
import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.service import checkins, learning_code, venues
from api.service.errors import ServiceError
from api.web.auth import ServiceDep
from verifier import timefmt

from .account import ERROR, FORM_EXPIRED
from .code import qr_data_uri, with_fetch
from .i18n import N_
from .render import message, redirect, render
from .venue_session import (
    OPERATOR_LOGIN_COOKIE,
    VENUE_PATH,
    OperatorVisit,
    clear_operator_cookie,
    csrf_ok,
    key_of,
    operator_of,
    set_operator_cookie,
)
from .visitor import login_token

router = APIRouter(include_in_schema=False)

BAD_KEY = N_("This API key is unknown, revoked, or not a venue operator's.")
NO_ACTIVITY = N_("No such activity at your venue.")
Csrf = Annotated[str, Form(max_length=200)]


def _login_form(request: Request, status: int = 200, error: str = "") -> Response:
    token = login_token()
    response = render(request, "venue_sign_in.html", status, csrf=token, error=error)
    response.set_cookie(OPERATOR_LOGIN_COOKIE, token, max_age=3600, path="/venue/login",
                        httponly=True, samesite="strict")
    return response


@router.get("/venue/login")
def login_page(request: Request, svc: ServiceDep) -> Response:
    if operator_of(request, svc) is not None:
        return redirect(VENUE_PATH)
    return _login_form(request)


@router.post("/venue/login")
def login_submit(request: Request, svc: ServiceDep,
                 api_key: Annotated[str, Form(max_length=200)] = "", csrf: Csrf = "") -> Response:
    expected = request.cookies.get(OPERATOR_LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(request, 403, FORM_EXPIRED)
    key = key_of(svc, api_key)
    if key is None:
        return _login_form(request, 401, BAD_KEY)
    response = redirect(VENUE_PATH)
    set_operator_cookie(response, svc, key)
    response.delete_cookie(OPERATOR_LOGIN_COOKIE, path="/venue/login")
    return response


@router.post("/venue/logout")
def logout(request: Request, svc: ServiceDep, csrf: Csrf = "") -> Response:
    visit = operator_of(request, svc)
    if visit is not None and not csrf_ok(visit, csrf):
        return message(request, 403, ERROR, FORM_EXPIRED)
    response = redirect("/venue/login")
    clear_operator_cookie(response)
    return response


@router.get("/venue")
def venue_page(request: Request, svc: ServiceDep) -> Response:
    visit = operator_of(request, svc)
    if visit is None:
        return redirect("/venue/login")
    rows = venues.list_activities(svc, visit.venue_id, include_cancelled=False)
    return render(request, "venue.html", visit=visit, rows=rows)


def _activity(svc, visit: OperatorVisit, activity_id: str):
    try:
        return venues.get_activity(svc, activity_id, visit.venue_id)[0]
    except ServiceError:
        return None


@router.get("/venue/scan")
def scan_page(request: Request, svc: ServiceDep, activity: str = "") -> Response:
    visit = operator_of(request, svc)
    if visit is None:
        return redirect("/venue/login")
    rows = venues.list_activities(svc, visit.venue_id, include_cancelled=False)
    device_id, key, expires = checkins.issue_device(svc, visit.key_id)
    return with_fetch(render(
        request, "venue_scan.html", visit=visit, rows=rows, chosen=activity,
        device_id=device_id, device_key=base64.b64encode(key).decode(),
        device_expires=int(expires.timestamp() * 1000)))


class _Scan(BaseModel):
    activity: str = Field(max_length=36)
    code: str = Field(min_length=1, max_length=learning_code.MAX_TOKEN)
    action: str = Field("in", max_length=3)
    scannedAt: int = Field(ge=0, le=2**53)
    deviceId: str = Field(max_length=80)
    signature: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class _Batch(BaseModel):
    scans: list[_Scan] = Field(min_length=1, max_length=checkins.MAX_BATCH)


@router.post("/venue/scans")
async def scan_batch(request: Request, svc: ServiceDep) -> Response:
    """The scanning page's batch (live scans are a batch of one): each scan accepted or
    refused with its reason. CSRF token in the ``X-CSRF-Token`` header."""
    visit = operator_of(request, svc)
    if visit is None:
        return JSONResponse({"detail": "not signed in"}, 401)
    if not csrf_ok(visit, request.headers.get("X-CSRF-Token", "")):
        return JSONResponse({"detail": "this page has expired; reload it"}, 403)
    try:
        batch = _Batch.model_validate_json(await request.body())
    except ValidationError:
        return JSONResponse({"detail": "not a batch of scans"}, 422)
    scans = [checkins.QueuedScan(activity_id=s.activity, code=s.code, action=s.action,
                                 scanned_at_ms=s.scannedAt, device_id=s.deviceId,
                                 signature=s.signature) for s in batch.scans]
    outcomes = await run_in_threadpool(checkins.queued_scans, svc, visit.key_id,
                                       visit.venue_id, scans)
    return JSONResponse({"results": [
        {"index": o.index, "accepted": True, "repeat": o.recorded.repeat,
         "title": o.recorded.activity.title,
         "at": timefmt.format(o.recorded.checkin.checked_out_at if o.recorded.action == "out"
                              else o.recorded.checkin.checked_in_at)}
        if o.recorded else {"index": o.index, "accepted": False, "refused": o.refused}
        for o in outcomes]})


@router.get("/venue/activities/{activity_id}/display")
def display_page(activity_id: str, request: Request, svc: ServiceDep) -> Response:
    visit = operator_of(request, svc)
    if visit is None:
        return redirect("/venue/login")
    activity = _activity(svc, visit, activity_id)
    if activity is None:
        return message(request, 404, ERROR, NO_ACTIVITY)
    code, expires = learning_code.issue_venue_code(svc, activity.id)
    return with_fetch(render(request, "venue_display.html", visit=visit, activity=activity,
                             qr=qr_data_uri(code), seconds=svc.settings.venue_code_seconds))


@router.get("/venue/activities/{activity_id}/code.json")
def display_code(activity_id: str, request: Request, svc: ServiceDep) -> Response:
    visit = operator_of(request, svc)
    if visit is None:
        return JSONResponse({"detail": "not signed in"}, 401)
    activity = _activity(svc, visit, activity_id)
    if activity is None:
        return JSONResponse({"detail": "no such activity at your venue"}, 404)
    code, expires = learning_code.issue_venue_code(svc, activity.id)
    return JSONResponse({"qr": qr_data_uri(code), "expiresAt": expires.isoformat(),
                         "seconds": svc.settings.venue_code_seconds},
                        headers={"Cache-Control": "no-store"})

