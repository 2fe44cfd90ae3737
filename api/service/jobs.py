"""Batch issuance jobs: every row checked and stored at once, then signed in chunks.

``POST /v1/jobs`` parses the whole body (a JSON array, JSON Lines or CSV) and checks every
row before anything is stored; then the job and one ``job_records`` row per record are
committed in one transaction. The job runner signs them in chunks: one transaction per
chunk reserves the chunk's status indices, adds its credentials (``pending``, for the
anchoring worker), sets each record's ``credential_id`` and advances ``job.done``. A crash
rolls back the chunk in flight, indices included, so no row is ever signed twice and no
status index is spent on a credential that does not exist.

A stored record holds the learner's identity number until its credential exists; the
chunk that signs it also clears it (the credential keeps only the keyed and salted hashes).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.issuance import IssuerError, LearningRecord
from ledger.issuance.records import TooManyRecords, UnsupportedFormat
from ledger.issuance.records import parse_records as records_from_body
from verifier import CredentialError, timefmt
from verifier.credit import decision_date

from . import credit_checks, issuing
from .context import Service
from .errors import InvalidInput, NotFound, TooLarge, Unsupported
from .models import Credential, Issuer, Job, JobRecord

log = logging.getLogger("credbank.jobs")

MAX_JOB_RECORDS = 100_000
CHUNK = 250  # records signed per transaction


class _JobFailed(Exception):
    """A record cannot be signed (the issuer's keys or record itself): the job stops."""


def parse_records(body: bytes, content_type: str | None,
                  max_records: int = MAX_JOB_RECORDS) -> list[LearningRecord]:
    """Every record of a job's body (a JSON array, JSON Lines or CSV), each checked;
    InputError names the first bad one (TooManyRecords: more than ``max_records``)."""
    return records_from_body(body, content_type, max_records=max_records)


def submit(svc: Service, issuer_id: int, body: bytes, content_type: str | None) -> Job:
    """Check every record of the body, then store the job; nothing is stored when any
    record is refused."""
    try:
        records = parse_records(body, content_type)
    except UnsupportedFormat as exc:
        raise Unsupported(str(exc)) from None
    except TooManyRecords as exc:
        raise TooLarge(str(exc)) from None
    except InputError as exc:
        raise InvalidInput(str(exc)) from None
    return create_job(svc, issuer_id, records)


def stored(record: LearningRecord) -> dict[str, Any]:
    """A checked record as kept in ``job_records`` (read back with from_json)."""
    return record.model_dump(mode="json", exclude_none=True)


def create_job(svc: Service, issuer_id: int, records: list[LearningRecord]) -> Job:
    """Store a job and all its records in one transaction."""
    now = timefmt.now()
    job = Job(id=str(uuid.uuid4()), issuer_id=issuer_id, state="queued", total=len(records),
              done=0, created_at=now)
    with svc.db.session() as session:
        registry = credit_checks.Registry.load(session)
        for number, record in enumerate(records, 1):
            try:
                credit_checks.check_record(session, record,
                                           decision_date(record.validFrom or now), registry)
            except InputError as exc:
                raise InvalidInput(f"row {number}: {exc}") from None
        session.add(job)
        session.flush()
        session.execute(JobRecord.__table__.insert(), [
            {"job_id": job.id, "row": number, "record": stored(record), "credential_id": None}
            for number, record in enumerate(records, 1)])
    return job


@dataclass(frozen=True)
class JobView:
    id: str
    state: str
    done: int
    total: int
    error: str | None
    createdAt: str
    finishedAt: str | None


def view(job: Job) -> JobView:
    return JobView(job.id, job.state, job.done, job.total, job.error,
                   timefmt.format(job.created_at),
                   timefmt.format(job.finished_at) if job.finished_at else None)


# ---- an institution's jobs ---------------------------------------------------------------

_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def anchored_counts(session: Session, job_ids: list[str]) -> dict[str, int]:
    """How many credentials of each job are anchored."""
    if not job_ids:
        return {}
    return dict(session.execute(
        select(JobRecord.job_id, func.count())
        .join(Credential, Credential.id == JobRecord.credential_id)
        .where(JobRecord.job_id.in_(job_ids), Credential.state == "anchored")
        .group_by(JobRecord.job_id)).all())


def own_job(svc: Service, job_id: str, issuer_id: int | None) -> tuple[Job, int]:
    """The issuer's job and how many of its credentials are anchored."""
    with svc.db.session() as session:
        job = session.get(Job, job_id) if _JOB_ID.fullmatch(job_id) else None
        if job is None or job.issuer_id != issuer_id:
            raise NotFound("no such job of this issuer")
        return job, anchored_counts(session, [job.id]).get(job.id, 0)


@dataclass
class JobPage:
    jobs: list[tuple[Job, int]]  # each with its anchored count
    total: int
    next: str | None  # a job id to continue after


def job_page(svc: Service, issuer_id: int | None, limit: int, after: str | None) -> JobPage:
    """The issuer's jobs, newest first, paged by (creation time, id)."""
    with svc.db.session() as session:
        mine = Job.issuer_id == issuer_id
        total = session.scalar(select(func.count()).select_from(Job).where(mine)) or 0
        query = select(Job).where(mine)
        if after is not None:
            last = session.get(Job, after) if _JOB_ID.fullmatch(after) else None
            if last is None or last.issuer_id != issuer_id:
                raise InvalidInput("after: not a job of this issuer")
            query = query.where(or_(Job.created_at < last.created_at,
                                    and_(Job.created_at == last.created_at, Job.id < last.id)))
        rows = list(session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc())
                                    .limit(limit + 1)).all())
        more = len(rows) > limit
        rows = rows[:limit]
        anchored = anchored_counts(session, [j.id for j in rows])
    return JobPage([(j, anchored.get(j.id, 0)) for j in rows], total,
                   rows[-1].id if more else None)


