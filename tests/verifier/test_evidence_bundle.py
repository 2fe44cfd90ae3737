"""Trust bundles: strict parsing, one-time verification, and facts proven from the pool.

The bundles here are built from a small in-memory chain state (real tries, a real
secp256k1 seal) so that every forgery can be made precisely: a flipped header byte, a
seal by a non-signer, a signer set that differs from the pin, a node removed, a node for
another slot, a tampered account node.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak
from eth_keys import keys
from trie import HexaryTrie

from verifier import registry_layout as layout
from verifier.evidence import bundle as bundles
from verifier.evidence import header as headers
from verifier.evidence.errors import BundleFormatError, BundleRejected, HeaderError, ProofError

CHAIN_ID = 1337
REGISTRY = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
SIGNER_KEYS = [keys.PrivateKey(bytes([i]) * 32) for i in (1, 2, 3)]
SIGNERS = sorted(k.public_key.to_canonical_address() for k in SIGNER_KEYS)
BLOCK_TIME = 1_790_000_000


@dataclass
class SyntheticChain:
    """A registry's storage words in a real state trie, sealed in a London header."""

    words: dict[int, int] = field(default_factory=dict)
    number: int = 42
    timestamp: int = BLOCK_TIME
    sealer: keys.PrivateKey = SIGNER_KEYS[0]

    def tries(self) -> tuple[HexaryTrie, HexaryTrie, bytes]:
        storage = HexaryTrie({})
        for slot, value in self.words.items():
            if value:
                storage[keccak(slot.to_bytes(32, "big"))] = rlp.encode(value)
        state = HexaryTrie({})
        # Other accounts, so the registry's path goes through branch nodes.
        for i in range(40):
            other = keccak(bytes([i]))[:20]
            state[keccak(other)] = rlp.encode([i, 10**18, headers_empty_root(), keccak(b"")])
        account = [1, 0, storage.root_hash, keccak(b"registry code")]
        state[keccak(REGISTRY)] = rlp.encode(account)
        return state, storage, state.root_hash

    def header(self, state_root: bytes) -> headers.Header:
        fields = {
            "parentHash": "0x" + "11" * 32,
            "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
            "miner": "0x" + "00" * 20,
            "stateRoot": "0x" + state_root.hex(),
            "transactionsRoot": "0x" + "22" * 32,
            "receiptsRoot": "0x" + "33" * 32,
            "logsBloom": "0x" + "00" * 256,
            "difficulty": "0x2",
            "number": hex(self.number),
            "gasLimit": "0x1c9c380",
            "gasUsed": "0x0",
            "timestamp": hex(self.timestamp),
            "extraData": "0x" + "00" * 32 + "00" * 65,
            "mixHash": "0x" + "00" * 32,
            "nonce": "0x" + "00" * 8,
            "baseFeePerGas": "0x0",
        }
        unsealed = headers.from_rpc(fields)
        seal = self.sealer.sign_msg_hash(unsealed.seal_hash()).to_bytes()
        fields["extraData"] = "0x" + ("00" * 32) + seal.hex()
        return headers.from_rpc(fields)

    def bundle(self, slots: list[int] | None = None, **overrides: Any) -> dict[str, Any]:
        state, storage, root = self.tries()
        sealed = self.header(root)
        slots = list(self.words) if slots is None else slots
        nodes: list[bytes] = [rlp.encode(n) for n in state.get_proof(keccak(REGISTRY))]
        for slot in slots:
            nodes += [rlp.encode(n) for n in storage.get_proof(keccak(slot.to_bytes(32, "big")))]
        unique = list(dict.fromkeys(nodes))
        doc = {
            "type": "CredbankTrustBundle",
            "version": 1,
            "chainId": CHAIN_ID,
            "registry": bundles.checksum_address(REGISTRY),
            "signers": [bundles.checksum_address(s) for s in SIGNERS],
            "checkpoint": {
                "number": self.number,
                "hash": "0x" + sealed.hash.hex(),
                "timestamp": self.timestamp,
                "header": "0x" + sealed.encode().hex(),
            },
            "nodes": ["0x" + n.hex() for n in unique],
            "slots": ["0x" + s.to_bytes(32, "big").hex() for s in slots],
            "issuers": [],
            "exportedAt": "2026-09-01T08:00:00Z",
        }
        doc.update(overrides)
        return doc


def headers_empty_root() -> bytes:
    return keccak(rlp.encode(b""))


PIN = bundles.SignerPin(CHAIN_ID, frozenset(SIGNERS))
DID = "did:key:z6MkExampleInstitution"
ISSUER_ID = layout.issuer_id(DID)


