"""Where a bulk check's candidates come from: a CSV of share links, files (a credential's
JSON, a certificate PDF with its embedded credential, each alone or in a zip), or the
answers to one of the employer's verification requests.

Every source makes :class:`Candidate` values whose ``resolve`` gives the copy to check, or
raises :class:`InputProblem` naming what is wrong with the input (not a link, an unknown or
expired link, a PDF without a credential, a file too large, a withdrawn presentation);
:mod:`api.service.bulk_check` checks them all alike. An answer's presentation is judged
by its own named checks (:func:`answer_row`), as the request's results show it.

Opening a share link here counts one view, as opening it in a browser does (docs/hr.md).
Zips are read in memory with bounds on their size, their number of entries, each entry's
size as it is decompressed and everything read together, so a zip bomb stops early.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from verifier import CredentialError, Status, jsonio, pdf, verdict
from verifier import presentation as vp

from . import presentations, sharing
from .context import Service
from .errors import Gone, InvalidInput, NotFound, TooLarge
from .models import Credential

MAX_CANDIDATES = 2000
MAX_CSV_BYTES = 2 << 20
MAX_CELL = 500  # characters kept of a candidate's name or reference
MAX_ZIP_BYTES = 64 << 20
MAX_ZIP_ENTRIES = MAX_CANDIDATES
MAX_ZIP_UNCOMPRESSED = 256 << 20  # everything a zip's entries hold, as read
MAX_FILE_BYTES = pdf.MAX_PDF_BYTES  # one file: a certificate PDF at most


# What is wrong with an input that could not be checked at all (verdict ``not_checked``).
PROBLEMS: dict[str, dict[str, str]] = {
    "not_a_link": {"zh": "不是本服务的分享链接", "en": "Not a share link of this service"},
    "unknown_link": {"zh": "分享链接不存在", "en": "No such share link"},
    "link_expired": {"zh": "分享链接已过期", "en": "The share link has expired"},
    "link_revoked": {"zh": "分享链接已被持有人撤回",
                     "en": "The share link was revoked by its owner"},
    "link_used_up": {"zh": "分享链接的查看次数已用完",
                     "en": "The share link has been opened as often as its owner allowed"},
    "link_unusable": {"zh": "分享链接无法打开", "en": "The share link cannot be opened"},
    "no_credential_in_pdf": {"zh": "PDF 中没有可核验的凭证",
                             "en": "The PDF holds no credential to check"},
    "file_too_large": {"zh": "文件过大", "en": "The file is too large"},
    "unsupported_file": {"zh": "无法读取的压缩包或文件",
                         "en": "An archive or file that cannot be read"},
    "presentation_withdrawn": {"zh": "求职者已撤回其出示", "en": "The learner withdrew the "
                               "presentation"},
    "presentation_declined": {"zh": "求职者拒绝了此请求", "en": "The learner declined the "
                              "request"},
}

# Why an answer's presentation is not verified, when its credentials are not the cause
# (then the first failing credential's own reason is given, a key of verdict.HEADLINES).
PRESENTATION_REASONS: dict[str, dict[str, str]] = {
    "presentation_form": {"zh": "出示的格式不正确", "en": "The presentation is malformed"},
    "presentation_proof": {"zh": "出示的持有人签名无效",
                           "en": "The holder's signature on the presentation is not valid"},
    "presentation_challenge": {"zh": "出示不是对本请求的回答（挑战值不符）",
                               "en": "The presentation answers another request (challenge)"},
    "presentation_domain": {"zh": "出示不是给本单位的（域不符）",
                            "en": "The presentation is meant for someone else (domain)"},
    "requirements_not_met": {"zh": "凭证有效，但未满足全部要求",
                             "en": "The credentials are valid but not every requirement is "
                             "met"},
    "names_differ": {"zh": "各凭证显示的姓名不一致",
                     "en": "The credentials reveal different names"},
}

_LINK = re.compile(r"/s/([A-Za-z0-9_-]{20,128})(?:\.json)?/?$")
_HEADER_LINKS = {"link", "url", "share link", "sharelink", "链接", "分享链接"}


class InputProblem(Exception):
    """A candidate's input cannot be checked; ``reason`` is a key of :data:`PROBLEMS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or PROBLEMS[reason]["en"])
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Loaded:
    """The copy to check: the parsed document, the bytes as sent (files), and the service's
    record when the copy came from one of its share links."""

    document: Any
    raw: bytes | None = None
    held: Credential | None = None


