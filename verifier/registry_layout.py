"""Where the registry keeps each fact, and how to read the word found there.

The deployed registry (``CredentialRegistry``, which extends ``IssuerRegistry``) keeps every
fact an offline verifier needs as one 256-bit word in a ``mapping(bytes32 => uint256)``
(contracts/src/RegistryFacts.sol; docs/contracts.md §Storage layout). The slot of a fact is
the Solidity mapping rule

    slot = keccak256(key ‖ uint256(base_slot))          (key a 32-byte word)

so one EIP-1186 storage proof of that slot, against a sealed header's state root, proves it.
This module computes the slots and decodes the words; it does no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from eth_hash.auto import keccak

# Base slots of the fact mappings, in declaration order of RegistryFacts.
ISSUER_BASE_SLOT = 0
KEY_BASE_SLOT = 1
ACCOUNT_BASE_SLOT = 2
BATCH_BASE_SLOT = 3
REVOCATION_BASE_SLOT = 4
SUSPENSION_BASE_SLOT = 5
DOCUMENT_BASE_SLOT = 6
SCOPE_BASE_SLOT = 7

STATUS_BITS_PER_WORD = 256

_UINT32 = (1 << 32) - 1
_UINT64 = (1 << 64) - 1
_WORD = (1 << 256) - 1


class IssuerStatus(IntEnum):
    NONE = 0  # never accredited
    ACTIVE = 1
    SUSPENDED = 2
    RETIRED = 3


class DocumentKind(IntEnum):
    """What a published document is (bits 8..15 of its word). 5 is reserved."""

    FRAMEWORK = 1  # a qualification framework
    STANDARDS_CATALOGUE = 2  # a catalogue of outcome standards
    RULE_SET = 3  # a conversion rule set
    POINTS_RULES = 4  # a learning points rule set (verifier.credit.points)
    ATTENDANCE_DAY = 6  # a venue-day's attendance manifest (its check-ins' Merkle root)
    VENUE_REGISTER = 7  # the authority's register of learning venues


# Bit i of a scope's sector mask is sector i (verifier.credit.units.Sector, in its order).
SECTORS: tuple[str, ...] = ("degree", "vocational", "non_degree", "community_elderly", "venue")


# ---- ids and keys ------------------------------------------------------------------------


def issuer_id(did: str) -> bytes:
    """keccak256 of the DID's UTF-8 bytes: the issuer's id on chain."""
    return keccak(did.encode("utf-8"))


def key_id(issuer_id: bytes, public_key: bytes) -> bytes:
    """keccak256(abi.encode(issuerId, publicKey)): the key of a key word."""
    return keccak(_bytes32(issuer_id, "issuer_id") + _bytes32(public_key, "public_key"))


def status_word_id(issuer_id: bytes, word_index: int) -> bytes:
    """keccak256(abi.encode(issuerId, wordIndex)): the key of a status word."""
    return keccak(_bytes32(issuer_id, "issuer_id") + _uint256(word_index))


def status_position(status_index: int) -> tuple[int, int]:
    """(word index, bit) of a credential's status index: (index >> 8, index & 255)."""
    if status_index < 0 or status_index > _WORD:
        raise ValueError(f"status index out of range: {status_index}")
    return status_index >> 8, status_index & 0xFF


# ---- slots -------------------------------------------------------------------------------


def mapping_slot(key: bytes, base_slot: int) -> int:
    """Storage slot of ``mapping[key]`` for a mapping declared at ``base_slot``."""
    return int.from_bytes(keccak(_bytes32(key, "key") + _uint256(base_slot)), "big")


def issuer_slot(issuer_id: bytes) -> int:
    return mapping_slot(issuer_id, ISSUER_BASE_SLOT)


def key_slot(issuer_id: bytes, public_key: bytes) -> int:
    return mapping_slot(key_id(issuer_id, public_key), KEY_BASE_SLOT)


def account_slot(account: bytes | str) -> int:
    """Slot of an anchoring account's word; ``account`` as 20 bytes or a 0x-hex address."""
    return mapping_slot(_address(account).rjust(32, b"\x00"), ACCOUNT_BASE_SLOT)


