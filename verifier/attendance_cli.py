"""The attendance part of credbank-verify: a learner's attendance record (a file whose type
is CredbankAttendanceRecord), checked with the chain evidence given (--trust, --online) or
else the trust bundle the record embeds, verified against --pin or the stored pin.

The verdict fails closed: VERIFIED only when every check passed and the evidence's signer
set was pinned; --no-status accepts, in so many words, a record whose chain checks could not
run or ran against an unpinned signer set.
"""

from __future__ import annotations

import json
from typing import Any

from . import attendance_check as checking
from .evidence import bundle as bundles
from .evidence.bundle import ChainEvidence, RejectedEvidence, SignerPin
from .evidence.errors import EvidenceError
from .model import Status

_MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–", Status.ERROR: "!"}
_CHAIN = ("attendance.venue_registered", "attendance.day_anchored")
# reasons are the verdict's codes (verifier.verdict.HEADLINES), so a run's summary counts
# them with the credentials'; the headline words are the record's own
_REASONS = {"attendance.form": "unreadable", "attendance.holder": "altered",
            "attendance.inclusion": "altered", "attendance.venue_registered":
            "not_accredited", "attendance.day_anchored": "not_anchored",
            "attendance.totals": "altered"}
WORDS = {"unreadable": "the record cannot be read", "altered": "the record was altered",
         "not_accredited": "a venue was not registered on its day",
         "not_anchored": "a day is not anchored on chain",
         "check_error": "the chain evidence could not be used",
         "status_unknown": "the chain was not checked"}

is_record = checking.is_record


def _stored_pin() -> SignerPin | None:
    path = bundles.stored_pin_path()
    return bundles.load_pin(path) if path.is_file() else None


def evidence_for(document: Any, given: ChainEvidence | RejectedEvidence | None,
                 pin: SignerPin | None) -> ChainEvidence | RejectedEvidence | None:
    """The evidence given, else the record's own bundle checked against the pin (or the
    stored pin); a bundle that does not read or verify is rejected evidence."""
    if given is not None:
        return given
    embedded = checking.embedded_evidence(document)
    if embedded is None:
        return None
    try:
        return bundles.verify_bundle(bundles.parse_bundle(embedded), pin or _stored_pin())
    except EvidenceError as exc:
        return RejectedEvidence(f"the record's trust bundle: {exc}")


def reason_of(report: checking.AttendanceReport, accept: set[str]) -> str:
    """``verified``, or why not: the first check that failed, else a chain gap."""
    for check in report.checks:
        if check.status is Status.FAILED:
            return _REASONS[check.id]
        if check.status is Status.ERROR:
            return "check_error"
    gaps = any(c.status is Status.SKIPPED for c in report.checks)
    if (gaps or not report.pinned) and "status" not in accept:
        return "status_unknown"
    return "verified"


def run(name: str, document: Any, *, given: ChainEvidence | RejectedEvidence | None,
        pin: SignerPin | None, accept: set[str], as_json: bool) -> str:
    """Check and print one record; its reason (``verified`` or why not)."""
    evidence = evidence_for(document, given, pin)
    report = checking.check(document, evidence)
    reason = reason_of(report, accept)
    if as_json:
        print(json.dumps({**report.to_json(name), "verified": reason == "verified",
                          "reason": reason}, ensure_ascii=False))
        return reason
    if reason == "verified":
        exceptions = []
        if any(c.status is Status.SKIPPED for c in report.checks):
            exceptions.append("the chain was not checked")
        elif not report.pinned:
            exceptions.append("the chain's signer set was not pinned")
        head = "VERIFIED attendance" + (f", except that {exceptions[0]}" if exceptions else "")
    else:
        words = WORDS[reason]
        if reason == "status_unknown":
            if any(c.status is Status.SKIPPED for c in report.checks):
                words += " (no chain evidence: give --trust with a trust bundle"
            else:
                words = ("the chain evidence is not trusted (its signer set is not pinned: "
                         "give --pin, or store one with `credbank trust pin`")
            words += "; or accept this with --no-status)"
        head = f"NOT VERIFIED attendance: {words}"
    lines = [f"{head}  {name}"]
    if given is None and isinstance(evidence, ChainEvidence):
        lines.append(f"  chain: the record's own trust bundle, {evidence.as_of}")
    lines += [f"  {_MARK[c.status]} {c.id:<28} {c.detail}" for c in report.checks]
    pending = document.get("pending") if isinstance(document, dict) else None
    if isinstance(pending, list) and pending:
        lines.append(f"  {len(pending)} check-in(s) listed as pending: not anchored yet, "
                     "proven by nothing and counted in no total")
    print("\n".join(lines))
    return reason
