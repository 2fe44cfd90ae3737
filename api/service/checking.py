"""Checking a copy of a credential the service holds, or one someone uploads or pastes.

A copy is checked with the issuers the service knows as trust list and, when the service
has a chain, the registry's evidence (docs/api.md, "Verification"). Both are cached for a
moment, so a check consults the service's own record of the credential: evidence or a
trust list older than what the service has already done (anchored, revoked or suspended
the credential, registered an issuer) is fetched afresh, once, and an answer never
contradicts the service.

``judge`` is the verdict the service's verify answers give (docs/api.md, "Verification"):
``verifier.verdict.explain`` failing closed, with the gaps the caller accepted, and the
service's own record of a credential it revoked or suspended, with the change's date,
reason and transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from verifier import Status, VerificationResult, verify
from verifier.verdict import ANCHOR_CHECKS, CHAIN_CHECKS, STATUS_CHECKS, Explanation, explain

from . import issuing
from .context import Service
from .models import Credential, StatusChange
from .trust import chain_evidence, forget, forget_issuers, trust_list

# The chain checks an anchoring turns from failed to passed.
_ANCHORING_SHOWS = ANCHOR_CHECKS & CHAIN_CHECKS


def stale(result: VerificationResult, record: Credential) -> bool:
    """Whether cached chain evidence predates what the service's record already says: the
    credential anchored, revoked or suspended since the evidence was fetched."""
    status = {c.id: c.status for c in result.checks}
    if record.state == "anchored" and any(
            status.get(c) == Status.FAILED for c in _ANCHORING_SHOWS):
        return True
    shown_by = STATUS_CHECKS.get(record.status)
    return shown_by is not None and status.get(shown_by) == Status.PASSED


def verify_copy(svc: Service, credential: Any, record: Credential | None = None
                ) -> VerificationResult:
    """Check a credential with the issuers the service knows and, when the service has a
    chain, the registry's evidence. Given the service's ``record`` of the credential,
    evidence cached from before its latest anchoring or status change is fetched afresh,
    once, so the checks never contradict what the service knows."""
    evidence = chain_evidence(svc)
    result = verify(credential, trust=trust_list(svc), evidence=evidence)
    if record is not None and evidence is not None and stale(result, record):
        forget(svc)
        result = verify(credential, trust=trust_list(svc), evidence=chain_evidence(svc))
    return result


def verify_offline(svc: Service, credential: Any) -> VerificationResult:
    """Check a credential against the issuers the service knows, without the chain."""
    return verify(credential, trust=trust_list(svc))


def check(svc: Service, credential: Any) -> VerificationResult:
    """Verify one parsed credential against the service's issuers and chain.

    When the service issued it, its own record is consulted too (:func:`verify_copy`); an
    issuer the cached trust list does not know yet gets one more look with a fresh list.
    """
    return _check(svc, credential, _record(svc, credential))


def _check(svc: Service, credential: Any, record: Credential | None) -> VerificationResult:
    result = verify_copy(svc, credential, record)
    if any(c.id == "issuer_trusted" and c.status is Status.FAILED for c in result.checks):
        # the trust list is cached for a moment: an issuer added since gets one more look
        forget_issuers(svc)
        result = verify_copy(svc, credential, record)
    return result


# ---- the verdict -------------------------------------------------------------------------

# The service's record actions that set each status (api/service/credentials.py).
_SETS = {"revoked": ("revoke", "revoke-batch"), "suspended": ("suspend",)}
# Reasons that say the copy itself cannot be trusted: the service's record of a credential
# by that id does not speak for it.
_CONTENT_FAILURES = frozenset({"unreadable", "altered", "bad_signature"})


@dataclass(frozen=True)
class RecordedChange:
    """The service's own row for the revocation or suspension a verdict names."""

    action: str  # revoked | suspended
    at: datetime
    reason: int
    transaction_hash: str | None


@dataclass(frozen=True)
class Judged:
    result: VerificationResult
    explanation: Explanation
    status_change: RecordedChange | None


def _recorded_change(svc: Service, credential_id: str, status: str) -> RecordedChange | None:
    actions = _SETS.get(status)
    if actions is None:
        return None
    with svc.db.session() as session:
        row = session.scalars(
            select(StatusChange).where(StatusChange.credential_id == credential_id,
                                       StatusChange.action.in_(actions))
            .order_by(StatusChange.at.desc(), StatusChange.id.desc())).first()
    if row is None:
        return None
    return RecordedChange(status, row.at, row.reason, row.transaction_hash)


def judge(svc: Service, credential: Any, accept: frozenset[str] = frozenset()) -> Judged:
    """Check ``credential`` (:func:`check`) and give the verdict, failing closed.

    ``accept`` names the gaps the caller accepted (``"issuer"``, ``"status"``): without a
    chain the status checks are skipped, so nothing verifies unless ``"status"`` is
    accepted. When the service issued the credential and its record says revoked or
    suspended, that is the verdict (unless the copy itself is unreadable, altered or badly
    signed), with the recorded change.
    """
    record = _record(svc, credential)
    result = _check(svc, credential, record)
    explained = explain(result, accept=accept)
    status = record.status if record is not None else None
    if status in _SETS and explained.reason not in _CONTENT_FAILURES:
        if explained.reason != status:
            failed = STATUS_CHECKS[status]
            shown = result.check(failed).status
            explained = Explanation(
                verified=False, reason=status,
                failed=failed if shown is Status.FAILED else None,
                not_checked=explained.not_checked, content_trusted=True,
                shown=explained.shown, unchecked=explained.unchecked)
        return Judged(result, explained, _recorded_change(svc, record.id, status))
    return Judged(result, explained, None)


def _record(svc: Service, credential: Any) -> Credential | None:
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(credential_id, str) or len(credential_id) > 64:
        return None
    with svc.db.session() as session:
        return issuing.find(session, credential_id)