def _issuer_word(number: int = 1, status: int = 1, valid_from: int = 0) -> int:
    return status | number << 8 | valid_from << 40


@pytest.fixture
def chain() -> SyntheticChain:
    words = {
        layout.issuer_slot(ISSUER_ID): _issuer_word(),
        layout.revocation_slot(ISSUER_ID, 0): 1 << 5,  # index 5 revoked
        layout.revocation_slot(ISSUER_ID, 1): 0,
        layout.suspension_slot(ISSUER_ID, 0): 0,
    }
    # Other issuers' words, so the storage trie has depth like a real registry's.
    for i in range(1, 60):
        words[layout.issuer_slot(layout.issuer_id(f"did:example:{i}"))] = _issuer_word(i + 1)
    return SyntheticChain(words)


def test_a_genuine_bundle_verifies_against_the_pin(chain: SyntheticChain) -> None:
    evidence = bundles.load_evidence(chain.bundle(), PIN)
    assert evidence.pinned and evidence.block_number == 42 and evidence.block_time == BLOCK_TIME
    assert evidence.sealer == SIGNER_KEYS[0].public_key.to_canonical_address()
    issuer = evidence.issuer(DID)
    assert issuer.value.issuer_number == 1 and issuer.as_of_block == 42
    assert issuer.as_of_time == BLOCK_TIME
    assert evidence.revoked(DID, 5).value is True
    assert evidence.revoked(DID, 4).value is False
    assert evidence.revoked(DID, 300).value is False  # word 1: proved zero
    assert evidence.suspended(DID, 5).value is False
    assert "signer set not pinned" not in evidence.as_of


def test_without_a_pin_the_bundle_set_is_used_and_said_so(chain: SyntheticChain) -> None:
    evidence = bundles.load_evidence(chain.bundle())
    assert not evidence.pinned
    assert "signer set not pinned" in evidence.as_of


def test_signers_differing_from_the_pin_are_rejected(chain: SyntheticChain) -> None:
    pin = bundles.SignerPin(CHAIN_ID, frozenset(SIGNERS[:2]))
    with pytest.raises(BundleRejected, match="pinned signer set"):
        bundles.load_evidence(chain.bundle(), pin)
    with pytest.raises(BundleRejected, match="chain id"):
        bundles.load_evidence(chain.bundle(), bundles.SignerPin(1, frozenset(SIGNERS)))


def test_a_seal_by_a_non_signer_is_rejected(chain: SyntheticChain) -> None:
    chain.sealer = keys.PrivateKey(b"\x09" * 32)
    with pytest.raises(BundleRejected, match="not one of the signers"):
        bundles.load_evidence(chain.bundle(), PIN)
    # ... even when the forger lists himself, the pin holds.
    doc = chain.bundle()
    doc["signers"].append(bundles.checksum_address(chain.sealer.public_key.to_canonical_address()))
    with pytest.raises(BundleRejected, match="pinned signer set"):
        bundles.load_evidence(doc, PIN)


def test_a_flipped_header_byte_is_rejected(chain: SyntheticChain) -> None:
    doc = chain.bundle()
    raw = bytearray(bytes.fromhex(doc["checkpoint"]["header"][2:]))
    raw[100] ^= 1  # inside the state root
    doc["checkpoint"]["header"] = "0x" + raw.hex()
    with pytest.raises(BundleRejected, match="does not hash"):
        bundles.load_evidence(doc, PIN)
    # Re-announcing the forged header's hash leaves the seal broken.
    doc["checkpoint"]["hash"] = "0x" + keccak(bytes(raw)).hex()
    with pytest.raises(BundleRejected, match="not one of the signers"):
        bundles.load_evidence(doc, PIN)


def test_number_and_time_must_match_the_header(chain: SyntheticChain) -> None:
    doc = chain.bundle()
    doc["checkpoint"]["timestamp"] += 1
    with pytest.raises(BundleRejected, match="timestamp"):
        bundles.load_evidence(doc, PIN)
    doc = chain.bundle()
    doc["checkpoint"]["number"] = 41
    with pytest.raises(BundleRejected, match="number"):
        bundles.load_evidence(doc, PIN)


def test_malformed_header_rlp_is_a_header_error(chain: SyntheticChain) -> None:
    doc = chain.bundle()
    doc["checkpoint"]["header"] = "0xc0"
    with pytest.raises(HeaderError):
        bundles.load_evidence(doc, PIN)


def _without_node_of(doc: dict[str, Any], chain: SyntheticChain, slot: int) -> dict[str, Any]:
    """The bundle minus the deepest node on ``slot``'s storage path (its leaf)."""
    _, storage, _ = chain.tries()
    leaf = rlp.encode(storage.get_proof(keccak(slot.to_bytes(32, "big")))[-1])
    doc = copy.deepcopy(doc)
    doc["nodes"].remove("0x" + leaf.hex())
    return doc


