"""Who is calling: an institution's, governor's, venue operator's or employer's API key, or a
learner's session.

Institutions, governors, venue operators and employers send
``Authorization: Bearer cb_<id>_<secret>``. Learners send the session token they got at
login, as a bearer token or the ``credbank_session`` cookie the pages use. Learner sign-in
goes through the authenticator of :mod:`api.service.sessions` (the local one checks an
account password), or through the city's single sign-on by OpenID Connect when the settings
name an issuer (:mod:`api.service.oidc`, ``app.state.oidc``; docs/api.md, "Learner
sign-in"). Either way the learner gets the same session and cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service import security, sessions
from api.service.context import Service
from api.service.errors import NotFound
from api.service.models import ApiKey, LearnerSession
from api.service.oidc_client import RelyingParty
from verifier import timefmt

SESSION_COOKIE = "credbank_session"
LAST_USED_RESOLUTION = timedelta(minutes=1)
bearer = HTTPBearer(auto_error=False, description="API key (cb_...) or learner session token")


@dataclass(frozen=True)
class Caller:
    role: str  # "institution" | "governor" | "operator" | "employer" | "learner"
    issuer_id: int | None = None
    learner_id: int | None = None
    api_key_id: int | None = None
    venue_id: int | None = None  # an operator's venue
    employer_id: int | None = None


async def service(request: Request) -> Service:  # async: no thread hop for a lookup
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(service)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def _api_key_caller(session: Session, token: str) -> Caller:
    parts = security.split_api_key(token)
    if parts is None:
        raise _unauthorized("not a credbank API key")
    key = session.scalars(select(ApiKey).where(ApiKey.key_id == parts[0])).first()
    if key is None or not security.same_hash(parts[1], key.secret_hash):
        raise _unauthorized("unknown API key")
    if key.revoked_at is not None:
        raise _unauthorized("this API key was revoked")
    now = timefmt.now()
    # "last used" to the minute: a write (and on SQLite an fsync) per request would cost
    # more than the request's own work
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
    return Caller(key.role, issuer_id=key.issuer_id, api_key_id=key.id, venue_id=key.venue_id,
                  employer_id=key.employer_id)


def _learner_caller(session: Session, token: str) -> Caller:
    found = session.scalars(
        select(LearnerSession).where(LearnerSession.token_hash == security.token_hash(token))
    ).first()
    if found is None or found.revoked_at is not None:
        raise _unauthorized("not signed in")
    if found.expires_at <= timefmt.now():
        raise _unauthorized("the session has expired; sign in again")
    return Caller("learner", learner_id=found.learner_id)


def caller(request: Request, svc: ServiceDep, credentials: Credentials) -> Caller:
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise _unauthorized("authentication required")
    with svc.db.session() as session:
        if token.startswith(security.API_KEY_PREFIX):
            return _api_key_caller(session, token)
        return _learner_caller(session, token)


_ROLE_NAMES = {"institution": "an institution's API key", "governor": "a governor's API key",
               "operator": "a venue operator's API key", "employer": "an employer's API key",
               "learner": "a learner's session"}


def _require(role: str):
    async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.role != role:
            raise HTTPException(403, f"this needs {_ROLE_NAMES[role]}, not {_ROLE_NAMES[who.role]}")
        return who

    return check


Institution = Annotated[Caller, Depends(_require("institution"))]
Governor = Annotated[Caller, Depends(_require("governor"))]
LearnerCaller = Annotated[Caller, Depends(_require("learner"))]
Operator = Annotated[Caller, Depends(_require("operator"))]
Employer = Annotated[Caller, Depends(_require("employer"))]


def authenticator(request: Request) -> sessions.LearnerAuthenticator:
    """The sign-in seam: ``app.state.learner_authenticator`` when a deployment set one
    (say, one that trusts the city's single sign-on), else local passwords."""
    return (getattr(request.app.state, "learner_authenticator", None)
            or sessions.PasswordAuthenticator())


def city_sign_in(request: Request) -> RelyingParty:
    """The OpenID provider citizens sign in with (``app.state.oidc``, made from the
    settings by the app); 404 on a service that has none."""
    provider = getattr(request.app.state, "oidc", None)
    if provider is None:
        raise NotFound("this service has no city sign-in (OpenID Connect is not configured)")
    return provider


def set_session_cookie(response: Response, svc: Service, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(svc.settings.learner_session_hours * 3600),
        path="/", httponly=True, samesite="lax",
        secure=svc.settings.public_url.startswith("https://"))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
