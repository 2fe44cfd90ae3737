"""Published documents (slot 6) and accreditation scopes (slot 7): access rules, errors,
events, and the words at the slots verifier.registry_layout computes."""

from __future__ import annotations

import hashlib

import pytest

from tests.contracts.conftest import Issuers
from tests.contracts.harness import ARTIFACT, Registry
from verifier import registry_layout as layout

DOC = hashlib.sha256(b"rule set v1").digest()
OTHER_DOC = hashlib.sha256(b"framework 2024").digest()
ZERO = b"\x00" * 32


def stored_word(registry: Registry, slot: int) -> int:
    return int.from_bytes(registry.w3.eth.get_storage_at(registry.address, slot), "big")


def block_of(registry: Registry, receipt) -> tuple[int, int]:
    block = registry.w3.eth.get_block(receipt["blockNumber"])
    return block["number"], block["timestamp"]


def test_a_governor_publishes_for_the_authority(registry: Registry, issuers: Issuers) -> None:
    receipt = registry.transact("publishDocument", OTHER_DOC, 1, sender=registry.governors[1])
    assert registry.events(receipt, "DocumentPublished") == [
        {"docHash": OTHER_DOC, "issuerId": ZERO, "kind": 1}]
    word = stored_word(registry, layout.document_slot(OTHER_DOC))
    assert word == registry.call("documentWord", OTHER_DOC)
    number, timestamp = block_of(registry, receipt)
    fact = layout.decode_document(word)
    assert fact == layout.DocumentFact(True, False, layout.DocumentKind.FRAMEWORK, 0, number,
                                       timestamp, 0)
    assert fact.in_force_at(timestamp) and not fact.in_force_at(timestamp - 1)


def test_an_issuer_account_publishes_and_withdraws_its_own(
    registry: Registry, issuers: Issuers
) -> None:
    receipt = registry.transact("publishDocument", DOC, 3, sender=registry.issuer_account)
    assert registry.events(receipt, "DocumentPublished") == [
        {"docHash": DOC, "issuerId": issuers.a, "kind": 3}]
    published = layout.decode_document(registry.call("documentWord", DOC))
    assert (published.owner_issuer_number, published.kind) == (1, layout.DocumentKind.RULE_SET)
    # another issuer's account, a governor and an outsider may not withdraw it
    assert registry.refused("withdrawDocument", DOC, sender=registry.other_issuer_account) \
        .name == "NotDocumentOwner"
    refusal = registry.refused("withdrawDocument", DOC, sender=registry.governors[0])
    assert (refusal.name, refusal.args) == ("NotDocumentOwner", (DOC, ZERO))
    receipt = registry.transact("withdrawDocument", DOC, sender=registry.second_issuer_account)
    assert registry.events(receipt, "DocumentWithdrawn") == [
        {"docHash": DOC, "issuerId": issuers.a}]
    _, at = block_of(registry, receipt)
    word = stored_word(registry, layout.document_slot(DOC))
    withdrawn = layout.decode_document(word)
    assert withdrawn.withdrawn and withdrawn.withdrawn_at == at
    assert withdrawn.block_number == published.block_number
    assert not withdrawn.in_force_at(at) and not withdrawn.in_force_at(published.timestamp - 1)
    assert withdrawn.in_force_at(published.timestamp) == (published.timestamp < at)
    assert registry.refused("withdrawDocument", DOC, sender=registry.issuer_account).name == \
        "DocumentAlreadyWithdrawn"


def test_publishing_refusals(registry: Registry, issuers: Issuers) -> None:
    governor = registry.governors[0]
    refusal = registry.refused("publishDocument", DOC, 3, sender=registry.outsider)
    assert (refusal.name, refusal.args) == ("NotAnchoringAccount", (registry.outsider,))
    assert registry.refused("publishDocument", ZERO, 3, sender=governor).name == \
        "ZeroDocumentHash"
    assert registry.refused("publishDocument", DOC, 0, sender=governor).name == \
        "InvalidDocumentKind"
    registry.transact("publishDocument", DOC, 3, sender=governor)
    refusal = registry.refused("publishDocument", DOC, 2, sender=registry.issuer_account)
    assert (refusal.name, refusal.args) == ("DocumentAlreadyPublished", (DOC,))
    # a suspended issuer publishes nothing, but the authority's documents are the governors'
    registry.transact("suspendIssuer", issuers.a, sender=governor)
    assert registry.refused("publishDocument", OTHER_DOC, 3, sender=registry.issuer_account) \
        .name == "IssuerNotActive"
    assert registry.refused("withdrawDocument", DOC, sender=registry.issuer_account).name == \
        "NotGovernor"
    assert registry.refused("withdrawDocument", OTHER_DOC, sender=governor).name == \
        "UnknownDocument"
    registry.transact("withdrawDocument", DOC, sender=registry.governors[2])


