"""The learner's pages: signing in and out, the learning account, one credential with the
form that shares it, and the share links (listed, made, revoked).

Every POST is checked for its CSRF token (api.web.pages.visitor) before anything is done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.service import accounts, sharing
from api.service.context import Service
from api.service.errors import NotFound, ServiceError
from api.service.models import Credential
from api.service.sessions import end_session, sign_in
from api.web.auth import (
    SESSION_COOKIE,
    ServiceDep,
    authenticator,
    clear_session_cookie,
    set_session_cookie,
)
from api.web.errors import status_of
from verifier import timefmt

from .i18n import N_
from .render import message, redirect, render
from .visitor import (
    LOGIN_CSRF_COOKIE,
    Visitor,
    csrf_ok,
    login_token,
    login_token_ok,
    visitor,
)

router = APIRouter(include_in_schema=False)

ERROR = N_("Something went wrong")
FORM_EXPIRED = N_("This form has expired; reload the page and try again.")
BAD_LOGIN = N_("Wrong login or password.")
CITY_REFUSED = N_("The city sign-in did not sign you in; try again.")


def _forbidden(request: Request, who: Visitor | None = None) -> HTMLResponse:
    return message(request, 403, ERROR, FORM_EXPIRED, who=who)


def _signed_in_form(request: Request, svc: Service, csrf: str) -> Visitor | Response:
    """The signed-in learner posting a form of this session, else the answer to give:
    the sign-in page for a visitor, a 403 page for a form of another session."""
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    if not csrf_ok(who, csrf):
        return _forbidden(request, who)
    return who


# ---- sign-in -----------------------------------------------------------------------------

def _login_form(request: Request, status: int = 200, error: str = "",
                login: str = "", reason: str = "") -> HTMLResponse:
    token = login_token()
    # the city's single sign-on, when the app has one (api.web.routes.signin)
    city = getattr(request.app.state, "oidc", None) is not None
    response = render(request, "sign_in.html", status, csrf=token, error=error, login=login,
                      city_sign_in=city, reason=reason)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", httponly=True,
                        samesite="strict")
    return response


CITY_PATHS = "/v1/learner/oidc/"


def refusal_page(request: Request, status: int, detail: str) -> HTMLResponse | None:
    """A refused city sign-in, for a browser: the sign-in page again, saying why, with the
    refusal's status (api.web.errors). API clients keep the JSON answer."""
    if not request.url.path.startswith(CITY_PATHS) \
            or "text/html" not in request.headers.get("accept", ""):
        return None
    return _login_form(request, status, CITY_REFUSED, reason=detail)


@router.get("/login")
def login_page(request: Request, svc: ServiceDep) -> Response:
    if visitor(request, svc).learner is not None:
        return redirect("/account")
    return _login_form(request)


