"""Accepting a credential: sign it, give it a status index, commit it as ``pending``.

The anchoring worker later puts pending credentials into batches; nothing here touches the
chain, so an accepted credential survives any crash of the node or the worker.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.governance import status_registry
from ledger.issuance import IssuerIdentity, LearningRecord
from ledger.issuance.signing import sign_record
from verifier import timefmt
from verifier.credit import decision_date
from verifier.proofs import ledger_proof

from . import credit_checks, security
from .models import Credential, Issuer


class Identities:
    """Issuer identities loaded from their directories, once per process."""

    def __init__(self) -> None:
        self._loaded: dict[int, IssuerIdentity] = {}

    def get(self, issuer: Issuer) -> IssuerIdentity:
        identity = self._loaded.get(issuer.id)
        if identity is None:
            identity = self._loaded[issuer.id] = IssuerIdentity.load(issuer.directory)
        return identity

    def forget(self, issuer_id: int) -> None:
        self._loaded.pop(issuer_id, None)


def reserve_indices(session: Session, issuer_id: int, count: int) -> int:
    """The first of ``count`` fresh status indices for this issuer (row-locked)."""
    start = session.execute(
        update(Issuer).where(Issuer.id == issuer_id)
        .values(next_status_index=Issuer.next_status_index + count)
        .returning(Issuer.next_status_index)
    ).scalar_one()
    return start - count


def accept(
    session: Session, issuer: Issuer, identity: IssuerIdentity, record: LearningRecord,
    server_secret: bytes, *, status_index: int | None = None, now: datetime | None = None,
    registry: credit_checks.Registry | None = None, learner_key: str | None = None,
) -> Credential:
    """Check the record against the credit bank's registry (credit_checks) and the issuer's
    accreditation scope (both raise InputError), sign it and add its credential to
    the session (the caller commits).

    ``learner_key`` joins the credential to a learning account the service already knows
    (a credential the credit bank issues to an account, named in it by the account
    number); otherwise the key is that of the record's identity number."""
    moment = now or timefmt.now()
    registry = registry or credit_checks.Registry.load(session)
    standard = credit_checks.check_record(
        session, record, decision_date(record.validFrom or moment), registry)
    problem = credit_checks.scope_problem(issuer, record, standard, registry.framework)
    if problem:  # the issuer's accreditation scope (as api/service/scopes.py set it)
        raise InputError(problem)
    if status_index is None:
        status_index = reserve_indices(session, issuer.id, 1)
    key = identity.signing_key(moment)
    credential, root = sign_record(
        record, identity, key, status_index=status_index, issued_at=moment,
        created=timefmt.format(moment), status_registry=status_registry(identity),
        standard=standard)
    achievement = credential["credentialSubject"]["achievement"]
    typed = "creditsEarned" in credential["credentialSubject"]
    row = Credential(
        id=credential["id"],
        issuer_id=issuer.id,
        learner_key=learner_key or security.learner_key(server_secret, record.learner.id),
        status_index=status_index,
        state="pending",
        status="active",
        claims_root=ledger_proof.hex32(root),
        document=json.dumps(credential, ensure_ascii=False, separators=(",", ":")),
        achievement_type=achievement["achievementType"],
        achievement_name=achievement["name"],
        field_of_study=achievement.get("fieldOfStudy"),
        credits=credential["credentialSubject"].get("creditsEarned"),
        credit_unit=achievement.get("creditUnit") if typed else None,
        credit_sector=achievement.get("sector") if typed else None,
        issued_at=moment,
    )
    session.add(row)
    return row


def summary(row: Credential) -> dict[str, Any]:
    """What an institution's listing shows of one credential."""
    return {
        "id": row.id,
        "state": row.state,
        "status": row.status,
        "statusIndex": row.status_index,
        "achievementType": row.achievement_type,
        "achievementName": row.achievement_name,
        "fieldOfStudy": row.field_of_study,
        "creditsEarned": row.credits,
        "creditUnit": row.credit_unit,
        "sector": row.credit_sector,
        "issuedAt": timefmt.format(row.issued_at),
        "anchoredAt": timefmt.format(row.anchored_at) if row.anchored_at else None,
    }


def find(session: Session, credential_id: str, issuer_id: int | None = None) -> Credential | None:
    query = select(Credential).where(Credential.id == credential_id)
    if issuer_id is not None:
        query = query.where(Credential.issuer_id == issuer_id)
    return session.scalars(query).first()
