"""An institution's own credentials: issue one, read and list them, change their status
on chain (revoke, suspend, reinstate; a whole batch), and the batches they were anchored in.

Every function takes the caller's issuer id and sees only that issuer's rows: another
issuer's credential is "not found", never "forbidden", so ids reveal nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger import ChainError
from ledger.errors import InputError
from ledger.governance import issuer_client
from ledger.issuance import IssuerError, IssuerIdentity, LearningRecord
from verifier import CredentialError, timefmt
from verifier.proofs import ledger_proof

from . import issuing
from .context import Service
from .errors import ChainUnavailable, Conflict, Forbidden, InvalidInput, NotFound, chain_failure
from .models import AnchorBatch, Credential, Issuer, StatusChange
from .worker import sending_for

Action = Literal["revoke", "suspend", "reinstate"]
_NO_CREDENTIAL = "no such credential of this issuer"
_NO_BATCH = "no such batch of this issuer"
_ROOT = re.compile(r"0x[0-9a-fA-F]{64}")

# action -> (statuses it applies to, status after, what a refusal says for the others)
_TRANSITIONS: dict[str, tuple[frozenset[str], str, dict[str, str]]] = {
    "revoke": (frozenset({"active", "suspended"}), "revoked",
               {"revoked": "the credential is already revoked"}),
    "suspend": (frozenset({"active"}), "suspended",
                {"suspended": "the credential is already suspended",
                 "revoked": "a revoked credential cannot be suspended"}),
    "reinstate": (frozenset({"suspended"}), "active",
                  {"active": "the credential is not suspended",
                   "revoked": "a revoked credential cannot be reinstated"}),
}


# ---- issuing and reading -------------------------------------------------------------


def check_record(record: LearningRecord) -> LearningRecord:
    """The cross-field rules a record's schema alone does not state."""
    problem = record.order_problem()
    if problem:
        raise InvalidInput(problem)
    return record


def issue(svc: Service, issuer_id: int | None, record: LearningRecord) -> Credential:
    """Sign and store one credential as pending (the worker anchors it later)."""
    check_record(record)
    with svc.db.session() as session:
        issuer = session.get(Issuer, issuer_id) if issuer_id is not None else None
        if issuer is None:
            raise Forbidden("this API key's issuer no longer exists")
        try:
            identity = svc.identities.get(issuer)
            return issuing.accept(session, issuer, identity, record, svc.secret)
        except (InputError, IssuerError) as exc:
            raise InvalidInput(str(exc)) from None


def own(svc: Service, credential_id: str, issuer_id: int | None) -> Credential:
    with svc.db.session() as session:
        row = issuing.find(session, credential_id, issuer_id)
    if row is None:
        raise NotFound(_NO_CREDENTIAL)
    return row


def document(row: Credential) -> dict[str, Any]:
    return json.loads(row.document)


@dataclass
class Page:
    rows: list[Credential]
    total: int
    next: str | None  # a status index to continue after


