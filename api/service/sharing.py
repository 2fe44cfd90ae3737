"""Learning accounts and share links: what a learner owns, and what a link discloses.

A learner owns the credentials whose ``learner_key`` is theirs (so ones issued before the
account was opened count too) and the links they made. A share link stores only the hash of
its token, the pointers to reveal, an expiry and an optional view limit. The derived copy is
made when the link is opened, from the credential as it is then: a link made while the
credential was pending shows the anchored copy once the worker has anchored it.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import segno
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from verifier import CredentialError, derive_copy, timefmt
from verifier.claims import escape, is_mandatory, iter_leaves, under
from verifier.credit import Credits, Sector, Totals, Unit, value_of
from verifier.credit.decision import ACHIEVEMENT_TYPE as DECISION_TYPE
from verifier.credit.decision import recognition_of

from . import security
from .context import Service
from .errors import Gone, InvalidInput, NotFound
from .models import Credential, Issuer, Learner, ShareLink, ShareLinkView

MAX_LINK_DAYS = 366
MAX_VIEWS = 100_000
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{20,128}$"
_TOKEN = re.compile(TOKEN_PATTERN)


GONE_REASONS = {
    "expired": "this share link has expired",
    "revoked": "this share link was revoked by its owner",
    "used_up": "this share link has been opened as many times as its owner allowed",
}


def _gone(state: str) -> Gone:
    """The link exists but can no longer be opened; ``state`` says why."""
    return Gone(GONE_REASONS[state], state)


# ---- credentials of a learner -------------------------------------------------------------

def own_credentials(session: Session, learner: Learner) -> list[tuple[Credential, Issuer]]:
    """Every credential issued to this learner by any institution, newest first, with its
    issuer."""
    rows = session.execute(
        select(Credential, Issuer).join(Issuer, Credential.issuer_id == Issuer.id)
        .where(Credential.learner_key == learner.learner_key)
        .order_by(Credential.issued_at.desc(), Credential.id)
    ).all()
    return [(row, issuer) for row, issuer in rows]


def own_credential(session: Session, learner: Learner, credential_id: str) -> Credential:
    row = session.scalars(select(Credential).where(
        Credential.id == credential_id, Credential.learner_key == learner.learner_key)).first()
    if row is None:
        # the same answer whether it does not exist or is someone else's
        raise NotFound("no such credential in this learning account")
    return row


def learner_of(session: Session, learner_id: int | None) -> Learner:
    learner = session.get(Learner, learner_id) if learner_id is not None else None
    if learner is None:
        raise NotFound("no such learning account")
    return learner


# Revoked and suspended credentials are listed but do not count towards credits: a
# suspended one may come back, and then counts again.
COUNTED_STATUS = "active"


def account_summary(credentials: list[tuple[Credential, Issuer]]) -> dict[str, Any]:
    """Credit totals of the active credentials by unit and by unit and sector (figures of
    different units are never added: verifier.credit.Totals), their untyped figures listed
    one by one and added to nothing, what decisions in force recognised into the credit
    bank (``recognised``, apart: it restates outcomes, it adds none), counts by
    achievement type, and how many credentials are in each status and state."""
    figures: list[Credits] = []
    recognised: list[Credits] = []
    untyped: list[dict[str, Any]] = []
    by_type: dict[str, int] = {}
    by_status: dict[str, int] = {}
    pending = 0
    for row, _ in credentials:
        by_status[row.status] = by_status.get(row.status, 0) + 1
        if row.status != COUNTED_STATUS:
            continue
        pending += row.state == "pending"
        by_type[row.achievement_type] = by_type.get(row.achievement_type, 0) + 1
        if row.achievement_type == DECISION_TYPE:
            decision = recognition_of(full_copy(row))
            recognised += decision.granted() if decision.toward_bank else []
            continue
        figure = typed_figure(row)
        if figure is not None:
            figures.append(figure)
        elif row.credits:
            untyped.append({"credential": row.id, "achievementName": row.achievement_name,
                            "fieldOfStudy": row.field_of_study,
                            "credits": _number(row.credits)})
    return {
        "totals": Totals.of(figures).to_json(),
        "recognised": Totals.of(recognised).to_json(),
        "untypedCredits": untyped,
        "countsByType": dict(sorted(by_type.items())),
        "countsByStatus": dict(sorted(by_status.items())),
        "pending": pending,
        "total": len(credentials),
    }


def typed_figure(row: Credential) -> Credits | None:
    """A credential's figure with its unit and sector; None when it has none or is
    untyped (issued before typed credits, or without a unit)."""
    if row.credits is None or row.credit_unit is None or row.credit_sector is None:
        return None
    return Credits(value_of(Decimal(repr(row.credits))), Unit(row.credit_unit),
                   Sector(row.credit_sector))


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 4)


def full_copy(row: Credential) -> dict[str, Any]:
    return json.loads(row.document)


# ---- what a link can reveal ---------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    pointer: str  # a leaf or a subtree
    mandatory: bool
    values: tuple[Any, ...]  # the leaf values under it, in document order


def _group(pointer: str, document: dict[str, Any]) -> str:
    """The unit a learner chooses: a member of the credential, subject or achievement, or
    one element when that member is a list (one identifier, one result)."""
    parts = pointer.split("/")[1:]
    depth = 1
    if parts[:2] == ["credentialSubject", "achievement"] and len(parts) > 2:
        depth = 3
    elif parts[:1] == ["credentialSubject"] and len(parts) > 1:
        depth = 2
    node: Any = document
    for part in parts[:depth]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, list) and len(parts) > depth:
        depth += 1
    return "/" + "/".join(parts[:depth])


def fields(document: dict[str, Any], only: set[str] | None = None) -> list[Field]:
    """The credential's claims grouped for choosing, in document order (only the leaves
    in ``only`` when given)."""
    body = {k: v for k, v in document.items() if k != "proof"}
    groups: dict[str, list[tuple[str, Any]]] = {}
    for pointer, value in iter_leaves(body):
        if only is None or pointer in only:
            groups.setdefault(_group(pointer, body), []).append((pointer, value))
    return [Field(g, all(is_mandatory(p) for p, _ in leaves), tuple(v for _, v in leaves))
            for g, leaves in groups.items()]


def disclosable(document: dict[str, Any]) -> list[str]:
    return [f.pointer for f in fields(document) if not f.mandatory]


def revealed_fields(credential: dict[str, Any]) -> list[Field]:
    """What a copy discloses, grouped like the choice was offered. In a derived copy only
    the leaves with a disclosed salt count: a hidden array element stands there as null."""
    disclosed: set[str] | None = None
    for proof in credential.get("proof") or []:
        salts = proof.get("disclosure", {}).get("salts") if isinstance(proof, dict) else None
        if isinstance(salts, dict):
            disclosed = set(salts)
    return fields(credential, disclosed)


# ---- the learner's identity in a credential --------------------------------------------
#
# The subject's identifiers (docs/format.md §2.3): the salted hash of the identity number
# (``hashed: true``) and, when the institution gave one, the name in clear. A link
# reveals the name unless the learner says not to; it never reveals a salted hash: with
# its salt disclosed, an identity number (a few billion candidates) is found by trying.

IDENTIFIERS = "/credentialSubject/identifier"


def _identifiers(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    subject = document.get("credentialSubject")
    found = subject.get("identifier") if isinstance(subject, dict) else None
    if not isinstance(found, list):
        return []
    return [(f"{IDENTIFIERS}/{i}", item) for i, item in enumerate(found)
            if isinstance(item, dict)]


def name_pointers(document: dict[str, Any]) -> list[str]:
    """The identifier elements holding the learner's name in clear."""
    return [p for p, item in _identifiers(document)
            if item.get("identityType") == "name" and item.get("hashed") is False]


