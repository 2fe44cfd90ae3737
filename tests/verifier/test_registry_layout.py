"""registry_layout: slot formulas and word decoding, checked by hand-computed values."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from verifier import registry_layout as layout

ISSUER = keccak(b"did:web:uni.example.cn")


def test_issuer_id_is_keccak_of_the_utf8_did() -> None:
    assert layout.issuer_id("did:web:uni.example.cn") == ISSUER
    assert layout.issuer_id("did:web:大学.cn") == keccak("did:web:大学.cn".encode())
    # a known keccak-256 vector: the empty string
    assert layout.issuer_id("").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )


def test_slots_follow_the_solidity_mapping_rule() -> None:
    def rule(key: bytes, base: int) -> int:
        return int.from_bytes(keccak(key + base.to_bytes(32, "big")), "big")

    key = b"\x07" * 32
    account = bytes.fromhex("00112233445566778899aabbccddeeff00112233")
    assert layout.issuer_slot(ISSUER) == rule(ISSUER, 0)
    assert layout.key_slot(ISSUER, key) == rule(keccak(ISSUER + key), 1)
    assert layout.account_slot(account) == rule(b"\x00" * 12 + account, 2)
    assert layout.account_slot("0x" + account.hex().upper()) == layout.account_slot(account)
    assert layout.root_slot(key) == rule(key, 3)
    word_id = keccak(ISSUER + (5).to_bytes(32, "big"))
    assert layout.revocation_slot(ISSUER, 5) == rule(word_id, 4)
    assert layout.suspension_slot(ISSUER, 5) == rule(word_id, 5)


def test_status_position_and_bit() -> None:
    assert layout.status_position(0) == (0, 0)
    assert layout.status_position(255) == (0, 255)
    assert layout.status_position(256) == (1, 0)
    assert layout.status_position(70_000) == (273, 112)
    word = (1 << 112) | 1
    assert layout.status_bit(word, 70_000)
    assert not layout.status_bit(word, 70_001)
    with pytest.raises(ValueError):
        layout.status_position(-1)


def test_decoding_hand_packed_words() -> None:
    issuer_word = 2 | (7 << 8) | (100 << 40) | (200 << 104) | (150 << 168)
    assert layout.decode_issuer(issuer_word) == layout.IssuerFact(
        layout.IssuerStatus.SUSPENDED, 7, 100, 200, 150
    )
    active = layout.decode_issuer(1 | (1 << 8) | (100 << 40) | (200 << 104))
    assert [t for t in (99, 100, 199, 200) if active.active_at(t)] == [100, 199]
    assert layout.decode_issuer(1 | (1 << 8)).active_at(10**12)  # open-ended both ways

    key = layout.decode_key(1 | (10 << 8) | (0 << 72) | (50 << 136))
    assert key == layout.KeyFact(True, 10, 0, 50)
    assert [t for t in (9, 10, 49, 50) if key.valid_at(t)] == [10, 49]
    assert not layout.decode_key(0).valid_at(10)

    batch_word = 3 | (2 << 8) | (99 << 40) | (1234 << 104) | (10**6 << 168) | (4 << 232)
    assert layout.decode_batch(batch_word) == layout.BatchFact(
        anchored=True,
        revoked=True,
        revocation_reason=4,
        issuer_number=2,
        block_number=99,
        timestamp=1234,
        count=10**6,
    )
    assert layout.decode_account(int.from_bytes(ISSUER, "big")).issuer_id == ISSUER
    assert layout.decode_account(0).issuer_id is None


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        layout.issuer_slot(b"short")
    with pytest.raises(ValueError):
        layout.account_slot("0x1234")
    with pytest.raises(ValueError):
        layout.account_slot("not hex at all, forty chars long........")
    with pytest.raises(ValueError):
        layout.revocation_slot(ISSUER, -1)
    with pytest.raises(ValueError):
        layout.decode_batch(1 << 256)


# ---- documents and accreditation scopes ----------------------------------------------------


def test_document_word_round_trip_and_strictness() -> None:
    from verifier.registry_layout import DocumentFact, DocumentKind, decode_document

    word = 1 | 3 << 8 | 7 << 16 | 42 << 48 | 1_700_000_000 << 112
    fact = decode_document(word)
    assert fact == DocumentFact(True, False, DocumentKind.RULE_SET, 7, 42, 1_700_000_000, 0)
    assert fact.in_force_at(1_700_000_000) and not fact.in_force_at(1_699_999_999)
    withdrawn = decode_document(word | 2 | 1_800_000_000 << 176)
    assert withdrawn.in_force_at(1_799_999_999) and not withdrawn.in_force_at(1_800_000_000)
    assert decode_document(1 | 5 << 8).kind == 5  # a kind this code predates stays a number
    assert not decode_document(0).published and not decode_document(0).in_force_at(10**9)
    for bad in (2, 1, 1 | 3 << 8 | 1 << 2, 1 | 3 << 8 | 1 << 240):
        with pytest.raises(ValueError, match="not a document word"):
            decode_document(bad)


def test_scope_word_round_trip_and_strictness() -> None:
    from verifier.credit import Sector
    from verifier.registry_layout import SECTORS, ScopeFact, decode_scope, sector_mask

    assert SECTORS == tuple(s.value for s in Sector)
    mask = sector_mask(["degree", "venue"])
    assert mask == 0b10001
    fact = decode_scope(1 << 255 | mask | 4 << 8 | 1_700_000_000 << 24)
    assert fact == ScopeFact(True, frozenset({"degree", "venue"}), 4, 1_700_000_000)
    assert fact.allows("degree", 4) and fact.allows("degree") and not fact.allows("degree", 5)
    assert not fact.allows("vocational", 1)
    assert decode_scope(0).allows("vocational", 99)
    # an old registry's issuer name sits at this slot: never read as a scope
    name = "开放大学".encode()
    old_name_word = int.from_bytes(name.ljust(31, b"\0") + bytes([2 * len(name)]), "big")
    for bad in (old_name_word, 1 << 255, 5, 1 << 255 | 1 | 1 << 88):
        with pytest.raises(ValueError, match="not an accreditation scope word"):
            decode_scope(bad)
    with pytest.raises(ValueError, match="unknown sector"):
        sector_mask(["cooking"])
