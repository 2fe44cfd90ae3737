"""Bulk checks: an employer checks many candidates at once and keeps a report.

The candidates come from the sources of :mod:`api.service.bulk_sources` (a CSV of share
links, files alone or in a zip, the answers to one verification request); each resolves to
the copy to check or to the problem with its input, or (an answer's presentation) is judged
by its source.

Each candidate is judged exactly as one verification is (:func:`api.service.reports.report`,
which judges through :func:`api.service.checking.judge`): the verdict failing closed, its
reason code and headline, the status from the chain and the service's record, the
issuer's accreditation and scope. A bad row becomes a row of the report with its reason,
never a failure of the batch. Rows keep the input's order: the CSV's rows first, then the
files in the order sent (a zip's entries in the zip's order).

Reports are stored for :data:`RETENTION_DAYS` days (they hold candidates' names) and only
their employer sees them; older ones are deleted whenever a new one is stored.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from verifier import Status, timefmt, verdict
from verifier.credit import Unit

from . import checking, reports, sharing
from .bulk_sources import (
    MAX_CANDIDATES,
    PRESENTATION_REASONS,
    PROBLEMS,
    Candidate,
    InputProblem,
    candidates,
)
from .certificate import read_facts
from .context import Service
from .employer_models import BulkCheck, Presentation
from .errors import Conflict, InvalidInput, NotFound, ServiceError, TooLarge

__all__ = ["MAX_CANDIDATES", "Candidate", "candidates", "finish", "run", "start"]

log = logging.getLogger("credbank.bulk_check")

RETENTION_DAYS = 30
LIST_LIMIT = 100
VERDICTS = ("verified", "not_verified", "not_checked")
REASONS = {**verdict.HEADLINES, **PROBLEMS, **PRESENTATION_REASONS}  # every reason a row gives


# ---- one row ---------------------------------------------------------------------------------


def _status(result: Any, explained: verdict.Explanation) -> str:
    """The credential's status as the checks (and the service's record) show it."""
    if explained.reason in ("revoked", "suspended"):
        return explained.reason
    if not explained.content_trusted:
        return "not_checked"
    checks = {c.id: c.status for c in result.checks}
    if checks.get("not_revoked") is Status.FAILED:
        return "revoked"
    if checks.get("not_suspended") is Status.FAILED:
        return "suspended"
    if checks.get("not_revoked") is Status.PASSED and checks.get("not_suspended") \
            is Status.PASSED:
        return "active"
    return "not_checked"


def _accredited(result: Any, explained: verdict.Explanation) -> str:
    status = {c.id: c.status for c in result.checks}.get("issuer_trusted")
    if not explained.content_trusted or status is None or status is Status.SKIPPED:
        return "not_checked"
    return "yes" if status is Status.PASSED else "no"


def _facts(document: Any) -> dict[str, Any]:
    zh, en = read_facts(document, "zh"), read_facts(document, "en")
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    unit = achievement.get("creditUnit") if isinstance(achievement, dict) else None
    return {"credentialId": zh.credential_id, "holder": sharing.holder_name(document),
            "issuerName": zh.issuer_name, "issuerDid": zh.issuer_id,
            "achievement": {"zh": zh.achievement_name, "en": en.achievement_name},
            "level": zh.level, "credits": zh.credits,
            "creditUnit": unit if unit in Unit.__members__.values() else None,
            "issued": (zh.issued or "")[:10] or None}


_NO_FACTS = {"credentialId": None, "holder": None, "issuerName": None, "issuerDid": None,
             "achievement": None, "level": None, "credits": None, "creditUnit": None,
             "issued": None}


def _detail(report: reports.Report, scope_problem: str | None) -> str:
    explained = report.explanation
    if explained.reason == "out_of_scope" and scope_problem:
        return scope_problem
    if explained.failed:
        return report.result.check(explained.failed).detail
    skipped = [c for c in report.result.checks if c.status is Status.SKIPPED]
    return skipped[0].detail if not explained.verified and skipped else ""


def _headline(report: reports.Report) -> dict[str, str]:
    change = report.status
    if change is None or report.reason != change.action:
        return dict(verdict.HEADLINES[report.reason])
    date = timefmt.format(change.at)[:10]
    return {lang: verdict.dated_headline(change.action, lang, date, change.reason)
            for lang in ("zh", "en")}


def _problem_row(row: dict[str, Any], problem: InputProblem) -> dict[str, Any]:
    return {**row, "verdict": "not_checked", "reason": problem.reason,
            "headline": PROBLEMS[problem.reason], "detail": problem.detail[:300],
            "failedCheck": None, "status": "not_checked", "issuerAccredited": "not_checked",
            **_NO_FACTS}


def check_candidate(svc: Service, number: int, candidate: Candidate) -> dict[str, Any]:
    """The report's row for one candidate (JSON-ready); an input problem is a row too."""
    row: dict[str, Any] = {"number": number, "candidate": candidate.candidate,
                           "source": candidate.source, "origin": candidate.origin}
    if candidate.presentation_id is not None:
        row["presentationId"] = candidate.presentation_id
    if candidate.judge is not None:  # an answer's presentation, by its own named checks
        return {**row, **_NO_FACTS, **candidate.judge(svc)}
    try:
        loaded = candidate.resolve(svc)
    except InputProblem as problem:
        return _problem_row(row, problem)
    report = reports.report(svc, loaded.document, loaded.held, loaded.raw)
    explained = report.explanation
    scope = None
    if explained.reason == "out_of_scope":
        scope = checking.out_of_scope(svc, report.result, loaded.document)
    facts = _facts(loaded.document) if explained.content_trusted and isinstance(
        loaded.document, dict) else _NO_FACTS
    return {**row, "verdict": "verified" if explained.verified else "not_verified",
            "reason": explained.reason, "headline": _headline(report),
            "detail": _detail(report, scope)[:300], "failedCheck": explained.failed,
            "status": _status(report.result, explained),
            "issuerAccredited": _accredited(report.result, explained), **facts}


