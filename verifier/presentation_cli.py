"""The presentation part of credbank-verify: a Verifiable Presentation answering an
employer's request, checked offline (docs/presentations.md §6).

    credbank-verify VP.json --challenge C --domain D [--requirements REQUEST.json]
                    [--trust BUNDLE.json --pin PIN.json] [--no-status] ...

The presentation checks come first (form, the holder's proof, challenge, domain), then each
credential gets the verdict a credential file would get, then the requirements when given
(a JSON list, or a request object with ``requirements``: what the employer's request
answer shows). Without --challenge and --domain those checks are skipped and the
presentation is NOT VERIFIED: a presentation proves nothing unless bound to your request.
"""

from __future__ import annotations

from typing import Any

from . import jsonio
from .errors import CredentialFormatError
from .model import Status
from .presentation import PresentationReport, check, credential_check, is_presentation
from .requirements import Requirement, parse_requirements

__all__ = ["human", "is_presentation", "load_requirements", "reason", "run"]

_MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–", Status.ERROR: "!"}


def load_requirements(path: str) -> tuple[Requirement, ...]:
    """The requirements of a request file; raises CredentialFormatError, one line."""
    try:
        raw = jsonio.load_path(path)
        if isinstance(raw, dict):
            raw = raw.get("requirements")
        return parse_requirements(raw)
    except CredentialFormatError as exc:
        raise CredentialFormatError(f"--requirements {path}: {exc}") from None


def run(document: Any, *, challenge: str | None, domain: str | None,
        requirements: tuple[Requirement, ...] | None, trust: Any, evidence: Any,
        accept: set[str], now: Any) -> PresentationReport:
    return check(document, challenge=challenge, domain=domain,
                 check_credential=credential_check(trust=trust, evidence=evidence,
                                                   accept=accept, now=now),
                 requirements=requirements)


def human(name: str, report: PresentationReport) -> str:
    head = "VERIFIED presentation" if report.verified else \
        f"NOT VERIFIED presentation: {report.failed} failed"
    lines = [f"{head}  {name}"]
    lines += [f"  {_MARK[c.status]} {c.id:<26} {c.detail}" for c in report.checks]
    for outcome in report.credentials:
        lines.append(f"    {'✓' if outcome.verified else '✗'} {outcome.id}: {outcome.reason}"
                     + (f" ({outcome.detail})" if outcome.detail and not outcome.verified
                        else ""))
    for judged in report.requirements:
        lines.append(f"    {'✓' if judged.met else '✗'} requirement {judged.requirement.id}: "
                     f"{judged.detail}")
        lines += [f"        {e.credential} {e.pointer} = {e.value!r}" for e in judged.evidence]
    if report.names:
        lines.append(f"    holder's name as revealed: {', '.join(report.names)}")
    return "\n".join(lines)


_REASONS = {"presentation.form": "unreadable", "presentation.proof": "bad_signature"}


def reason(report: PresentationReport) -> str:
    """The verdict reason code a run's summary counts: the form or the holder's proof as a
    credential's would be, a credential's own reason, else ``check_error`` (a presentation
    bound to another request, or requirements not met: the printed checks say which)."""
    if report.verified:
        return "verified"
    failed = report.failed or ""
    if failed == "presentation.credentials":
        return next(o.reason for o in report.credentials if not o.verified)
    return _REASONS.get(failed, "check_error")
