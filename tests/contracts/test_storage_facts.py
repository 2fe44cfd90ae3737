"""Every fact is one storage word at the slot verifier.registry_layout computes.

Read with eth_getStorageAt (what an EIP-1186 proof proves) and compared with the contract's
own views, so the Python layout, the docs and the Solidity agree.
"""

from __future__ import annotations

import hashlib

import pytest
from web3 import Web3

from tests.contracts.conftest import DID_A, Issuers
from tests.contracts.harness import ARTIFACT, Registry
from verifier import registry_layout as layout

ROOT = hashlib.sha256(b"layout batch").digest()


def stored_word(registry: Registry, slot: int) -> int:
    return int.from_bytes(registry.w3.eth.get_storage_at(registry.address, slot), "big")


@pytest.fixture
def populated(registry: Registry, issuers: Issuers) -> Registry:
    account = registry.issuer_account
    governor = registry.governors[0]
    registry.transact(
        "setAccreditationWindow", issuers.a, 1_600_000_000, 4_000_000_000, sender=governor
    )
    registry.transact("anchor", ROOT, 4321, sender=account)
    registry.transact("revokeBatch", ROOT, 9, sender=account)
    registry.transact("revokeCredentials", [3, 255, 256, 9000], 1, sender=account)
    registry.transact("suspendCredentials", [4, 700], 2, sender=account)
    registry.transact(
        "rotateKey", issuers.a, issuers.a_key, b"\x33" * 32, 1_720_000_000, sender=governor
    )
    registry.transact("revokeKey", issuers.a, b"\x33" * 32, 1_730_000_000, sender=governor)
    registry.transact("suspendIssuer", issuers.b, sender=governor)
    return registry


def test_issuer_words(populated: Registry, issuers: Issuers) -> None:
    assert layout.issuer_id(DID_A) == issuers.a
    for issuer in (issuers.a, issuers.b):
        word = stored_word(populated, layout.issuer_slot(issuer))
        assert word == populated.call("issuerWord", issuer) != 0
        fact = layout.decode_issuer(word)
        assert tuple(populated.call("issuer", issuer)) == (
            fact.status,
            fact.issuer_number,
            fact.valid_from,
            fact.valid_until,
            fact.status_since,
        )
    a = layout.decode_issuer(stored_word(populated, layout.issuer_slot(issuers.a)))
    assert (a.status, a.issuer_number, a.valid_from, a.valid_until) == (
        layout.IssuerStatus.ACTIVE,
        1,
        1_600_000_000,
        4_000_000_000,
    )
    assert a.active_at(1_700_000_000) and not a.active_at(4_000_000_000)
    b = layout.decode_issuer(stored_word(populated, layout.issuer_slot(issuers.b)))
    assert b.status is layout.IssuerStatus.SUSPENDED and not b.active_at(1_700_000_000)
    unknown = layout.issuer_id("did:web:never.example.cn")
    assert stored_word(populated, layout.issuer_slot(unknown)) == 0
    assert not layout.decode_issuer(0).accredited


def test_key_words(populated: Registry, issuers: Issuers) -> None:
    for key in (issuers.a_key, b"\x33" * 32):
        word = stored_word(populated, layout.key_slot(issuers.a, key))
        assert word == populated.call("keyWord", issuers.a, key) != 0
        fact = layout.decode_key(word)
        assert tuple(populated.call("issuerKey", issuers.a, key)) == (
            fact.registered,
            fact.valid_from,
            fact.valid_until,
            fact.revoked_from,
        )
        for when in (1_700_000_000, 1_719_999_999, 1_720_000_000, 1_729_999_999, 1_730_000_000):
            assert fact.valid_at(when) == populated.call("isKeyValidAt", issuers.a, key, when)
    rotated = layout.decode_key(stored_word(populated, layout.key_slot(issuers.a, b"\x33" * 32)))
    assert rotated == layout.KeyFact(True, 1_720_000_000, 0, 1_730_000_000)


