"""The learner's code (申学码): a rotating QR, a printable card, and the venue's rotating code.

Three kinds of token (docs/learningcode.md):

* ``L1.<box>``: the learner's rotating code. ``box`` is base64url of a PyNaCl SecretBox
  (XSalsa20-Poly1305) sealed under a key derived from the server secret, holding the
  learner's row id and the expiry. Sealed, not merely signed: whoever photographs it learns
  nothing about the learner, not even an internal id. The box's random 24-byte nonce names
  the code in ``used_codes``: one use only.
* ``V1.<box>``: an activity's rotating code, shown by the venue, sealed the same way under
  another derived key, holding the activity id and the expiry. Many learners scan the same
  one, so it is not single use; one check-in per learner per activity still holds.
* ``C1.<16 base32>`` (printed also as ``XXXX-XXXX-XXXX-XXXX``): the learner's static card,
  80 random bits shown once; the service keeps its SHA-256 only.

The code alone gives nothing: only a venue operator's key (or a signed-in learner at a
venue's code) can act on it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import nacl.exceptions
import nacl.secret
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from verifier import timefmt

from .context import Service
from .errors import Conflict, Gone, InvalidInput, NotFound
from .models import LearnerCard, UsedCode

LEARNER_PREFIX = "L1."
VENUE_PREFIX = "V1."
CARD_PREFIX = "C1."
MAX_TOKEN = 200  # longer than any code this module makes
_CARD_BYTES = 10  # 80 bits: 16 base32 characters
_CARD_TEXT = re.compile(r"[A-Z2-7]{16}")


def _box(svc: Service, purpose: bytes) -> nacl.secret.SecretBox:
    # one key per purpose, derived from the server secret: a venue code never opens as a
    # learner's code, and neither reveals the secret
    key = hmac.new(svc.secret, b"credbank-learning-code\0" + purpose, hashlib.sha256).digest()
    return nacl.secret.SecretBox(key)


def _seal(svc: Service, purpose: bytes, payload: bytes) -> tuple[str, str]:
    sealed = _box(svc, purpose).encrypt(payload)  # a fresh random nonce each time
    return (base64.urlsafe_b64encode(bytes(sealed)).rstrip(b"=").decode(),
            sealed.nonce.hex())


def _open(svc: Service, purpose: bytes, text: str) -> tuple[bytes, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = _box(svc, purpose).decrypt(raw)
    except (binascii.Error, ValueError, nacl.exceptions.CryptoError):
        raise InvalidInput("not a code this service made") from None
    return payload, raw[:nacl.secret.SecretBox.NONCE_SIZE].hex()


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# ---- rotating codes ----------------------------------------------------------------------

@dataclass(frozen=True)
class LearnerCode:
    learner_id: int
    expires_at: datetime
    nonce: str  # hex; goes into used_codes when the code is used


def issue_learner_code(svc: Service, learner_id: int, now: datetime | None = None
                       ) -> tuple[str, datetime]:
    """A fresh rotating code for the learner, and when it expires."""
    expires = (now or timefmt.now()) + timedelta(seconds=svc.settings.learner_code_seconds)
    text, _ = _seal(svc, b"learner", struct.pack(">QQ", learner_id, _unix(expires)))
    return LEARNER_PREFIX + text, _moment(_unix(expires))


def read_learner_code(svc: Service, token: str) -> LearnerCode:
    """What a learner's rotating code says (expiry and use are the caller's to check)."""
    payload, nonce = _open(svc, b"learner", token.removeprefix(LEARNER_PREFIX))
    if len(payload) != 16:
        raise InvalidInput("not a code this service made")
    learner_id, expires = struct.unpack(">QQ", payload)
    return LearnerCode(learner_id, _moment(expires), nonce)


@dataclass(frozen=True)
class VenueCode:
    activity_id: str
    expires_at: datetime


def issue_venue_code(svc: Service, activity_id: str, now: datetime | None = None
                     ) -> tuple[str, datetime]:
    """A fresh rotating code for an activity's display, and when it expires."""
    expires = (now or timefmt.now()) + timedelta(seconds=svc.settings.venue_code_seconds)
    text, _ = _seal(svc, b"venue", uuid.UUID(activity_id).bytes + struct.pack(">Q",
                                                                             _unix(expires)))
    return VENUE_PREFIX + text, _moment(_unix(expires))