def root_slot(batch_root: bytes) -> int:
    return mapping_slot(batch_root, BATCH_BASE_SLOT)


def revocation_slot(issuer_id: bytes, word_index: int) -> int:
    return mapping_slot(status_word_id(issuer_id, word_index), REVOCATION_BASE_SLOT)


def suspension_slot(issuer_id: bytes, word_index: int) -> int:
    return mapping_slot(status_word_id(issuer_id, word_index), SUSPENSION_BASE_SLOT)


def document_slot(doc_hash: bytes) -> int:
    """Slot of a published document's word; ``doc_hash`` its 32-byte canonical hash."""
    return mapping_slot(doc_hash, DOCUMENT_BASE_SLOT)


def scope_slot(issuer_id: bytes) -> int:
    """Slot of an issuer's accreditation scope word."""
    return mapping_slot(issuer_id, SCOPE_BASE_SLOT)


# ---- decoded words -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerFact:
    """The issuer word. ``valid_until`` is exclusive; 0 means open-ended at either end."""

    status: IssuerStatus
    issuer_number: int
    valid_from: int
    valid_until: int
    status_since: int

    @property
    def accredited(self) -> bool:
        return self.status is not IssuerStatus.NONE

    def active_at(self, when: int) -> bool:
        """Active status and ``when`` (unix seconds) inside the accreditation window.

        The status is the word's as of the proven block; ``status_since`` says since when.
        """
        return (
            self.status is IssuerStatus.ACTIVE
            and when >= self.valid_from
            and (self.valid_until == 0 or when < self.valid_until)
        )


@dataclass(frozen=True)
class KeyFact:
    """The key word: validity window [valid_from, valid_until) cut short by revoked_from."""

    registered: bool
    valid_from: int
    valid_until: int
    revoked_from: int

    def valid_at(self, when: int) -> bool:
        return (
            self.registered
            and when >= self.valid_from
            and (self.valid_until == 0 or when < self.valid_until)
            and (self.revoked_from == 0 or when < self.revoked_from)
        )


@dataclass(frozen=True)
class AccountFact:
    """The account word: the issuer an account anchors for (``None`` when none)."""

    issuer_id: bytes | None


@dataclass(frozen=True)
class BatchFact:
    """The batch word of an anchored root (all zero/False when never anchored)."""

    anchored: bool
    revoked: bool
    revocation_reason: int
    issuer_number: int
    block_number: int
    timestamp: int
    count: int


@dataclass(frozen=True)
class DocumentFact:
    """The document word: published at ``timestamp`` in ``block_number`` by the authority
    (``owner_issuer_number`` 0) or an issuer, withdrawn at ``withdrawn_at`` (0: never).
    ``kind`` is a :class:`DocumentKind`, or the plain number of a kind this code predates."""

    published: bool
    withdrawn: bool
    kind: int
    owner_issuer_number: int
    block_number: int
    timestamp: int
    withdrawn_at: int

    def in_force_at(self, when: int) -> bool:
        """Published by ``when`` (unix seconds) and not withdrawn by then."""
        return (
            self.published
            and when >= self.timestamp
            and (not self.withdrawn or when < self.withdrawn_at)
        )


@dataclass(frozen=True)
class ScopeFact:
    """The accreditation scope word. Not ``set``: no limit (every sector, every level).
    ``sectors`` holds sector names (``verifier.credit.Sector`` values); ``max_level_rank``
    0 means no level limit; ``since`` is when the scope last changed."""

    set: bool
    sectors: frozenset[str]
    max_level_rank: int
    since: int

    def allows(self, sector: str, level_rank: int | None = None) -> bool:
        """Whether the scope lets the issuer issue in ``sector`` at ``level_rank`` (None:
        no level stated, which no level limit excludes)."""
        if not self.set:
            return True
        if sector not in self.sectors:
            return False
        return self.max_level_rank == 0 or level_rank is None or level_rank <= self.max_level_rank


def decode_issuer(word: int) -> IssuerFact:
    _check_word(word)
    return IssuerFact(
        status=IssuerStatus(word & 0xFF),
        issuer_number=(word >> 8) & _UINT32,
        valid_from=(word >> 40) & _UINT64,
        valid_until=(word >> 104) & _UINT64,
        status_since=(word >> 168) & _UINT64,
    )


