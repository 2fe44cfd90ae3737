"""What checking one copy comes to for a person reading a page.

The share page and the verify page say the same things, from here: the plain verdict
(``verifier.verdict.explain``, failing closed: a skipped status check is "status unknown",
never "verified"), the service's own record of a credential it holds (waiting for its
anchor; revoked or suspended, with the date, block and reason code of the change), and the
chain facts the checks stood on (the block they were judged at, the block that anchored
the copy, the issuer's accreditation).

The verdict itself comes from :func:`api.service.checking.judge`, as for the verify API;
this module adds what a page shows around it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from verifier import (
    ChainEvidence,
    EvidenceError,
    Status,
    VerificationResult,
    timefmt,
    verdict,
)
from verifier.verdict import Explanation

from . import checking
from .context import Service
from .models import Credential
from .trust import chain_evidence


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
    status: checking.RecordedChange | None
    chain: ChainFacts | None

    @property
    def reason(self) -> str:
        return self.explanation.reason

    @property
    def content_trusted(self) -> bool:
        return self.explanation.content_trusted


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
    except EvidenceError:  # a word the evidence does not cover: the page shows less
        return facts
    return facts


def report(svc: Service, document: Any, held: Credential | None = None,
           raw: bytes | None = None, *, now: Callable[[], datetime] = timefmt.now) -> Report:
    """Check ``document`` (its ``raw`` bytes when uploaded, so the verifier's strict reader
    sees exactly what was sent) and say what it comes to. ``held`` is the service's record
    when the copy came from one of its share links; otherwise it is looked up."""
    checked_at = now()
    judged = checking.judge(svc, document, held=held, raw=raw)
    explained = judged.explanation
    waiting = explained.reason in ("not_anchored", "not_accredited") and verdict.awaits_anchor(
        judged.result, document,
        lambda: checking.verify_offline(svc, raw if raw is not None else document))
    if waiting:
        explained = dataclasses.replace(explained, reason="not_anchored")
    facts = _chain_facts(svc, document, judged.result, explained.content_trusted)
    return Report(judged.result, explained, checked_at,
                  document if isinstance(document, dict) else None, judged.record,
                  waiting and explained.reason == "not_anchored", judged.status_change, facts)
