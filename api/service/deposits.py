"""Learners' deposits (成果存入): an outcome from elsewhere, reviewed by the authority and,
when approved, issued by the credit bank as a credential of the learning account.

A deposit is either a W3C verifiable credential another system issued (kept as JSON, its
digest the SHA-256 of its RFC 8785 canonical form) or a certificate number with a scan
(image/jpeg, image/png or application/pdf, at most ``MAX_SCAN_BYTES``; the media type is
sniffed from the bytes and must be the one declared; its digest the SHA-256 of the bytes).
Nothing is fetched from the network: of a deposited credential only an eddsa-jcs-2022
proof by a did:key can be checked here, and the reviewer is told which.

Approval names an outcome standard published and in force; the credit bank (the
``credit_bank`` issuer) issues the credential to the learner's account, citing the
standard and carrying the deposit's digest as an OB 3.0 ``evidence`` entry. Scan bytes
are never logged.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.issuance import LearningRecord
from verifier import canonical, timefmt
from verifier.credit import decision_date
from verifier.errors import CredentialError, CredentialFormatError
from verifier.proofs import eddsa_jcs_2022

from . import issuing
from .accounts import credit_bank
from .context import Service
from .credit_lookup import published_versions
from .errors import Conflict, InvalidInput, NotFound
from .models import Deposit, Learner

MAX_SCAN_BYTES = 2 * 1024 * 1024
MEDIA_TYPES = ("image/jpeg", "image/png", "application/pdf")
STATES = ("submitted", "approved", "refused", "withdrawn")
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
          (b"%PDF-", "application/pdf"))
GENRES = {"certificate": "deposit: certificate scan", "credential": "deposit: credential"}


def sniff(data: bytes) -> str | None:
    """The media type the bytes' magic number names, among MEDIA_TYPES."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    return None


def check_scan(data: bytes, declared: str) -> None:
    if not data:
        raise InvalidInput("scan: no data")
    if len(data) > MAX_SCAN_BYTES:
        raise InvalidInput(f"scan: {len(data)} bytes, more than {MAX_SCAN_BYTES}")
    if declared not in MEDIA_TYPES:
        raise InvalidInput(f"scan: mediaType must be one of {', '.join(MEDIA_TYPES)}")
    found = sniff(data)
    if found != declared:
        raise InvalidInput(f"scan: the data is {found or 'of no accepted type'}, not "
                           f"{declared}")


def signature_check(document: dict[str, Any]) -> str:
    """What can be said of a deposited credential's signature, offline."""
    proof = document.get("proof")
    proofs = proof if isinstance(proof, list) else [proof] if proof is not None else []
    if not proofs:
        return "not checkable here: the credential has no embedded proof"
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    reasons = []
    for one in proofs:
        if not eddsa_jcs_2022.is_this_suite(one):
            kind = one.get("cryptosuite") or one.get("type") if isinstance(one, dict) else None
            reasons.append(f"a proof of type {kind or 'unknown'} is not checked here")
            continue
        method = one.get("verificationMethod")
        if not isinstance(method, str) or not method.startswith("did:key:"):
            reasons.append("the eddsa-jcs-2022 proof's verificationMethod is not a did:key "
                           "(resolving it would need the network)")
            continue
        try:
            valid = eddsa_jcs_2022.verify_proof(unsecured, one)
        except (CredentialFormatError, ValueError, TypeError) as exc:
            return f"signature invalid: {exc}"[:500]
        signer = method.partition("#")[0]
        return (f"signature valid, signed by {signer}" if valid
                else f"signature invalid (claimed signer {signer})")[:500]
    return ("not checkable here: " + "; ".join(reasons))[:500]