def test_a_removed_revocation_node_is_an_error_never_a_zero(chain: SyntheticChain) -> None:
    slot = layout.revocation_slot(ISSUER_ID, 0)
    doc = _without_node_of(chain.bundle(), chain, slot)
    evidence = bundles.load_evidence(doc, PIN)
    with pytest.raises(ProofError, match="missing"):
        evidence.revoked(DID, 5)


def test_nodes_for_another_slot_do_not_prove_this_one(chain: SyntheticChain) -> None:
    # The issuer word's proof shares upper nodes with the revocation word's, not its leaf.
    evidence = bundles.load_evidence(chain.bundle(slots=[layout.issuer_slot(ISSUER_ID)]), PIN)
    assert evidence.issuer(DID).value.issuer_number == 1
    with pytest.raises(ProofError):
        evidence.revoked(DID, 5)


def test_a_tampered_account_node_is_rejected(chain: SyntheticChain) -> None:
    state, _, _ = chain.tries()
    account_leaf = rlp.encode(state.get_proof(keccak(REGISTRY))[-1])
    doc = chain.bundle()
    forged = bytearray(account_leaf)
    forged[-40] ^= 1  # inside the storage root
    doc["nodes"] = [n if n != "0x" + account_leaf.hex() else "0x" + forged.hex()
                    for n in doc["nodes"]]
    with pytest.raises(ProofError, match="missing"):
        bundles.load_evidence(doc, PIN)


def test_a_registry_without_code_is_rejected(chain: SyntheticChain) -> None:
    doc = chain.bundle(registry=bundles.checksum_address(b"\x42" * 20))
    with pytest.raises((BundleRejected, ProofError)):
        bundles.load_evidence(doc, PIN)


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda d: d.update(type="CredbankTrustList"), "not a trust bundle"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(chainId="1337"), "chainId"),
        (lambda d: d.update(registry="0x1234"), "registry"),
        (lambda d: d.update(registry=d["registry"].lower().replace("f", "F", 1)), "checksum"),
        (lambda d: d.update(signers=[]), "signers"),
        (lambda d: d.update(signers=d["signers"] * 2), "twice"),
        (lambda d: d["checkpoint"].pop("header"), "checkpoint"),
        (lambda d: d.update(nodes=["0xzz"]), "nodes"),
        (lambda d: d.update(slots=["0x01"]), "slots"),
        (lambda d: d.update(exportedAt="yesterday"), "exportedAt"),
        (lambda d: d.update(extra=1), "unknown member"),
    ],
)
def test_malformed_bundles_are_format_errors(chain, mutate, reason: str) -> None:
    doc = chain.bundle()
    mutate(doc)
    with pytest.raises(BundleFormatError, match=reason):
        bundles.parse_bundle(doc)


def test_pin_files_are_parsed_strictly() -> None:
    pin = bundles.parse_pin({"chainId": 5, "signers": [bundles.checksum_address(SIGNERS[0])]})
    assert pin.chain_id == 5 and pin.signers == {SIGNERS[0]} and pin.registry is None
    with pytest.raises(BundleFormatError, match="chainId"):
        bundles.parse_pin({"chainId": -1, "signers": []})
    with pytest.raises(BundleFormatError, match="unknown"):
        bundles.parse_pin({"chainId": 5, "signers": ["0x" + "00" * 20], "x": 1})


def test_a_pinned_registry_must_be_the_bundles(chain: SyntheticChain) -> None:
    pin = bundles.SignerPin(CHAIN_ID, frozenset(SIGNERS), registry=b"\x01" * 20)
    with pytest.raises(BundleRejected, match="registry"):
        bundles.load_evidence(chain.bundle(), pin)


def test_no_single_byte_change_to_any_node_changes_an_answer(chain: SyntheticChain) -> None:
    """Every node, three byte positions each: the answers stay, or an EvidenceError says why."""
    doc = chain.bundle()
    questions = [(5, True), (4, False), (300, False)]
    for n, node in enumerate(doc["nodes"]):
        raw = bytes.fromhex(node[2:])
        for position in (0, len(raw) // 2, len(raw) - 1):
            forged = bytearray(raw)
            forged[position] ^= 0x01
            tampered = copy.deepcopy(doc)
            tampered["nodes"][n] = "0x" + forged.hex()
            try:
                evidence = bundles.load_evidence(tampered, PIN)
                answers = [(i, evidence.revoked(DID, i).value) for i, _ in questions]
            except (BundleRejected, ProofError):
                continue
            assert answers == questions
