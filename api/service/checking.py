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

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from verifier import Status, VerificationResult, verify
from verifier.scope import verdict_problem
from verifier.verdict import ANCHOR_CHECKS, CHAIN_CHECKS, STATUS_CHECKS, Explanation, explain

from . import credentials, issuing
from .context import Service
from .models import Credential
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
    return _check(svc, credential, held_record(svc, credential))


def _check(svc: Service, credential: Any, record: Credential | None) -> VerificationResult:
    result = verify_copy(svc, credential, record)
    if any(c.id == "issuer_trusted" and c.status is Status.FAILED for c in result.checks):
        # the trust list is cached for a moment: an issuer added since gets one more look
        forget_issuers(svc)
        result = verify_copy(svc, credential, record)
    return result


# ---- the verdict -------------------------------------------------------------------------

# Reasons the service's record does not override: the copy itself cannot be trusted, its
# issuer was never accredited, or the chain already shows it revoked (revocation is final).
_NOT_OVERRIDDEN = frozenset({"unreadable", "altered", "bad_signature", "not_accredited",
                             "revoked"})


@dataclass(frozen=True)
class RecordedChange:
    """The service's own row for the revocation or suspension a verdict names."""

    action: str  # revoked | suspended
    at: datetime
    reason: int
    block_number: int | None
    transaction_hash: str | None


@dataclass(frozen=True)
class Judged:
    result: VerificationResult
    explanation: Explanation
    status_change: RecordedChange | None
    record: Credential | None  # the service's record of this copy, when it holds it
    scope_problem: str | None = None  # why it lies outside its issuer's scope (verdict
    # out_of_scope)


def _claims_root(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    for proof in document.get("proof") or []:
        if isinstance(proof, dict) and isinstance(proof.get("claimsRoot"), str):
            return proof["claimsRoot"].lower()
    return None


def held_record(svc: Service, document: Any) -> Credential | None:
    """The service's record of this copy: the same id and the same claims root, so a file
    claiming another credential's id never borrows that credential's record."""
    credential_id = document.get("id") if isinstance(document, dict) else None
    root = _claims_root(document)
    if not isinstance(credential_id, str) or len(credential_id) > 64 or root is None:
        return None
    with svc.db.session() as session:
        row = issuing.find(session, credential_id)
    return row if row is not None and row.claims_root.lower() == root else None


def _recorded_change(svc: Service, record: Credential) -> RecordedChange | None:
    with svc.db.session() as session:
        row = credentials.current_status_change(session, record)
    if row is None:
        return None
    return RecordedChange(record.status, row.at, row.reason, row.block_number,
                          row.transaction_hash)


def judge(svc: Service, credential: Any, accept: frozenset[str] = frozenset(), *,
          held: Credential | None = None, raw: bytes | None = None) -> Judged:
    """Check ``credential`` and give the verdict, failing closed; every view of the service
    (its verify answers and its pages) judges through here.

    ``accept`` names the gaps the caller accepted (``"issuer"``, ``"status"``): without a
    chain the status checks are skipped, so nothing verifies unless ``"status"`` is
    accepted. ``held`` is the service's record when the caller already has it (a share
    link); otherwise it is looked up. ``raw``, when given, is what the verifier reads (the
    uploaded bytes, for its strict reader). When the record says revoked or suspended, that
    is the verdict unless the copy itself cannot be trusted, its issuer was not accredited
    or the chain shows it revoked, and the recorded change (date, block, reason) comes
    with it.
    """
    record = held if held is not None else held_record(svc, credential)
    result = _check(svc, raw if raw is not None else credential, record)
    explained = explain(result, accept=accept)
    scope = out_of_scope(svc, result, credential) if explained.verified else None
    if scope is not None:
        explained = replace(explained, verified=False, reason="out_of_scope", failed=None)
    if record is None:
        return Judged(result, explained, None, None, scope)
    status = record.status
    if status in STATUS_CHECKS and explained.reason not in _NOT_OVERRIDDEN \
            and explained.reason != status:
        failed = STATUS_CHECKS[status]
        explained = replace(explained, verified=False, reason=status,
                            failed=failed if result.check(failed).status is Status.FAILED
                            else None)
    change = _recorded_change(svc, record) if explained.reason == status else None
    return Judged(result, explained, change, record, scope)


def out_of_scope(svc: Service, result: VerificationResult, document: Any) -> str | None:
    """Why a credential that passed its checks lies outside its issuer's accreditation
    scope as the service's chain evidence proves it (verifier.scope), or None: no chain,
    no scope, or within it. Evidence that cannot say fails closed with its reason."""
    return verdict_problem(document, chain_evidence(svc))
