"""Recognition applications (学分认定申请): the learner's dry run, application and its state;
the decider's review queue and decision (api.service.recognition).

The authority decides applications toward the credit bank under ``/v1/admin/recognition``;
an institution decides those toward its own programmes under ``/v1/recognition``. An
application another decider handles, or another learner's, answers 404 like one that does
not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StringConstraints

from api.service import recognition
from api.web.auth import Governor, Institution, LearnerCaller, ServiceDep
from api.web.schemas import Problem

learner_router = APIRouter(prefix="/v1/learner/recognition", tags=["learner"])
institution_router = APIRouter(prefix="/v1/recognition", tags=["institution"])
admin_router = APIRouter(prefix="/v1/admin/recognition", tags=["authority"])

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
ApplicationId = Annotated[str, Path(max_length=36)]


class RuleSetRef(BaseModel):
    id: Text
    version: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ApplicationIn(BaseModel):
    ruleSet: RuleSetRef
    destination: Literal["bank", "programme"] = Field(
        description="the credit bank, or the rule set's programme")
    credentials: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=recognition.MAX_SOURCES,
        description="ids of credentials in the learning account, each once")
    note: Annotated[str, StringConstraints(max_length=recognition.MAX_TEXT)] = ""

    def request(self) -> recognition.Request:
        return recognition.Request(self.ruleSet.id, self.ruleSet.version, self.destination,
                                   list(self.credentials), self.note)


class Exclusion(BaseModel):
    credential: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=recognition.MAX_TEXT)]


class DecisionIn(BaseModel):
    decision: Literal["approve", "refuse"]
    reason: Annotated[str, StringConstraints(max_length=recognition.MAX_TEXT)] = Field(
        default="", description="why (required to refuse)")
    exclude: list[Exclusion] = Field(
        default_factory=list, max_length=recognition.MAX_SOURCES,
        description="to approve in part: sources left out, each with the reason")

    def decided(self) -> recognition.Decision:
        return recognition.Decision(self.decision == "approve", self.reason,
                                    {e.credential: e.reason for e in self.exclude})


Answer = dict[str, Any]
_LEARNER = {404: {"model": Problem, "description": "no such rule set, credential or "
                  "application in this account"},
            409: {"model": Problem, "description": "a source does not verify, already counts "
                  "toward this destination (the decision is named), or nothing would count"},
            503: {"model": Problem, "description": "no credit bank issuer, or the chain "
                  "cannot be reached"}}
_DECIDER = {404: {"model": Problem, "description": "no such application for this caller"},
            409: {"model": Problem, "description": "decided already, a source no longer "
                  "verifies or already counts, or the rule set is no longer in force"}}
State = Annotated[Literal["submitted", "approved", "refused", "withdrawn"] | None,
                  Query(description="only applications in this state (default: awaiting a "
                        "decision)")]


# ---- learners ----------------------------------------------------------------------------

@learner_router.post("/dry-run", summary="What a rule set would grant for chosen credentials "
                     "now, and why the rest would not count", responses=_LEARNER)
async def dry_run(body: ApplicationIn, who: LearnerCaller, svc: ServiceDep) -> Answer:
    return await run_in_threadpool(recognition.dry_run, svc, who.learner_id, body.request())


@learner_router.post("/applications", status_code=201, summary="Apply for recognition",
                     responses=_LEARNER)
async def apply(body: ApplicationIn, who: LearnerCaller, svc: ServiceDep) -> Answer:
    return await run_in_threadpool(recognition.submit, svc, who.learner_id, body.request())


@learner_router.get("/applications", summary="The learner's applications, newest first")
def own_applications(who: LearnerCaller, svc: ServiceDep) -> list[Answer]:
    return recognition.learner_applications(svc, who.learner_id)


@learner_router.get("/applications/{application_id}", summary="One of the learner's "
                    "applications", responses={404: _LEARNER[404]})
def own_application(application_id: ApplicationId, who: LearnerCaller,
                    svc: ServiceDep) -> Answer:
    return recognition.learner_application(svc, who.learner_id, application_id)


@learner_router.post("/applications/{application_id}/withdraw",
                     summary="Withdraw an application awaiting a decision",
                     responses={404: _LEARNER[404],
                                409: {"model": Problem, "description": "decided already"}})
def withdraw(application_id: ApplicationId, who: LearnerCaller, svc: ServiceDep) -> Answer:
    return recognition.withdraw(svc, who.learner_id, application_id)


# ---- deciders: the authority (credit bank) and institutions (their programmes) -----------

_QUEUE = "The review queue: applications {} decides, each source verified again now"
_ONE = "One application, each source verified again now"
_DECIDE = "Approve (in whole or in part) or refuse; an approval issues the decision credential"


@admin_router.get("/applications", summary=_QUEUE.format("the authority"))
async def authority_queue(_: Governor, svc: ServiceDep, state: State = "submitted"
                          ) -> list[Answer]:
    return await run_in_threadpool(recognition.queue, svc, None, state)


@admin_router.get("/applications/{application_id}", summary=_ONE,
                  responses={404: _DECIDER[404]})
async def authority_application(application_id: ApplicationId, _: Governor,
                                svc: ServiceDep) -> Answer:
    return await run_in_threadpool(recognition.for_decider, svc, None, application_id)


@admin_router.post("/applications/{application_id}/decision", summary=_DECIDE,
                   responses=_DECIDER)
async def authority_decision(application_id: ApplicationId, body: DecisionIn, _: Governor,
                             svc: ServiceDep) -> Answer:
    return await run_in_threadpool(recognition.decide, svc, None, application_id,
                                   body.decided())


@institution_router.get("/applications", summary=_QUEUE.format("the institution"))
async def institution_queue(who: Institution, svc: ServiceDep, state: State = "submitted"
                            ) -> list[Answer]:
    return await run_in_threadpool(recognition.queue, svc, who.issuer_id, state)


@institution_router.get("/applications/{application_id}", summary=_ONE,
                        responses={404: _DECIDER[404]})
async def institution_application(application_id: ApplicationId, who: Institution,
                                  svc: ServiceDep) -> Answer:
    return await run_in_threadpool(recognition.for_decider, svc, who.issuer_id,
                                   application_id)


@institution_router.post("/applications/{application_id}/decision", summary=_DECIDE,
                         responses=_DECIDER)
async def institution_decision(application_id: ApplicationId, body: DecisionIn,
                               who: Institution, svc: ServiceDep) -> Answer:
    return await run_in_threadpool(recognition.decide, svc, who.issuer_id, application_id,
                                   body.decided())