def test_account_words(populated: Registry, issuers: Issuers) -> None:
    for account, issuer in [
        (populated.issuer_account, issuers.a),
        (populated.other_issuer_account, issuers.b),
        (populated.outsider, None),
    ]:
        word = stored_word(populated, layout.account_slot(account))
        assert word == populated.call("accountWord", account)
        assert layout.decode_account(word).issuer_id == issuer
    raw = bytes.fromhex(populated.issuer_account[2:])
    assert layout.account_slot(raw) == layout.account_slot(populated.issuer_account)


def test_batch_word(populated: Registry, issuers: Issuers) -> None:
    word = stored_word(populated, layout.root_slot(ROOT))
    assert word == populated.call("batchWord", ROOT)
    fact = layout.decode_batch(word)
    assert tuple(populated.call("batch", ROOT)) == (
        fact.anchored,
        fact.revoked,
        fact.revocation_reason,
        fact.issuer_number,
        fact.block_number,
        fact.timestamp,
        fact.count,
    )
    assert (fact.anchored, fact.revoked, fact.revocation_reason, fact.count) == (
        True,
        True,
        9,
        4321,
    )
    issuer_word = stored_word(populated, layout.issuer_slot(issuers.a))
    assert fact.issuer_number == layout.decode_issuer(issuer_word).issuer_number


def test_status_words(populated: Registry, issuers: Issuers) -> None:
    for word_index in (0, 1, 2, 35):
        revocation = stored_word(populated, layout.revocation_slot(issuers.a, word_index))
        suspension = stored_word(populated, layout.suspension_slot(issuers.a, word_index))
        assert revocation == populated.call("revocationWord", issuers.a, word_index)
        assert suspension == populated.call("suspensionWord", issuers.a, word_index)
    for index in (3, 4, 5, 255, 256, 700, 9000, 9001):
        word_index, _ = layout.status_position(index)
        revocation = stored_word(populated, layout.revocation_slot(issuers.a, word_index))
        suspension = stored_word(populated, layout.suspension_slot(issuers.a, word_index))
        assert layout.status_bit(revocation, index) == populated.call("isRevoked", issuers.a, index)
        assert layout.status_bit(suspension, index) == populated.call(
            "isSuspended", issuers.a, index
        )
    assert stored_word(populated, layout.revocation_slot(issuers.a, 35)) == 1 << (9000 & 255)


def test_one_storage_proof_proves_a_fact(anvil_url: str) -> None:
    """EIP-1186: eth_getProof of the computed slot returns the fact word (anvil)."""
    from tests.contracts.harness import deploy

    w3 = Web3(Web3.HTTPProvider(anvil_url))
    registry = deploy(w3)
    registry.transact("accredit", DID_A, "A", 0, 0, sender=registry.governors[0])
    slot = layout.issuer_slot(layout.issuer_id(DID_A))
    proof = w3.eth.get_proof(registry.address, [slot], "latest")
    (storage_proof,) = proof["storageProof"]
    assert int.from_bytes(bytes(storage_proof["key"]), "big") == slot
    value = int.from_bytes(bytes(storage_proof["value"]), "big")
    assert value == registry.call("issuerWord", layout.issuer_id(DID_A)) != 0
    assert storage_proof["proof"]


def test_base_slots_match_the_compiled_storage_layout() -> None:
    slots = {e["label"]: int(e["slot"]) for e in ARTIFACT.storage_layout["storage"]}
    assert {
        "_issuerWords": layout.ISSUER_BASE_SLOT,
        "_keyWords": layout.KEY_BASE_SLOT,
        "_accountWords": layout.ACCOUNT_BASE_SLOT,
        "_batchWords": layout.BATCH_BASE_SLOT,
        "_revocationWords": layout.REVOCATION_BASE_SLOT,
        "_suspensionWords": layout.SUSPENSION_BASE_SLOT,
    } == {
        label: slots[label]
        for label in (
            "_issuerWords",
            "_keyWords",
            "_accountWords",
            "_batchWords",
            "_revocationWords",
            "_suspensionWords",
        )
    }
