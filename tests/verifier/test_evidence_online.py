"""Online evidence: what a node answers is checked, never believed (no network: a fake node)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak

from verifier import registry_layout as layout
from verifier.evidence import header as headers
from verifier.evidence.bundle import SignerPin
from verifier.evidence.errors import BundleRejected, EvidenceError, HeaderError
from verifier.evidence.online import fetch_evidence

from .test_evidence_bundle import CHAIN_ID, DID, ISSUER_ID, PIN, REGISTRY, SIGNERS, SyntheticChain


class FakeNode:
    """Answers JSON-RPC like a node serving one SyntheticChain block; can be made to lie."""

    def __init__(self, chain: SyntheticChain, *, truncate_extra: bool = False) -> None:
        self.chain = chain
        self.state, self.storage, root = chain.tries()
        self.sealed = chain.header(root)
        self.truncate_extra = truncate_extra
        self.lie_about_values = False
        self.block_overrides: dict[str, str] = {}
        self.calls: list[str] = []

    def call(self, method: str, params: Sequence[Any]) -> Any:
        self.calls.append(method)
        if method == "eth_chainId":
            return hex(CHAIN_ID)
        if method == "eth_getBlockByNumber":
            block = headers.to_rpc(self.sealed)
            if self.truncate_extra:
                block["extraData"] = block["extraData"][: 2 + 64]
            block.update(self.block_overrides)
            block["hash"] = "0x" + self.sealed.hash.hex()
            return block
        if method == "debug_getRawHeader":
            return "0x" + self.sealed.encode().hex()
        if method == "clique_getSigners":
            return ["0x" + s.hex() for s in SIGNERS]
        if method == "eth_getProof":
            _, slots, _ = params
            entries = []
            for text in slots:
                key = keccak(bytes.fromhex(text[2:]))
                proof = self.storage.get_proof(key)
                value = 0xDEAD if self.lie_about_values else 0
                entries.append({"key": text, "value": hex(value),
                                "proof": ["0x" + rlp.encode(n).hex() for n in proof]})
            account = self.state.get_proof(keccak(REGISTRY))
            return {"accountProof": ["0x" + rlp.encode(n).hex() for n in account],
                    "storageProof": entries}
        raise AssertionError(f"unexpected method {method}")


@pytest.fixture
def chain() -> SyntheticChain:
    return SyntheticChain({
        layout.issuer_slot(ISSUER_ID): 1 | 1 << 8,
        layout.revocation_slot(ISSUER_ID, 0): 1 << 5,
    })


def test_words_come_from_the_proofs_not_the_reported_values(chain) -> None:
    node = FakeNode(chain)
    node.lie_about_values = True
    evidence = fetch_evidence(node, REGISTRY, pin=PIN)
    assert evidence.pinned and evidence.block_number == chain.number
    assert evidence.revoked(DID, 5).value and not evidence.revoked(DID, 6).value
    assert not evidence.suspended(DID, 5).value  # proved absent, whatever "value" says
    assert node.calls.count("eth_getProof") >= 2  # the account, then words on demand


def test_a_truncated_extra_data_falls_back_to_the_raw_header(chain) -> None:
    node = FakeNode(chain, truncate_extra=True)
    evidence = fetch_evidence(node, REGISTRY, pin=PIN)
    assert "debug_getRawHeader" in node.calls
    assert evidence.block_hash == node.sealed.hash


def test_a_header_field_that_does_not_hash_is_refused(chain) -> None:
    node = FakeNode(chain)
    node.block_overrides = {"stateRoot": "0x" + "77" * 32}
    with pytest.raises(HeaderError, match="do not hash"):
        fetch_evidence(node, REGISTRY, pin=PIN)


def test_a_block_sealed_by_an_unpinned_key_is_refused(chain) -> None:
    node = FakeNode(chain)
    pin = SignerPin(CHAIN_ID, frozenset({b"\x01" * 20}))
    with pytest.raises(BundleRejected, match="not one of the signers"):
        fetch_evidence(node, REGISTRY, pin=pin)
    with pytest.raises(BundleRejected, match="chain id"):
        fetch_evidence(node, REGISTRY, pin=SignerPin(1, PIN.signers))


def test_without_a_pin_the_nodes_signers_are_used_and_said_so(chain) -> None:
    evidence = fetch_evidence(FakeNode(chain), REGISTRY)
    assert not evidence.pinned and "signer set not pinned" in evidence.as_of


def test_an_unreachable_node_is_an_evidence_error() -> None:
    # Port 9 (discard) on loopback: refused at once; nothing leaves the machine.
    with pytest.raises(EvidenceError, match="cannot reach"):
        fetch_evidence("http://127.0.0.1:9", REGISTRY, pin=PIN)