def job_rows(svc: Service, issuer_id: int | None, job_id: str, limit: int, after: int,
             ) -> tuple[list[tuple[int, Credential | None]], int | None]:
    """A job's rows from ``after`` on, each with its credential once signed, and the row
    to continue after."""
    own_job(svc, job_id, issuer_id)
    with svc.db.session() as session:
        rows = session.execute(
            select(JobRecord.row, Credential)
            .outerjoin(Credential, Credential.id == JobRecord.credential_id)
            .where(JobRecord.job_id == job_id, JobRecord.row > after)
            .order_by(JobRecord.row).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [(row, credential) for row, credential in rows], (rows[-1][0] if more else None)


# ---- the runner --------------------------------------------------------------------------


class JobRunner:
    """Signs the oldest unfinished job's records, one chunk per call."""

    def __init__(self, svc: Service, chunk: int = CHUNK) -> None:
        self.svc = svc
        self.chunk = chunk

    def run_once(self) -> bool:
        """Sign one chunk; False when no job has work left."""
        with self.svc.db.session() as session:
            job_id = session.scalars(
                select(Job.id).where(Job.state.in_(("queued", "running")))
                .order_by(Job.created_at, Job.id).limit(1)).first()
        if job_id is None:
            return False
        self.sign_chunk(job_id)
        return True

    def run_all(self) -> None:
        while self.run_once():
            pass

    def sign_chunk(self, job_id: str) -> int:
        """Sign up to ``chunk`` unsigned records of the job in one transaction; how many."""
        try:
            with self.svc.db.session() as session:
                return self._sign_chunk(session, job_id)
        except _JobFailed as exc:  # the chunk was rolled back; the job stops with a reason
            self._fail(job_id, str(exc))
            return 0

    def _sign_chunk(self, session: Any, job_id: str) -> int:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or job.state not in ("queued", "running"):
            return 0
        records = session.scalars(
            select(JobRecord).where(JobRecord.job_id == job_id,
                                    JobRecord.credential_id.is_(None))
            .order_by(JobRecord.row).limit(self.chunk)).all()
        if not records:
            return self._finish(job)
        issuer = session.get(Issuer, job.issuer_id)
        try:
            if issuer is None:
                raise IssuerError("the job's issuer no longer exists")
            identity = self.svc.identities.get(issuer)
            start = issuing.reserve_indices(session, issuer.id, len(records))
            moment = timefmt.now()
            registry = credit_checks.Registry.load(session)
            for offset, item in enumerate(records):
                try:
                    record = LearningRecord.from_json(item.record, f"row {item.row}")
                    credential = issuing.accept(session, issuer, identity, record,
                                                self.svc.secret, status_index=start + offset,
                                                now=moment, registry=registry)
                except (ValueError, TypeError, KeyError, CredentialError) as exc:
                    # the row itself cannot be signed: retrying would fail the same way
                    # (a database error is not caught here: the round is retried)
                    if isinstance(exc, InputError):
                        raise
                    raise InputError(f"row {item.row} cannot be signed "
                                     f"({type(exc).__name__})") from None
                item.credential_id = credential.id
                item.record = {}  # the identity number goes once its credential exists
        except (InputError, IssuerError) as exc:
            raise _JobFailed(str(exc)) from None
        job.state = "running"
        job.done += len(records)
        if job.done >= job.total:
            self._finish(job)
        return len(records)

    @staticmethod
    def _finish(job: Job) -> int:
        job.state = "done"
        job.finished_at = timefmt.now()
        return 0

    def _fail(self, job_id: str, reason: str) -> None:
        log.warning("job %s failed: %s", job_id, reason)
        with self.svc.db.session() as session:
            session.execute(update(Job).where(Job.id == job_id)
                            .values(state="failed", error=reason[:2000],
                                    finished_at=timefmt.now()))
