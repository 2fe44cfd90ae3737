"""Employers: bulk checks of many candidates at once, and their reports (docs/hr.md).

``POST /v1/employer/bulk-checks`` takes a multipart form: ``links``, a CSV of
``candidate,link`` rows of this service's share links, and ``files``, credential JSON files,
certificate PDFs or zips of them. It answers 202 at once, with the report ``running``;
the candidates are checked after the answer, each as ``POST /v1/verify`` judges one, and
the report (one row per candidate, in input order, and a summary) is stored for its
employer, who polls it and reads it as JSON, CSV or PDF.

``POST /v1/employer/requests/{id}/bulk-check`` makes the same report over the answers to
one of the employer's verification requests: one row per answer, its presentation judged by
its named checks and each requirement met or not.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, File, Path, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.service import bulk_check, bulk_report_pdf, bulk_sources, employers
from api.web.auth import Employer, ServiceDep
from api.web.schemas import answers
from verifier import timefmt

router = APIRouter(prefix="/v1/employer", tags=["employer"])

Lang = Annotated[Literal["zh", "en"], Query(description="the report's language")]


class Words(BaseModel):
    zh: str
    en: str


class NamedCheck(BaseModel):
    id: str = Field(description="presentation.form, .proof, .challenge, .domain, "
                    ".credentials, .requirements (docs/presentations.md)")
    status: Literal["passed", "failed", "skipped"]
    detail: str


class RequirementMet(BaseModel):
    id: str
    kind: str
    met: bool
    detail: str = Field(description="why it is met or not")


class BulkRow(BaseModel):
    number: int = Field(description="1-based, in input order")
    candidate: str = Field(description="the name or reference given, or the file's name; "
                           "for a request's answer, the name revealed or `#` and a stable "
                           "reference")
    source: Literal["link", "file", "response"]
    origin: str = Field(description="where in the input: a CSV row, a file, a zip entry")
    verdict: Literal["verified", "not_verified", "not_checked"] = Field(
        description="`not_checked`: the input could not be read as a credential at all")
    reason: str = Field(description="the verdict's reason code (docs/format.md §9.2), or "
                        "what is wrong with the input (docs/hr.md)")
    headline: Words = Field(description="the reason in words")
    detail: str = Field(description="the failing check's own words, when one failed")
    failedCheck: str | None = Field(description="the check that decided the verdict")
    status: Literal["active", "revoked", "suspended", "not_checked"]
    issuerAccredited: Literal["yes", "no", "not_checked"]
    credentialId: str | None
    holder: str | None = Field(description="the learner's name as the copy discloses it")
    issuerName: str | None
    issuerDid: str | None
    achievement: Words | None
    level: str | None
    credits: str | None
    creditUnit: str | None = Field(description="credit, hour or point")
    issued: str | None = Field(description="the issue date (Beijing time)")
    presentationId: str | None = Field(
        None, description="a request's answer: its id (GET /v1/employer/requests/{id}/"
        "responses/{presentationId})")
    checks: list[NamedCheck] | None = Field(
        None, description="a request's answer: the presentation's named checks")
    requirements: list[RequirementMet] | None = Field(
        None, description="a request's answer: each requirement, met or not")


class Summary(BaseModel):
    total: int
    byVerdict: dict[str, int]
    byReason: dict[str, int]


class BulkReportItem(BaseModel):
    id: str
    state: Literal["running", "done", "failed"] = Field(
        description="`running` until every candidate is checked (poll the report)")
    total: int = Field(description="candidates")
    done: int = Field(description="candidates checked so far")
    error: str | None = Field(description="why a failed check stopped")
    createdAt: str
    finishedAt: str | None
    summary: Summary | None = Field(description="counts by verdict and reason, once done")


class BulkReport(BulkReportItem):
    rows: list[BulkRow] = Field(description="one per candidate in input order, once done")


def _item(report: bulk_check.Report) -> dict[str, Any]:
    return {"id": report.id, "state": report.state, "total": report.total,
            "done": report.done, "error": report.error,
            "createdAt": timefmt.format(report.created_at),
            "finishedAt": timefmt.format(report.finished_at) if report.finished_at else None,
            "summary": Summary(**report.summary) if report.summary else None}


def _out(report: bulk_check.Report) -> BulkReport:
    return BulkReport(**_item(report), rows=[BulkRow(**row) for row in report.rows])


async def _read_uploads(links: UploadFile | None, files: list[UploadFile] | None
                       ) -> tuple[tuple[str, bytes] | None, list[tuple[str, bytes]]]:
    """The uploads' names and bytes (the body itself is bounded by the size limit)."""
    given = (links.filename or "links.csv", await links.read()) \
        if links is not None and links.filename else None
    sent = [(f.filename or "file", await f.read()) for f in files or [] if f.filename]
    return given, sent