def _credential_details(document: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer reads first of a deposited credential."""
    issuer = document.get("issuer")
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    out: dict[str, Any] = {
        "id": document.get("id") if isinstance(document.get("id"), str) else None,
        "issuer": issuer.get("id") if isinstance(issuer, dict) else
        issuer if isinstance(issuer, str) else None,
        "issuerName": issuer.get("name") if isinstance(issuer, dict) else None,
        "name": document.get("name"),
        "achievement": achievement.get("name") if isinstance(achievement, dict) else None,
        "validFrom": document.get("validFrom"),
    }
    return {k: v for k, v in out.items() if isinstance(v, str | dict)}


@dataclass(frozen=True)
class NewDeposit:
    kind: Literal["credential", "certificate"]
    credential: dict[str, Any] | None = None
    certificate: dict[str, str] | None = None  # certificateNumber, issuerName, title, issuedOn
    scan: bytes | None = None
    scan_media_type: str | None = None
    standard: str | None = None
    note: str = ""


def submit(svc: Service, learner_id: int | None, new: NewDeposit, *,
           now: datetime | None = None) -> Deposit:
    """Check and store a deposit; InvalidInput (nothing stored) for one that does not fit."""
    if new.kind == "credential":
        document = new.credential
        if not isinstance(document, dict) or not document:
            raise InvalidInput("credential: a W3C verifiable credential is a JSON object")
        types = document.get("type")
        if not (types == "VerifiableCredential" or isinstance(types, list)
                and "VerifiableCredential" in types):
            raise InvalidInput("credential: its type must include VerifiableCredential")
        try:
            digest = hashlib.sha256(canonical.dumps(document)).hexdigest()
        except (CredentialError, ValueError, TypeError) as exc:
            raise InvalidInput(f"credential: not canonical JSON: {exc}") from None
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        details, scan, media_type = _credential_details(document), None, None
        signature = signature_check(document)
    else:
        if new.scan is None or new.scan_media_type is None or new.certificate is None:
            raise InvalidInput("a certificate deposit needs its number, issuer, title, "
                               "date and scan")
        check_scan(new.scan, new.scan_media_type)
        digest = hashlib.sha256(new.scan).hexdigest()
        text, details, scan, media_type = None, dict(new.certificate), new.scan, \
            new.scan_media_type
        signature = "not checkable here: a scan carries no signature"
    with svc.db.session() as session:
        learner = _learner(session, learner_id)
        row = Deposit(id=str(uuid.uuid4()), learner_id=learner.id, kind=new.kind,
                      state="submitted", standard_hint=new.standard, note=new.note,
                      details=details, document=text, scan=scan, scan_media_type=media_type,
                      digest=digest, signature=signature,
                      submitted_at=now or timefmt.now())
        session.add(row)
    return row


def _learner(session: Session, learner_id: int | None) -> Learner:
    learner = session.get(Learner, learner_id) if learner_id is not None else None
    if learner is None:
        raise NotFound("no such learning account")
    return learner


def own(svc: Service, learner_id: int | None) -> list[Deposit]:
    with svc.db.session() as session:
        learner = _learner(session, learner_id)
        return list(session.scalars(select(Deposit).where(Deposit.learner_id == learner.id)
                                    .order_by(Deposit.submitted_at, Deposit.id)))


def _own_one(session: Session, learner_id: int | None, deposit_id: str) -> Deposit:
    row = session.get(Deposit, deposit_id) if _is_uuid(deposit_id) else None
    if row is None or row.learner_id != learner_id:
        # the same answer whether it does not exist or is someone else's
        raise NotFound(f"no deposit {deposit_id} in this learning account")
    return row


def own_one(svc: Service, learner_id: int | None, deposit_id: str) -> Deposit:
    with svc.db.session() as session:
        return _own_one(session, learner_id, deposit_id)


def withdraw(svc: Service, learner_id: int | None, deposit_id: str) -> Deposit:
    with svc.db.session() as session:
        row = _own_one(session, learner_id, deposit_id)
        if row.state != "submitted":
            raise Conflict(f"deposit {deposit_id} is {row.state}: only one awaiting review "
                           "can be withdrawn")
        row.state = "withdrawn"
        row.decided_at = timefmt.now()
        return row


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# ---- the authority's review -------------------------------------------------------------

def queue(svc: Service, state: str | None = None, limit: int = 200) -> list[tuple[Deposit, str]]:
    """Deposits (oldest first) with their learner's login."""
    query = select(Deposit, Learner.login).join(Learner).order_by(Deposit.submitted_at,
                                                                   Deposit.id).limit(limit)
    if state is not None:
        query = query.where(Deposit.state == state)
    with svc.db.session() as session:
        return [(row, login) for row, login in session.execute(query).all()]


def one(svc: Service, deposit_id: str) -> tuple[Deposit, str]:
    with svc.db.session() as session:
        found = session.execute(select(Deposit, Learner.login).join(Learner)
                                .where(Deposit.id == deposit_id)).first() \
            if _is_uuid(deposit_id) else None
        if found is None:
            raise NotFound(f"no deposit {deposit_id}")
        return found[0], found[1]


def scan_of(svc: Service, deposit_id: str) -> tuple[bytes, str]:
    row, _ = one(svc, deposit_id)
    if row.scan is None or row.scan_media_type is None:
        raise NotFound(f"deposit {deposit_id} has no scan")
    return row.scan, row.scan_media_type


def evidence_entry(row: Deposit) -> dict[str, Any]:
    """The OB 3.0 Evidence entry an approval writes into the credential."""
    if row.kind == "certificate":
        details = row.details
        name = f"{details.get('title')} ({details.get('issuerName')}, " \
               f"{details.get('certificateNumber')})"
    else:
        name = str(row.details.get("name") or row.details.get("id") or "credential")
    return {"id": f"urn:sha256:{row.digest}", "name": name[:200], "genre": GENRES[row.kind],
            "description": f"deposit {row.id}"}


@dataclass(frozen=True)
class Approval:
    standard: str
    version: str
    results: list[dict[str, str]]


def approve(svc: Service, deposit_id: str, approval: Approval, *,
            now: datetime | None = None) -> Deposit:
    """Issue the deposit's credential from the credit bank and mark it approved."""
    moment = now or timefmt.now()
    with svc.db.session() as session:
        row = _pending(session, deposit_id)
        learner = session.get(Learner, row.learner_id)
        assert learner is not None
        found = [s for s in published_versions(session, approval.standard)
                 if s.version == approval.version]
        if not found:
            raise InvalidInput(f"standard {approval.standard} {approval.version} is not a "
                               "published standard")
        standard = found[0]
        day = decision_date(moment)
        if not standard.in_force(day):
            raise InvalidInput(f"standard {standard.code} {standard.version} is not in "
                               f"force on {day}")
        bank = credit_bank(session, svc)
        value = standard.credits.value
        record = {
            "learner": {"id": learner.login, "idType": "accountId",
                        **({"name": learner.display_name} if learner.display_name else {})},
            "achievement": {"type": "Certificate",
                            "name": {"zh": standard.title.zh, "en": standard.title.en},
                            "description": {"zh": standard.title.zh,
                                            "en": standard.title.en},
                            "level": standard.level},
            "creditsEarned": float(value) if value.denominator != 1 else int(value),
            "standard": standard.code,
            "results": approval.results,
            "evidence": [evidence_entry(row)],
        }
        try:
            parsed = LearningRecord.from_json(record, "deposit")
            credential = issuing.accept(session, bank, svc.identities.get(bank), parsed,
                                        svc.secret, now=moment,
                                        learner_key=learner.learner_key)
        except InputError as exc:
            raise InvalidInput(str(exc)) from None
        row.state = "approved"
        row.decided_at = moment
        row.standard_code, row.standard_version = standard.code, standard.version
        row.credential_id = credential.id
        session.flush()
        return row


def refuse(svc: Service, deposit_id: str, reason: str) -> Deposit:
    with svc.db.session() as session:
        row = _pending(session, deposit_id)
        row.state = "refused"
        row.decided_at = timefmt.now()
        row.decision_reason = reason
        return row


def _pending(session: Session, deposit_id: str) -> Deposit:
    row = session.get(Deposit, deposit_id, with_for_update=True) \
        if _is_uuid(deposit_id) else None
    if row is None:
        raise NotFound(f"no deposit {deposit_id}")
    if row.state != "submitted":
        raise Conflict(f"deposit {deposit_id} is {row.state}: it was decided already")
    return row
