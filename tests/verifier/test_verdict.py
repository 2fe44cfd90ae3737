"""verifier.verdict: the check sets and the verdicts every caller derives from a result."""

from __future__ import annotations

import pytest

from verifier import CheckResult, Status, VerificationResult, verdict
from verifier.checks import CHECK_IDS


def result(**statuses: str) -> VerificationResult:
    """Every check passed unless named: ``result(anchored="failed")``."""
    return VerificationResult(tuple(
        CheckResult(c, Status(statuses.get(c, "passed")), f"{c} detail") for c in CHECK_IDS))


UNANCHORED = {"proof": [{"type": "CredbankLedgerProof"}]}
ANCHORED = {"proof": [{"type": "CredbankLedgerProof", "anchor": {}}]}


def test_the_check_sets_name_real_checks():
    assert verdict.ANCHOR_CHECKS <= set(CHECK_IDS)
    assert verdict.CHAIN_CHECKS <= set(CHECK_IDS)
    assert set(verdict.STATUS_CHECKS.values()) <= verdict.CHAIN_CHECKS
    # offline, the one anchor check that can fail is the copy's own inclusion proof
    assert verdict.ANCHOR_CHECKS - verdict.CHAIN_CHECKS == {"batch_inclusion"}


def test_failing_skipped_and_headline():
    mixed = result(integrity="failed", anchored="error", not_revoked="skipped")
    assert verdict.failing(mixed) == {"integrity", "anchored"}
    assert verdict.skipped(mixed) == {"not_revoked"}
    assert verdict.headline(mixed) == "NOT VERIFIED"
    assert verdict.headline(result(not_revoked="skipped")) == "VERIFIED"


def test_unreadable_names_the_format_failure_only():
    unread = VerificationResult((CheckResult("format", Status.FAILED, "malformed JSON"),))
    assert verdict.unreadable(unread) == "malformed JSON"
    assert verdict.unreadable(result(integrity="failed")) is None
    assert verdict.unreadable(VerificationResult(())) is None


@pytest.mark.parametrize("document, expected", [
    (ANCHORED, True), (UNANCHORED, False), ({"proof": ["anchor"]}, False), (None, False),
    ({"proof": [{"type": "x"}, {"anchor": None}]}, True),
])
def test_has_anchor(document: object, expected: bool):
    assert verdict.has_anchor(document) is expected


def never() -> VerificationResult:
    raise AssertionError("the offline check is made only when it can change the verdict")


def test_a_copy_awaiting_its_anchor():
    pending = result(issuer_trusted="failed", batch_inclusion="failed", anchored="failed")
    offline = result(batch_inclusion="failed", anchored="skipped")
    assert verdict.verdict(pending, UNANCHORED, offline=lambda: offline) == "not_anchored"
    # not when anything else fails, when it has an anchor, or when offline more fails
    assert verdict.verdict(result(batch_inclusion="failed", integrity="failed"), UNANCHORED,
                           offline=never) == "not_verified"
    assert verdict.verdict(pending, ANCHORED, offline=never) == "not_verified"
    untrusted = result(issuer_trusted="failed", batch_inclusion="failed")
    assert verdict.verdict(pending, UNANCHORED, offline=lambda: untrusted) == "not_verified"
    # without an offline check there is no telling
    assert verdict.verdict(pending, UNANCHORED) == "not_verified"


def test_the_services_record_and_the_result():
    assert verdict.verdict(result(), status="revoked", offline=never) == "revoked"
    assert verdict.verdict(result(), status="suspended") == "suspended"
    assert verdict.verdict(result(), status="active", offline=never) == "verified"
    assert verdict.verdict(result(not_revoked="skipped"), offline=never) == "verified"
    assert verdict.verdict(result(not_expired="failed"), offline=never) == "not_verified"