@router.post(
    "/bulk-checks", status_code=202, response_model=BulkReport,
    summary="Check many candidates at once: a report with one row per candidate",
    description="A multipart form with `links` (a CSV of `candidate,link` rows; UTF-8 or "
    "GB18030; a header row is recognised) and/or `files` (credential JSON files, certificate "
    f"PDFs, or zips of them). At most {bulk_check.MAX_CANDIDATES} candidates. Each is judged "
    "as POST /v1/verify judges one; a bad row (not a link, an unknown or expired link, an "
    "unreadable file) is a row with its reason. Opening a share link counts one view. "
    "Answers 202 with the report `running`; poll `Location` until it is `done`.",
    responses=answers(e409="another bulk check of this employer is still running",
                      e413="more candidates, or a larger zip, than a bulk check takes",
                      e422="nothing to check, or a links CSV that cannot be read"))
async def create_bulk_check(
    who: Employer, svc: ServiceDep, response: Response, background: BackgroundTasks,
    links: Annotated[UploadFile | None, File(description="CSV: candidate,link")] = None,
    files: Annotated[list[UploadFile] | None, File(
        description="credential JSON, certificate PDFs, zips")] = None,
) -> BulkReport:
    assert who.employer_id is not None
    given, sent = await _read_uploads(links, files)
    candidates = await run_in_threadpool(bulk_check.candidates, given, sent)
    report = await run_in_threadpool(bulk_check.start, svc, who.employer_id, candidates)
    background.add_task(bulk_check.finish, svc, report.id, candidates)  # after the answer
    response.headers["Location"] = f"/v1/employer/bulk-checks/{report.id}"
    return _out(report)


@router.post(
    "/requests/{request_id}/bulk-check", status_code=202, response_model=BulkReport,
    summary="A bulk check report over the answers to one of this employer's requests",
    description="One row per answer, oldest first: the presentation judged now by its named "
    "checks (proof, challenge, domain, credentials, requirements), each requirement met or "
    "not with its reason, the name as revealed (else a stable reference `#…`). A withdrawn "
    "or declined answer is a row saying so. Another employer's request answers 404. Answers "
    "202 with the report `running`; poll `Location`; read it as JSON, CSV or PDF as any "
    "bulk check report.",
    responses=answers(e404="no such request of this employer",
                      e409="another bulk check of this employer is still running",
                      e422="nobody has answered the request yet"))
async def create_request_bulk_check(
        request_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")], who: Employer,
        svc: ServiceDep, response: Response, background: BackgroundTasks) -> BulkReport:
    employer = await run_in_threadpool(employers.active, svc, who.employer_id)
    candidates = await run_in_threadpool(bulk_sources.request_answers, svc, employer.id,
                                         request_id)
    report = await run_in_threadpool(bulk_check.start, svc, employer.id, candidates)
    background.add_task(bulk_check.finish, svc, report.id, candidates)  # after the answer
    response.headers["Location"] = f"/v1/employer/bulk-checks/{report.id}"
    return _out(report)


@router.get("/bulk-checks", response_model=list[BulkReportItem],
            summary="This employer's bulk check reports, newest first (summaries)")
def list_bulk_checks(who: Employer, svc: ServiceDep) -> list[BulkReportItem]:
    assert who.employer_id is not None
    return [BulkReportItem(**_item(r)) for r in bulk_check.listing(svc, who.employer_id)]


@router.get("/bulk-checks/{report_id}", response_model=BulkReport,
            summary="One bulk check report: its state and, once done, every row")
def get_bulk_check(report_id: str, who: Employer, svc: ServiceDep) -> BulkReport:
    assert who.employer_id is not None
    return _out(bulk_check.own(svc, who.employer_id, report_id))


def _download(body: bytes, media: str, name: str) -> Response:
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "UTF-8 with a byte-order mark"},
    **answers(e409="the check is still running, or failed")}
_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "A4, the summary first"},
    **answers(e409="the check is still running, or failed",
              e503="no Chinese font installed for PDFs")}


@router.get("/bulk-checks/{report_id}/report.csv", response_class=Response, responses=_CSV,
            summary="A bulk check report as CSV (Excel opens it, Chinese included)")
def bulk_check_csv(report_id: str, who: Employer, svc: ServiceDep, lang: Lang = "zh"
                   ) -> Response:
    assert who.employer_id is not None
    report = bulk_check.finished(svc, who.employer_id, report_id)
    return _download(bulk_check.csv_bytes(report, lang), "text/csv; charset=utf-8",
                     f"bulk-check-{report.id[:8]}-{lang}.csv")


@router.get("/bulk-checks/{report_id}/report.pdf", response_class=Response, responses=_PDF,
            summary="A bulk check report as a printable PDF")
async def bulk_check_pdf(report_id: str, who: Employer, svc: ServiceDep, lang: Lang = "zh"
                         ) -> Response:
    assert who.employer_id is not None
    report = await run_in_threadpool(bulk_check.finished, svc, who.employer_id, report_id)
    body = await run_in_threadpool(bulk_report_pdf.render, report, lang)
    return _download(body, "application/pdf", f"bulk-check-{report.id[:8]}-{lang}.pdf")


@router.delete("/bulk-checks/{report_id}", status_code=204, response_class=Response,
               summary="Delete a bulk check report before its retention ends",
               responses=answers(e409="the check is still running"))
def delete_bulk_check(report_id: str, who: Employer, svc: ServiceDep) -> Response:
    assert who.employer_id is not None
    bulk_check.remove(svc, who.employer_id, report_id)
    return Response(status_code=204)
