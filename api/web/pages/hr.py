"""The employer's bulk check pages: sign in with the employer's API key, upload candidates
(a links CSV, credential files, PDFs or zips) or make a report over the answers to one of
the employer's verification requests, see the report's table, download it as CSV or PDF.

The sign-in is the staff's mechanism (:mod:`.staff_session`: the key typed once, a cookie
``role.key-row-id.expiry.mac`` under the server secret, checked against the live key on
every request), with a cookie of its own, ``credbank_hr``, limited to ``/hr``: an employer's
key never opens the staff's pages, nor a staff key these. Every POST form carries a CSRF
token, an HMAC of the cookie.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from api.service import bulk_check, bulk_report_pdf, bulk_sources, presentations, security
from api.service.context import Service
from api.service.errors import ServiceError
from api.service.models import ApiKey, Employer
from api.web.auth import ServiceDep
from api.web.errors import status_of

from .account import ERROR, FORM_EXPIRED
from .i18n import N_, choose_lang
from .render import message, redirect, render
from .staff_session import STAFF_SESSION_SECONDS, cookie_value, staff_csrf
from .visitor import login_token

router = APIRouter(include_in_schema=False)

HR_COOKIE = "credbank_hr"
HR_LOGIN_COOKIE = "credbank_hr_login_csrf"
HR_PATH = "/hr"
ROLE = "employer"
BAD_KEY = N_("This API key is unknown, revoked, or not an employer's.")
NO_REPORT = N_("No such bulk check report.")
NOT_READY = N_("This bulk check has not finished: its report cannot be downloaded yet.")
# the words of the codes a report row carries (bulk_check.VERDICTS, row statuses)
WORDS = {
    "verified": N_("verified"), "not_verified": N_("not verified"),
    "not_checked": N_("not checked"), "active": N_("active"), "revoked": N_("revoked"),
    "suspended": N_("suspended"), "link": N_("share link"), "file": N_("file"),
    "running": N_("running"), "done": N_("done"), "failed": N_("failed"),
    "response": N_("request answer"),
}


@dataclass(frozen=True)
class HrUser:
    key_id: int
    employer_id: int
    employer_name: str
    csrf: str


def _employer_key(svc: Service, token: str) -> ApiKey | None:
    """The live employer's API key typed in, else None."""
    parts = security.split_api_key(token.strip())
    if parts is None:
        return None
    with svc.db.session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.key_id == parts[0])).first()
        if key is None or not security.same_hash(parts[1], key.secret_hash) \
                or key.revoked_at is not None or key.role != ROLE or key.employer_id is None:
            return None
        session.expunge(key)
        return key


def hr_user(request: Request, svc: Service) -> HrUser | None:
    """The employer of the request's cookie: genuine, unexpired, its key still live."""
    cookie = request.cookies.get(HR_COOKIE, "")
    parts = cookie.split(".")
    if len(parts) != 4 or parts[0] != ROLE:
        return None
    try:
        key_id, expires = int(parts[1]), int(parts[2])
    except ValueError:
        return None
    if not hmac.compare_digest(cookie.encode(), cookie_value(svc, ROLE, key_id, expires)
                               .encode()) or expires <= time.time():
        return None
    with svc.db.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None or key.role != ROLE \
                or key.employer_id is None:
            return None
        employer = session.get(Employer, key.employer_id)
        if employer is None or employer.retired_at is not None:
            return None
        return HrUser(key.id, employer.id, employer.name, staff_csrf(svc, cookie))


def _form_user(request: Request, svc: Service, csrf: str) -> HrUser | Response:
    user = hr_user(request, svc)
    if user is None:
        return redirect("/hr/login")
    if not hmac.compare_digest(user.csrf.encode(), csrf.encode()):
        return message(request, 403, ERROR, FORM_EXPIRED)
    return user


def _login_form(request: Request, status: int = 200, error: str = "") -> Response:
    token = login_token()
    response = render(request, "hr_sign_in.html", status, csrf=token, error=error,
                      employer=None)
    response.set_cookie(HR_LOGIN_COOKIE, token, max_age=3600, path="/hr/login",
                        httponly=True, samesite="strict")
    return response


@router.get("/hr/login")
def hr_login_page(request: Request, svc: ServiceDep) -> Response:
    if hr_user(request, svc) is not None:
        return redirect(HR_PATH)
    return _login_form(request)