def summarize(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts by verdict (every verdict named) and by reason (most frequent first)."""
    rows = list(rows)
    by_verdict = Counter(r["verdict"] for r in rows)
    by_reason = Counter(r["reason"] for r in rows)
    return {"total": len(rows), "byVerdict": {v: by_verdict.get(v, 0) for v in VERDICTS},
            "byReason": dict(sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0])))}


# ---- reports: start, finish, keep, read ---------------------------------------------------
#
# A check of 1,000 candidates takes several seconds (docs/hr.md, "Time"), so it runs after
# the answer: ``start`` stores the report as ``running`` and ``finish`` (the web layer runs
# it in the background) checks every candidate and stores the rows. A report still running
# after STALE_MINUTES was cut off (the service stopped): it reads as failed.

STALE_MINUTES = 15  # 2,000 candidates take well under a minute
PROGRESS_EVERY = 100  # rows between two progress updates


@dataclass(frozen=True)
class Report:
    id: str
    state: str  # running | done | failed
    total: int
    done: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any] | None
    rows: list[dict[str, Any]]


def _forget_withdrawn(session: Any, row: BulkCheck) -> None:
    """An answer withdrawn since the report was made keeps nothing in it but the withdrawal
    (its name, checks and requirements go, as the presentation itself went)."""
    if row.state != "done" or '"presentationId"' not in row.rows:
        return
    rows = json.loads(row.rows)
    shown = {r["presentationId"] for r in rows if r.get("presentationId")
             and r["reason"] not in ("presentation_withdrawn", "presentation_declined")}
    gone = set(session.scalars(select(Presentation.id).where(
        Presentation.id.in_(shown), Presentation.state == "withdrawn"))) if shown else set()
    if not gone:
        return
    rows = [_problem_row({"number": r["number"], "candidate": f"#{r['presentationId'][:8]}",
                          "source": r["source"], "origin": r["origin"],
                          "presentationId": r["presentationId"]},
                         InputProblem("presentation_withdrawn"))
            if r.get("presentationId") in gone else r for r in rows]
    row.rows = json.dumps(rows, ensure_ascii=False)
    row.summary = summarize(rows)


def _view(row: BulkCheck, rows: bool = True) -> Report:
    return Report(row.id, row.state, row.total, row.done, row.error, row.created_at,
                  row.finished_at, row.summary, json.loads(row.rows) if rows else [])


def _settle(session: Any, now: datetime) -> None:
    """Delete the reports past retention; mark the ones cut off as failed."""
    session.execute(delete(BulkCheck).where(
        BulkCheck.created_at < now - timedelta(days=RETENTION_DAYS)))
    session.execute(update(BulkCheck).where(
        BulkCheck.state == "running",
        BulkCheck.created_at < now - timedelta(minutes=STALE_MINUTES))
        .values(state="failed", error="the check was cut off; submit it again",
                finished_at=now))


def start(svc: Service, employer_id: int, candidates: list[Candidate], *,
          now: Callable[[], datetime] = timefmt.now) -> Report:
    """Store a new report as running. InvalidInput when there is nothing to check, TooLarge
    beyond :data:`MAX_CANDIDATES`, Conflict while another of the employer's checks runs
    (one at a time: each holds its files in memory and a share of the service's time)."""
    if not candidates:
        raise InvalidInput("nothing to check: send a links CSV or credential files")
    if len(candidates) > MAX_CANDIDATES:
        raise TooLarge(f"a bulk check takes at most {MAX_CANDIDATES} candidates")
    created = now()
    with svc.db.session() as session:
        _settle(session, created)
        running = session.scalars(select(BulkCheck.id).where(
            BulkCheck.employer_id == employer_id, BulkCheck.state == "running")).first()
        if running is not None:
            raise Conflict(f"bulk check {running} is still running; wait for it to finish")
        row = BulkCheck(id=str(uuid.uuid4()), employer_id=employer_id, state="running",
                        total=len(candidates), done=0, created_at=created, rows="[]")
        session.add(row)
    return _view(row)


def finish(svc: Service, report_id: str, candidates: list[Candidate]) -> None:
    """Check every candidate in order and store the rows and summary; a failure of the
    service itself (no chain, say) marks the report failed with its reason."""
    rows: list[dict[str, Any]] = []
    try:
        for number, candidate in enumerate(candidates, start=1):
            rows.append(check_candidate(svc, number, candidate))
            if number % PROGRESS_EVERY == 0 and number < len(candidates):
                with svc.db.session() as session:
                    session.execute(update(BulkCheck).where(BulkCheck.id == report_id)
                                    .values(done=number))
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ServiceError) else "internal error"
        if not isinstance(exc, ServiceError):
            log.exception("bulk check %s failed", report_id)
        with svc.db.session() as session:
            session.execute(update(BulkCheck).where(BulkCheck.id == report_id).values(
                state="failed", error=reason[:500], done=len(rows),
                finished_at=timefmt.now()))
        return
    with svc.db.session() as session:
        session.execute(update(BulkCheck).where(BulkCheck.id == report_id).values(
            state="done", done=len(rows), summary=summarize(rows),
            rows=json.dumps(rows, ensure_ascii=False), finished_at=timefmt.now()))


def run(svc: Service, employer_id: int, candidates: list[Candidate]) -> Report:
    """Start and finish a check at once; the stored report."""
    started = start(svc, employer_id, candidates)
    finish(svc, started.id, candidates)
    return own(svc, employer_id, started.id)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _own_row(session: Any, employer_id: int, report_id: str) -> BulkCheck:
    row = None
    if _UUID.fullmatch(report_id):
        row = session.scalars(select(BulkCheck).where(
            BulkCheck.id == report_id, BulkCheck.employer_id == employer_id)).first()
    if row is None:
        raise NotFound("no such bulk check report")
    return row


def own(svc: Service, employer_id: int, report_id: str) -> Report:
    """One of the employer's reports; NotFound for another employer's, as for none."""
    with svc.db.session() as session:
        _settle(session, timefmt.now())
        found = _own_row(session, employer_id, report_id)
        _forget_withdrawn(session, found)
        return _view(found)


def finished(svc: Service, employer_id: int, report_id: str) -> Report:
    """A report whose rows are all there; Conflict while it runs or when it failed."""
    report = own(svc, employer_id, report_id)
    if report.state != "done":
        raise Conflict(f"the bulk check is {report.state}"
                       + (f": {report.error}" if report.error else ""))
    return report


def listing(svc: Service, employer_id: int) -> list[Report]:
    """The employer's reports, newest first, without their rows."""
    with svc.db.session() as session:
        _settle(session, timefmt.now())
        found = session.scalars(
            select(BulkCheck).where(BulkCheck.employer_id == employer_id)
            .order_by(BulkCheck.created_at.desc(), BulkCheck.id).limit(LIST_LIMIT)).all()
        for row in found:
            _forget_withdrawn(session, row)
        return [_view(row, rows=False) for row in found]


def remove(svc: Service, employer_id: int, report_id: str) -> None:
    """Delete a finished report (a running one is refused: its rows are on their way)."""
    with svc.db.session() as session:
        row = _own_row(session, employer_id, report_id)
        if row.state == "running":
            raise Conflict("the bulk check is still running")
        session.delete(row)


# ---- the report as CSV -----------------------------------------------------------------------

COLUMNS = ("number", "candidate", "source", "origin", "holder", "verdict", "reason",
           "reason_words", "failed_check", "issuer", "issuer_did", "issuer_accredited",
           "achievement", "level", "credits", "unit", "issued", "status", "credential_id",
           "presentation_checks", "requirements")
TITLES = {
    "zh": ("序号", "候选人", "来源", "位置", "凭证上的姓名", "结论", "原因代码", "原因",
           "未通过的检查", "签发机构", "签发机构 DID", "机构获认可", "学习成果", "层次",
           "学分", "单位", "签发日期", "状态", "凭证编号", "出示的检查", "各项要求"),
    "en": COLUMNS,
}
WORDS = {
    "zh": {"verified": "已验证", "not_verified": "未通过", "not_checked": "未能核验",
           "link": "分享链接", "file": "文件", "active": "有效", "revoked": "已撤销",
           "suspended": "已暂停", "yes": "是", "no": "否", "response": "请求的回答",
           "passed": "通过", "failed": "未通过", "skipped": "未检查", "met": "满足",
           "not_met": "未满足"},
    "en": {"verified": "verified", "not_verified": "not verified",
           "not_checked": "not checked", "link": "share link", "file": "file",
           "active": "active", "revoked": "revoked", "suspended": "suspended",
           "yes": "yes", "no": "no", "response": "request answer", "passed": "passed",
           "failed": "failed", "skipped": "skipped", "met": "met", "not_met": "not met"},
}


def word(value: str | None, lang: str) -> str:
    return WORDS[lang].get(value, value) if value else ""


def reason_sentence(row: dict[str, Any], lang: str) -> str:
    """The reason in words: the headline, and the failing check's own detail; for an
    answer's presentation, each requirement met or not too."""
    headline = row["headline"]["zh" if lang == "zh" else "en"]
    sentence = f"{headline}: {row['detail']}" if row.get("detail") else headline
    met = requirements_words(row, lang)
    return f"{sentence}; {met}" if met else sentence


def checks_words(row: dict[str, Any], lang: str) -> str:
    """An answer's named checks: ``presentation.proof: passed; …`` (else empty)."""
    return "; ".join(f"{c['id']}: {word(c['status'], lang)}" for c in row.get("checks") or ())


def requirements_words(row: dict[str, Any], lang: str) -> str:
    """An answer's requirements, each met or not with its reason (else empty)."""
    return "; ".join(f"{r['id']}: {word('met' if r['met'] else 'not_met', lang)} "
                     f"({r['detail']})" for r in row.get("requirements") or ())


def unit_words(unit: str | None, lang: str) -> str:
    return getattr(Unit(unit), lang) if unit else ""


def cells(row: dict[str, Any], lang: str) -> list[str]:
    """A row's cells in :data:`COLUMNS` order, in words of ``lang``."""
    achievement = row.get("achievement") or {}
    return [str(row["number"]), row["candidate"], word(row["source"], lang), row["origin"],
            row.get("holder") or "", word(row["verdict"], lang), row["reason"],
            reason_sentence(row, lang), row.get("failedCheck") or "",
            row.get("issuerName") or "", row.get("issuerDid") or "",
            word(row["issuerAccredited"], lang), achievement.get(lang) or "",
            row.get("level") or "", row.get("credits") or "",
            unit_words(row.get("creditUnit"), lang), row.get("issued") or "",
            word(row["status"], lang), row.get("credentialId") or "",
            checks_words(row, lang), requirements_words(row, lang)]


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text: never a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def csv_bytes(report: Report, lang: str) -> bytes:
    """The report as CSV: UTF-8 with a byte-order mark, so Excel reads Chinese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TITLES[lang])
    for row in report.rows:
        writer.writerow([_inert(c) for c in cells(row, lang)])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
