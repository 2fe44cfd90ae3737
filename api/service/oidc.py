"""Citizens sign in with the city's single sign-on (一网通办), by OpenID Connect: the
authorization code flow with PKCE, ``state`` and ``nonce``; the protocol itself is in
:mod:`api.service.oidc_client`.

A sign-in starts with a random ``state``. Only its hash is kept (``oidc_states``), for ten
minutes and for one use; the ``nonce`` and the PKCE verifier are HMACs of the state under
the server secret, so nothing secret is stored and someone who sees the state in a URL
cannot compute the verifier. The web layer also keeps the state in a cookie of the
browser that started, so a callback carried to another browser (login CSRF) is refused.

The citizen is known by (issuer, subject) (``oidc_links``). At the first sign-in the
verified identity number from the provider finds the learning account with the same
learner key (:func:`api.service.security.learner_key`), or a new account is opened with a
generated login and no password: credentials issued earlier to that identity number are in
it at once. Every refusal changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from verifier import timefmt

from . import security
from .context import Service
from .errors import Conflict, Forbidden, Gone, InvalidInput
from .models import Learner, OidcLink, OidcState
from .oidc_client import RelyingParty
from .sessions import start_session

STATE_MINUTES = 10
KEEP_USED_STATES = timedelta(days=1)  # rows older than this are deleted at the next start
MAX_IDENTITY_NUMBER = 64
LOGIN_DIGITS = 12


def _derived(svc: Service, purpose: bytes, state: str) -> str:
    mac = hmac.new(svc.secret, b"credbank-oidc-" + purpose + b"\0" + state.encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def nonce_of(svc: Service, state: str) -> str:
    return _derived(svc, b"nonce", state)


def verifier_of(svc: Service, state: str) -> str:
    """The PKCE code verifier (RFC 7636 §4.1: 43 characters of base64url)."""
    return _derived(svc, b"pkce", state)


@dataclass(frozen=True)
class Started:
    url: str  # the provider's authorization endpoint, with this sign-in's parameters
    state: str  # for the browser's cookie; only its hash is kept


def start(svc: Service, rp: RelyingParty) -> Started:
    """A new sign-in: the URL to send the citizen's browser to."""
    state = security.new_token()
    url = rp.authorization_url(state, nonce_of(svc, state), verifier_of(svc, state))
    now = timefmt.now()
    with svc.db.session() as session:
        session.execute(delete(OidcState).where(OidcState.expires_at < now - KEEP_USED_STATES))
        session.add(OidcState(state_hash=security.token_hash(state), created_at=now,
                              expires_at=now + timedelta(minutes=STATE_MINUTES)))
    return Started(url, state)


@dataclass(frozen=True)
class SignedIn:
    token: str  # the learner's session token (returned once)
    expires_at: str
    login: str
    outcome: str  # "found" (a linked account), "linked" (an existing one) or "opened"


def _pending(session: Session, state: str) -> OidcState:
    row = session.scalars(select(OidcState).where(
        OidcState.state_hash == security.token_hash(state))).first()
    if row is None:
        raise Forbidden("unknown sign-in state; start the city sign-in again")
    if row.used_at is not None:
        raise Gone("this sign-in was already used; start the city sign-in again", "used")
    if row.expires_at <= timefmt.now():
        raise Gone("this sign-in has expired; start the city sign-in again", "expired")
    return row


def finish(svc: Service, rp: RelyingParty, *, state: str | None, browser_state: str | None,
           code: str | None, error: str | None = None, issuer: str | None = None
           ) -> SignedIn:
    """The callback: check the state, exchange the code, check the ID token, find or open
    the learning account and start a session. Refused as a whole, changing nothing."""
    if not state:
        raise InvalidInput("state: the sign-in answer has no state")
    if not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
        raise Forbidden("this sign-in was not started in this browser; start the city "
                        "sign-in again")
    with svc.db.session() as session:
        _pending(session, state)
    if error:
        raise Forbidden("the city sign-in did not sign you in"
                        + (" (access denied)" if error == "access_denied" else ""))
    # RFC 9207 §2.4: an answer that names its issuer must name ours (mix-up defence)
    if issuer is not None and issuer != rp.issuer:
        raise Forbidden("the sign-in answer comes from another provider (iss)")
    if not code:
        raise InvalidInput("code: the sign-in answer has no code")
    tokens = rp.exchange(code, verifier_of(svc, state))
    claims = rp.claims(tokens, nonce_of(svc, state))
    identity = claims.get(rp.config.identity_claim)
    if not isinstance(identity, str) or not 0 < len(identity.strip()) <= MAX_IDENTITY_NUMBER:
        raise Forbidden(f"the city sign-in gave no identity number "
                        f"({rp.config.identity_claim})")
    name = claims.get(rp.config.name_claim)
    name = name.strip()[:200] if isinstance(name, str) else ""
    now = timefmt.now()
    try:
        with svc.db.session() as session:
            # single use: the one callback that sets used_at signs in; a replay, or a
            # second callback racing this one, finds it set
            claimed = session.execute(
                update(OidcState)
                .where(OidcState.state_hash == security.token_hash(state),
                       OidcState.used_at.is_(None), OidcState.expires_at > now)
                .values(used_at=now).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                raise Gone("this sign-in was already used; start the city sign-in again",
                           "used")
            learner, outcome = _account(session, svc, rp.issuer, claims["sub"], identity,
                                        name)
            token, expires = start_session(session, learner, svc.settings.learner_session_hours)
            return SignedIn(token, expires, learner.login, outcome)
    except IntegrityError:
        raise Conflict("this citizen is signing in twice at once; try again") from None


def _account(session: Session, svc: Service, issuer: str, subject: str, identity: str,
             name: str) -> tuple[Learner, str]:
    key = security.learner_key(svc.secret, identity)
    now = timefmt.now()
    link = session.scalars(select(OidcLink).where(OidcLink.issuer == issuer,
                                                  OidcLink.subject == subject)).first()
    if link is not None:
        learner = session.get(Learner, link.learner_id)
        if learner is None or not hmac.compare_digest(learner.learner_key, key):
            # the provider now gives this subject another identity number: the link no
            # longer says who the account belongs to
            raise Conflict("this city account's identity number does not match its learning "
                           "account; ask the credit bank's service desk")
        link.last_sign_in_at = now
        return learner, "found"
    learner = session.scalars(select(Learner).where(Learner.learner_key == key)).first()
    outcome = "linked"
    if learner is None:
        learner = Learner(learner_key=key, login=_new_login(session), display_name=name,
                          password_hash=None, created_at=now)
        session.add(learner)
        session.flush()
        outcome = "opened"
    session.add(OidcLink(issuer=issuer, subject=subject, learner_id=learner.id,
                         created_at=now, last_sign_in_at=now))
    session.flush()
    return learner, outcome


def _new_login(session: Session) -> str:
    """A learning-account number no account has: twelve digits, not starting with 0."""
    while True:
        login = str(10 ** (LOGIN_DIGITS - 1) + secrets.randbelow(9 * 10 ** (LOGIN_DIGITS - 1)))
        if session.scalars(select(Learner.id).where(Learner.login == login)).first() is None:
            return login

