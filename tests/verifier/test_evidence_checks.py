"""The chain checks of verify(): real credentials against evidence from a synthetic chain."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak

from ledger.issuance import LearningRecord, issue_one
from ledger.issuance.signing import single_batch
from tests.credentials import ISSUED_AT, LATER, RECORD, make_issuer, trust_doc
from verifier import (
    ChainEvidence,
    RejectedEvidence,
    Status,
    load_evidence,
    parse_trust_list,
    verify,
)
from verifier import registry_layout as layout
from verifier.evidence import bundle as bundles

from .test_evidence_bundle import CHAIN_ID, PIN, REGISTRY, SyntheticChain

REGISTRY_TEXT = bundles.checksum_address(REGISTRY)
STATUS_REGISTRY = f"eip155:{CHAIN_ID}:{REGISTRY_TEXT}"
T = int(ISSUED_AT.timestamp()) + 3600  # anchored an hour after issuance
ANCHOR_BLOCK = 17
CHAIN_CHECKS = ("issuer_trusted", "anchored", "not_revoked", "not_suspended")


def issuer_word(number: int = 1, *, valid_from: int = 0, valid_until: int = 0) -> int:
    return 1 | number << 8 | valid_from << 40 | valid_until << 104


def key_word(*, valid_from: int = 0, valid_until: int = 0, revoked_from: int = 0) -> int:
    return 1 | valid_from << 8 | valid_until << 72 | revoked_from << 136


def batch_word(number: int = 1, *, block: int = ANCHOR_BLOCK, at: int = T,
               revoked: bool = False, reason: int = 0) -> int:
    return 1 | int(revoked) << 1 | number << 8 | block << 40 | at << 104 | 1 << 168 | reason << 232


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    return make_issuer(tmp_path_factory.mktemp("issuer") / "sou")


def credential_for(issuer, index: int, *, status_registry: str | None = STATUS_REGISTRY,
                   **anchor: Any) -> dict[str, Any]:
    record = LearningRecord.from_json(copy.deepcopy(RECORD))
    unanchored, root = issue_one(record, issuer, status_index=index, now=ISSUED_AT,
                                 status_registry=status_registry)
    credential = single_batch(unanchored, root)
    members = {"chainId": CHAIN_ID, "registry": REGISTRY_TEXT,
               "transactionHash": "0x" + "ab" * 32, "blockNumber": ANCHOR_BLOCK}
    members.update(anchor)
    for proof in credential["proof"]:
        if proof["type"] == "CredbankLedgerProof":
            proof["anchor"].update({k: v for k, v in members.items() if v is not None})
    return credential


def batch_root(credential: dict[str, Any]) -> bytes:
    ledger = next(p for p in credential["proof"] if p["type"] == "CredbankLedgerProof")
    return bytes.fromhex(ledger["anchor"]["batchRoot"][2:])


class Registry:
    """Registry words for one issuer and its credentials, as a chain would hold them."""

    def __init__(self, issuer) -> None:
        self.did = issuer.did
        self.id = layout.issuer_id(issuer.did)
        self.key = issuer.signing_key(ISSUED_AT).public_key
        self.words: dict[int, int] = {
            layout.issuer_slot(self.id): issuer_word(),
            layout.key_slot(self.id, self.key): key_word(),
        }
        # Another issuer's words beside ours, as on a shared registry.
        other = layout.issuer_id("did:example:other")
        self.words[layout.issuer_slot(other)] = issuer_word(2)

    def anchor(self, credential: dict[str, Any], **word: Any) -> None:
        self.words[layout.root_slot(batch_root(credential))] = batch_word(**word)

    def set_status(self, index: int, *, revoked: bool = False, suspended: bool = False) -> None:
        word, bit = layout.status_position(index)
        for flag, slot in ((revoked, layout.revocation_slot(self.id, word)),
                           (suspended, layout.suspension_slot(self.id, word))):
            self.words[slot] = self.words.get(slot, 0) | (int(flag) << bit)

    def evidence(self, *, pinned: bool = True, **bundle: Any) -> ChainEvidence:
        status_slots = [layout.revocation_slot(self.id, 0), layout.suspension_slot(self.id, 0)]
        chain = SyntheticChain(dict(self.words))
        slots = list(dict.fromkeys([*self.words, *status_slots]))
        return load_evidence(chain.bundle(slots=slots, **bundle), PIN if pinned else None)


@pytest.fixture
def registry(issuer) -> Registry:
    return Registry(issuer)


def statuses(result) -> dict[str, Status]:
    return {c.id: c.status for c in result.checks}


def test_anchored_unrevoked_credential_passes_every_chain_check(issuer, registry) -> None:
    credential = credential_for(issuer, 3)
    registry.anchor(credential)
    registry.set_status(5, revoked=True)  # another credential's bit in the same word
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.verified, result.checks
    for check in CHAIN_CHECKS:
        assert result.check(check).status is Status.PASSED
        assert "as of block 42" in result.check(check).detail
    assert f"in block {ANCHOR_BLOCK}" in result.check("anchored").detail
    assert "chain time" in result.check("issuer_trusted").detail
    assert "not pinned" not in result.check("anchored").detail


def test_revoked_credential_fails_not_revoked_as_of_the_checkpoint(issuer, registry) -> None:
    credential = credential_for(issuer, 260)
    registry.anchor(credential)
    registry.set_status(260, revoked=True)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert not result.verified
    assert result.check("not_revoked").status is Status.FAILED
    assert "as of block 42" in result.check("not_revoked").detail
    assert result.check("not_suspended").status is Status.PASSED


def test_suspended_credential_fails_not_suspended(issuer, registry) -> None:
    credential = credential_for(issuer, 7)
    registry.anchor(credential)
    registry.set_status(7, suspended=True)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("not_suspended").status is Status.FAILED
    assert result.check("not_revoked").status is Status.PASSED


def test_a_revoked_batch_fails_not_revoked(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential, revoked=True, reason=3)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("not_revoked").status is Status.FAILED
    assert "batch" in result.check("not_revoked").detail


def test_an_unanchored_batch_fails_anchored_and_issuer_trusted(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("anchored").status is Status.FAILED
    assert result.check("issuer_trusted").status is Status.FAILED


def test_a_batch_anchored_by_another_issuer_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential, number=2)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("anchored").status is Status.FAILED
    assert result.check("issuer_trusted").status is Status.FAILED


def test_a_stated_block_other_than_the_anchoring_one_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1, blockNumber=ANCHOR_BLOCK + 1)
    registry.anchor(credential)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("anchored").status is Status.FAILED


def test_a_key_revoked_after_anchoring_keeps_older_credentials_valid(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    registry.words[layout.key_slot(registry.id, registry.key)] = key_word(revoked_from=T + 1)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("issuer_trusted").status is Status.PASSED


def test_a_credential_anchored_after_its_key_was_revoked_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    # The issuer states `created` an hour before the revocation; the chain says otherwise.
    registry.words[layout.key_slot(registry.id, registry.key)] = key_word(revoked_from=T - 60)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("issuer_trusted").status is Status.FAILED
    assert "revoked from" in result.check("issuer_trusted").detail


def test_an_unregistered_key_or_closed_accreditation_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    registry.words[layout.issuer_slot(registry.id)] = issuer_word(valid_until=T)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert "not accredited at anchoring time" in result.check("issuer_trusted").detail
    registry.words[layout.issuer_slot(registry.id)] = issuer_word()
    del registry.words[layout.key_slot(registry.id, registry.key)]
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert "not a registered key" in result.check("issuer_trusted").detail


def test_a_credential_from_another_registry_or_chain_fails(issuer, registry) -> None:
    other = "0x" + "42" * 20
    for credential in (
        credential_for(issuer, 1, status_registry=f"eip155:{CHAIN_ID}:{other}", registry=None),
        credential_for(issuer, 1, chainId=CHAIN_ID + 1),
        credential_for(issuer, 1, registry=other),
    ):
        registry.anchor(credential)
        result = verify(credential, evidence=registry.evidence(), now=LATER)
        for check in CHAIN_CHECKS:
            assert result.check(check).status is Status.FAILED, (check, result.checks)


def test_a_missing_proof_node_is_an_error_never_a_pass(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    registry.set_status(9, revoked=True)
    evidence = registry.evidence()
    chain = SyntheticChain(dict(registry.words))
    _, storage, _ = chain.tries()
    slot = layout.revocation_slot(registry.id, 0)
    leaf = rlp.encode(storage.get_proof(keccak(slot.to_bytes(32, "big")))[-1])
    stripped = load_evidence(
        {**_bundle_doc(registry), "nodes": [n for n in _bundle_doc(registry)["nodes"]
                                            if n != "0x" + leaf.hex()]}, PIN)
    assert verify(credential, evidence=evidence, now=LATER).verified
    result = verify(credential, evidence=stripped, now=LATER)
    assert result.check("not_revoked").status is Status.ERROR
    assert "missing" in result.check("not_revoked").detail
    assert not result.verified


def _bundle_doc(registry: Registry) -> dict[str, Any]:
    chain = SyntheticChain(dict(registry.words))
    return chain.bundle(slots=list(registry.words))


def test_rejected_evidence_makes_every_chain_check_an_error(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    result = verify(credential, evidence=RejectedEvidence("the signer set differs"), now=LATER)
    for check in CHAIN_CHECKS:
        assert result.check(check).status is Status.ERROR
        assert "signer set differs" in result.check(check).detail
    assert not result.verified


def test_an_unpinned_bundle_says_so_in_every_chain_check(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    result = verify(credential, evidence=registry.evidence(pinned=False), now=LATER)
    assert result.verified
    for check in CHAIN_CHECKS:
        assert "signer set not pinned" in result.check(check).detail


def test_without_evidence_chain_checks_stay_skipped(issuer) -> None:
    credential = credential_for(issuer, 1)
    trust = parse_trust_list(trust_doc(issuer))
    result = verify(credential, trust=trust, now=LATER)
    assert result.check("issuer_trusted").status is Status.PASSED
    assert "not chain time" in result.check("issuer_trusted").detail
    for check in CHAIN_CHECKS[1:]:
        assert result.check(check).status is Status.SKIPPED
        assert result.check(check).detail == "no chain evidence"