@router.post("/login")
def login_submit(request: Request, svc: ServiceDep,
                 login: Annotated[str, Form(max_length=64)] = "",
                 password: Annotated[str, Form(max_length=200)] = "",
                 csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not login_token_ok(request, csrf):
        return _login_form(request, 403, FORM_EXPIRED, login)
    started = sign_in(svc, authenticator(request), login, password) if login and password \
        else None
    if started is None:
        return _login_form(request, 401, BAD_LOGIN, login)
    response = redirect("/account")
    set_session_cookie(response, svc, started[0])
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, svc: ServiceDep,
           csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    end_session(svc, request.cookies.get(SESSION_COOKIE))
    response = redirect("/login")
    clear_session_cookie(response)
    return response


# ---- the learning account ----------------------------------------------------------------

@router.get("/account")
def account_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    with svc.db.session() as session:
        rows = sharing.own_credentials(session, who.learner)
    return render(request, "account.html", who=who, rows=rows,
                  summary=sharing.account_summary(rows))


# The share form's presets: what each reveals beyond the mandatory claims and the
# achievement's name in other languages (sharing.create_link adds those); the learner's
# name is added where the credential has one. Pointers a credential lacks are skipped.
PRESETS = {
    # for a job application: name, the certificate, credits, level and grades
    "job": ["/credentialSubject/achievement/translations",
            "/credentialSubject/achievement/description",
            "/credentialSubject/achievement/fieldOfStudy",
            "/credentialSubject/achievement/humanCode", "/credentialSubject/achievement/level",
            "/credentialSubject/creditsEarned", "/credentialSubject/achievement/creditUnit",
            "/credentialSubject/achievement/sector", "/credentialSubject/achievement/alignment",
            "/credentialSubject/result",
            "/credentialSubject/achievement/resultDescription"],
    # only that the learner holds it
    "holding": [],
}
DEFAULT_PRESET = "holding"


def _preset(document: dict[str, object], choices: list[sharing.Field], name: str
            ) -> list[str]:
    """The choices (group pointers) a preset ticks in this credential."""
    wanted = PRESETS[name]
    picked = [f.pointer for f in choices
              if any(f.pointer == p or f.pointer.startswith(p + "/") for p in wanted)]
    return sharing.name_pointers(document) + [p for p in picked
                                              if p not in sharing.name_pointers(document)]


def _credential_page(request: Request, svc: Service, who: Visitor, credential_id: str,
                     status: int = 200, error: str = "",
                     chosen: list[str] | None = None) -> Response:
    assert who.learner is not None
    with svc.db.session() as session:
        try:
            row = sharing.own_credential(session, who.learner, credential_id)
        except NotFound:
            return message(request, 404, ERROR,
                           N_("No such credential in this learning account."), who=who)
        issuer = row.issuer
    document = sharing.full_copy(row)
    fields = sharing.fields(document)
    secret = set(sharing.secret_pointers(document))
    choices = [f for f in fields if not f.mandatory and f.pointer not in secret]
    presets = {name: _preset(document, choices, name) for name in PRESETS}
    return render(request, "credential.html", status, who=who, row=row, issuer=issuer,
                  document=document, choices=choices, presets=presets,
                  always=[f for f in fields if f.mandatory],
                  never=[f for f in fields if f.pointer in secret],
                  chosen=set(presets[DEFAULT_PRESET] if chosen is None else chosen),
                  names=sharing.name_pointers(document),
                  translated=bool(sharing.name_translations(document)), error=error)


@router.get("/account/credentials/{credential_id}")
def credential_page(credential_id: str, request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return _credential_page(request, svc, who, credential_id)


@router.post("/account/links")
def create_link(request: Request, svc: ServiceDep,
                credential_id: Annotated[str, Form(max_length=64)] = "",
                reveal: Annotated[list[str] | None, Form()] = None,
                expires_in_days: Annotated[str, Form(max_length=8)] = "",
                max_views: Annotated[str, Form(max_length=8)] = "",
                label: Annotated[str, Form(max_length=200)] = "",
                csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    chosen = list(reveal or [])
    try:
        days = int(expires_in_days or "30")
        views = int(max_views) if max_views.strip() else None
    except ValueError:
        return _credential_page(request, svc, who, credential_id, 422,
                                "expiresInDays and maxViews must be whole numbers", chosen)
    if not 1 <= days < sharing.MAX_LINK_DAYS:
        return _credential_page(request, svc, who, credential_id, 422,
                                f"a share link lasts 1 to {sharing.MAX_LINK_DAYS - 1} days",
                                chosen)
    try:
        with svc.db.session() as session:
            learner = sharing.learner_of(session, who.learner.id)
            # the form ticks the name by default: unticked, it stays hidden
            new = sharing.create_link(
                session, learner, credential_id, chosen,
                expires_at=timefmt.now() + timedelta(days=days), max_views=views,
                label=label.strip(), reveal_name=False)
            row = session.get(Credential, credential_id)
            assert row is not None
    except ServiceError as exc:
        return _credential_page(request, svc, who, credential_id, status_of(exc), str(exc),
                                chosen)
    url = sharing.link_url(svc, new.token)
    document = sharing.full_copy(row)
    return render(request, "link_created.html", 201, who=who, url=url, link=new.link,
                  row=row, qr=sharing.qr_svg_inline(url), qr_path=urlsplit(url).path,
                  name_shown=bool(set(sharing.name_pointers(document)) & set(new.link.reveal)))


@router.get("/account/links")
def links_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    with svc.db.session() as session:
        rows = []
        for link, credential, _last in sharing.own_links(session, who.learner):
            rows.append((link, credential, sharing.link_views(session, link),
                         sharing.link_state(link)))
    return render(request, "links.html", who=who, rows=rows)


@router.post("/account/links/{link_id}/revoke")
def revoke_link(link_id: int, request: Request, svc: ServiceDep,
                csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    try:
        with svc.db.session() as session:
            sharing.revoke_link(session, sharing.learner_of(session, who.learner.id), link_id)
    except NotFound:
        return message(request, 404, ERROR, N_("No such share link in this learning account."),
                       who=who)
    return redirect("/account/links")


# ---- the learner's password --------------------------------------------------------------

PASSWORDS_DIFFER = N_("The two new passwords differ.")
PASSWORD_CHANGED = N_("Your password has been changed. Your other sessions have been "
                      "signed out.")
# accounts.change_password's refusals, in words
PASSWORD_REFUSALS = {
    403: N_("The current password is wrong."),
    422: N_("A new password has 8 to 200 characters."),
}


@router.get("/account/password")
def password_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return render(request, "password.html", who=who, error="")


@router.post("/account/password")
def password_submit(request: Request, svc: ServiceDep,
                    current: Annotated[str, Form(max_length=200)] = "",
                    new: Annotated[str, Form(max_length=200)] = "",
                    again: Annotated[str, Form(max_length=200)] = "",
                    csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    assert who.learner is not None
    if new != again:
        return render(request, "password.html", 422, who=who, error=PASSWORDS_DIFFER)
    try:
        accounts.change_password(svc, who.learner.id, current, new,
                                 keep_session=request.cookies.get(SESSION_COOKIE))
    except ServiceError as exc:
        status = status_of(exc)
        return render(request, "password.html", status, who=who,
                      error=PASSWORD_REFUSALS.get(status, ERROR))
    return message(request, 200, N_("Password changed"), PASSWORD_CHANGED, who=who,
                   state="password-changed")
