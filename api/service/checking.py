"""Checking a copy of a credential the service holds, or one someone uploads or pastes.

A copy is checked with the issuers the service knows as trust list and, when the service
has a chain, the registry's evidence (docs/api.md, "Verification"). Both are cached for a
moment, so a check consults the service's own record of the credential: evidence or a
trust list older than what the service has already done (anchored, revoked or suspended
the credential, registered an issuer) is fetched afresh, once, and an answer never
contradicts the service.
"""

from __future__ import annotations

from typing import Any

from verifier import Status, VerificationResult, verify
from verifier.verdict import ANCHOR_CHECKS, CHAIN_CHECKS, STATUS_CHECKS

from . import issuing
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
    record = None
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    if isinstance(credential_id, str) and len(credential_id) <= 64:
        with svc.db.session() as session:
            record = issuing.find(session, credential_id)
    result = verify_copy(svc, credential, record)
    if any(c.id == "issuer_trusted" and c.status is Status.FAILED for c in result.checks):
        # the trust list is cached for a moment: an issuer added since gets one more look
        forget_issuers(svc)
        result = verify_copy(svc, credential, record)
    return result
