"""Institutions: issue, read and list their own credentials (API key bound to an issuer)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.service import credentials, issuing, rule_sets
from api.web.auth import Institution, ServiceDep
from api.web.schemas import (
    PUBLISH_ANSWERS,
    CredentialSummary,
    RuleSetOut,
    answers,
    csv_body,
    read_csv,
)
from ledger.governance import MAX_REASON
from ledger.issuance import LearningRecord
from verifier import timefmt

router = APIRouter(prefix="/v1", tags=["institution"])


class Accepted(BaseModel):
    id: str
    state: Literal["pending", "anchored"]
    statusIndex: int


class CredentialDetail(CredentialSummary):
    credential: dict[str, Any]


class CredentialPage(BaseModel):
    items: list[CredentialSummary]
    total: int
    next: str | None  # pass as ?after= for the next page


@router.post("/credentials", status_code=201, response_model=Accepted,
             summary="Issue one credential (accepted now, anchored by the worker)")
def issue(record: LearningRecord, who: Institution, svc: ServiceDep,
          response: Response) -> Accepted:
    row = credentials.issue(svc, who.issuer_id, record)
    response.headers["Location"] = f"/v1/credentials/{row.id}"
    return Accepted(id=row.id, state="pending", statusIndex=row.status_index)


@router.get("/credentials/{credential_id}", response_model=CredentialDetail,
            summary="One credential of this issuer, with its full signed document")
def get_credential(credential_id: str, who: Institution, svc: ServiceDep) -> CredentialDetail:
    row = credentials.own(svc, credential_id, who.issuer_id)
    return CredentialDetail(**issuing.summary(row), credential=credentials.document(row))


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
    page = credentials.listing(svc, who.issuer_id, state=state, status=status,
                               achievement_type=achievement_type, issued_after=issued_after,
                               limit=limit, after=after)
    return CredentialPage(items=[CredentialSummary(**issuing.summary(r)) for r in page.rows],
                          total=page.total, next=page.next)


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
    blockNumber: int | None = Field(None, description="the block that took the change "
                                    "(null when the chain already showed it)")
    at: str


class StatusChanged(StatusChangeOut):
    id: str
    status: str
    statusIndex: int


def _status_route(action: credentials.Action, summary: str) -> None:
    def route(credential_id: str, body: StatusChangeRequest, who: Institution,
              svc: ServiceDep) -> StatusChanged:
        done = credentials.change_status(svc, who.issuer_id, credential_id, action,
                                         body.reason, body.note)
        return StatusChanged(id=done.credential.id, status=done.status,
                             statusIndex=done.credential.status_index,
                             **_change_out(done.change).model_dump())

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
    return [_change_out(c) for c in credentials.status_changes(svc, who.issuer_id,
                                                                 credential_id)]


def _change_out(change: Any) -> StatusChangeOut:
    return StatusChangeOut(action=change.action, reason=change.reason, note=change.note,
                           transactionHash=change.transaction_hash,
                           blockNumber=change.block_number, at=timefmt.format(change.at))


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


def _batch_out(view: credentials.BatchView) -> BatchOut:
    batch = view.batch
    return BatchOut(root=batch.root, count=batch.count, state=batch.state, revoked=view.revoked,
                    transactionHash=batch.transaction_hash, blockNumber=batch.block_number,
                    createdAt=timefmt.format(batch.created_at),
                    anchoredAt=timefmt.format(batch.anchored_at) if batch.anchored_at else None)


@router.get("/batches", response_model=BatchPage,
            summary="This issuer's anchor batches, newest first")
def list_batches(
    who: Institution, svc: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1, description="continue after this "
                                       "position")] = None,
) -> BatchPage:
    views, following = credentials.batches(svc, who.issuer_id, limit, after)
    return BatchPage(items=[_batch_out(v) for v in views], next=following)


@router.get("/batches/{root}", response_model=BatchOut, summary="One anchor batch")
def get_batch(root: str, who: Institution, svc: ServiceDep) -> BatchOut:
    return _batch_out(credentials.batch(svc, who.issuer_id, root))


@router.post("/batches/{root}/revoke", response_model=BatchRevoked,
             summary="Revoke every credential of an anchored batch in one transaction",
             responses={409: {"description": "not anchored yet, or already revoked"},
                        503: {"description": "the chain is unreachable; nothing changed"}})
def revoke_batch(root: str, body: StatusChangeRequest, who: Institution,
                 svc: ServiceDep) -> BatchRevoked:
    done = credentials.revoke_batch(svc, who.issuer_id, root, body.reason, body.note)
    return BatchRevoked(root=done.root, revoked=done.revoked, reason=body.reason,
                        transactionHash=done.transaction_hash)


# ---- the institution's programme rule sets (api.service.rule_sets) --------------------------

_WITHDRAW_503 = "a published version's withdrawal needs the chain; nothing changed"
_NO_RULE_SET = "no rule set of this institution with this id and version"
_BAD_RULES = "the rule set is not valid, or not owned by one of this institution's programmes"
RuleSetDocument = Annotated[dict[str, Any], Body(description="a rule set owned by one of this "
                                                 "institution's programmes (owner.type "
                                                 "programme, owner.id its DID)")]


@router.get("/rule-sets", response_model=list[RuleSetOut],
            summary="This institution's programme rule sets")
def list_rule_sets(who: Institution, svc: ServiceDep,
                   state: Literal["draft", "published", "withdrawn"] | None = None
                   ) -> list[RuleSetOut]:
    return [RuleSetOut(**r) for r in rule_sets.rule_sets(svc, who.issuer_id, state)]


@router.post("/rule-sets", status_code=201, response_model=RuleSetOut,
             summary="Add a programme rule set version as a draft",
             responses=answers(e409="this id and version exist", e422=_BAD_RULES))
def create_rule_set(body: RuleSetDocument, who: Institution, svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.create_rule_set(svc, body, who.issuer_id))


@router.get("/rule-sets/{set_id}/{version}", response_model=RuleSetOut,
            summary="One of this institution's rule set versions",
            responses=answers(e404=_NO_RULE_SET))
def get_rule_set(set_id: str, version: str, who: Institution, svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.rule_set(svc, set_id, version, who.issuer_id))


@router.put("/rule-sets/{set_id}/{version}", response_model=RuleSetOut,
            summary="Replace a draft rule set",
            responses=answers(e404=_NO_RULE_SET, e409="not a draft", e422=_BAD_RULES))
def update_rule_set(set_id: str, version: str, body: RuleSetDocument, who: Institution,
                    svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.update_rule_set(svc, set_id, version, body, who.issuer_id))


@router.put("/rule-sets/{set_id}/{version}/rules.csv", response_model=RuleSetOut,
            summary="Replace a draft's rules with a CSV rule table",
            openapi_extra={"requestBody": csv_body("the rules as a CSV table, one rule a "
                                                   "row (docs/api.md, \"Rule tables\")")},
            responses=answers(e404=_NO_RULE_SET, e409="not a draft", e422=_BAD_RULES))
async def replace_rules(set_id: str, version: str, request: Request, who: Institution,
                        svc: ServiceDep) -> RuleSetOut:
    text = await read_csv(request)
    return RuleSetOut(**await run_in_threadpool(rule_sets.replace_rules, svc, set_id,
                                                version, text, who.issuer_id))


@router.post("/rule-sets/{set_id}/{version}/publish", response_model=RuleSetOut,
             summary="Publish a draft rule set: its hash on chain, immutable from then on",
             responses=answers(e404=_NO_RULE_SET, **PUBLISH_ANSWERS))
def publish_rule_set(set_id: str, version: str, who: Institution,
                     svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.publish_rule_set(svc, set_id, version, who.issuer_id))


@router.post("/rule-sets/{set_id}/{version}/withdraw", response_model=RuleSetOut,
             summary="Withdraw a rule set version",
             responses=answers(e404=_NO_RULE_SET, e409="already withdrawn, or the registry "
                                "refused", e503=_WITHDRAW_503))
def withdraw_rule_set(set_id: str, version: str, who: Institution,
                      svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.withdraw_rule_set(svc, set_id, version, who.issuer_id))
