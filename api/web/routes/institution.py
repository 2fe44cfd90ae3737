"""Institutions: issue, read and list their own credentials (API key bound to an issuer)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.service import issuing
from api.service.models import AnchorBatch, Credential, Issuer, StatusChange
from api.service.worker import sending_for
from api.web.auth import Institution, ServiceDep
from ledger import ChainError, RegistryRefused
from ledger.errors import InputError
from ledger.governance import MAX_REASON, issuer_client
from ledger.issuance import IssuerError, IssuerIdentity, LearningRecord
from verifier import CredentialError, timefmt
from verifier.proofs import ledger_proof

router = APIRouter(prefix="/v1", tags=["institution"])


@contextmanager
def _chain_change(issuer_id: int) -> Iterator[None]:
    """Send with the issuer's account (one sender at a time); a refusal is a 409, a chain
    that did not take the change a 503, and either way nothing is recorded."""
    try:
        with sending_for(issuer_id):
            yield
    except RegistryRefused as exc:
        raise HTTPException(409, str(exc)) from None
    except (ChainError, InputError) as exc:
        raise HTTPException(503, f"the chain did not take the change, nothing was "
                                 f"recorded: {exc}") from None


class Accepted(BaseModel):
    id: str
    state: Literal["pending", "anchored"]
    statusIndex: int


class CredentialSummary(BaseModel):
    id: str
    state: str
    status: str
    statusIndex: int
    achievementType: str
    achievementName: str
    fieldOfStudy: str | None
    creditsEarned: float | None
    issuedAt: str
    anchoredAt: str | None


class CredentialDetail(CredentialSummary):
    credential: dict[str, Any]


class CredentialPage(BaseModel):
    items: list[CredentialSummary]
    total: int
    next: str | None  # pass as ?after= for the next page


def checked_record(record: LearningRecord) -> LearningRecord:
    """The cross-field rules a record's schema alone does not state."""
    if record.validFrom and record.validUntil and record.validUntil <= record.validFrom:
        raise HTTPException(422, "validUntil must be after validFrom")
    return record


@router.post("/credentials", status_code=201, response_model=Accepted,
             summary="Issue one credential (accepted now, anchored by the worker)")
def issue(record: LearningRecord, who: Institution, svc: ServiceDep,
          response: Response) -> Accepted:
    checked_record(record)
    with svc.db.session() as session:
        issuer = session.get(Issuer, who.issuer_id)
        if issuer is None:
            raise HTTPException(403, "this API key's issuer no longer exists")
        try:
            identity = svc.identities.get(issuer)
            row = issuing.accept(session, issuer, identity, record, svc.secret)
        except (InputError, IssuerError) as exc:
            raise HTTPException(422, str(exc)) from None
        accepted = Accepted(id=row.id, state="pending", statusIndex=row.status_index)
    response.headers["Location"] = f"/v1/credentials/{accepted.id}"
    return accepted


def _own(svc: Any, credential_id: str, issuer_id: int | None) -> Credential:
    with svc.db.session() as session:
        row = issuing.find(session, credential_id, issuer_id)
    if row is None:
        raise HTTPException(404, "no such credential of this issuer")
    return row


@router.get("/credentials/{credential_id}", response_model=CredentialDetail,
            summary="One credential of this issuer, with its full signed document")
def get_credential(credential_id: str, who: Institution, svc: ServiceDep) -> CredentialDetail:
    row = _own(svc, credential_id, who.issuer_id)
    return CredentialDetail(**issuing.summary(row), credential=json.loads(row.document))


@router.get("/credentials", response_model=CredentialPage,
            summary="This issuer's credentials, newest first, filtered and paged")
