"""Institutions: batch issuance jobs (a JSON array, JSON Lines or CSV of learning records)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.service import issuing, jobs
from api.service.models import Job
from api.web.auth import Institution, ServiceDep
from api.web.schemas import CredentialSummary

router = APIRouter(prefix="/v1", tags=["institution"])

_RECORDS = {"type": "array", "items": {"type": "object"},
            "description": "learning records, as POST /v1/credentials takes one"}
_BODY = {
    "required": True,
    "description": "Learning records: a JSON array, JSON Lines (one record a line) or CSV "
                   "with the columns of docs/cli.md. Every row is checked before any is "
                   f"stored; at most {jobs.MAX_JOB_RECORDS} records.",
    "content": {
        "application/json": {"schema": _RECORDS},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


class JobOut(BaseModel):
    id: str
    state: str  # queued | running | done | failed
    done: int  # rows signed into credentials
    anchored: int  # of those, anchored on chain
    total: int
    error: str | None
    createdAt: str
    finishedAt: str | None


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    next: str | None  # pass as ?after= for the next page


class JobCredential(BaseModel):
    row: int  # 1-based position in the submitted body's records
    credential: CredentialSummary | None  # None until the row is signed


class JobCredentialPage(BaseModel):
    items: list[JobCredential]
    next: int | None  # pass as ?after= for the next page


def _out(job: Job, anchored: int = 0) -> JobOut:
    return JobOut(**jobs.view(job).__dict__, anchored=anchored)


@router.post("/jobs", status_code=202, response_model=JobOut, openapi_extra={"requestBody": _BODY},
             summary="Issue many credentials: checked and stored now, signed in the background",
             responses={413: {"description": "body or record count over the limit"},
                        415: {"description": "not JSON, JSON Lines or CSV"},
                        422: {"description": "a record is invalid (the reason names it)"}})
async def create_job(request: Request, who: Institution, svc: ServiceDep,
                     response: Response) -> JobOut:
    body = await request.body()
    assert who.issuer_id is not None
    # parsing and checking 100,000 rows takes a while: off the event loop
    job = await run_in_threadpool(jobs.submit, svc, who.issuer_id, body,
                                  request.headers.get("content-type"))
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return _out(job)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job's state and progress")
def get_job(job_id: str, who: Institution, svc: ServiceDep) -> JobOut:
    return _out(*jobs.own_job(svc, job_id, who.issuer_id))


@router.get("/jobs", response_model=JobPage, summary="This issuer's jobs, newest first")
def list_jobs(
    who: Institution, svc: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=36, description="job id to continue after")
                     ] = None,
) -> JobPage:
    page = jobs.job_page(svc, who.issuer_id, limit, after)
    return JobPage(items=[_out(job, anchored) for job, anchored in page.jobs],
                   total=page.total, next=page.next)


@router.get("/jobs/{job_id}/credentials", response_model=JobCredentialPage,
            summary="A job's rows and the credentials issued for them, in row order")
def job_credentials(
    job_id: str, who: Institution, svc: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="row to continue after")] = 0,
) -> JobCredentialPage:
    rows, following = jobs.job_rows(svc, who.issuer_id, job_id, limit, after)
    items = [JobCredential(row=row, credential=CredentialSummary(**issuing.summary(c))
                           if c is not None else None) for row, c in rows]
    return JobCredentialPage(items=items, next=following)