def listing(svc: Service, issuer_id: int | None, *, state: str | None = None,
            status: str | None = None, achievement_type: str | None = None,
            issued_after: str | None = None, limit: int = 50, after: int | None = None,
            ) -> Page:
    """The issuer's credentials, newest first, filtered, paged by status index."""
    filters = [Credential.issuer_id == issuer_id]
    if state:
        filters.append(Credential.state == state)
    if status:
        filters.append(Credential.status == status)
    if achievement_type:
        filters.append(Credential.achievement_type == achievement_type)
    if issued_after:
        try:
            filters.append(Credential.issued_at > timefmt.parse(issued_after, "issued_after"))
        except CredentialError as exc:
            raise InvalidInput(str(exc)) from None
    with svc.db.session() as session:
        total = session.scalar(select(func.count()).select_from(Credential).where(*filters))
        query = select(Credential).where(*filters)
        if after is not None:
            query = query.where(Credential.status_index < after)
        rows = list(session.scalars(
            query.order_by(Credential.status_index.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, total or 0, str(rows[-1].status_index) if more else None)


# ---- status changes ------------------------------------------------------------------


@contextmanager
def _chain_change(issuer_id: int) -> Iterator[None]:
    """Send with the issuer's account (one sender at a time); a refusal conflicts, a chain
    that did not take the change is unavailable, and either way nothing is recorded."""
    try:
        with sending_for(issuer_id):
            yield
    except (ChainError, InputError) as exc:
        raise chain_failure(exc, "the chain did not take the change, nothing was recorded") \
            from None


def _on_chain_already(client: Any, action: str, did: str, index: int) -> bool:
    """Whether the chain already shows the change (a retry after a lost answer)."""
    if action == "revoke":
        return client.is_revoked(did, index)
    suspended = client.is_suspended(did, index)
    return suspended if action == "suspend" else not suspended


def _identity(svc: Service, issuer: Issuer) -> IssuerIdentity:
    identity = svc.identities.get(issuer)
    if not identity.chain:  # connected since it was loaded? read its directory again
        svc.identities.forget(issuer.id)
        identity = svc.identities.get(issuer)
    return identity


@dataclass
class Changed:
    credential: Credential
    status: str
    change: StatusChange


def change_status(svc: Service, issuer_id: int | None, credential_id: str, action: Action,
                  reason: int, note: str) -> Changed:
    """Send the change with the issuer's account; record it once the chain confirmed."""
    allowed, after, refusals = _TRANSITIONS[action]
    if len(credential_id) > 64 or "\x00" in credential_id:
        raise NotFound(_NO_CREDENTIAL)
    with svc.db.session() as session:
        row = issuing.find(session, credential_id, issuer_id)
        if row is None:
            raise NotFound(_NO_CREDENTIAL)
        issuer = session.get(Issuer, row.issuer_id)
    if row.status not in allowed:
        raise Conflict(refusals[row.status])
    identity = _identity(svc, issuer)
    if not identity.chain:
        raise ChainUnavailable(f"issuer {issuer.slug} is not connected to a chain; status "
                               "changes need one")
    transaction_hash, block_number = None, None
    with _chain_change(row.issuer_id):
        client = issuer_client(identity)
        if not _on_chain_already(client, action, identity.did, row.status_index):
            result = getattr(client, action)([row.status_index], reason)
            transaction_hash, block_number = result.transaction_hash, result.block_number
    now = timefmt.now()
    with svc.db.session() as session:
        current = session.get(Credential, row.id, with_for_update=True)
        # revocation is final, even against a change that raced it to the chain
        current.status = "revoked" if current.status == "revoked" else after
        change = StatusChange(credential_id=row.id, action=action, reason=reason, note=note,
                              transaction_hash=transaction_hash, block_number=block_number,
                              at=now)
        session.add(change)
        return Changed(row, current.status, change)


def status_changes(svc: Service, issuer_id: int | None, credential_id: str,
                   ) -> list[StatusChange]:
    row = own(svc, credential_id, issuer_id)
    with svc.db.session() as session:
        return list(session.scalars(select(StatusChange)
                                    .where(StatusChange.credential_id == row.id)
                                    .order_by(StatusChange.id)).all())


# The change that put a credential in its current status: revoked or suspended.
_LAST_CHANGE = {"revoked": ("revoke", "revoke-batch"), "suspended": ("suspend",)}


def current_status_change(session: Session, row: Credential) -> StatusChange | None:
    """The recorded change behind the credential's status when it is revoked or
    suspended (its date, block, reason); None when it is active or nothing was recorded.
    For any credential the service holds, whoever is looking (the public pages say when
    and why a credential they show was revoked)."""
    actions = _LAST_CHANGE.get(row.status)
    if actions is None:
        return None
    return session.scalars(select(StatusChange).where(
        StatusChange.credential_id == row.id, StatusChange.action.in_(actions))
        .order_by(StatusChange.id.desc()).limit(1)).first()


# ---- anchor batches ------------------------------------------------------------------


@dataclass
class BatchView:
    batch: AnchorBatch
    revoked: int  # how many of its credentials are revoked


def _view(session: Session, batch: AnchorBatch) -> BatchView:
    revoked = session.scalar(select(func.count()).select_from(Credential).where(
        Credential.batch_id == batch.id, Credential.status == "revoked")) or 0
    return BatchView(batch, revoked)


def _own_batch(session: Session, root: str, issuer_id: int | None) -> AnchorBatch:
    if not _ROOT.fullmatch(root):
        raise NotFound(_NO_BATCH)
    batch = session.scalars(select(AnchorBatch).where(
        AnchorBatch.root == root.lower(), AnchorBatch.issuer_id == issuer_id)).first()
    if batch is None:
        raise NotFound(_NO_BATCH)
    return batch


def batches(svc: Service, issuer_id: int | None, limit: int, after: int | None,
            ) -> tuple[list[BatchView], str | None]:
    """The issuer's batches, newest first, and where the next page starts."""
    with svc.db.session() as session:
        query = select(AnchorBatch).where(AnchorBatch.issuer_id == issuer_id)
        if after is not None:
            query = query.where(AnchorBatch.id < after)
        rows = session.scalars(query.order_by(AnchorBatch.id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return [_view(session, b) for b in rows], (str(rows[-1].id) if more else None)


def batch(svc: Service, issuer_id: int | None, root: str) -> BatchView:
    with svc.db.session() as session:
        return _view(session, _own_batch(session, root, issuer_id))


@dataclass
class BatchRevocation:
    root: str
    revoked: int  # credentials whose status changed to revoked now
    transaction_hash: str | None  # None when the chain already showed the batch revoked
    at: datetime


def revoke_batch(svc: Service, issuer_id: int | None, root: str, reason: int, note: str,
                 ) -> BatchRevocation:
    """Revoke every credential of an anchored batch in one transaction."""
    with svc.db.session() as session:
        found = _own_batch(session, root, issuer_id)
        issuer = session.get(Issuer, found.issuer_id)
        still = session.scalar(select(func.count()).select_from(Credential).where(
            Credential.batch_id == found.id, Credential.status != "revoked")) or 0
    if found.state != "anchored":
        raise Conflict("the batch is not anchored yet; revoke its credentials one by one or "
                       "wait for the anchor")
    identity = _identity(svc, issuer)
    if not identity.chain:
        raise ChainUnavailable(f"issuer {issuer.slug} is not connected to a chain")
    transaction_hash, block_number = None, None
    with _chain_change(found.issuer_id):
        client = issuer_client(identity)
        batch_root = ledger_proof.unhex32(found.root, "batchRoot")
        if client.batch(batch_root).revoked:
            if still == 0:
                raise Conflict("the batch is already revoked")
        else:
            sent = client.revoke_batch(batch_root, reason)
            transaction_hash, block_number = sent.transaction_hash, sent.block_number
    now = timefmt.now()
    with svc.db.session() as session:
        changed = session.scalars(select(Credential).where(
            Credential.batch_id == found.id, Credential.status != "revoked")
            .with_for_update()).all()
        for row in changed:
            row.status = "revoked"
            session.add(StatusChange(credential_id=row.id, action="revoke-batch",
                                     reason=reason, note=note,
                                     transaction_hash=transaction_hash,
                                     block_number=block_number, at=now))
    return BatchRevocation(found.root, len(changed), transaction_hash, now)
