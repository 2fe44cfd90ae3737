"""Learning points (积分, docs/points.md): the authority's points rules, thresholds and
reversals; the public read of published rules; the learner's own ledger."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field, StringConstraints

from api.service import points, points_rules, thresholds
from api.web.auth import Governor, LearnerCaller, ServiceDep
from api.web.schemas import PUBLISH_ANSWERS, Publication, answers

admin_router = APIRouter(prefix="/v1/admin", tags=["authority"])
public_router = APIRouter(prefix="/v1/registry", tags=["registry"])
learner_router = APIRouter(prefix="/v1/learner", tags=["learner"])

Document = Annotated[dict[str, Any], Body(description="the points rules (docs/points.md)")]
Ident = Annotated[str, Path(min_length=1, max_length=200)]
_NO_RULES = "no points rules with this id and version"
_BAD = "the document is not valid (the message names the member)"


class PointsRulesOut(BaseModel):
    id: str
    version: str
    state: str = Field(description="draft or published")
    hash: str = Field(description="PointsRules.hash(): hex32 SHA-256 of the canonical JSON")
    document: dict[str, Any] = Field(description="the rules, normalized (docs/points.md)")
    createdAt: str
    updatedAt: str
    publishedAt: str | None
    publication: Publication | None


class RulesCited(BaseModel):
    id: str
    version: str
    hash: str


class Source(BaseModel):
    type: Literal["checkin", "credential"]
    id: str | None
    title: str | None = Field(description="the activity's title or the credential's "
                              "achievement name")
    venue: str | None


class EntryOut(BaseModel):
    id: int
    kind: Literal["checkin", "credential", "reversal"]
    source: Source
    rules: RulesCited
    sector: str
    unit: str = Field(description="what quantity counts: hour, credit or point")
    quantity: str = Field(description="exact decimal text; negative in a reversal")
    points: str = Field(description="exact decimal text; negative in a reversal")
    day: str
    reason: str | None = Field(description="a reversal's reason")
    reverses: int | None = Field(description="the entry a reversal reverses")
    reversed: bool
    at: str


class SectorTotal(BaseModel):
    sector: str
    points: str
    hours: str


class Totals(BaseModel):
    points: str
    bySector: list[SectorTotal]


class LedgerOut(BaseModel):
    totals: Totals
    entries: list[EntryOut] = Field(description="newest first, at most 1000")
    rules: list[RulesCited] = Field(description="every rules version the entries cite")


class LearnerLedgerOut(LedgerOut):
    login: str


class Name(BaseModel):
    zh: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Description(BaseModel):
    zh: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ThresholdIn(BaseModel):
    sector: Literal["degree", "vocational", "non_degree", "community_elderly", "venue"]
    measure: Literal["hours", "points"]
    amount: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,7}(\.[0-9]{1,2})?$")] = Field(
        description="decimal text, e.g. 30")
    name: Name
    description: Description
    level: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    standard: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class ThresholdOut(BaseModel):
    id: int
    sector: str
    measure: str
    amount: str
    name: dict[str, str]
    description: dict[str, str]
    level: str | None
    standard: str | None
    createdAt: str
    retiredAt: str | None
    awarded: int = Field(description="credentials it has issued")


class ReversalIn(BaseModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


# ---- points rules ------------------------------------------------------------------------

@admin_router.get("/points-rules", response_model=list[PointsRulesOut],
                  summary="Every points rules version")
def list_rules(_: Governor, svc: ServiceDep,
               state: Literal["draft", "published"] | None = None) -> list[PointsRulesOut]:
    return [PointsRulesOut(**r) for r in points_rules.all_rules(svc, state)]


@admin_router.post("/points-rules", status_code=201, response_model=PointsRulesOut,
                   summary="Add a points rules version as a draft",
                   responses=answers(e409="this id and version exist", e422=_BAD))
def create_rules(body: Document, _: Governor, svc: ServiceDep) -> PointsRulesOut:
    return PointsRulesOut(**points_rules.create_rules(svc, body))


@admin_router.get("/points-rules/{rules_id}/{version}", response_model=PointsRulesOut,
                  summary="One points rules version", responses=answers(e404=_NO_RULES))
def get_rules(rules_id: Ident, version: Ident, _: Governor, svc: ServiceDep
              ) -> PointsRulesOut:
    return PointsRulesOut(**points_rules.rules(svc, rules_id, version))


@admin_router.put("/points-rules/{rules_id}/{version}", response_model=PointsRulesOut,
                  summary="Replace a draft's document",
                  responses=answers(e404=_NO_RULES, e409="published: immutable", e422=_BAD))
def update_rules(rules_id: Ident, version: Ident, body: Document, _: Governor,
                 svc: ServiceDep) -> PointsRulesOut:
    return PointsRulesOut(**points_rules.update_rules(svc, rules_id, version, body))


@admin_router.post("/points-rules/{rules_id}/{version}/publish",
                   response_model=PointsRulesOut,
                   summary="Publish a draft: its hash on chain (kind 4); immutable from then on",
                   responses=answers(e404=_NO_RULES, **PUBLISH_ANSWERS))
def publish_rules(rules_id: Ident, version: Ident, _: Governor, svc: ServiceDep
                  ) -> PointsRulesOut:
    return PointsRulesOut(**points_rules.publish_rules(svc, rules_id, version))


@public_router.get("/points-rules", response_model=list[PointsRulesOut],
                   summary="The published points rules, every version")
def published_rules(svc: ServiceDep) -> list[PointsRulesOut]:
    return [PointsRulesOut(**r) for r in points_rules.all_rules(svc, "published")]


@public_router.get("/points-rules/{rules_id}/{version}", response_model=PointsRulesOut,
                   summary="One published points rules version",
                   responses=answers(e404="no published points rules with this id and "
                                     "version"))
def published_one(rules_id: Ident, version: Ident, svc: ServiceDep) -> PointsRulesOut:
    return PointsRulesOut(**points_rules.rules(svc, rules_id, version, published_only=True))


# ---- thresholds --------------------------------------------------------------------------

@admin_router.get("/points-thresholds", response_model=list[ThresholdOut],
                  summary="Every threshold, with how many credentials it issued")
def list_thresholds(_: Governor, svc: ServiceDep) -> list[ThresholdOut]:
    return [ThresholdOut(**t) for t in thresholds.thresholds(svc)]


@admin_router.post("/points-thresholds", status_code=201, response_model=ThresholdOut,
                   summary="Add a threshold: a total that earns a credential",
                   responses=answers(e409="too many thresholds in force", e422="a bad value"))
def create_threshold(body: ThresholdIn, _: Governor, svc: ServiceDep) -> ThresholdOut:
    return ThresholdOut(**thresholds.create(svc, thresholds.NewThreshold(
        sector=body.sector, measure=body.measure, amount=body.amount,
        name_zh=body.name.zh, name_en=body.name.en, description_zh=body.description.zh,
        description_en=body.description.en, level=body.level, standard=body.standard)))


@admin_router.post("/points-thresholds/{threshold_id}/retire", response_model=ThresholdOut,
                   summary="Retire a threshold: no further awards (those issued stay)",
                   responses=answers(e404="no such threshold", e409="retired already"))
def retire_threshold(threshold_id: Annotated[int, Path(ge=1, le=2**31 - 1)], _: Governor,
                     svc: ServiceDep) -> ThresholdOut:
    return ThresholdOut(**thresholds.retire(svc, threshold_id))


# ---- ledgers -----------------------------------------------------------------------------

@admin_router.get("/learners/{login}/points", response_model=LearnerLedgerOut,
                  summary="One learner's points ledger and totals",
                  responses=answers(e404="no such learning account"))
def learner_points(login: Annotated[str, Path(min_length=1, max_length=64)], _: Governor,
                   svc: ServiceDep) -> LearnerLedgerOut:
    return LearnerLedgerOut(**points.ledger_by_login(svc, login))


@admin_router.post("/points-entries/{entry_id}/reversal", status_code=201,
                   response_model=EntryOut,
                   summary="Reverse a points entry by a new entry with a reason",
                   responses=answers(e404="no such entry",
                                     e409="a reversal, or reversed already",
                                     e422="no reason, or too long"))
def reverse_entry(entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ReversalIn,
                  _: Governor, svc: ServiceDep) -> EntryOut:
    return EntryOut(**points.reverse(svc, entry_id, body.reason))


@learner_router.get("/points", response_model=LedgerOut,
                    summary="My points: entries with their rules and sources, totals by "
                            "sector, the rules cited")
def my_points(caller: LearnerCaller, svc: ServiceDep) -> LedgerOut:
    return LedgerOut(**points.learner_ledger(svc, caller.learner_id or 0))