def list_credentials(
    who: Institution, svc: ServiceDep,
    state: Literal["pending", "anchored"] | None = None,
    status: Literal["active", "revoked", "suspended"] | None = None,
    achievement_type: Annotated[str | None, Query(alias="type", max_length=64)] = None,
    issued_after: Annotated[str | None, Query(description="RFC 3339 time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[int | None, Query(ge=0, description="status index to continue after")] = None,
) -> CredentialPage:
    filters = [Credential.issuer_id == who.issuer_id]
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
            raise HTTPException(422, str(exc)) from None
    with svc.db.session() as session:
        total = session.scalar(select(func.count()).select_from(Credential).where(*filters))
        query = select(Credential).where(*filters)
        if after is not None:
            query = query.where(Credential.status_index < after)
        rows = session.scalars(
            query.order_by(Credential.status_index.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return CredentialPage(
        items=[CredentialSummary(**issuing.summary(r)) for r in rows],
        total=total or 0,
        next=str(rows[-1].status_index) if more else None,
    )


# ---- status changes: revoke, suspend, reinstate --------------------------------------------


_PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class StatusChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[int, Field(ge=0, le=MAX_REASON, description=(
        "reason code 0-255 (docs/contracts.md: 0 unspecified, 1 issued in error, "
        "2 superseded, 3 misconduct, 4 key compromised, 5 learner's request, "
        "7 under review)"))]
    # no control characters: the note is stored after the chain changed, so nothing the
    # database could refuse may get that far
    note: Annotated[str, Field(max_length=500, pattern=_PLAIN_TEXT)] = ""


class StatusChangeOut(BaseModel):
    action: str
    reason: int
    note: str
    transactionHash: str | None  # None when the chain already showed the change
    at: str


class StatusChanged(StatusChangeOut):
    id: str
    status: str
    statusIndex: int


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


def _on_chain_already(client: Any, action: str, did: str, index: int) -> bool:
    """Whether the chain already shows the change (a retry after a lost answer)."""
    if action == "revoke":
        return client.is_revoked(did, index)
    suspended = client.is_suspended(did, index)
    return suspended if action == "suspend" else not suspended


def _identity(svc: Any, issuer: Issuer) -> IssuerIdentity:
    identity = svc.identities.get(issuer)
    if not identity.chain:  # connected since it was loaded? read its directory again
        svc.identities.forget(issuer.id)
        identity = svc.identities.get(issuer)
    return identity


def change_status(svc: Any, issuer_id: int | None, credential_id: str, action: str,
                  body: StatusChangeRequest) -> StatusChanged:
    """Send the change with the issuer's account; record it once the chain confirmed."""
    allowed, after, refusals = _TRANSITIONS[action]
    if len(credential_id) > 64 or "\x00" in credential_id:
        raise HTTPException(404, "no such credential of this issuer")
    with svc.db.session() as session:
        row = issuing.find(session, credential_id, issuer_id)
        if row is None:
            raise HTTPException(404, "no such credential of this issuer")
        issuer = session.get(Issuer, row.issuer_id)
    if row.status not in allowed:
        raise HTTPException(409, refusals[row.status])
    identity = _identity(svc, issuer)
    if not identity.chain:
        raise HTTPException(503, f"issuer {issuer.slug} is not connected to a chain; "
                                 "status changes need one")
    transaction_hash = None
    with _chain_change(row.issuer_id):
        client = issuer_client(identity)
        if not _on_chain_already(client, action, identity.did, row.status_index):
            result = getattr(client, action)([row.status_index], body.reason)
            transaction_hash = result.transaction_hash
    now = timefmt.now()
    with svc.db.session() as session:
        current = session.get(Credential, row.id, with_for_update=True)
        # revocation is final, even against a change that raced it to the chain
        current.status = "revoked" if current.status == "revoked" else after
        after = current.status
        session.add(StatusChange(credential_id=row.id, action=action, reason=body.reason,
                                 note=body.note, transaction_hash=transaction_hash, at=now))
    return StatusChanged(id=row.id, status=after, statusIndex=row.status_index, action=action,
                         reason=body.reason, note=body.note, transactionHash=transaction_hash,
                         at=timefmt.format(now))


def _status_route(action: str, summary: str):
    def route(credential_id: str, body: StatusChangeRequest, who: Institution,
              svc: ServiceDep) -> StatusChanged:
        return change_status(svc, who.issuer_id, credential_id, action, body)

    route.__name__ = f"{action}_credential"
    router.post(f"/credentials/{{credential_id}}/{action}", response_model=StatusChanged,
                summary=summary,
                responses={409: {"description": "not allowed from the credential's status"},
                           503: {"description": "the chain is unreachable; nothing changed"}},
                )(route)


_status_route("revoke", "Revoke a credential for good (on chain, then recorded)")
_status_route("suspend", "Suspend a credential (reversible with reinstate)")
_status_route("reinstate", "Lift a credential's suspension")


@router.get("/credentials/{credential_id}/status-changes",
            response_model=list[StatusChangeOut],
            summary="Every revoke, suspend and reinstate of one credential, oldest first")
def status_changes(credential_id: str, who: Institution,
                   svc: ServiceDep) -> list[StatusChangeOut]:
    row = _own(svc, credential_id, who.issuer_id)
    with svc.db.session() as session:
        changes = session.scalars(select(StatusChange)
                                  .where(StatusChange.credential_id == row.id)
                                  .order_by(StatusChange.id)).all()
    return [StatusChangeOut(action=c.action, reason=c.reason, note=c.note,
                            transactionHash=c.transaction_hash, at=timefmt.format(c.at))
            for c in changes]


# ---- anchor batches ------------------------------------------------------------------------


class BatchOut(BaseModel):
    root: str
    count: int
    state: str  # prepared (assigned, maybe sent) | anchored
    revoked: int  # how many of its credentials are revoked
    transactionHash: str | None
    blockNumber: int | None
    createdAt: str
    anchoredAt: str | None


class BatchPage(BaseModel):
    items: list[BatchOut]
    next: str | None  # pass as ?after= for the next page


class BatchRevoked(BaseModel):
    root: str
    revoked: int  # credentials whose status changed to revoked now
    reason: int
    transactionHash: str | None  # None when the chain already showed the batch revoked


_ROOT = re.compile(r"0x[0-9a-fA-F]{64}")


def _batch_out(session: Any, batch: AnchorBatch) -> BatchOut:
    revoked = session.scalar(select(func.count()).select_from(Credential).where(
        Credential.batch_id == batch.id, Credential.status == "revoked")) or 0
    return BatchOut(root=batch.root, count=batch.count, state=batch.state, revoked=revoked,
                    transactionHash=batch.transaction_hash, blockNumber=batch.block_number,
                    createdAt=timefmt.format(batch.created_at),
                    anchoredAt=timefmt.format(batch.anchored_at) if batch.anchored_at else None)


def _own_batch(session: Any, root: str, issuer_id: int | None) -> AnchorBatch:
    if not _ROOT.fullmatch(root):
        raise HTTPException(404, "no such batch of this issuer")
    batch = session.scalars(select(AnchorBatch).where(
        AnchorBatch.root == root.lower(), AnchorBatch.issuer_id == issuer_id)).first()
    if batch is None:
        raise HTTPException(404, "no such batch of this issuer")
    return batch


@router.get("/batches", response_model=BatchPage,
            summary="This issuer's anchor batches, newest first")
def list_batches(
    who: Institution, svc: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1, description="continue after this "
                                       "position")] = None,
) -> BatchPage:
    with svc.db.session() as session:
        query = select(AnchorBatch).where(AnchorBatch.issuer_id == who.issuer_id)
        if after is not None:
            query = query.where(AnchorBatch.id < after)
        rows = session.scalars(query.order_by(AnchorBatch.id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return BatchPage(items=[_batch_out(session, b) for b in rows],
                         next=str(rows[-1].id) if more else None)


@router.get("/batches/{root}", response_model=BatchOut, summary="One anchor batch")
def get_batch(root: str, who: Institution, svc: ServiceDep) -> BatchOut:
    with svc.db.session() as session:
        return _batch_out(session, _own_batch(session, root, who.issuer_id))


@router.post("/batches/{root}/revoke", response_model=BatchRevoked,
             summary="Revoke every credential of an anchored batch in one transaction",
             responses={409: {"description": "not anchored yet, or already revoked"},
                        503: {"description": "the chain is unreachable; nothing changed"}})
def revoke_batch(root: str, body: StatusChangeRequest, who: Institution,
                 svc: ServiceDep) -> BatchRevoked:
    with svc.db.session() as session:
        batch = _own_batch(session, root, who.issuer_id)
        issuer = session.get(Issuer, batch.issuer_id)
        still = session.scalar(select(func.count()).select_from(Credential).where(
            Credential.batch_id == batch.id, Credential.status != "revoked")) or 0
    if batch.state != "anchored":
        raise HTTPException(409, "the batch is not anchored yet; revoke its credentials "
                                 "one by one or wait for the anchor")
    identity = _identity(svc, issuer)
    if not identity.chain:
        raise HTTPException(503, f"issuer {issuer.slug} is not connected to a chain")
    transaction_hash = None
    with _chain_change(batch.issuer_id):
        client = issuer_client(identity)
        batch_root = ledger_proof.unhex32(batch.root, "batchRoot")
        if client.batch(batch_root).revoked:
            if still == 0:
                raise HTTPException(409, "the batch is already revoked")
        else:
            transaction_hash = client.revoke_batch(batch_root, body.reason).transaction_hash
    now = timefmt.now()
    with svc.db.session() as session:
        changed = session.scalars(select(Credential).where(
            Credential.batch_id == batch.id, Credential.status != "revoked")
            .with_for_update()).all()
        for row in changed:
            row.status = "revoked"
            session.add(StatusChange(credential_id=row.id, action="revoke-batch",
                                     reason=body.reason, note=body.note,
                                     transaction_hash=transaction_hash, at=now))
    return BatchRevoked(root=batch.root, revoked=len(changed), reason=body.reason,
                        transactionHash=transaction_hash)