@router.post("/hr/login")
def hr_login(request: Request, svc: ServiceDep,
             api_key: Annotated[str, Form(max_length=200)] = "",
             csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    expected = request.cookies.get(HR_LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(request, 403, FORM_EXPIRED)
    key = _employer_key(svc, api_key)
    if key is None:
        return _login_form(request, 401, BAD_KEY)
    response = redirect(HR_PATH)
    expires = int(time.time()) + STAFF_SESSION_SECONDS
    response.set_cookie(HR_COOKIE, cookie_value(svc, ROLE, key.id, expires),
                        max_age=STAFF_SESSION_SECONDS, path=HR_PATH, httponly=True,
                        samesite="strict", secure=svc.settings.public_url.startswith("https://"))
    response.delete_cookie(HR_LOGIN_COOKIE, path="/hr/login")
    return response


@router.post("/hr/logout")
def hr_logout(request: Request, svc: ServiceDep,
              csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    user = _form_user(request, svc, csrf)
    if isinstance(user, Response):
        return user
    response = redirect("/hr/login")
    response.delete_cookie(HR_COOKIE, path=HR_PATH, httponly=True, samesite="strict")
    return response


def _checks_page(request: Request, svc: Service, user: HrUser, status: int = 200,
                 error: str = "") -> Response:
    return render(request, "hr_checks.html", status, employer=user, error=error,
                  reports=bulk_check.listing(svc, user.employer_id), words=WORDS,
                  limit=bulk_check.MAX_CANDIDATES,
                  requests=presentations.employer_requests(svc, user.employer_id))


@router.get("/hr")
def hr_page(request: Request, svc: ServiceDep) -> Response:
    user = hr_user(request, svc)
    if user is None:
        return redirect("/hr/login")
    return _checks_page(request, svc, user)


@router.post("/hr/checks")
async def hr_submit(request: Request, svc: ServiceDep, background: BackgroundTasks,
                    csrf: Annotated[str, Form(max_length=200)] = "",
                    links: Annotated[UploadFile | None, File()] = None,
                    files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    user = await run_in_threadpool(_form_user, request, svc, csrf)
    if isinstance(user, Response):
        return user
    given = (links.filename or "links.csv", await links.read()) \
        if links is not None and links.filename else None
    sent = [(f.filename or "file", await f.read()) for f in files or [] if f.filename]
    try:
        candidates = await run_in_threadpool(bulk_check.candidates, given, sent)
        report = await run_in_threadpool(bulk_check.start, svc, user.employer_id, candidates)
    except ServiceError as exc:  # the reason, in the service's words, above the form
        return await run_in_threadpool(_checks_page, request, svc, user, status_of(exc),
                                       str(exc))
    background.add_task(bulk_check.finish, svc, report.id, candidates)
    return redirect(f"/hr/checks/{report.id}")


@router.post("/hr/requests/{request_id}/check")
def hr_request_check(request_id: str, request: Request, svc: ServiceDep,
                     background: BackgroundTasks,
                     csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """A report over the answers to one of the employer's requests (another's: 404)."""
    user = _form_user(request, svc, csrf)
    if isinstance(user, Response):
        return user
    try:
        candidates = bulk_sources.request_answers(svc, user.employer_id, request_id[:64])
        report = bulk_check.start(svc, user.employer_id, candidates)
    except ServiceError as exc:
        return _checks_page(request, svc, user, status_of(exc), str(exc))
    background.add_task(bulk_check.finish, svc, report.id, candidates)
    return redirect(f"/hr/checks/{report.id}")


def _own(request: Request, svc: Service, user: HrUser, report_id: str,
         ready: bool = False) -> bulk_check.Report | Response:
    try:
        report = bulk_check.own(svc, user.employer_id, report_id)
    except ServiceError:
        return message(request, 404, ERROR, NO_REPORT)
    if ready and report.state != "done":
        return message(request, 409, ERROR, NOT_READY)
    return report


@router.get("/hr/checks/{report_id}")
def hr_report_page(report_id: str, request: Request, svc: ServiceDep) -> Response:
    user = hr_user(request, svc)
    if user is None:
        return redirect("/hr/login")
    report = _own(request, svc, user, report_id)
    if isinstance(report, Response):
        return report
    lang, _asked = choose_lang(request)
    return render(request, "hr_report.html", employer=user, report=report, words=WORDS,
                  reasons=bulk_check.REASONS, row_lang=lang,
                  sentence=lambda row: bulk_check.reason_sentence(row, lang),
                  units=lambda row: bulk_check.unit_words(row.get("creditUnit"), lang))


@router.get("/hr/checks/{report_id}/report.csv")
def hr_report_csv(report_id: str, request: Request, svc: ServiceDep) -> Response:
    user = hr_user(request, svc)
    if user is None:
        return redirect("/hr/login")
    report = _own(request, svc, user, report_id, ready=True)
    if isinstance(report, Response):
        return report
    lang, _asked = choose_lang(request)
    return Response(bulk_check.csv_bytes(report, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="bulk-check-'
                             f'{report.id[:8]}-{lang}.csv"', "Cache-Control": "private, no-store"})


@router.get("/hr/checks/{report_id}/report.pdf")
async def hr_report_pdf(report_id: str, request: Request, svc: ServiceDep) -> Response:
    user = await run_in_threadpool(hr_user, request, svc)
    if user is None:
        return redirect("/hr/login")
    report = await run_in_threadpool(_own, request, svc, user, report_id, True)
    if isinstance(report, Response):
        return report
    lang, _asked = choose_lang(request)
    try:
        body = await run_in_threadpool(bulk_report_pdf.render, report, lang)
    except ServiceError as exc:  # no CJK font on this machine
        return message(request, status_of(exc), ERROR, N_("The PDF cannot be made on this "
                                                          "service now."))
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bulk-check-{report.id[:8]}-{lang}.pdf"',
        "Cache-Control": "private, no-store"})
