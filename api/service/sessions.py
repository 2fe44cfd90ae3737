"""Learners' sessions: signing in through an authenticator, signing out.

Local accounts sign in with a password (scrypt-hashed) through a
:class:`LearnerAuthenticator`; citizens sign in with the city's single sign-on by OpenID
Connect (:mod:`api.service.oidc`), which ends in the same :func:`start_session`. A session
token is returned once; only its hash is kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from verifier import timefmt

from . import security
from .context import Service
from .models import Learner, LearnerSession


class LearnerAuthenticator(Protocol):
    """Turns a sign-in request into a learning account, or None."""

    def authenticate(self, session: Session, login: str, password: str) -> Learner | None: ...


class PasswordAuthenticator:
    """Local accounts: the authority opens an account with a password (scrypt-hashed)."""

    def authenticate(self, session: Session, login: str, password: str) -> Learner | None:
        learner = session.scalars(select(Learner).where(Learner.login == login)).first()
        ok = security.check_password(password, learner.password_hash if learner else None)
        return learner if ok else None


def start_session(session: Session, learner: Learner, hours: float) -> tuple[str, str]:
    """A new session token (returned once) and its expiry, for a signed-in learner."""
    token = security.new_token()
    now = timefmt.now()
    expires = now + timedelta(hours=hours)
    session.add(LearnerSession(token_hash=security.token_hash(token), learner_id=learner.id,
                               created_at=now, expires_at=expires))
    return token, timefmt.format(expires)


def sign_in(svc: Service, auth: LearnerAuthenticator, login: str, password: str
            ) -> tuple[str, str] | None:
    """A new session (token, expiry) for good credentials, else None."""
    with svc.db.session() as session:
        learner = auth.authenticate(session, login, password)
        if learner is None:
            return None
        return start_session(session, learner, svc.settings.learner_session_hours)


def end_session(svc: Service, token: str | None) -> None:
    if not token or token.startswith(security.API_KEY_PREFIX):
        return
    with svc.db.session() as session:
        session.execute(
            update(LearnerSession)
            .where(LearnerSession.token_hash == security.token_hash(token),
                   LearnerSession.revoked_at.is_(None))
            .values(revoked_at=timefmt.now()))


def end_learner_sessions(session: Session, learner_id: int, keep: str | None = None) -> int:
    """End every open session of a learner but the one whose token is ``keep``; how many
    ended."""
    query = (update(LearnerSession)
             .where(LearnerSession.learner_id == learner_id,
                    LearnerSession.revoked_at.is_(None),
                    LearnerSession.expires_at > timefmt.now()))
    if keep:
        query = query.where(LearnerSession.token_hash != security.token_hash(keep))
    ended = session.execute(query.values(revoked_at=timefmt.now())
                            .execution_options(synchronize_session=False))
    return ended.rowcount or 0