@dataclass(frozen=True)
class Candidate:
    candidate: str  # the name or reference the employer gave, or the file's name
    source: str  # link | file | response
    origin: str  # where in the input, for the reader: "links.csv row 3", "a.zip: b.pdf"
    resolve: Callable[[Service], Loaded]  # raises InputProblem
    # an answer's presentation is judged by its source: the row's verdict and its members
    judge: Callable[[Service], dict[str, Any]] | None = None
    presentation_id: str | None = None  # a request's answer: its id, kept in the row


def _cell(text: str) -> str:
    return " ".join(text.split())[:MAX_CELL]


# ---- sources: a CSV of share links ----------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); else GB18030, what Excel saves in Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("the links CSV is neither UTF-8 nor GB18030 text") from None


def _token(link: str) -> str | None:
    text = link.strip()
    match = _LINK.search(urlsplit(text).path if "://" in text else text)
    return match.group(1) if match else None


class _Links:
    """A CSV's share links, opened together when the first is needed: each counts one view
    as :func:`sharing.open_shared` counts it (one conditional UPDATE), but a few hundred
    views are committed at once instead of one commit each."""

    CHUNK = 200  # links per transaction: short enough not to hold writers up for long

    def __init__(self) -> None:
        self.links: list[str] = []
        self.opened: list[tuple[Credential, list[str]] | InputProblem] | None = None

    def add(self, link: str) -> Callable[[Service], Loaded]:
        number = len(self.links)
        self.links.append(link)
        return lambda svc: self.resolve(svc, number)

    def resolve(self, svc: Service, number: int) -> Loaded:
        if self.opened is None:
            self.opened = [outcome for start in range(0, len(self.links), self.CHUNK)
                           for outcome in self._open(svc, self.links[start:start + self.CHUNK])]
        outcome = self.opened[number]
        if isinstance(outcome, InputProblem):
            raise outcome
        credential, reveal = outcome
        try:
            return Loaded(sharing.derive(credential, reveal), None, credential)
        except InvalidInput as exc:  # what the link reveals no longer fits its credential
            raise InputProblem("link_unusable", str(exc)) from None

    @staticmethod
    def _open(svc: Service, links: list[str]) -> list[tuple[Credential, list[str]] | InputProblem]:
        opened: list[tuple[Credential, list[str]] | InputProblem] = []
        with svc.db.session() as session:
            for link in links:
                token = _token(link)
                if token is None:
                    opened.append(InputProblem("not_a_link"))
                    continue
                try:  # a refused open writes nothing: the transaction goes on
                    found, credential = sharing.open_link(session, token)
                except NotFound:
                    opened.append(InputProblem("unknown_link"))
                except Gone as exc:
                    opened.append(InputProblem(f"link_{exc.state}"))
                else:
                    opened.append((credential, list(found.reveal)))
        return opened


def links_csv(data: bytes, name: str = "links.csv") -> list[Candidate]:
    """Candidates from a CSV of ``candidate,link`` rows (a header row is recognised by its
    link column's title; a row of one cell is a link alone). Blank rows are skipped."""
    if len(data) > MAX_CSV_BYTES:
        raise TooLarge(f"the links CSV is larger than {MAX_CSV_BYTES} bytes")
    try:
        rows = list(csv.reader(io.StringIO(_decode(data), newline="")))
    except csv.Error as exc:
        raise InvalidInput(f"the links CSV cannot be read: {exc}") from None
    found = []
    links = _Links()
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        name_cell, link = ("", cells[0]) if len(cells) == 1 else (cells[0], cells[1])
        if number == 1 and link.lower() in _HEADER_LINKS:
            continue
        found.append(Candidate(_cell(name_cell), "link", f"{_cell(name)} row {number}",
                               links.add(link[:4000])))
        if len(found) > MAX_CANDIDATES:
            break  # refused by the caller's count; no need to read on
    return found


# ---- sources: files, alone or in a zip -----------------------------------------------------


