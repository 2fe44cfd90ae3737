"""What a verification result comes to: the verdict, and which checks need what.

One definition for everyone who sums up a :class:`~verifier.model.VerificationResult`: the
service's pages, its verify answers and ``credbank-verify``. The rule itself is the
result's ``verified`` (no check failed or errored, docs/format.md §9.2); this module adds
the names the callers need around it:

* ``ANCHOR_CHECKS``: what a copy fails for want of its anchor alone. Without an anchor in
  its ledger proof there is no batch to be included in, nothing recorded on chain and,
  with chain evidence, no anchoring block at whose time the issuer is judged.
* ``CHAIN_CHECKS``: what is judged from chain evidence (skipped without it). Evidence
  fetched before an anchoring, a revocation or a suspension gets these wrong until it is
  fetched again. ``issuer_trusted`` is judged from a trust list when there is no evidence.
* ``STATUS_CHECKS``: the check that shows each status an issuer can set.

and the verdicts: ``headline`` for the command line, ``verdict`` for a page, which also
tells a copy still waiting for its anchor (``not_anchored``) and one whose issuer revoked
or suspended it as the service's own record says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model import Status, VerificationResult

ANCHOR_CHECKS = frozenset({"issuer_trusted", "batch_inclusion", "anchored"})
CHAIN_CHECKS = frozenset({"issuer_trusted", "anchored", "not_revoked", "not_suspended"})
STATUS_CHECKS = {"revoked": "not_revoked", "suspended": "not_suspended"}

VERIFIED = "verified"
NOT_ANCHORED = "not_anchored"
NOT_VERIFIED = "not_verified"
# and, from the service's record of the credential, "revoked" or "suspended"


def failing(result: VerificationResult) -> frozenset[str]:
    """The checks that failed or errored."""
    return frozenset(c.id for c in result.checks if c.status in (Status.FAILED, Status.ERROR))


def skipped(result: VerificationResult) -> frozenset[str]:
    """The checks not made (each says why)."""
    return frozenset(c.id for c in result.checks if c.status is Status.SKIPPED)


def unreadable(result: VerificationResult) -> str | None:
    """Why the input could not be read as a credential at all, or None when it could."""
    first = result.checks[0] if result.checks else None
    if first is not None and first.id == "format" and first.status is Status.FAILED:
        return first.detail
    return None


def has_anchor(document: Any) -> bool:
    """Whether a credential document carries an anchor in any of its proofs."""
    if not isinstance(document, dict):
        return False
    return any(isinstance(p, dict) and "anchor" in p for p in document.get("proof", []))


def awaits_anchor(result: VerificationResult, document: Any,
                  offline: Callable[[], VerificationResult]) -> bool:
    """Whether the copy fails only for want of an anchor it does not have yet.

    Every failing check is an anchor check, the document has no anchor, and ``offline()``
    (the same copy checked without chain evidence, against the issuers a trust list
    names) fails nothing but what the anchor itself would show: so, with chain evidence,
    ``issuer_trusted`` failed only for want of an anchoring block's time. ``offline`` is
    called only when the rest already holds.
    """
    bad = failing(result)
    if not bad or not bad <= ANCHOR_CHECKS or has_anchor(document):
        return False
    return failing(offline()) <= ANCHOR_CHECKS - CHAIN_CHECKS


def verdict(result: VerificationResult, document: Any = None, *, status: str | None = None,
            offline: Callable[[], VerificationResult] | None = None) -> str:
    """A page's verdict on one copy: ``status`` when the issuer's record says it is not
    active (``revoked``, ``suspended``), else ``verified``, else ``not_anchored`` when
    ``offline`` is given and the copy :func:`awaits_anchor`, else ``not_verified``."""
    if status is not None and status != "active":
        return status
    if result.verified:
        return VERIFIED
    if offline is not None and awaits_anchor(result, document, offline):
        return NOT_ANCHORED
    return NOT_VERIFIED


def headline(result: VerificationResult) -> str:
    """``VERIFIED`` or ``NOT VERIFIED``, as the command line prints it."""
    return "VERIFIED" if result.verified else "NOT VERIFIED"