def decode_key(word: int) -> KeyFact:
    _check_word(word)
    return KeyFact(
        registered=word & 0xFF == 1,
        valid_from=(word >> 8) & _UINT64,
        valid_until=(word >> 72) & _UINT64,
        revoked_from=(word >> 136) & _UINT64,
    )


def decode_account(word: int) -> AccountFact:
    _check_word(word)
    return AccountFact(issuer_id=word.to_bytes(32, "big") if word else None)


def decode_batch(word: int) -> BatchFact:
    _check_word(word)
    return BatchFact(
        anchored=bool(word & 1),
        revoked=bool(word & 2),
        revocation_reason=(word >> 232) & 0xFF,
        issuer_number=(word >> 8) & _UINT32,
        block_number=(word >> 40) & _UINT64,
        timestamp=(word >> 104) & _UINT64,
        count=(word >> 168) & _UINT64,
    )


_DOCUMENT_UNUSED = (0xFC) | (_WORD >> 240 << 240)
_SCOPE_UNUSED = ((1 << 255) - 1) >> 88 << 88


def decode_document(word: int) -> DocumentFact:
    """The document word; raises ValueError for a word no registry writes at this slot."""
    _check_word(word)
    kind = (word >> 8) & 0xFF
    if word and (not word & 1 or word & _DOCUMENT_UNUSED or kind == 0):
        raise ValueError("not a document word")
    withdrawn_at = (word >> 176) & _UINT64
    return DocumentFact(
        published=bool(word & 1),
        withdrawn=bool(word & 2),
        kind=DocumentKind(kind) if kind in DocumentKind._value2member_map_ else kind,
        owner_issuer_number=(word >> 16) & _UINT32,
        block_number=(word >> 48) & _UINT64,
        timestamp=(word >> 112) & _UINT64,
        withdrawn_at=withdrawn_at,
    )


def decode_scope(word: int) -> ScopeFact:
    """The scope word; raises ValueError for a word no registry writes at this slot (a
    registry that predates scopes keeps other data there)."""
    _check_word(word)
    if word == 0:
        return ScopeFact(False, frozenset(), 0, 0)
    mask = word & 0xFF
    if not word >> 255 or word & _SCOPE_UNUSED or mask == 0:
        raise ValueError("not an accreditation scope word")
    return ScopeFact(
        set=True,
        sectors=frozenset(name for i, name in enumerate(SECTORS) if mask >> i & 1),
        max_level_rank=(word >> 8) & 0xFFFF,
        since=(word >> 24) & _UINT64,
    )


def sector_mask(sectors: Iterable[str]) -> int:
    """The sector mask of sector names (``Sector`` values); raises ValueError for others."""
    mask = 0
    for sector in sectors:
        if sector not in SECTORS:
            raise ValueError(f"unknown sector {sector!r}: one of {', '.join(SECTORS)}")
        mask |= 1 << SECTORS.index(sector)
    return mask


def status_bit(word: int, status_index: int) -> bool:
    """Whether the revocation or suspension word holding ``status_index`` has its bit set.

    ``word`` must be the word at ``status_index >> 8`` for the same issuer.
    """
    _check_word(word)
    return bool((word >> status_position(status_index)[1]) & 1)


# ---- helpers -----------------------------------------------------------------------------


def _bytes32(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes")
    return bytes(value)


def _uint256(value: int) -> bytes:
    if value < 0 or value > _WORD:
        raise ValueError(f"not a uint256: {value}")
    return value.to_bytes(32, "big")


def _address(account: bytes | str) -> bytes:
    if isinstance(account, str):
        text = account[2:] if account[:2].lower() == "0x" else account
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"not a hex address: {account!r}") from None
    else:
        raw = bytes(account)
    if len(raw) != 20:
        raise ValueError("an account address is 20 bytes")
    return raw


def _check_word(word: int) -> None:
    if word < 0 or word > _WORD:
        raise ValueError("a storage word is an unsigned 256-bit integer")