def _is_zip(name: str, data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or name.lower().endswith(".zip")


def _file(data: bytes, name: str) -> Callable[[Service], Loaded]:
    def resolve(_svc: Service) -> Loaded:
        if len(data) > MAX_FILE_BYTES:
            raise InputProblem("file_too_large", f"larger than {MAX_FILE_BYTES} bytes")
        raw = data
        if pdf.is_pdf(raw) or name.lower().endswith(".pdf"):
            try:
                raw = pdf.extract(raw)
            except CredentialError as exc:
                raise InputProblem("no_credential_in_pdf", str(exc)) from None
        if len(raw) > jsonio.MAX_CREDENTIAL_BYTES:
            raise InputProblem("file_too_large",
                               f"a credential is at most {jsonio.MAX_CREDENTIAL_BYTES} bytes")
        try:
            document: Any = jsonio.loads(raw)
        except CredentialError:  # the verifier reports the format failure itself
            document = None
        return Loaded(document, raw)

    return resolve


def _refused(problem: InputProblem) -> Callable[[Service], Loaded]:
    def resolve(_svc: Service) -> Loaded:
        raise problem

    return resolve


def _skipped_entry(info: zipfile.ZipInfo) -> bool:
    """Folders and what archivers add by themselves (macOS resource forks, dot files)."""
    base = info.filename.rstrip("/").rsplit("/", 1)[-1]
    return info.is_dir() or info.filename.startswith("__MACOSX/") or base.startswith(".")


def _zip_entries(data: bytes, name: str) -> list[Candidate]:
    """One candidate per file in the zip, read with bounds: the zip's size, its number of
    entries, each entry's size as it is decompressed (never its declared size alone), and
    everything read together (a zip bomb stops at :data:`MAX_ZIP_UNCOMPRESSED`)."""
    if len(data) > MAX_ZIP_BYTES:
        raise TooLarge(f"{_cell(name)}: a zip is at most {MAX_ZIP_BYTES} bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not _skipped_entry(i)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        return [Candidate(_cell(name), "file", _cell(name),
                          _refused(InputProblem("unsupported_file", f"not a readable zip "
                                                f"({exc})")))]
    if len(infos) > MAX_ZIP_ENTRIES:
        raise TooLarge(f"{_cell(name)}: a zip holds at most {MAX_ZIP_ENTRIES} files")
    read_so_far = 0
    found = []
    for info in infos:
        entry = _cell(info.filename)
        origin = f"{_cell(name)}: {entry}"
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError,
                EOFError, OSError) as exc:  # damaged, encrypted or an unknown compression
            problem = InputProblem("unsupported_file", f"cannot read this entry ({exc})")
            found.append(Candidate(entry, "file", origin, _refused(problem)))
            continue
        read_so_far += len(content)
        if read_so_far > MAX_ZIP_UNCOMPRESSED:
            raise TooLarge(f"{_cell(name)}: its files hold more than "
                           f"{MAX_ZIP_UNCOMPRESSED} bytes uncompressed")
        if _is_zip(info.filename, content):
            problem = InputProblem("unsupported_file", "a zip inside a zip is not opened")
            found.append(Candidate(entry, "file", origin, _refused(problem)))
            continue
        found.append(Candidate(entry, "file", origin, _file(content, info.filename)))
    return found


def files(name: str, data: bytes) -> list[Candidate]:
    """Candidates from one uploaded file: a zip's files, or the file itself."""
    if _is_zip(name, data):
        return _zip_entries(data, name)
    return [Candidate(_cell(name), "file", _cell(name), _file(data, name))]


def candidates(links: tuple[str, bytes] | None,
               uploads: Iterable[tuple[str, bytes]]) -> list[Candidate]:
    """Every candidate of one submission in input order: the links CSV's rows, then each
    uploaded file's (a zip's entries in its order). TooLarge as soon as there are more
    than :data:`MAX_CANDIDATES`, before anything is checked."""
    found = links_csv(links[1], links[0] or "links.csv") if links is not None else []
    for name, data in uploads:
        if len(found) > MAX_CANDIDATES:
            break
        found.extend(files(name or "file", data))
    if len(found) > MAX_CANDIDATES:
        raise TooLarge(f"a bulk check takes at most {MAX_CANDIDATES} candidates")
    return found


# ---- sources: the answers to one verification request --------------------------------------