def test_a_suspended_issuer_still_withdraws(registry: Registry, issuers: Issuers) -> None:
    registry.transact("publishDocument", DOC, 3, sender=registry.issuer_account)
    registry.transact("suspendIssuer", issuers.a, sender=registry.governors[0])
    registry.transact("withdrawDocument", DOC, sender=registry.issuer_account)
    assert layout.decode_document(registry.call("documentWord", DOC)).withdrawn


def test_accreditation_scope(registry: Registry, issuers: Issuers) -> None:
    governor = registry.governors[0]
    assert registry.call("scopeWord", issuers.a) == 0
    assert layout.decode_scope(0) == layout.ScopeFact(False, frozenset(), 0, 0)
    receipt = registry.transact("setAccreditationScope", issuers.a, 0b00011, 4, sender=governor)
    assert registry.events(receipt, "AccreditationScopeChanged") == [
        {"issuerId": issuers.a, "sectors": 3, "maxLevelRank": 4}]
    _, at = block_of(registry, receipt)
    word = stored_word(registry, layout.scope_slot(issuers.a))
    assert word == registry.call("scopeWord", issuers.a)
    fact = layout.decode_scope(word)
    assert fact == layout.ScopeFact(True, frozenset({"degree", "vocational"}), 4, at)
    assert fact.allows("vocational", 4) and not fact.allows("vocational", 5)
    assert not fact.allows("venue", 1)
    assert stored_word(registry, layout.scope_slot(issuers.b)) == 0

    receipt = registry.transact("clearAccreditationScope", issuers.a, sender=governor)
    assert registry.events(receipt, "AccreditationScopeChanged") == [
        {"issuerId": issuers.a, "sectors": 0, "maxLevelRank": 0}]
    assert stored_word(registry, layout.scope_slot(issuers.a)) == 0


def test_scope_refusals(registry: Registry, issuers: Issuers) -> None:
    governor = registry.governors[0]
    assert registry.refused("setAccreditationScope", issuers.a, 1, 0,
                            sender=registry.issuer_account).name == "NotGovernor"
    assert registry.refused("setAccreditationScope", issuers.a, 0, 3, sender=governor).name == \
        "EmptyScope"
    unknown = layout.issuer_id("did:web:never.example.cn")
    assert registry.refused("setAccreditationScope", unknown, 1, 0, sender=governor).name == \
        "UnknownIssuer"
    refusal = registry.refused("clearAccreditationScope", issuers.a, sender=governor)
    assert (refusal.name, refusal.args) == ("NoAccreditationScope", (issuers.a,))
    assert registry.refused("clearAccreditationScope", issuers.a,
                            sender=registry.outsider).name == "NotGovernor"
    registry.transact("retireIssuer", issuers.b, sender=governor)
    assert registry.refused("setAccreditationScope", issuers.b, 1, 0, sender=governor).name == \
        "IssuerRetired"


def test_fact_base_slots_match_the_compiled_storage_layout() -> None:
    slots = {e["label"]: int(e["slot"]) for e in ARTIFACT.storage_layout["storage"]}
    assert slots["_documentWords"] == layout.DOCUMENT_BASE_SLOT == 6
    assert slots["_scopeWords"] == layout.SCOPE_BASE_SLOT == 7
    assert min(slot for label, slot in slots.items()
               if label not in {"_documentWords", "_scopeWords"} and slot > 5) == 8


@pytest.mark.parametrize("contract", ["IssuerRegistry", "CredentialRegistry"])
def test_scope_functions_exist_in_both_deployables(contract: str) -> None:
    import contracts

    names = {e.get("name") for e in contracts.load(contract).abi}
    assert {"setAccreditationScope", "clearAccreditationScope", "scopeWord"} <= names
    assert ("publishDocument" in names) == (contract == "CredentialRegistry")
