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
    assert verdict.headline(result()) == "VERIFIED"
    # fail closed: a check not made is not a pass (docs/format.md §9.2)
    assert verdict.headline(result(not_revoked="skipped")) == "NOT VERIFIED"
    assert not result(not_revoked="skipped").verified


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
    assert verdict.awaits_anchor(pending, UNANCHORED, lambda: offline)
    # not when anything else fails, when it has an anchor, or when offline more fails
    assert not verdict.awaits_anchor(result(batch_inclusion="failed", integrity="failed"),
                                     UNANCHORED, never)
    assert not verdict.awaits_anchor(pending, ANCHORED, never)
    untrusted = result(issuer_trusted="failed", batch_inclusion="failed")
    assert not verdict.awaits_anchor(pending, UNANCHORED, lambda: untrusted)
    assert not verdict.awaits_anchor(result(), UNANCHORED, never)


# ---- explain(): the plain verdict, failing closed -------------------------------------------


def _result(**statuses: str) -> VerificationResult:
    """As ``result``, with the expiry check's detail saying "not valid before"."""
    return VerificationResult(tuple(
        CheckResult(c, Status(statuses.get(c, "passed")),
                    "not valid before 2030" if c == "not_expired" else f"{c} detail")
        for c in CHECK_IDS))


def test_everything_passed_is_verified():
    explained = verdict.explain(_result())
    assert explained.verified and explained.reason == "verified"
    assert explained.headline("zh") == "已验证" and explained.headline("en") == "Verified"


def test_a_skipped_check_fails_closed_unless_accepted():
    no_trust = _result(issuer_trusted="skipped", anchored="skipped", not_revoked="skipped",
                       not_suspended="skipped")
    assert verdict.explain(no_trust).reason == "issuer_unknown"
    assert verdict.explain(no_trust, accept={"issuer"}).reason == "status_unknown"
    accepted = verdict.explain(no_trust, accept={"issuer", "status"})
    assert accepted.verified and accepted.not_checked == ("issuer", "status")
    with pytest.raises(ValueError):
        verdict.explain(no_trust, accept={"signature"})


def test_the_first_failure_decides_and_altered_content_is_not_shown_as_checked():
    altered = verdict.explain(_result(integrity="failed", not_revoked="failed"))
    assert (altered.reason, altered.failed, altered.content_trusted) == (
        "altered", "integrity", False)
    assert altered.headline("zh") == "内容被篡改"
    shown = dict(altered.shown)
    assert shown["issuer_signature"] == shown["anchored"] == "not_checked"
    assert shown["integrity"] == "failed" and shown["format"] == "passed"
    revoked = verdict.explain(_result(not_revoked="failed", not_expired="failed"))
    assert revoked.reason == "revoked" and revoked.content_trusted
    assert verdict.explain(_result(not_expired="failed")).reason == "not_yet_valid"
    assert verdict.explain(_result(issuer_trusted="failed")).reason == "not_accredited"
    assert verdict.explain(_result(anchored="error")).reason == "check_error"


def test_every_reason_has_words_in_both_languages():
    for words in (*verdict.HEADLINES.values(), *verdict.DATED.values(),
                  *verdict.REASON_CODES.values(), *verdict.NOT_CHECKED_WORDS.values()):
        assert set(words) == {"zh", "en"} and all(words.values())
    assert verdict.dated_headline("revoked", "zh", "2026-10-01", 1) == \
        "已于 2026-10-01 撤销（原因：误发）"
    assert verdict.reason_words(9, "en") == "code 9"


def test_unpinned_chain_evidence_proves_nothing_to_the_caller():
    pinned = verdict.explain(_result())
    assert pinned.verified and not pinned.unpinned
    unpinned = verdict.explain(_result(), unpinned=True)
    assert (unpinned.verified, unpinned.reason, unpinned.unchecked) == (
        False, "issuer_unknown", ("issuer", "status"))
    assert verdict.explain(_result(), unpinned=True, accept={"issuer"}).reason == \
        "status_unknown"
    accepted = verdict.explain(_result(), unpinned=True, accept={"issuer", "status"})
    assert accepted.verified and accepted.unpinned and accepted.not_checked == (
        "issuer", "status")
    # what unpinned evidence shows wrong still counts: failures are never gaps
    assert verdict.explain(_result(not_revoked="failed"), unpinned=True).reason == "revoked"
    assert set(verdict.UNPINNED_WORDS) == set(verdict.ACCEPTABLE)


def test_every_gap_is_named_accepted_or_not():
    no_chain = _result(anchored="skipped", not_revoked="skipped", not_suspended="skipped")
    refused = verdict.explain(no_chain)
    assert (refused.reason, refused.not_checked, refused.unchecked) == (
        "status_unknown", (), ("status",))
    accepted = verdict.explain(no_chain, accept={"status", "issuer"})
    assert (accepted.reason, accepted.not_checked, accepted.unchecked) == (
        "verified", ("status",), ("status",))


def test_an_unreadable_copy_has_no_gaps_only_its_reason():
    unread = VerificationResult((CheckResult("format", Status.FAILED, "malformed"), *(
        CheckResult(c, Status.SKIPPED, "not checked") for c in CHECK_IDS[1:])))
    explained = verdict.explain(unread, accept={"issuer", "status"})
    assert (explained.verified, explained.reason, explained.unchecked) == (
        False, "unreadable", ())
    assert dict(explained.shown)["integrity"] == "not_checked"
