"""Institutions: issue, read and list their own credentials (API key bound to an issuer)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel
from sqlalchemy import func, select

from ledger.issuance import InputError, IssuerError, LearningRecord
from verifier import CredentialError, timefmt

from .. import issuing
from ..auth import Institution, ServiceDep
from ..models import Credential, Issuer

router = APIRouter(prefix="/v1", tags=["institution"])


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
