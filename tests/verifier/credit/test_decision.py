"""Decision credentials (docs/creditbank.md §9): real signed sources and decisions, the
grant recomputed, the rule set checked against (fake) chain facts, tampering caught by a
named check."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.issuance import LearningRecord, sign_document
from ledger.issuance.documents import build_document
from ledger.issuance.signing import single_batch
from tests.credentials import trust_doc
from verifier import Status, derive_copy, parse_trust_list, verify
from verifier.credit import evaluate, parse_rule_set
from verifier.credit.decision import DecisionDestination, decision_subject
from verifier.credit.decision_check import check_decision
from verifier.evidence.errors import NotCovered

from .decisions import (
    COMMUNITY_RECORD,
    CST,
    DECIDED,
    ELECTRICIAN_RECORD,
    SET_UP,
    Issuers,
    decide,
    issue,
    read_sources,
    rules,
)
from .examples import OPEN_UNIVERSITY, RULE_SET


@dataclass(frozen=True)
class DocumentFact:
    published: bool = True
    withdrawn: bool = False
    kind: int = 3
    owner_issuer_number: int = 0
    block_number: int = 40
    timestamp: int = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
    withdrawn_at: int = 0


@dataclass(frozen=True)
class IssuerFact:
    issuer_number: int


class FakeFacts:
    """Chain facts of published documents, keyed by hash, as evidence would prove them."""

    as_of = "as of block 42, 2027-03-02T00:00:00Z"

    def __init__(self, documents: dict[bytes, DocumentFact] | None = None, *,
                 numbers: dict[str, int] | None = None, fact: DocumentFact | None = None
                 ) -> None:
        self.documents = documents or {}
        self.fact = fact
        self.numbers = numbers or {}

    def document(self, doc_hash: bytes) -> DocumentFact:
        if self.fact is not None:
            return self.fact
        return self.documents.get(doc_hash, DocumentFact(published=False, kind=0,
                                                         block_number=0, timestamp=0))

    def issuer(self, did: str) -> IssuerFact:
        if did not in self.numbers:
            raise NotCovered(f"no issuer word for {did}")
        return IssuerFact(self.numbers[did])


RULES_HASH = bytes.fromhex(rules().hash()[2:])
PUBLISHED = FakeFacts({RULES_HASH: DocumentFact()})


@pytest.fixture(scope="module")
def issuers(tmp_path_factory) -> Issuers:
    return Issuers.create(tmp_path_factory.mktemp("issuers"))


@pytest.fixture(scope="module")
def trust(issuers):
    return parse_trust_list(trust_doc(*issuers.all()))


@pytest.fixture(scope="module")
def sources(issuers) -> tuple[dict[str, Any], dict[str, Any]]:
    electrician = issue(issuers.vocational, ELECTRICIAN_RECORD)
    community = issue(issuers.elderly, COMMUNITY_RECORD,
                      at=datetime(2026, 12, 10, 10, tzinfo=CST))
    return electrician, community


@pytest.fixture(scope="module")
def decision(issuers, sources) -> dict[str, Any]:
    return decide(issuers.university, read_sources(*sources))


def check(decision: dict[str, Any], given: list[dict[str, Any]], trust, *,
          rule_set: Any = None, facts: Any = PUBLISHED):
    return check_decision(decision, given, RULE_SET if rule_set is None else rule_set,
                          facts=facts, trust=trust, accept={"status"})


def statuses(report) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks}


def member(decision: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(decision["credentialSubject"]["recognition"])


def test_a_decision_verifies_with_its_sources_and_rule_set(decision, sources, trust) -> None:
    assert verify(decision, trust=trust).check("integrity").status is Status.PASSED
    report = check(decision, list(sources), trust)
    assert statuses(report) == dict.fromkeys(
        ("decision.form", "decision.sources", "decision.rule_set", "decision.grant"),
        Status.PASSED)
    assert report.verified
    assert "published by the authority in block 40" in report.check("decision.rule_set").detail
    assert "3 credit" in report.check("decision.grant").detail
    granted = member(decision)
    assert granted["grants"][0]["course"] == "EA105"
    assert granted["refused"][0]["reasons"] == [
        {"code": "issuer_not_listed", "rule": "community-practice-GE110"}]


def test_the_member_is_derived_from_the_evaluation(decision, sources) -> None:
    evaluation = evaluate(rules(), read_sources(*sources), as_of=DECIDED)
    full = evaluation.to_json()
    written = member(decision)
    assert written["ruleSet"] == full["ruleSet"]
    assert written["totals"] == full["totals"]["programme"]
    assert written["caps"] == full["caps"] and written["exemptions"] == full["exemptions"]
    assert written["partial"] is False and written["excluded"] == []
    assert written["decided"] == "2027-03-01T02:00:00Z" and written["asOf"] == "2027-03-01"


def test_raised_credits_fail_the_grant(issuers, decision, sources, trust) -> None:
    raised = member(decision)
    raised["grants"][0]["credits"]["value"] = "30"
    raised["totals"]["byUnit"][0]["value"] = "30"
    raised["totals"]["byUnitAndSector"][0]["value"] = "30"
    forged = decide(issuers.university, [], member=raised, index=1)
    report = check(forged, list(sources), trust)
    assert statuses(report)["decision.grant"] is Status.FAILED
    assert "grants differ" in report.check("decision.grant").detail
    assert not report.verified and report.explain().reason == "decision.grant"


def test_credits_raised_after_signing_fail_integrity_and_the_grant(decision, sources,
                                                                   trust) -> None:
    tampered = copy.deepcopy(decision)
    tampered["credentialSubject"]["recognition"]["totals"]["byUnit"][0]["value"] = "9"
    assert verify(tampered, trust=trust).check("integrity").status is Status.FAILED
    assert statuses(check(tampered, list(sources), trust))["decision.grant"] is Status.FAILED


def test_another_rule_set_hash_fails_the_rule_set(issuers, decision, sources, trust) -> None:
    cited = member(decision)
    cited["ruleSet"]["hash"] = "0x" + "ab" * 32
    forged = decide(issuers.university, [], member=cited, index=2)
    report = check(forged, list(sources), trust)
    assert statuses(report)["decision.rule_set"] is Status.FAILED
    assert "not the cited 0xabab" in report.check("decision.rule_set").detail
    assert statuses(report)["decision.grant"] is Status.SKIPPED
    # the rule set given must be the one cited, too
    other = {**copy.deepcopy(RULE_SET), "version": "2027.2"}
    report = check(decision, list(sources), trust, rule_set=other)
    assert statuses(report)["decision.rule_set"] is Status.FAILED


@pytest.mark.parametrize(("facts", "words"), [
    (FakeFacts(), "not published on chain"),
    (FakeFacts(fact=DocumentFact(kind=2)), "not as a rule set"),
    (FakeFacts(fact=DocumentFact(timestamp=int(DECIDED.timestamp()) + 60)),
     "after the decision"),
    (FakeFacts(fact=DocumentFact(withdrawn=True,
                                 withdrawn_at=int(DECIDED.timestamp()) - 60)),
     "before the decision"),
    (FakeFacts(fact=DocumentFact(withdrawn=True)), "at a time the evidence does not give"),
    (FakeFacts(fact=DocumentFact(owner_issuer_number=7)), "neither the authority"),
])
def test_a_rule_set_not_published_before_the_decision_fails(decision, sources, trust, facts,
                                                            words) -> None:
    report = check(decision, list(sources), trust, facts=facts)
    assert statuses(report)["decision.rule_set"] is Status.FAILED
    assert words in report.check("decision.rule_set").detail


def test_a_withdrawal_after_the_decision_is_noted_not_failed(decision, sources, trust) -> None:
    facts = FakeFacts(fact=DocumentFact(withdrawn=True,
                                        withdrawn_at=int(DECIDED.timestamp()) + 86400))
    report = check(decision, list(sources), trust, facts=facts)
    assert statuses(report)["decision.rule_set"] is Status.PASSED
    assert "after the decision" in report.check("decision.rule_set").detail


def test_evidence_that_cannot_answer_is_an_error_never_a_pass(decision, sources,
                                                              trust) -> None:
    class Silent(FakeFacts):
        def document(self, doc_hash: bytes) -> DocumentFact:
            raise NotCovered("no document word")

    report = check(decision, list(sources), trust, facts=Silent())
    assert statuses(report)["decision.rule_set"] is Status.ERROR
    assert not report.explain({"status"}).verified


def test_without_chain_facts_publication_is_a_gap_to_accept(decision, sources, trust) -> None:
    report = check(decision, list(sources), trust, facts=None)
    assert statuses(report)["decision.rule_set"] is Status.SKIPPED
    assert not report.verified
    assert report.explain().reason == "rule_set_unchecked"
    accepted = report.explain({"status"})
    assert accepted.verified and accepted.not_checked == ("rule_set_unchecked",)


def test_a_missing_source_fails_the_sources(decision, sources, trust) -> None:
    report = check(decision, [sources[0]], trust)
    assert statuses(report)["decision.sources"] is Status.FAILED
    assert "was not given" in report.check("decision.sources").detail
    assert statuses(report)["decision.grant"] is Status.SKIPPED


def test_another_claims_root_fails_the_sources(issuers, decision, sources, trust) -> None:
    cited = member(decision)
    cited["sources"][0]["claimsRoot"] = "0x" + "cd" * 32
    forged = decide(issuers.university, [], member=cited, index=3)
    report = check(forged, list(sources), trust)
    assert statuses(report)["decision.sources"] is Status.FAILED
    assert "is not the cited 0xcdcd" in report.check("decision.sources").detail


def test_a_source_that_does_not_verify_fails_the_sources(decision, sources, trust) -> None:
    electrician = copy.deepcopy(sources[0])
    electrician["credentialSubject"]["result"][0]["value"] = "优秀"
    report = check(decision, [electrician, sources[1]], trust)
    assert statuses(report)["decision.sources"] is Status.FAILED
    assert "content altered" in report.check("decision.sources").detail
    # and the other way: an issuer the trust list does not know
    report = check(decision, list(sources), parse_trust_list(trust_doc()))
    assert "issuer not accredited" in report.check("decision.sources").detail


def test_derived_copies_of_the_sources_work(decision, sources, trust) -> None:
    reveal = ["/credentialSubject/creditsEarned", "/credentialSubject/result",
              "/credentialSubject/achievement/level", "/credentialSubject/id"]
    derived = [derive_copy(sources[0], reveal),
               derive_copy(sources[1], [p for p in reveal if "level" not in p])]
    assert all("saltKey" not in d["proof"][0] for d in derived)
    report = check(decision, derived, trust)
    assert report.verified, report.checks
    # a copy that hides what the rules read changes the recomputed grant
    hidden = [derive_copy(sources[0], ["/credentialSubject/creditsEarned"]), derived[1]]
    report = check(decision, hidden, trust)
    assert statuses(report)["decision.sources"] is Status.PASSED
    assert statuses(report)["decision.grant"] is Status.FAILED


def test_approval_in_part_excludes_a_source_before_evaluation(issuers, sources,
                                                              trust) -> None:
    electrician, community = read_sources(*sources)
    partial = decide(issuers.university, [electrician],
                     excluded=((community, "材料不全 documents incomplete"),), index=4)
    written = member(partial)
    assert written["partial"] is True
    assert written["excluded"] == [{"source": community.credential_id,
                                    "reason": "材料不全 documents incomplete"}]
    assert [s["id"] for s in written["refused"]] == []
    assert check(partial, [sources[0]], trust).verified  # excluded: need not be given
    assert check(partial, list(sources), trust).verified


def test_a_bank_decision_is_the_authority_s(issuers, sources, trust) -> None:
    bank = decide(issuers.authority, read_sources(*sources),
                  destination=DecisionDestination.bank(), index=5)
    written = member(bank)
    assert written["totals"]["byUnit"] == [{"value": "4", "unit": "credit"},
                                           {"value": "24", "unit": "hour"}]
    assert "caps" not in written
    assert check(bank, list(sources), trust).verified
    by_university = decide(issuers.university, [], member=written, index=6)
    report = check(by_university, list(sources), trust)
    assert statuses(report)["decision.rule_set"] is Status.FAILED
    assert "issued by the authority" in report.check("decision.rule_set").detail


def test_a_decision_into_another_programme_fails(issuers, sources, trust) -> None:
    other = DecisionDestination.of_programme("did:web:open-university.example", "EA-2028")
    report = check(decide(issuers.university, read_sources(*sources), destination=other,
                          index=7), list(sources), trust)
    assert statuses(report)["decision.rule_set"] is Status.FAILED


def test_sources_are_judged_as_of_the_decision(issuers, sources, trust) -> None:
    # a certificate valid until a day before the decision: refused by the rules as
    # expired, and it does not verify as of the decision either
    record = {**copy.deepcopy(ELECTRICIAN_RECORD), "validUntil": "2027-02-28T00:00:00+08:00"}
    expired = issue(issuers.vocational, record, index=1)
    read = read_sources(expired, sources[1])
    decision = decide(issuers.university, read, destination=DecisionDestination.bank(),
                      index=8)  # the community hours still count toward the bank
    report = check(decision, [expired, sources[1]], trust)
    assert "expired" in report.check("decision.sources").detail
    assert statuses(report)["decision.grant"] is Status.PASSED


def test_a_malformed_member_fails_the_form(issuers, decision, sources, trust) -> None:
    assert statuses(check(sources[0], list(sources), trust))["decision.form"] is Status.FAILED
    broken = copy.deepcopy(decision)
    del broken["credentialSubject"]["recognition"]["totals"]
    report = check(broken, list(sources), trust)
    assert statuses(report)["decision.form"] is Status.FAILED
    assert "totals is required" in report.check("decision.form").detail
    # a derived copy of a decision must disclose the whole member
    hidden = derive_copy(decision, ["/credentialSubject/recognition/sources"])
    assert statuses(check(hidden, list(sources), trust))["decision.form"] is Status.FAILED


def test_the_builder_refuses_what_cannot_be_cited_exactly(sources) -> None:
    electrician, community = read_sources(*sources)
    evaluation = evaluate(rules(), [electrician, community], as_of=DECIDED)
    destination = DecisionDestination.of_rule_set(rules())
    with pytest.raises(ValueError, match="another day"):
        decision_subject(evaluation, destination=destination,
                         decided=datetime(2027, 3, 2, 10, tzinfo=CST))
    with pytest.raises(ValueError, match="given twice"):
        decision_subject(evaluation, destination=destination, decided=DECIDED,
                         excluded=((community, "twice"),))
    nothing = evaluate(rules(), [community], as_of=DECIDED)
    with pytest.raises(ValueError, match="grants nothing"):
        decision_subject(nothing, destination=destination, decided=DECIDED)
    without_root = evaluate(rules(), [replace(electrician, claims_root=None)], as_of=DECIDED)
    with pytest.raises(ValueError, match="no claims root"):
        decision_subject(without_root, destination=destination, decided=DECIDED)


def test_a_programme_s_rule_set_may_be_published_by_its_institution(issuers, sources,
                                                                    trust) -> None:
    own = {**copy.deepcopy(RULE_SET),
           "owner": {"type": "programme", "id": OPEN_UNIVERSITY, "programme": "EA-2027"},
           "rules": [r for r in copy.deepcopy(RULE_SET["rules"])
                     if r["grant"]["type"] != "bankCredits"]}
    rule_set = parse_rule_set(own)
    member = decision_subject(evaluate(rule_set, read_sources(*sources), as_of=DECIDED),
                              destination=DecisionDestination.of_rule_set(rule_set),
                              decided=DECIDED)
    decision = decide(issuers.university, [], member=member, index=9)
    by_institution = FakeFacts(fact=DocumentFact(owner_issuer_number=3),
                               numbers={OPEN_UNIVERSITY: 3})
    assert check(decision, list(sources), trust, rule_set=own, facts=by_institution).verified
    by_another = FakeFacts(fact=DocumentFact(owner_issuer_number=3),
                           numbers={OPEN_UNIVERSITY: 4})
    report = check(decision, list(sources), trust, rule_set=own, facts=by_another)
    assert "neither the authority" in report.check("decision.rule_set").detail


def test_a_reading_contrary_to_the_credential_s_own_typing_fails(issuers, sources,
                                                                 trust) -> None:
    # a certificate that types its own figure (achievement.creditUnit and sector) as hours
    record = LearningRecord.from_json(copy.deepcopy(ELECTRICIAN_RECORD))
    key = issuers.vocational.signing_key(SET_UP)
    document = build_document(record, institution_did=issuers.vocational.did,
                              institution_name=issuers.vocational.name, signing_did=key.did,
                              status_index=2, issued_at=SET_UP)
    document["credentialSubject"]["achievement"].update(creditUnit="hour", sector="vocational")
    typed = single_batch(*sign_document(document, key, "2026-01-01T00:00:00Z"))
    read = read_sources(typed, sources[1])  # read as 4 credits: not what it says
    decision = decide(issuers.authority, read, destination=DecisionDestination.bank(),
                      index=10)
    report = check(decision, [typed, sources[1]], trust)
    assert "read with creditUnit credit, but the credential writes hour" in \
        report.check("decision.sources").detail