def read_venue_code(svc: Service, token: str, at: datetime) -> VenueCode:
    """The activity of a venue's code, refused when it is not ours or expired at ``at``."""
    token = token.strip()
    if not token.startswith(VENUE_PREFIX) or len(token) > MAX_TOKEN:
        raise InvalidInput("not a venue's check-in code")
    payload, _ = _open(svc, b"venue", token[len(VENUE_PREFIX):])
    if len(payload) != 24:
        raise InvalidInput("not a code this service made")
    code = VenueCode(str(uuid.UUID(bytes=payload[:16])),
                     _moment(struct.unpack(">Q", payload[16:])[0]))
    if code.expires_at <= at:
        raise Gone("the venue's code has expired; scan the code on the screen again",
                   "expired")
    return code


# ---- the printed card --------------------------------------------------------------------

def card_text(token: str) -> str:
    """The card's human form: ``XXXX-XXXX-XXXX-XXXX``."""
    body = token.removeprefix(CARD_PREFIX)
    return "-".join(body[i:i + 4] for i in range(0, len(body), 4))


def normalise_card(text: str) -> str | None:
    """The card token of what was typed or scanned (case, spaces, dashes and the look-alike
    digits 0, 1, 8 forgiven), else None."""
    body = text.strip().upper().removeprefix(CARD_PREFIX)
    body = re.sub(r"[\s-]", "", body).translate(str.maketrans("018", "OIB"))
    return CARD_PREFIX + body if _CARD_TEXT.fullmatch(body) else None


def replace_card(svc: Service, learner_id: int) -> tuple[str, datetime]:
    """A new card (its token, shown this once) and the old one, if any, revoked at once."""
    body = base64.b32encode(secrets.token_bytes(_CARD_BYTES)).decode()
    token = CARD_PREFIX + body
    now = timefmt.now()
    with svc.db.session() as session:
        _revoke_cards(session, learner_id, now)
        session.add(LearnerCard(learner_id=learner_id, token_hash=_card_hash(token),
                                created_at=now))
    return token, now


def revoke_card(svc: Service, learner_id: int) -> None:
    with svc.db.session() as session:
        if not _revoke_cards(session, learner_id, timefmt.now()):
            raise NotFound("there is no card to revoke")


def current_card(svc: Service, learner_id: int) -> LearnerCard | None:
    with svc.db.session() as session:
        card = session.scalars(select(LearnerCard).where(
            LearnerCard.learner_id == learner_id, LearnerCard.revoked_at.is_(None))).first()
        if card is not None:
            session.expunge(card)
        return card


def _revoke_cards(session: Session, learner_id: int, now: datetime) -> int:
    done = session.execute(update(LearnerCard).where(
        LearnerCard.learner_id == learner_id, LearnerCard.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))
    return done.rowcount or 0


def _card_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---- what an operator scanned -----------------------------------------------------------

def learner_of(svc: Service, session: Session, token: str, at: datetime) -> int:
    """The learner whose rotating code or card an operator scanned at ``at``; a rotating
    code is spent here (it goes into ``used_codes`` in the caller's transaction)."""
    token = token.strip()
    if len(token) > MAX_TOKEN:
        raise InvalidInput("not a learner's code or card")
    if token.startswith(LEARNER_PREFIX):
        code = read_learner_code(svc, token)
        if code.expires_at <= at:
            raise Gone("the learner's code has expired; ask for the code on the screen "
                       "now", "expired")
        spend(session, code.nonce, code.expires_at, at)
        return code.learner_id
    card = normalise_card(token)
    if card is None:
        raise InvalidInput("not a learner's code or card")
    found = session.scalars(select(LearnerCard).where(
        LearnerCard.token_hash == _card_hash(card))).first()
    if found is None:
        raise NotFound("no such learner's card")
    if found.revoked_at is not None:
        raise Gone("this card was revoked; the learner has a new one or none", "revoked")
    return found.learner_id


def spend(session: Session, nonce: str, expires_at: datetime, at: datetime) -> None:
    """Mark a rotating code used, refusing one used before. The row is kept until the
    latest moment a queued scan of it could still arrive."""
    if session.get(UsedCode, nonce) is not None:
        raise Conflict("this code was already used; ask for the code on the screen now")
    keep = expires_at + timedelta(hours=24 * 31)  # beyond any queue age the settings allow
    session.add(UsedCode(nonce=nonce, used_at=at, expires_at=keep))
    session.flush()
