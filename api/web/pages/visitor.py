"""Who is looking at a page, and the CSRF tokens of the forms they are shown.

The learner's pages are authenticated by the session cookie, so every POST carries a CSRF
token, an HMAC of the session token under the server secret, checked before anything is
done. The sign-in form, which has no session yet, uses a random token in a cookie and the
form (double submit, :func:`login_token`), so no other site can sign a browser into an
account.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select

from api.service import security
from api.service.context import Service
from api.service.models import Learner, LearnerSession
from api.web.auth import SESSION_COOKIE
from verifier import timefmt

LOGIN_CSRF_COOKIE = "credbank_login_csrf"


@dataclass
class Visitor:
    """Who is looking: a signed-in learner (with the CSRF token of their session) or not."""

    learner: Learner | None = None
    csrf: str = ""
    staff: Any = None  # a signed-in registrar or the authority (staff_session.Staff)


def csrf_token(svc: Service, session_token: str) -> str:
    mac = hmac.new(svc.secret, b"credbank-csrf\0" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()


def visitor(request: Request, svc: Service) -> Visitor:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or token.startswith(security.API_KEY_PREFIX):
        return Visitor()
    with svc.db.session() as session:
        found = session.scalars(select(LearnerSession).where(
            LearnerSession.token_hash == security.token_hash(token))).first()
        if found is None or found.revoked_at is not None or found.expires_at <= timefmt.now():
            return Visitor()
        learner = session.get(Learner, found.learner_id)
    return Visitor(learner, csrf_token(svc, token)) if learner else Visitor()


def csrf_ok(who: Visitor, sent: str) -> bool:
    """Whether a signed-in visitor's form came back with their session's token."""
    return bool(who.csrf) and hmac.compare_digest(who.csrf.encode(), sent.encode())


def login_token() -> str:
    """A fresh token for the sign-in form and its cookie."""
    return security.new_token()


def login_token_ok(request: Request, sent: str) -> bool:
    """Whether the sign-in form came back with the token of its cookie."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())
