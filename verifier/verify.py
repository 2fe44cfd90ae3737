"""verify(): run every check on one credential and collect the named results."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from . import credential, jsonio, timefmt
from .checks import ORDER, Context
from .errors import CredentialError
from .evidence.bundle import ChainEvidence, RejectedEvidence
from .model import CheckResult, Status, VerificationResult
from .trust import TrustList


def verify(
    credential_json: Any,
    *,
    trust: TrustList | None = None,
    evidence: ChainEvidence | RejectedEvidence | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify a parsed JSON credential (dict) or its text/bytes.

    `trust` is a trust list for the offline issuer check; `evidence` is chain evidence
    verified once (`load_evidence`, `online.fetch_evidence`) and shared by every credential:
    with it, `issuer_trusted` is judged from the registry at the anchoring block's time,
    and `anchored`, `not_revoked` and `not_suspended` are checked. `now` decides expiry; it
    defaults to the current time.
    """
    results: list[CheckResult] = []
    try:
        if isinstance(credential_json, str | bytes):
            credential_json = jsonio.loads(credential_json)
        parsed = credential.parse(credential_json)
    except CredentialError as exc:
        results.append(CheckResult("format", Status.FAILED, str(exc)))
        results.extend(
            CheckResult(name, Status.SKIPPED, "not checked: the credential could not be read")
            for name, _ in ORDER
        )
        return VerificationResult(tuple(results))
    results.append(CheckResult("format", Status.PASSED, f"OpenBadgeCredential {parsed.id}"))
    ctx = Context(now=now or timefmt.now(), trust=trust, evidence=evidence)
    for name, check in ORDER:
        try:
            results.append(check(parsed, ctx))
        except CredentialError as exc:
            results.append(CheckResult(name, Status.FAILED, str(exc)))
        except Exception as exc:  # a check that breaks must never read as a pass
            results.append(CheckResult(name, Status.ERROR, f"{type(exc).__name__}: {exc}"))
    return VerificationResult(tuple(results))


def verify_file(
    path: str | Path,
    *,
    trust: TrustList | None = None,
    evidence: ChainEvidence | RejectedEvidence | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Read and verify one file. Raises CredentialFormatError if it cannot be read."""
    return verify(jsonio.load_path(path), trust=trust, evidence=evidence, now=now)
