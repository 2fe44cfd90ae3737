"""Institutions: batch issuance jobs (a JSON array, JSON Lines or CSV of learning records)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import and_, func, or_, select
from starlette.concurrency import run_in_threadpool

from api.service import issuing, jobs
from api.service.models import Credential, Job, JobRecord
from api.web.auth import Institution, ServiceDep
from api.web.schemas import CredentialSummary
from ledger.errors import InputError

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


_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _out(job: Job, anchored: int = 0) -> JobOut:
    return JobOut(**jobs.view(job).__dict__, anchored=anchored)


def _anchored(session: Any, job_ids: list[str]) -> dict[str, int]:
    """How many credentials of each job are anchored."""
    if not job_ids:
        return {}
    return dict(session.execute(
        select(JobRecord.job_id, func.count())
        .join(Credential, Credential.id == JobRecord.credential_id)
        .where(JobRecord.job_id.in_(job_ids), Credential.state == "anchored")
        .group_by(JobRecord.job_id)).all())


@router.post("/jobs", status_code=202, response_model=JobOut, openapi_extra={"requestBody": _BODY},
             summary="Issue many credentials: checked and stored now, signed in the background",
             responses={413: {"description": "body or record count over the limit"},
                        415: {"description": "not JSON, JSON Lines or CSV"},
                        422: {"description": "a record is invalid (the reason names it)"}})
async def create_job(request: Request, who: Institution, svc: ServiceDep,
                     response: Response) -> JobOut:
    body = await request.body()
    try:
        # parsing and checking 100,000 rows takes a while: off the event loop
        records = await run_in_threadpool(jobs.parse_records, body,
                                          request.headers.get("content-type"))
    except jobs.UnsupportedFormat as exc:
        raise HTTPException(415, str(exc)) from None
    except jobs.TooManyRecords as exc:
        raise HTTPException(413, str(exc)) from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    assert who.issuer_id is not None
    job = await run_in_threadpool(jobs.create_job, svc, who.issuer_id, records)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return _out(job)


def _own_job(svc: Any, job_id: str, issuer_id: int | None) -> Job:
    with svc.db.session() as session:
        job = session.get(Job, job_id) if _JOB_ID.fullmatch(job_id) else None
    if job is None or job.issuer_id != issuer_id:
        raise HTTPException(404, "no such job of this issuer")
    return job


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job's state and progress")
def get_job(job_id: str, who: Institution, svc: ServiceDep) -> JobOut:
    job = _own_job(svc, job_id, who.issuer_id)
    with svc.db.session() as session:
        return _out(job, _anchored(session, [job.id]).get(job.id, 0))


@router.get("/jobs", response_model=JobPage, summary="This issuer's jobs, newest first")
def list_jobs(
    who: Institution, svc: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(max_length=36, description="job id to continue after")
                     ] = None,
) -> JobPage:
    with svc.db.session() as session:
        mine = Job.issuer_id == who.issuer_id
        total = session.scalar(select(func.count()).select_from(Job).where(mine)) or 0
        query = select(Job).where(mine)
        if after is not None:
            last = session.get(Job, after) if _JOB_ID.fullmatch(after) else None
            if last is None or last.issuer_id != who.issuer_id:
                raise HTTPException(422, "after: not a job of this issuer")
            query = query.where(or_(Job.created_at < last.created_at,
                                    and_(Job.created_at == last.created_at, Job.id < last.id)))
        rows = session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc())
                               .limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        anchored = _anchored(session, [j.id for j in rows])
    return JobPage(items=[_out(j, anchored.get(j.id, 0)) for j in rows], total=total,
                   next=rows[-1].id if more else None)


@router.get("/jobs/{job_id}/credentials", response_model=JobCredentialPage,
            summary="A job's rows and the credentials issued for them, in row order")
def job_credentials(
    job_id: str, who: Institution, svc: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="row to continue after")] = 0,
) -> JobCredentialPage:
    _own_job(svc, job_id, who.issuer_id)
    with svc.db.session() as session:
        rows = session.execute(
            select(JobRecord.row, Credential)
            .outerjoin(Credential, Credential.id == JobRecord.credential_id)
            .where(JobRecord.job_id == job_id, JobRecord.row > after)
            .order_by(JobRecord.row).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [JobCredential(row=row, credential=CredentialSummary(**issuing.summary(c))
                           if c is not None else None) for row, c in rows]
    return JobCredentialPage(items=items, next=rows[-1][0] if more else None)