def _presentation_reason(report: vp.PresentationReport) -> tuple[str, str]:
    """The reason code of a presentation's verdict and the deciding check's words."""
    failed = report.failed
    if failed is None:
        return "verified", ""
    detail = report.check(failed).detail
    if failed == "presentation.credentials":
        bad = next(o for o in report.credentials if not o.verified)
        return (bad.reason if bad.reason in verdict.HEADLINES else "unreadable"), detail
    if failed == "presentation.requirements":
        return "requirements_not_met", detail
    if failed == "presentation.holder_name":
        return "names_differ", detail
    return failed.replace(".", "_"), detail


def _credential_check(report: vp.PresentationReport, check_id: str) -> Status | None:
    """How one check of the presented credentials went together: FAILED if one failed,
    PASSED if each passed, else None (skipped, or nothing presented)."""
    found = [next((c.status for c in o.checks if c.id == check_id), None)
             for o in report.credentials]
    if Status.FAILED in found:
        return Status.FAILED
    return Status.PASSED if found and all(s is Status.PASSED for s in found) else None


def _credentials_status(report: vp.PresentationReport) -> str:
    reasons = {o.reason for o in report.credentials}
    for state, check_id in (("revoked", "not_revoked"), ("suspended", "not_suspended")):
        if state in reasons or _credential_check(report, check_id) is Status.FAILED:
            return state
    both = (_credential_check(report, "not_revoked"), _credential_check(report, "not_suspended"))
    return "active" if both == (Status.PASSED, Status.PASSED) else "not_checked"


def _accredited(report: vp.PresentationReport) -> str:
    trusted = _credential_check(report, "issuer_trusted")
    return "not_checked" if trusted is None else "yes" if trusted is Status.PASSED else "no"


def answer_row(report: vp.PresentationReport) -> dict[str, Any]:
    """A report row's verdict members for one presentation: its named checks, each
    requirement met or not with its reason, the name as the credentials reveal it."""
    reason, detail = _presentation_reason(report)
    headline = verdict.HEADLINES.get(reason) or PRESENTATION_REASONS[reason]
    names = list(report.names)
    return {"verdict": "verified" if report.verified else "not_verified", "reason": reason,
            "headline": dict(headline), "detail": detail[:300], "failedCheck": report.failed,
            "status": _credentials_status(report), "issuerAccredited": _accredited(report),
            "credentialId": ", ".join(o.id for o in report.credentials)[:MAX_CELL] or None,
            "holder": ", ".join(names)[:MAX_CELL] or None,
            "checks": [{"id": c.id, "status": c.status.value, "detail": c.detail[:300]}
                       for c in report.checks],
            "requirements": [{"id": j.requirement.id, "kind": j.requirement.kind,
                              "met": j.met, "detail": j.detail[:300]}
                             for j in report.requirements]}


def _judged_by_source(_svc: Service) -> Loaded:
    """The ``resolve`` of a candidate its ``judge`` decides: there is no copy to load."""
    raise TypeError("this candidate is judged by its source, not loaded")


def _answer(request: Any, answer: Any) -> Candidate:
    """One answer: a presented one is judged now; a withdrawn or declined one is a row
    saying so. The candidate is the name the presentation reveals, else a reference to
    the answer that stays the same in every report."""
    reference = f"#{answer.id[:8]}"
    origin = f"request {request.id}, answered {answer.created_at:%Y-%m-%d}"
    if answer.state != "presented" or answer.document is None:
        reason = "presentation_declined" if answer.state == "declined" \
            else "presentation_withdrawn"
        return Candidate(reference, "response", origin, _refused(InputProblem(reason)),
                         presentation_id=answer.id)
    document = answer.document

    def judge(svc: Service) -> dict[str, Any]:
        row = answer_row(presentations.check(svc, request, json.loads(document)))
        return {**row, "candidate": row["holder"] or reference}

    return Candidate(reference, "response", origin, _judged_by_source, judge,
                     presentation_id=answer.id)


def request_answers(svc: Service, employer_id: int, request_id: str) -> list[Candidate]:
    """Candidates from the answers to one of the employer's requests, oldest first.
    NotFound for another employer's request (as for none); InvalidInput when nobody
    has answered yet."""
    request = presentations.employer_request(svc, employer_id, request_id)
    answers = presentations.request_responses(svc, request, verify=False)
    if not answers:
        raise InvalidInput("nobody has answered this request yet")
    if len(answers) > MAX_CANDIDATES:
        raise TooLarge(f"a bulk check takes at most {MAX_CANDIDATES} candidates")
    return [_answer(request, a.presentation) for a in answers]