def name_identifiers(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The identifier objects holding the learner's name in clear."""
    return [item for _pointer, item in _identifiers(document)
            if item.get("identityType") == "name" and item.get("hashed") is False]


def holder_name(document: dict[str, Any]) -> str | None:
    """The learner's name as the copy discloses it, or None when it does not."""
    for _pointer, item in _identifiers(document):
        value = item.get("identityHash")
        if item.get("identityType") == "name" and item.get("hashed") is False \
                and isinstance(value, str) and value:
            return value
    return None


_SECRET_MEMBERS = ("identityHash", "salt")


def name_translations(document: dict[str, Any]) -> list[str]:
    """The achievement's name in its other languages (docs/format.md §2.3, ``translations``):
    the same fact as its name, which every copy shows, so every link shows them too."""
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    translations = achievement.get("translations") if isinstance(achievement, dict) else None
    if not isinstance(translations, dict):
        return []
    return [f"/credentialSubject/achievement/translations/{escape(lang)}/name"
            for lang, text in translations.items()
            if isinstance(text, dict) and isinstance(text.get("name"), str)]


def secret_pointers(document: dict[str, Any]) -> list[str]:
    """The identifier elements a link may never reveal: salted hashes (with their salt)."""
    return [p for p, item in _identifiers(document) if item.get("hashed") is not False]


def refuse_secrets(document: dict[str, Any], reveal: list[str]) -> None:
    """InvalidInput naming the field when a pointer would reveal a salted identity hash
    (the pointer itself, or one above it, such as ``/credentialSubject``)."""
    for secret in secret_pointers(document):
        for pointer in reveal:
            if any(under(f"{secret}/{leaf}", pointer) for leaf in _SECRET_MEMBERS):
                kind = _at(document, secret).get("identityType") or "identifier"
                raise InvalidInput(
                    f"reveal: {pointer!r} would reveal {secret} (the salted hash of the "
                    f"{kind}), which a share link never reveals: with its salt the number "
                    "can be found by trying every possible one")


def _at(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.split("/")[1:]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def derive(row: Credential, reveal: list[str]) -> dict[str, Any]:
    """The copy disclosing ``reveal`` (and the mandatory claims); InvalidInput if a pointer
    is malformed or names nothing in the credential."""
    try:
        return derive_copy(full_copy(row), reveal)
    except CredentialError as exc:
        raise InvalidInput(str(exc)) from None


# ---- links --------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewLink:
    link: ShareLink
    token: str  # shown once: only its hash is stored


def link_state(link: ShareLink, now: datetime | None = None) -> str:
    """active, or why the link can no longer be opened (revoked, expired, used_up)."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= (now or timefmt.now()):
        return "expired"
    if link.max_views is not None and link.views >= link.max_views:
        return "used_up"
    return "active"


def create_link(
    session: Session, learner: Learner, credential_id: str, reveal: list[str], *,
    expires_at: datetime, max_views: int | None = None, label: str = "",
    reveal_name: bool = True,
) -> NewLink:
    """A link disclosing ``reveal``, the mandatory claims and the achievement's name in its
    other languages, and the learner's name unless ``reveal_name`` is false (a name also
    listed in ``reveal`` is revealed either way). Refused (InvalidInput) for a pointer that
    would reveal a salted identity hash."""
    now = timefmt.now()
    if expires_at <= now:
        raise InvalidInput("the expiry must be in the future")
    if (expires_at - now).days >= MAX_LINK_DAYS:
        raise InvalidInput(f"a share link lasts at most {MAX_LINK_DAYS - 1} days")
    if max_views is not None and not 1 <= max_views <= MAX_VIEWS:
        raise InvalidInput(f"maxViews must be between 1 and {MAX_VIEWS}")
    row = own_credential(session, learner, credential_id)
    document = full_copy(row)
    refuse_secrets(document, reveal)
    always = set(name_translations(document))
    if reveal_name:
        always |= set(name_pointers(document))
    reveal = sorted(set(reveal) | always)
    derive(row, reveal)  # refuses pointers that are malformed or name nothing
    token = security.new_token()
    link = ShareLink(token_hash=security.token_hash(token), credential_id=row.id,
                     learner_id=learner.id, label=label, reveal=reveal, expires_at=expires_at,
                     max_views=max_views, views=0, created_at=now)
    session.add(link)
    session.flush()
    return NewLink(link, token)


def own_links(session: Session, learner: Learner) -> list[tuple[ShareLink, Credential, Any]]:
    """The learner's links, newest first, with the credential and the last time opened."""
    last = (select(ShareLinkView.link_id, func.max(ShareLinkView.at).label("last"))
            .group_by(ShareLinkView.link_id).subquery())
    rows = session.execute(
        select(ShareLink, Credential, last.c.last)
        .join(Credential, ShareLink.credential_id == Credential.id)
        .outerjoin(last, last.c.link_id == ShareLink.id)
        .where(ShareLink.learner_id == learner.id)
        .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
    ).all()
    return [(link, cred, opened) for link, cred, opened in rows]


_MAX_ID = 2**63 - 1  # no row id is larger (SQLite cannot even take a larger number)


def own_link(session: Session, learner: Learner, link_id: int) -> ShareLink:
    if not 0 < link_id <= _MAX_ID:
        raise NotFound("no such share link in this learning account")
    link = session.scalars(select(ShareLink).where(
        ShareLink.id == link_id, ShareLink.learner_id == learner.id)).first()
    if link is None:
        raise NotFound("no such share link in this learning account")
    return link


def revoke_link(session: Session, learner: Learner, link_id: int) -> ShareLink:
    link = own_link(session, learner, link_id)
    if link.revoked_at is None:
        link.revoked_at = timefmt.now()
    return link


def link_views(session: Session, link: ShareLink) -> list[datetime]:
    return list(session.scalars(select(ShareLinkView.at).where(ShareLinkView.link_id == link.id)
                                .order_by(ShareLinkView.at, ShareLinkView.id)))


def find_link(session: Session, token: str) -> ShareLink:
    if not _TOKEN.fullmatch(token):
        raise NotFound("no such share link")
    link = session.scalars(
        select(ShareLink).where(ShareLink.token_hash == security.token_hash(token))).first()
    if link is None:
        raise NotFound("no such share link")
    return link


def peek_link(session: Session, token: str) -> ShareLink:
    """The link if it can still be opened, without counting a view (for its QR code)."""
    link = find_link(session, token)
    state = link_state(link)
    if state != "active":
        raise _gone(state)
    return link


def open_link(session: Session, token: str) -> tuple[ShareLink, Credential]:
    """Count one view of the link and return it with its credential; Gone when it is
    revoked, expired or used up. The count is one conditional UPDATE, so two opens of a
    link with one view left cannot both succeed."""
    link = find_link(session, token)
    now = timefmt.now()
    counted = session.execute(
        update(ShareLink)
        .where(ShareLink.id == link.id, ShareLink.revoked_at.is_(None),
               ShareLink.expires_at > now,
               or_(ShareLink.max_views.is_(None), ShareLink.views < ShareLink.max_views))
        .values(views=ShareLink.views + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(link)
    if counted != 1:
        raise _gone(link_state(link, now))
    session.add(ShareLinkView(link_id=link.id, at=now))
    credential = session.get(Credential, link.credential_id)
    assert credential is not None  # a foreign key
    return link, credential


@dataclass(frozen=True)
class Opened:
    """A share link opened: the credential as the service holds it, and the copy the link
    discloses, derived now."""

    credential: Credential
    copy: dict[str, Any]


def open_shared(svc: Service, token: str) -> Opened:
    """Open a share link as its visitor does: find it by its token, count one view (or
    raise NotFound, or Gone naming the state), and derive the copy it discloses.

    The view is committed before the copy is derived, so it counts even if deriving fails
    (InvalidInput)."""
    with svc.db.session() as session:
        link, credential = open_link(session, token)
        reveal = list(link.reveal)
    return Opened(credential, derive(credential, reveal))


def shared_json(copy: dict[str, Any]) -> bytes:
    """A derived copy as its share link serves it (the JSON download and the copy a
    certificate embeds are these same bytes)."""
    return json.dumps(copy, ensure_ascii=False).encode("utf-8")


def link_url(svc: Service, token: str) -> str:
    return f"{svc.settings.public_url.rstrip('/')}/s/{token}"


# ---- QR codes -----------------------------------------------------------------------------

def _qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_png(url: str, scale: int = 6) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, scale: int = 4) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", scale=scale, border=4, xmldecl=True, title=url)
    return out.getvalue()


def qr_svg_inline(url: str, scale: int = 4) -> str:
    return _qr(url).svg_inline(scale=scale, border=4)
