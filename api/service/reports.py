"""What checking one copy comes to for a person reading a page.

The share page and the verify page say the same things, from here: the plain verdict
(``verifier.verdict.explain``, failing closed: a skipped status check is "status unknown",
never "verified"), the service's own record of a credential it holds (waiting for its
anchor; revoked or suspended, with the date, block and reason code of the change), and the
chain facts the checks stood on (the block they were judged at, the block that anchored
the copy, the issuer's accreditation).

A copy is matched to the service's record by its id and its claims root, so a file
claiming another credential's id never borrows that credential's record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from verifier import (
    ChainEvidence,
    CredentialError,
    EvidenceError,
    Status,
    VerificationResult,
    timefmt,
    verdict,
)
from verifier.verdict import Explanation

from . import checking, credentials, issuing
from .context import Service
from .models import Credential
from .trust import chain_evidence


@dataclass(frozen=True)
class StatusRecord:
    """The recorded change behind a revoked or suspended credential."""

    status: str  # revoked | suspended
    at: datetime
    reason: int
    block_number: int | None
    transaction_hash: str | None


@dataclass(frozen=True)
class ChainFacts:
    """What the chain evidence said, and as of which block."""

    block_number: int
    block_time: datetime
    registry: str  # CAIP-10
    pinned: bool
    anchored_block: int | None = None  # the block that anchored the copy's batch
    anchored_at: datetime | None = None
    accredited_from: datetime | None = None  # the issuer's accreditation window
    accredited_until: datetime | None = None


@dataclass(frozen=True)
class Report:
    result: VerificationResult
    explanation: Explanation
    checked_at: datetime
    document: dict[str, Any] | None  # the copy checked, when it is a JSON object
    held: Credential | None  # the service's record of it, when it holds it
    waiting: bool  # signed, and only waiting for its anchor
    status: StatusRecord | None
    chain: ChainFacts | None

    @property
    def reason(self) -> str:
        return self.explanation.reason

    @property
    def content_trusted(self) -> bool:
        return self.explanation.content_trusted


def _claims_root(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    for proof in document.get("proof") or []:
        if isinstance(proof, dict) and isinstance(proof.get("claimsRoot"), str):
            return proof["claimsRoot"].lower()
    return None


def held_record(svc: Service, document: Any) -> Credential | None:
    """The service's record of this copy: same id and same claims root, else None."""
    credential_id = document.get("id") if isinstance(document, dict) else None
    root = _claims_root(document)
    if not isinstance(credential_id, str) or len(credential_id) > 64 or root is None:
        return None
    with svc.db.session() as session:
        row = issuing.find(session, credential_id)
    return row if row is not None and row.claims_root.lower() == root else None


def _status_record(svc: Service, row: Credential) -> StatusRecord | None:
    with svc.db.session() as session:
        change = credentials.current_status_change(session, row)
    if change is None:
        return None
    return StatusRecord(row.status, change.at, change.reason, change.block_number,
                        change.transaction_hash)


def _moment(unix: int) -> datetime | None:
    return datetime.fromtimestamp(unix, UTC) if unix else None


def _chain_facts(svc: Service, document: Any, result: VerificationResult,
                 trusted: bool) -> ChainFacts | None:
    evidence = chain_evidence(svc)
    if not isinstance(evidence, ChainEvidence):
        return None
    facts = ChainFacts(evidence.block_number, datetime.fromtimestamp(evidence.block_time, UTC),
                       evidence.caip10, evidence.pinned)
    if not trusted:
        return facts  # what the copy claims (its issuer, its batch) is not to be looked up
    passed = {c.id for c in result.checks if c.status is Status.PASSED}
    try:
        if "anchored" in passed:
            proof = next(p for p in document["proof"] if "anchor" in p)
            batch = evidence.batch(bytes.fromhex(proof["anchor"]["batchRoot"][2:])).value
            facts = dataclasses.replace(facts, anchored_block=batch.block_number,
                                        anchored_at=_moment(batch.timestamp))
        if "issuer_trusted" in passed:
            issuer = evidence.issuer(document["credentialStatus"]["statusIssuer"]).value
            facts = dataclasses.replace(facts, accredited_from=_moment(issuer.valid_from),
                                        accredited_until=_moment(issuer.valid_until))
    except (EvidenceError, CredentialError, KeyError, StopIteration, TypeError, ValueError):
        pass  # the checks themselves said what could not be shown
    return facts


def report(svc: Service, document: Any, held: Credential | None = None,
           raw: bytes | None = None, *, now: Callable[[], datetime] = timefmt.now) -> Report:
    """Check ``document`` (its ``raw`` bytes when uploaded, so the verifier's strict reader
    sees exactly what was sent) and say what it comes to. ``held`` is the service's record
    when the copy came from one of its share links; otherwise it is looked up."""
    checked: Any = raw if raw is not None else document
    if held is None:
        held = held_record(svc, document)
    checked_at = now()
    result = checking.verify_copy(svc, checked, held)
    explained = verdict.explain(result)
    waiting = explained.reason in ("not_anchored", "not_accredited") and verdict.awaits_anchor(
        result, document, lambda: checking.verify_offline(svc, checked))
    if waiting:
        explained = dataclasses.replace(explained, reason="not_anchored")
    status = None
    if held is not None and held.status in verdict.STATUS_CHECKS and explained.content_trusted \
            and explained.reason not in ("not_accredited", "revoked"):
        # the service changed the status on chain itself: its record says so even when the
        # chain could not be read (then the checks show what was and was not checked)
        explained = dataclasses.replace(explained, verified=False, reason=held.status,
                                        failed=verdict.STATUS_CHECKS[held.status])
    if held is not None and explained.reason in verdict.STATUS_CHECKS:
        status = _status_record(svc, held)
        if status is not None and status.status != explained.reason:
            status = None  # the chain and the record disagree: show no date rather than one
    facts = _chain_facts(svc, document, result, explained.content_trusted)
    return Report(result, explained, checked_at, document if isinstance(document, dict) else None,
                  held, waiting and explained.reason == "not_anchored", status, facts)
