"""Who may act: institutions' issuing identities, API keys, learning accounts.

The authority (a governor) creates each of them; the routes of ``api.web.routes.admin``
and the ``credbank admin`` commands both call these functions.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.issuance import IssuerError, IssuerIdentity
from verifier import timefmt

from . import security
from .context import Service
from .data_dir import ISSUERS_DIR
from .errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from .models import ApiKey, Employer, Issuer, Learner, Venue
from .sessions import end_learner_sessions


def register_issuer(svc: Service, slug: str, name: str, did: str | None = None) -> Issuer:
    """Create the issuing identity in the data directory and its database row."""
    with svc.db.session() as session:
        if session.scalars(select(Issuer).where(Issuer.slug == slug)).first():
            raise Conflict(f"issuer {slug} already exists")
        directory = svc.settings.path(ISSUERS_DIR, slug)
        try:
            identity = IssuerIdentity.create(directory, name, did=did)
        except IssuerError as exc:
            raise Conflict(str(exc)) from None
        issuer = Issuer(slug=slug, did=identity.did, name=identity.name,
                        directory=str(directory.resolve()), created_at=timefmt.now())
        session.add(issuer)
    return issuer


def issuers(svc: Service) -> list[Issuer]:
    with svc.db.session() as session:
        return list(session.scalars(select(Issuer).order_by(Issuer.id)).all())


def issuer_by_slug(svc: Service, slug: str) -> Issuer:
    with svc.db.session() as session:
        issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None:
        raise NotFound(f"no issuer {slug}")
    return issuer


def create_api_key(svc: Service, role: str, issuer_slug: str | None, label: str = "", *,
                   venue_slug: str | None = None, employer_slug: str | None = None) -> str:
    """A new API key (the token, shown once); its hash is stored. An institution's key is
    bound to its issuer, an operator's to its venue, an employer's to the employer."""
    owners = {"institution": (Issuer, issuer_slug, "issuer"),
              "operator": (Venue, venue_slug, "venue"),
              "employer": (Employer, employer_slug, "employer")}
    if role not in (*owners, "governor"):
        raise InvalidInput(f"no role {role!r}")
    given = {"issuer": issuer_slug, "venue": venue_slug, "employer": employer_slug}
    needed = owners[role][2] if role in owners else None
    for what, slug in given.items():
        if slug and what != needed:
            raise InvalidInput(f"a {role} key is not bound to {'an' if what == 'issuer' else 'a'}"
                               f" {what}")
    with svc.db.session() as session:
        bound: dict[str, int] = {}
        if needed is not None:
            model, slug, _ = owners[role]
            if not slug:
                raise InvalidInput(f"{'an' if role == 'institution' else 'a'} {role} key needs "
                                   f"{'an' if needed == 'issuer' else 'a'} {needed}")
            row = session.scalars(select(model).where(model.slug == slug)).first()
            if row is None or getattr(row, "retired_at", None) is not None:
                raise NotFound(f"no {needed} {slug}")
            bound[f"{needed}_id"] = row.id
        new = security.new_api_key()
        session.add(ApiKey(key_id=new.key_id, secret_hash=new.secret_hash, role=role,
                           label=label, created_at=timefmt.now(), **bound))
    return new.token


def api_keys(svc: Service, key_id: str | None = None) -> list[tuple[ApiKey, str | None]]:
    """Every API key (or the one named) with its issuer's slug; no secrets."""
    query = select(ApiKey, Issuer.slug).outerjoin(Issuer).order_by(ApiKey.id)
    if key_id is not None:
        query = query.where(ApiKey.key_id == key_id)
    with svc.db.session() as session:
        return [(key, slug) for key, slug in session.execute(query).all()]


def revoke_api_key(svc: Service, key_id: str, caller_key_id: int | None,
                   ) -> tuple[ApiKey, str | None]:
    """Revoke a key (again is no change); a caller cannot revoke the key it calls with."""
    if not re.fullmatch(r"[0-9a-f]{16}", key_id):
        raise NotFound("no such API key")
    with svc.db.session() as session:
        found = session.execute(select(ApiKey, Issuer.slug).outerjoin(Issuer)
                                .where(ApiKey.key_id == key_id)).first()
        if found is None:
            raise NotFound("no such API key")
        key, slug = found
        if key.id == caller_key_id:
            raise Conflict("a governor cannot revoke the key it is calling with")
        if key.revoked_at is None:
            key.revoked_at = timefmt.now()
        return key, slug


def open_learner_account(svc: Service, login: str, identity_number: str, password: str,
                         display_name: str = "") -> Learner:
    learner = Learner(
        learner_key=security.learner_key(svc.secret, identity_number), login=login,
        display_name=display_name, password_hash=security.hash_password(password),
        created_at=timefmt.now())
    try:
        with svc.db.session() as session:
            session.add(learner)
    except IntegrityError:
        raise Conflict("a learning account with this login or identity exists") from None
    return learner


# ---- learners' passwords ---------------------------------------------------------------

MIN_PASSWORD = 8
MAX_PASSWORD = 200
# a new password read out at a service desk: no 0/o, 1/l/i to mistake
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def new_password() -> str:
    """A fresh password of 16 readable characters in four groups (about 79 bits)."""
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(4))


def _check_new(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"newPassword: a password has {MIN_PASSWORD} to {MAX_PASSWORD} "
                           "characters")


@dataclass(frozen=True)
class PasswordReset:
    login: str
    password: str  # shown once: only its hash is kept
    sessions_ended: int


def reset_password(svc: Service, login: str) -> PasswordReset:
    """The authority gives a learner a new password (when the learner forgot theirs): a
    generated one, returned once; every session of the learner ends."""
    password = new_password()
    with svc.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).first()
        if learner is None:
            raise NotFound("no learning account with this login")
        learner.password_hash = security.hash_password(password)
        ended = end_learner_sessions(session, learner.id)
    return PasswordReset(login, password, ended)


def change_password(svc: Service, learner_id: int | None, current: str, new: str,
                    keep_session: str | None = None) -> int:
    """A learner changes their own password, giving the current one; every other session
    of theirs ends (``keep_session``, the token of the one asking, stays). Forbidden for a
    wrong current password; how many sessions ended."""
    _check_new(new)
    with svc.db.session() as session:
        learner = session.get(Learner, learner_id) if learner_id is not None else None
        if learner is None:
            raise NotFound("no such learning account")
        if not security.check_password(current, learner.password_hash):
            raise Forbidden("currentPassword is wrong")
        learner.password_hash = security.hash_password(new)
        return end_learner_sessions(session, learner.id, keep=keep_session)


def credit_bank(session: Session, svc: Service) -> Issuer:
    """The issuer that acts for the credit bank (the ``credit_bank`` setting)."""
    slug = svc.settings.credit_bank
    if slug is None:
        raise Unavailable("this service has no credit bank issuer (set credit_bank to the "
                          "slug of the institution that signs for the credit bank)")
    issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None:
        raise Unavailable(f"the credit bank issuer {slug!r} is not registered")
    return issuer
