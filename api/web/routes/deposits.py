"""Deposits (成果存入): a learner submits an outcome from elsewhere (``/v1/learner/deposits``),
the authority reviews and decides (``/v1/admin/deposits``). api/service/deposits.py has
the rules."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from api.service import deposits
from api.service.errors import InvalidInput
from api.service.models import Deposit
from api.web.auth import Governor, LearnerCaller, ServiceDep
from api.web.schemas import answers
from verifier import timefmt

learner_router = APIRouter(prefix="/v1/learner/deposits", tags=["learner"])
admin_router = APIRouter(prefix="/v1/admin/deposits", tags=["authority"])

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(max_length=500)]
# base64 of at most MAX_SCAN_BYTES (4/3, rounded up to whole quads)
_SCAN_CHARS = 4 * ((deposits.MAX_SCAN_BYTES + 2) // 3)


class Scan(BaseModel):
    mediaType: Literal["image/jpeg", "image/png", "application/pdf"]
    data: Annotated[str, StringConstraints(min_length=4, max_length=_SCAN_CHARS)] = Field(
        description="the file, base64; at most 2 MiB decoded")


class NewDeposit(BaseModel):
    kind: Literal["credential", "certificate"]
    credential: dict[str, Any] | None = Field(
        None, description="kind credential: the W3C verifiable credential, as JSON")
    certificateNumber: Code | None = None
    issuerName: Short | None = None
    title: Short | None = None
    issuedOn: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    scan: Scan | None = None
    standard: Code | None = Field(None, description="a standard the learner thinks applies")
    note: Note = ""


class DepositOut(BaseModel):
    id: str
    kind: str
    state: str = Field(description="submitted | approved | refused | withdrawn")
    details: dict[str, Any]
    standardSuggested: str | None
    note: str
    digest: str = Field(description="SHA-256 (hex) of the scan, or of the credential's "
                                    "RFC 8785 canonical form")
    scanMediaType: str | None
    signature: str = Field(description="what could be checked of a deposited credential")
    submittedAt: str
    decidedAt: str | None
    reason: str | None
    standard: str | None
    standardVersion: str | None
    credentialId: str | None = Field(description="the credential issued on approval")


class ReviewedDeposit(DepositOut):
    learner: str
    credential: dict[str, Any] | None = None


def _out(row: Deposit) -> dict[str, Any]:
    return dict(
        id=row.id, kind=row.kind, state=row.state, details=row.details,
        standardSuggested=row.standard_hint, note=row.note, digest=row.digest,
        scanMediaType=row.scan_media_type, signature=row.signature,
        submittedAt=timefmt.format(row.submitted_at),
        decidedAt=timefmt.format(row.decided_at) if row.decided_at else None,
        reason=row.decision_reason, standard=row.standard_code,
        standardVersion=row.standard_version, credentialId=row.credential_id)


def _new(body: NewDeposit) -> deposits.NewDeposit:
    if body.kind == "credential":
        if body.credential is None:
            raise InvalidInput("credential: needed for a deposit of kind credential")
        return deposits.NewDeposit("credential", credential=body.credential,
                                   standard=body.standard, note=body.note)
    missing = [name for name in ("certificateNumber", "issuerName", "title", "issuedOn",
                                 "scan") if getattr(body, name) is None]
    if missing:
        raise InvalidInput(f"a certificate deposit needs {', '.join(missing)}")
    assert body.scan is not None
    try:
        data = base64.b64decode(body.scan.data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("scan.data: not base64") from None
    certificate = {"certificateNumber": body.certificateNumber, "issuerName": body.issuerName,
                   "title": body.title, "issuedOn": body.issuedOn}
    return deposits.NewDeposit("certificate", certificate=certificate,  # type: ignore[arg-type]
                               scan=data, scan_media_type=body.scan.mediaType,
                               standard=body.standard, note=body.note)


_NOT_OWN = "no such deposit in this learning account"


@learner_router.post("", status_code=201, response_model=DepositOut,
                     summary="Deposit an outcome from elsewhere for the authority's review",
                     responses=answers(e422="not a credential, a scan that is not what it "
                                            "says or too large; nothing stored"))
def submit(body: NewDeposit, who: LearnerCaller, svc: ServiceDep) -> DepositOut:
    return DepositOut(**_out(deposits.submit(svc, who.learner_id, _new(body))))


@learner_router.get("", response_model=list[DepositOut], summary="This learner's deposits")
def list_own(who: LearnerCaller, svc: ServiceDep) -> list[DepositOut]:
    return [DepositOut(**_out(row)) for row in deposits.own(svc, who.learner_id)]


@learner_router.get("/{deposit_id}", response_model=DepositOut, summary="One own deposit",
                    responses=answers(e404=_NOT_OWN))
def get_own(deposit_id: str, who: LearnerCaller, svc: ServiceDep) -> DepositOut:
    return DepositOut(**_out(deposits.own_one(svc, who.learner_id, deposit_id)))


@learner_router.post("/{deposit_id}/withdraw", response_model=DepositOut,
                     summary="Withdraw a deposit awaiting review",
                     responses=answers(e404=_NOT_OWN, e409="decided or withdrawn already"))
def withdraw(deposit_id: str, who: LearnerCaller, svc: ServiceDep) -> DepositOut:
    return DepositOut(**_out(deposits.withdraw(svc, who.learner_id, deposit_id)))


# ---- the authority -----------------------------------------------------------------------

def _reviewed(row: Deposit, login: str) -> ReviewedDeposit:
    import json

    document = json.loads(row.document) if row.document else None
    return ReviewedDeposit(**_out(row), learner=login, credential=document)


@admin_router.get("", response_model=list[ReviewedDeposit],
                  summary="The review queue of deposits, oldest first")
def review_queue(_: Governor, svc: ServiceDep,
                 state: Literal["submitted", "approved", "refused", "withdrawn"] | None =
                 Query(None, description="only deposits in this state")
                 ) -> list[ReviewedDeposit]:
    return [_reviewed(row, login) for row, login in deposits.queue(svc, state)]


@admin_router.get("/{deposit_id}", response_model=ReviewedDeposit,
                  summary="One deposit with its evidence", responses=answers(e404="no such "
                                                                             "deposit"))
def review_one(deposit_id: str, _: Governor, svc: ServiceDep) -> ReviewedDeposit:
    return _reviewed(*deposits.one(svc, deposit_id))


@admin_router.get("/{deposit_id}/scan", summary="A certificate deposit's scan, as a download",
                  responses={200: {"content": {t: {} for t in deposits.MEDIA_TYPES}},
                             **answers(e404="no such deposit, or it has no scan")})
def review_scan(deposit_id: str, _: Governor, svc: ServiceDep) -> Response:
    data, media_type = deposits.scan_of(svc, deposit_id)
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[media_type]
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="deposit-{deposit_id}.{extension}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


class Result(BaseModel):
    value: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class Decision(BaseModel):
    decision: Literal["approve", "refuse"]
    standard: Code | None = Field(None, description="approve: the standard's code")
    version: Code | None = Field(None, description="approve: the standard's version")
    results: list[Result] = Field(default_factory=list, max_length=20)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None \
        = Field(None, description="refuse: why (the learner sees it)")


@admin_router.post("/{deposit_id}/decision", response_model=ReviewedDeposit,
                   summary="Approve (the credit bank issues the credential) or refuse",
                   responses=answers(e404="no such deposit", e409="decided already",
                                     e422="a standard not published or not in force, or a "
                                          "refusal without a reason",
                                     e503="no credit bank issuer"))
def decide(deposit_id: str, body: Decision, _: Governor, svc: ServiceDep) -> ReviewedDeposit:
    if body.decision == "approve":
        if body.standard is None or body.version is None:
            raise InvalidInput("an approval names the standard (standard and version)")
        results = [r.model_dump(exclude_none=True) for r in body.results]
        deposits.approve(svc, deposit_id, deposits.Approval(body.standard, body.version,
                                                            results))
    else:
        if not body.reason:
            raise InvalidInput("a refusal gives its reason")
        deposits.refuse(svc, deposit_id, body.reason)
    return _reviewed(*deposits.one(svc, deposit_id))
