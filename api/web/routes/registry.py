"""The credit bank's registry: the authority (governor API keys) keeps the qualification
framework, the outcome standards and its own rule sets; anyone reads what is published.
Institutions' programme rule sets are in routes/institution.py. docs/creditbank.md."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.service import credit_registry, rule_sets
from api.web.auth import Governor, ServiceDep
from api.web.schemas import (
    PUBLISH_ANSWERS,
    Publication,
    RuleSetOut,
    answers,
    csv_body,
    read_csv,
)

router = APIRouter(prefix="/v1/admin", tags=["authority"])
public_router = APIRouter(prefix="/v1/registry", tags=["registry"])

Document = Annotated[dict[str, Any], Body(description="the document (docs/creditbank.md)")]
_NO_FRAMEWORK = "no framework with this id and version"
_NO_STANDARD = "no standard with this code and version"
_WITHDRAW_503 = "a published version's withdrawal needs the chain; nothing changed"
_NO_RULE_SET = "no rule set with this id and version"
_BAD = "the document is not valid (the message names the member)"


class FrameworkOut(BaseModel):
    id: str
    version: str
    state: str = Field(description="draft, active, superseded or withdrawn")
    hash: str
    document: dict[str, Any]
    createdAt: str
    updatedAt: str
    publication: Publication | None


class StandardOut(BaseModel):
    code: str
    version: str
    title: dict[str, str]
    sector: str
    level: str
    credits: str = Field(description="exact decimal text")
    unit: Literal["credit", "hour", "point"]
    validFrom: str
    validUntil: str | None = None
    state: str = Field(description="draft, published or withdrawn")
    createdAt: str
    updatedAt: str


class Catalogue(BaseModel):
    type: str
    framework: str | None = None
    standards: list[dict[str, Any]]


def _standard(row: Any) -> StandardOut:
    return StandardOut(**credit_registry.standard_json(row))


# ---- the qualification framework --------------------------------------------------------

@router.get("/frameworks", response_model=list[FrameworkOut],
            summary="Every version of the qualification framework")
def list_frameworks(_: Governor, svc: ServiceDep) -> list[FrameworkOut]:
    return [FrameworkOut(**f) for f in credit_registry.frameworks(svc)]


@router.post("/frameworks", status_code=201, response_model=FrameworkOut,
             summary="Add a framework version as a draft",
             responses=answers(e409="this id and version exist", e422=_BAD))
def create_framework(body: Document, _: Governor, svc: ServiceDep) -> FrameworkOut:
    return FrameworkOut(**credit_registry.create_framework(svc, body))


@router.get("/frameworks/{framework_id}/{version}", response_model=FrameworkOut,
            summary="One framework version", responses=answers(e404=_NO_FRAMEWORK))
def get_framework(framework_id: str, version: str, _: Governor,
                  svc: ServiceDep) -> FrameworkOut:
    return FrameworkOut(**credit_registry.framework(svc, framework_id, version))


@router.put("/frameworks/{framework_id}/{version}", response_model=FrameworkOut,
            summary="Replace a draft framework's document",
            responses=answers(e404=_NO_FRAMEWORK, e409="not a draft", e422=_BAD))
def update_framework(framework_id: str, version: str, body: Document, _: Governor,
                     svc: ServiceDep) -> FrameworkOut:
    return FrameworkOut(**credit_registry.update_framework(svc, framework_id, version, body))


@router.post("/frameworks/{framework_id}/{version}/publish", response_model=FrameworkOut,
             summary="Publish a draft: its hash on chain; it becomes the active framework",
             responses=answers(e404=_NO_FRAMEWORK, **PUBLISH_ANSWERS))
def publish_framework(framework_id: str, version: str, _: Governor,
                      svc: ServiceDep) -> FrameworkOut:
    return FrameworkOut(**credit_registry.publish_framework(svc, framework_id, version))


@router.post("/frameworks/{framework_id}/{version}/withdraw", response_model=FrameworkOut,
             summary="Withdraw a draft or the active framework",
             responses=answers(e404=_NO_FRAMEWORK, e409="already superseded or withdrawn, or "
                                "the registry refused", e503=_WITHDRAW_503))
def withdraw_framework(framework_id: str, version: str, _: Governor,
                       svc: ServiceDep) -> FrameworkOut:
    return FrameworkOut(**credit_registry.withdraw_framework(svc, framework_id, version))


# ---- outcome standards -----------------------------------------------------------------

_CSV_BODY = csv_body("standards as CSV: UTF-8, a header row of code, version, title_zh, "
                     "title_en, sector, level, credits, unit, valid_from and (optional) "
                     "valid_until")
RULE_TABLE = csv_body("the rules as a CSV table, one rule a row (docs/api.md, \"Rule "
                      "tables\"); they replace the draft's rules")


@router.get("/standards", response_model=list[StandardOut],
            summary="Outcome standards, every state, by code and version")
def list_standards(_: Governor, svc: ServiceDep,
                   state: Literal["draft", "published", "withdrawn"] | None = None,
                   code: str | None = None) -> list[StandardOut]:
    return [_standard(r) for r in credit_registry.standards(svc, state, code)]


@router.post("/standards", status_code=201, response_model=list[StandardOut],
             summary="Import standards from a JSON catalogue, as drafts",
             responses=answers(e409="a code and version exist", e422=_BAD))
def import_standards(body: Document, _: Governor, svc: ServiceDep) -> list[StandardOut]:
    return [_standard(r) for r in credit_registry.import_standards(svc, body)]


@router.post("/standards/csv", status_code=201, response_model=list[StandardOut],
             summary="Import standards from CSV, as drafts", openapi_extra={"requestBody":
                                                                           _CSV_BODY},
             responses=answers(e409="a code and version exist", e422=_BAD))
async def import_standards_csv(request: Request, _: Governor,
                               svc: ServiceDep) -> list[StandardOut]:
    text = await read_csv(request)
    rows = await run_in_threadpool(credit_registry.import_standards, svc, csv_text=text)
    return [_standard(r) for r in rows]


@router.post("/standards/publish", response_model=Publication,
             summary="Publish the standards catalogue: its hash on chain; drafts become "
                     "published", responses=answers(**PUBLISH_ANSWERS))
def publish_standards(_: Governor, svc: ServiceDep) -> Publication:
    return Publication(**credit_registry.publication_json(  # type: ignore[arg-type]
        credit_registry.publish_standards(svc)))


@router.get("/standards/{code}/{version}", response_model=StandardOut,
            summary="One standard version", responses=answers(e404=_NO_STANDARD))
def get_standard(code: str, version: str, _: Governor, svc: ServiceDep) -> StandardOut:
    return _standard(credit_registry.standard(svc, code, version))


@router.put("/standards/{code}/{version}", response_model=StandardOut,
            summary="Replace a draft standard",
            responses=answers(e404=_NO_STANDARD, e409="not a draft", e422=_BAD))
def update_standard(code: str, version: str, body: Document, _: Governor,
                    svc: ServiceDep) -> StandardOut:
    return _standard(credit_registry.update_standard(svc, code, version, body))


@router.post("/standards/{code}/{version}/withdraw", response_model=StandardOut,
             summary="Withdraw a standard: no new credential may cite it",
             responses=answers(e404=_NO_STANDARD, e409="already withdrawn"))
def withdraw_standard(code: str, version: str, _: Governor, svc: ServiceDep) -> StandardOut:
    return _standard(credit_registry.withdraw_standard(svc, code, version))


# ---- the authority's rule sets ---------------------------------------------------------

@router.get("/rule-sets", response_model=list[RuleSetOut],
            summary="Every rule set, the authority's and the institutions'")
def list_rule_sets(_: Governor, svc: ServiceDep,
                   state: Literal["draft", "published", "withdrawn"] | None = None
                   ) -> list[RuleSetOut]:
    return [RuleSetOut(**r) for r in rule_sets.rule_sets(svc, None, state)]


@router.post("/rule-sets", status_code=201, response_model=RuleSetOut,
             summary="Add an authority rule set version as a draft",
             responses=answers(e409="this id and version exist", e422=_BAD))
def create_rule_set(body: Document, _: Governor, svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.create_rule_set(svc, body, None))


@router.get("/rule-sets/{set_id}/{version}", response_model=RuleSetOut,
            summary="One rule set version", responses=answers(e404=_NO_RULE_SET))
def get_rule_set(set_id: str, version: str, _: Governor, svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.rule_set(svc, set_id, version, None))


@router.put("/rule-sets/{set_id}/{version}", response_model=RuleSetOut,
            summary="Replace a draft of the authority's",
            responses=answers(e404=_NO_RULE_SET, e409="not a draft", e422=_BAD))
def update_rule_set(set_id: str, version: str, body: Document, _: Governor,
                    svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.update_rule_set(svc, set_id, version, body, None))


@router.put("/rule-sets/{set_id}/{version}/rules.csv", response_model=RuleSetOut,
            summary="Replace a draft's rules with a CSV rule table",
            openapi_extra={"requestBody": RULE_TABLE},
            responses=answers(e404=_NO_RULE_SET, e409="not a draft", e422=_BAD))
async def replace_rules(set_id: str, version: str, request: Request, _: Governor,
                        svc: ServiceDep) -> RuleSetOut:
    text = await read_csv(request)
    return RuleSetOut(**await run_in_threadpool(rule_sets.replace_rules, svc, set_id,
                                                version, text, None))


@router.post("/rule-sets/{set_id}/{version}/publish", response_model=RuleSetOut,
             summary="Publish a draft of the authority's: its hash on chain",
             responses=answers(e404=_NO_RULE_SET, **PUBLISH_ANSWERS))
def publish_rule_set(set_id: str, version: str, _: Governor, svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.publish_rule_set(svc, set_id, version, None))


@router.post("/rule-sets/{set_id}/{version}/withdraw", response_model=RuleSetOut,
             summary="Withdraw a rule set version of the authority's",
             responses=answers(e404=_NO_RULE_SET, e409="already withdrawn, or the registry "
                                "refused", e503=_WITHDRAW_503))
def withdraw_rule_set(set_id: str, version: str, _: Governor, svc: ServiceDep) -> RuleSetOut:
    return RuleSetOut(**rule_sets.withdraw_rule_set(svc, set_id, version, None))


# ---- what anyone may read --------------------------------------------------------------

@public_router.get("/framework", response_model=FrameworkOut,
                   summary="The qualification framework in force",
                   responses=answers(e404="no framework is in force"))
def active_framework(svc: ServiceDep) -> FrameworkOut:
    return FrameworkOut(**credit_registry.current_framework(svc))


@public_router.get("/standards", response_model=Catalogue,
                   summary="The published outcome standards, as a catalogue document")
def published_standards(svc: ServiceDep) -> Catalogue:
    return Catalogue(**credit_registry.catalogue(svc))


@public_router.get("/rule-sets", response_model=list[RuleSetOut],
                   summary="The published rule sets")
def published_rule_sets(svc: ServiceDep) -> list[RuleSetOut]:
    return [RuleSetOut(**r) for r in rule_sets.published_rule_sets(svc)]
