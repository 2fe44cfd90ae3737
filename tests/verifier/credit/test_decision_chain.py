"""A decision checked with chain evidence: the sources and the decision anchored on a
synthetic chain, each source's status proven as of the checkpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from verifier import Status, load_evidence, verify
from verifier import registry_layout as layout
from verifier.credit.decision_check import check_decision
from verifier.evidence import bundle as bundles

from ..test_evidence_bundle import CHAIN_ID, PIN, REGISTRY, SyntheticChain
from ..test_evidence_checks import batch_root, batch_word, issuer_word, key_word
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
)
from .examples import RULE_SET
from .test_decision import PUBLISHED

REGISTRY_TEXT = bundles.checksum_address(REGISTRY)
CHAIN = {"status_registry": f"eip155:{CHAIN_ID}:{REGISTRY_TEXT}",
         "anchor": {"chainId": CHAIN_ID, "registry": REGISTRY_TEXT,
                    "transactionHash": "0x" + "ab" * 32}}
COMMUNITY_AT = datetime(2026, 12, 10, 10, tzinfo=CST)


class Registry:
    """The registry words of several issuers and their anchored credentials."""

    def __init__(self, issuers: Issuers) -> None:
        self.words: dict[int, int] = {}
        self.ids: dict[str, bytes] = {}
        self.numbers: dict[str, int] = {}
        for number, issuer in enumerate(issuers.all(), 1):
            issuer_id = self.ids[issuer.did] = layout.issuer_id(issuer.did)
            self.numbers[issuer.did] = number
            self.words[layout.issuer_slot(issuer_id)] = issuer_word(number)
            key = issuer.signing_key(SET_UP).public_key
            self.words[layout.key_slot(issuer_id, key)] = key_word()
        self.status_slots = [slot(issuer_id, 0) for issuer_id in self.ids.values()
                             for slot in (layout.revocation_slot, layout.suspension_slot)]

    def anchor(self, credential: dict[str, Any], at: datetime, block: int) -> None:
        did = credential["credentialStatus"]["statusIssuer"]
        self.words[layout.root_slot(batch_root(credential))] = batch_word(
            self.numbers[did], block=block, at=int(at.timestamp()) + 3600)

    def revoke(self, did: str, index: int) -> None:
        slot = layout.revocation_slot(self.ids[did], 0)
        self.words[slot] = self.words.get(slot, 0) | 1 << index

    def evidence(self, **bundle: Any):
        slots = list(dict.fromkeys([*self.words, *self.status_slots]))
        return load_evidence(SyntheticChain(dict(self.words)).bundle(slots=slots, **bundle),
                             PIN)


@pytest.fixture(scope="module")
def issuers(tmp_path_factory) -> Issuers:
    return Issuers.create(tmp_path_factory.mktemp("issuers"))


@pytest.fixture(scope="module")
def anchored(issuers) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    electrician = issue(issuers.vocational, ELECTRICIAN_RECORD, index=3, **CHAIN)
    community = issue(issuers.elderly, COMMUNITY_RECORD, at=COMMUNITY_AT, **CHAIN)
    decision = decide(issuers.university, read_sources(electrician, community), **CHAIN)
    return electrician, community, decision


def registry_for(issuers: Issuers, anchored) -> Registry:
    registry = Registry(issuers)
    electrician, community, decision = anchored
    registry.anchor(electrician, SET_UP, 10)
    registry.anchor(community, COMMUNITY_AT, 20)
    registry.anchor(decision, DECIDED, 30)
    return registry


def test_a_decision_verifies_offline_with_a_bundle(issuers, anchored) -> None:
    electrician, community, decision = anchored
    evidence = registry_for(issuers, anchored).evidence()
    later = datetime(2027, 6, 1, tzinfo=CST)
    assert verify(decision, evidence=evidence, now=later).verified
    report = check_decision(decision, [electrician, community], RULE_SET, facts=PUBLISHED,
                            evidence=evidence)
    assert report.verified, report.checks
    assert "as of block 42" in report.sources[0].result.check("not_revoked").detail


def test_a_revoked_source_fails_whatever_date_is_reported(issuers, anchored) -> None:
    electrician, community, decision = anchored
    registry = registry_for(issuers, anchored)
    registry.revoke(issuers.vocational.did, 3)
    after = {"issuer": issuers.vocational.did, "statusIndices": ["3"], "action": "revoked",
             "reason": 2, "blockNumber": 41, "timestamp": int(DECIDED.timestamp()) + 86400,
             "transactionHash": "0x" + "cd" * 32}
    evidence = registry.evidence(statusEvents=[after])
    report = check_decision(decision, [electrician, community], RULE_SET, facts=PUBLISHED,
                            evidence=evidence)
    check = report.check("decision.sources")
    assert check.status is Status.FAILED
    assert "revoked" in check.detail and "after the decision" in check.detail
    assert "not proven" in check.detail
    assert report.check("decision.grant").status is Status.PASSED


def test_rejected_evidence_leaves_the_rule_set_an_error(issuers, anchored) -> None:
    electrician, community, decision = anchored
    report = check_decision(decision, [electrician, community], RULE_SET,
                            facts=bundles.RejectedEvidence("the signer set differs"),
                            evidence=bundles.RejectedEvidence("the signer set differs"))
    assert report.check("decision.rule_set").status is Status.ERROR
    assert report.check("decision.sources").status is Status.FAILED
    assert not report.explain({"status"}).verified
