"""Trust bundles: parse one strictly, verify it once, answer registry facts from it.

A bundle (docs/format.md §"Trust bundle and chain evidence") carries a sealed checkpoint
header, the Clique signer set and a pool of trie nodes. Verifying it is a light-client
check that trusts no server:

1. the header RLP hashes to ``checkpoint.hash`` and agrees with its number and time;
2. its seal recovers to one of ``signers`` (EIP-225 §"Signer recovery"), and ``signers``
   equals the set the relying party pinned, when it pinned one;
3. the registry's account is walked from the header's state root (EIP-1186 account proof).

After that, each fact is one storage word, walked from the account's storage root on
demand and cached: per-bundle work is done once, per-credential work is a dictionary
lookup for every word already read. A word the pool cannot answer is *not covered* when
the bundle does not vouch for its slot (``slots``), and *incomplete* evidence when it does.

Published documents and accreditation scopes are facts like the others; the documents a
bundle carries are read and checked against their hashes by ``verifier.published``. Two
members are information only, never proof: ``authority`` (who runs the registry, by name)
and ``statusEvents`` (when and why status changed; ``status_log``).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from .. import jsonio, registry_layout, timefmt
from ..errors import CredentialFormatError
from ..registry_layout import BatchFact, DocumentFact, IssuerFact, KeyFact, ScopeFact
from . import documents as docs
from . import header as headers
from .errors import BundleFormatError, BundleRejected, EvidenceError, NotCovered
from .pin import NOT_PINNED as NOT_PINNED  # the pin is part of this module's surface
from .pin import SignerPin as SignerPin
from .pin import checksum_address as checksum_address
from .pin import load_pin as load_pin
from .pin import parse_address as parse_address
from .pin import parse_pin as parse_pin
from .pin import signer_list
from .pin import stored_pin_path as stored_pin_path
from .status_log import ListedLog, StatusEvent, StatusLog, parse_events
from .trie_proofs import Account, NodePool

TYPE = "CredbankTrustBundle"
VERSION = 1
MAX_BUNDLE_BYTES = 256 << 20
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_MAX_NODE_BYTES = 1 << 16
MAX_AUTHORITY_CHARS = 200

T = TypeVar("T")


# ---- the bundle as read ------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    number: int
    hash: bytes
    timestamp: int
    header: bytes


@dataclass(frozen=True)
class IssuerEntry:
    did: str
    name: str


@dataclass(frozen=True)
class TrustBundle:
    """A parsed, not yet verified, trust bundle."""

    chain_id: int
    registry: bytes
    signers: tuple[bytes, ...]
    checkpoint: Checkpoint
    nodes: tuple[bytes, ...]
    slots: tuple[int, ...]
    issuers: tuple[IssuerEntry, ...]
    exported_at: str
    authority: str | None = None
    status_events: tuple[StatusEvent, ...] = ()
    documents: tuple[docs.CarriedDocument, ...] = ()


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise BundleFormatError(reason)


def _hex_data(value: Any, where: str, *, size: int | None = None) -> bytes:
    pattern = _HEX32 if size == 32 else _HEX
    _require(isinstance(value, str) and bool(pattern.fullmatch(value)), f"{where} must be 0x-hex")
    raw = bytes.fromhex(value[2:])
    _require(size is None or len(raw) == size, f"{where} must be {size} bytes")
    return raw


def _uint(value: Any, where: str) -> int:
    _require(type(value) is int and value >= 0, f"{where} must be a non-negative integer")
    return value


def parse_bundle(raw: Any) -> TrustBundle:
    """Read a bundle's shape. Raises BundleFormatError naming the first thing wrong."""
    _require(isinstance(raw, dict), "a trust bundle is a JSON object")
    _require(raw.get("type") == TYPE, f"not a trust bundle (type must be {TYPE})")
    _require(raw.get("version") == VERSION, "unsupported trust bundle version")
    known = {"type", "version", "chainId", "registry", "signers", "checkpoint", "nodes",
             "slots", "issuers", "exportedAt", "authority", "statusEvents", "documents"}
    unknown = set(raw) - known
    _require(not unknown, f"trust bundle has unknown member {min(unknown, default='')}")
    chain_id = _uint(raw.get("chainId"), "chainId")
    registry = parse_address(raw.get("registry"), "registry")
    signers = signer_list(raw.get("signers"), "signers")
    cp = raw.get("checkpoint")
    _require(isinstance(cp, dict), "checkpoint must be an object")
    _require(set(cp) == {"number", "hash", "timestamp", "header"},
             "checkpoint needs exactly number, hash, timestamp and header")
    checkpoint = Checkpoint(
        number=_uint(cp["number"], "checkpoint.number"),
        hash=_hex_data(cp["hash"], "checkpoint.hash", size=32),
        timestamp=_uint(cp["timestamp"], "checkpoint.timestamp"),
        header=_hex_data(cp["header"], "checkpoint.header"),
    )
    nodes = raw.get("nodes")
    _require(isinstance(nodes, list), "nodes must be a list")
    pool = tuple(_hex_data(n, f"nodes[{i}]") for i, n in enumerate(nodes))
    _require(all(0 < len(n) <= _MAX_NODE_BYTES for n in pool), "a trie node is 1 to 65536 bytes")
    slots = raw.get("slots", [])
    _require(isinstance(slots, list), "slots must be a list")
    slot_values = tuple(
        int.from_bytes(_hex_data(s, f"slots[{i}]", size=32), "big") for i, s in enumerate(slots)
    )
    issuers = raw.get("issuers", [])
    _require(isinstance(issuers, list), "issuers must be a list")
    entries = []
    for i, entry in enumerate(issuers):
        _require(
            isinstance(entry, dict) and isinstance(entry.get("did"), str)
            and isinstance(entry.get("name", ""), str),
            f"issuers[{i}] needs a did and a name (strings)",
        )
        entries.append(IssuerEntry(entry["did"], entry.get("name", "")))
    exported_at = raw.get("exportedAt")
    try:
        timefmt.parse(exported_at, "exportedAt")
    except CredentialFormatError as exc:
        raise BundleFormatError(str(exc)) from None
    authority = raw.get("authority")
    _require(authority is None or (isinstance(authority, str)
                                   and 0 < len(authority) <= MAX_AUTHORITY_CHARS),
             f"authority must be a name of 1 to {MAX_AUTHORITY_CHARS} characters")
    events = parse_events(raw.get("statusEvents", []))
    carried = docs.parse_documents(raw.get("documents", []))
    return TrustBundle(chain_id, registry, tuple(signers), checkpoint, pool, slot_values,
                       tuple(entries), exported_at, authority, events, carried)


def read_json_file(path: str | Path, max_bytes: int = MAX_BUNDLE_BYTES) -> Any:
    """Strict JSON from a file, gunzipped first when it is gzip (RFC 1952 magic 1f 8b).

    Raises CredentialFormatError, as for any unreadable input.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise CredentialFormatError(f"cannot read {path}: {exc.strerror}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            # Bounded inflation: a small gzip bomb must not exhaust memory.
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = inflater.decompress(data, max_bytes + 1)
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise CredentialFormatError(f"{path}: not valid gzip: {exc}") from None
    if len(data) > max_bytes:
        raise CredentialFormatError(f"{path} is larger than {max_bytes} bytes")
    return jsonio.loads(data, max_bytes=max_bytes)


def load_bundle_file(path: str | Path) -> TrustBundle:
    try:
        raw = read_json_file(path)
    except CredentialFormatError as exc:
        raise BundleFormatError(f"trust bundle: {exc}") from None
    return parse_bundle(raw)


# ---- verified evidence -------------------------------------------------------------------


@dataclass(frozen=True)
class Fact(Generic[T]):
    """A registry fact and the block it was proven at."""

    value: T
    as_of_block: int
    as_of_time: int

    @property
    def as_of(self) -> str:
        return f"as of block {self.as_of_block}, {_time(self.as_of_time)}"


def _time(unix: int) -> str:
    return timefmt.format(datetime.fromtimestamp(unix, UTC))


@dataclass
class ChainEvidence:
    """Verified chain evidence: registry facts proven against one sealed header.

    Build it with :func:`verify_bundle` (offline) or ``online.fetch_evidence``; every
    lookup raises :class:`EvidenceError` rather than guess when the evidence cannot say.
    """

    chain_id: int
    registry: bytes
    signers: frozenset[bytes]
    pinned: bool
    block_number: int
    block_hash: bytes
    block_time: int
    sealer: bytes
    storage_root: bytes
    pool: NodePool
    names: dict[str, str] = field(default_factory=dict)
    # Online evidence fetches proof nodes of slots the pool does not cover yet; whatever
    # comes back is only used through the walk from `storage_root`.
    fetch_slots: Callable[[Sequence[int]], list[bytes]] | None = None
    # The slots a bundle vouches for (None online, where any slot can be fetched): a word
    # the pool cannot answer is "not covered" outside them and "incomplete" inside.
    vouched: frozenset[int] | None = None
    # Information only, never proof: who runs the registry, and the reported status log.
    authority: str | None = None
    status_log: StatusLog | None = None
    # Documents given with the evidence (JSON), checked against their hashes on use by
    # verifier.published; not proof.
    documents: dict[bytes, docs.CarriedDocument] = field(default_factory=dict)
    _words: dict[int, int] = field(default_factory=dict)
    _issuer_ids: dict[str, bytes] = field(default_factory=dict)
    _slots: dict[tuple[object, ...], int] = field(default_factory=dict)
    _covered: dict[tuple[int | None, str | None], bool] = field(default_factory=dict)
    _as_of: str | None = None

    @property
    def registry_address(self) -> str:
        return checksum_address(self.registry)

    @property
    def caip10(self) -> str:
        """The registry as a CAIP-10 account id, as ``statusRegistry`` writes it."""
        return f"eip155:{self.chain_id}:{self.registry_address}"

    @property
    def accreditor(self) -> str:
        """Who accredits through this registry, for a reader: the authority's name when the
        evidence states one (unproven), then the registry and chain."""
        where = f"registry {self.registry_address} on chain {self.chain_id}"
        return f"{self.authority}, {where}" if self.authority else where

    @property
    def as_of(self) -> str:
        """"as of block B, t" for check details, and whether the signer set was pinned."""
        if self._as_of is None:
            text = f"as of block {self.block_number}, {_time(self.block_time)}"
            self._as_of = text if self.pinned else f"{text}; {NOT_PINNED}"
        return self._as_of

    def word(self, slot: int) -> int:
        """The registry's storage word at ``slot``, proven; cached."""
        cached = self._words.get(slot)
        if cached is not None:
            return cached
        try:
            value = self.pool.storage_word(self.storage_root, slot)
        except EvidenceError:
            if self.fetch_slots is None:
                if self.vouched is not None and slot not in self.vouched:
                    raise NotCovered(f"the evidence does not cover storage slot {slot:#066x} "
                                     f"({self.as_of})") from None
                raise
            for node in self.fetch_slots([slot]):
                self.pool.add(node)
            value = self.pool.storage_word(self.storage_root, slot)
        self._words[slot] = value
        return value

    def _fact(self, value: T) -> Fact[T]:
        return Fact(value, self.block_number, self.block_time)

    def _issuer_id(self, did: str) -> bytes:
        issuer_id = self._issuer_ids.get(did)
        if issuer_id is None:
            issuer_id = self._issuer_ids[did] = registry_layout.issuer_id(did)
        return issuer_id

    def _status_slot(self, base: int, did: str, word_index: int) -> int:
        # Slot derivation costs three keccaks; a thousand credentials share a few words.
        key = (base, did, word_index)
        slot = self._slots.get(key)
        if slot is None:
            word_id = registry_layout.status_word_id(self._issuer_id(did), word_index)
            slot = self._slots[key] = registry_layout.mapping_slot(word_id, base)
        return slot

    def issuer(self, did: str) -> Fact[IssuerFact]:
        slot = self._slots.get((registry_layout.ISSUER_BASE_SLOT, did, 0))
        if slot is None:
            slot = registry_layout.issuer_slot(self._issuer_id(did))
            self._slots[(registry_layout.ISSUER_BASE_SLOT, did, 0)] = slot
        return self._fact(registry_layout.decode_issuer(self.word(slot)))

    def key(self, did: str, public_key: bytes) -> Fact[KeyFact]:
        slot = self._slots.get((registry_layout.KEY_BASE_SLOT, did, public_key))
        if slot is None:
            slot = registry_layout.key_slot(self._issuer_id(did), public_key)
            self._slots[(registry_layout.KEY_BASE_SLOT, did, public_key)] = slot
        return self._fact(registry_layout.decode_key(self.word(slot)))

    def batch(self, batch_root: bytes) -> Fact[BatchFact]:
        slot = self._slots.get((registry_layout.BATCH_BASE_SLOT, batch_root))
        if slot is None:
            slot = registry_layout.root_slot(batch_root)
            self._slots[(registry_layout.BATCH_BASE_SLOT, batch_root)] = slot
        return self._fact(registry_layout.decode_batch(self.word(slot)))

    def revoked(self, did: str, status_index: int) -> Fact[bool]:
        slot = self._status_slot(registry_layout.REVOCATION_BASE_SLOT, did, status_index >> 8)
        return self._fact(registry_layout.status_bit(self.word(slot), status_index))

    def suspended(self, did: str, status_index: int) -> Fact[bool]:
        slot = self._status_slot(registry_layout.SUSPENSION_BASE_SLOT, did, status_index >> 8)
        return self._fact(registry_layout.status_bit(self.word(slot), status_index))

    def document(self, doc_hash: bytes | str) -> DocumentFact:
        """The proven word of a published document (32 bytes or ``0x`` hex); raises
        NotCovered naming it when the evidence holds no proof of it."""
        try:
            digest = docs.document_hash(doc_hash)
        except ValueError as exc:
            raise EvidenceError(str(exc)) from None
        return docs.document_fact(self.word, digest, self.as_of)

    def scope(self, did: str) -> ScopeFact:
        """The issuer's proven accreditation scope (``set`` False: no limit)."""
        return docs.scope_fact(self.word, self._issuer_id(did), did, self.as_of)

    def name(self, did: str) -> str:
        """Display name for an issuer: from the bundle's issuer list, else the DID."""
        return self.names.get(did) or did

    def covers(self, chain_id: int | None, registry: str | None) -> bool:
        """Whether a credential's stated chain and registry are this evidence's."""
        key = (chain_id, registry)
        known = self._covered.get(key)
        if known is None:
            known = self._covered[key] = self._covers(chain_id, registry)
        return known

    def _covers(self, chain_id: int | None, registry: str | None) -> bool:
        if chain_id is not None and chain_id != self.chain_id:
            return False
        if registry is not None:
            try:
                if parse_address(registry, "registry") != self.registry:
                    return False
            except BundleFormatError:
                return False
        return True


@dataclass(frozen=True)
class RejectedEvidence:
    """Evidence that was given but did not verify: every chain check reports `error`."""

    reason: str


def verify_header(
    header_rlp: bytes,
    *,
    expected_hash: bytes,
    number: int | None,
    timestamp: int | None,
    signers: Iterable[bytes],
) -> tuple[headers.Header, bytes]:
    """Decode a sealed header, check its hash, number, time and sealer; return both."""
    parsed = headers.decode(header_rlp)
    if parsed.hash != expected_hash:
        raise BundleRejected("checkpoint header does not hash to checkpoint.hash")
    if number is not None and parsed.number != number:
        raise BundleRejected("checkpoint.number differs from the header's number")
    if timestamp is not None and parsed.timestamp != timestamp:
        raise BundleRejected("checkpoint.timestamp differs from the header's timestamp")
    sealer = parsed.signer()
    if sealer not in set(signers):
        raise BundleRejected(
            f"checkpoint is sealed by {checksum_address(sealer)}, not one of the signers"
        )
    return parsed, sealer


def check_pin(chain_id: int, signers: Sequence[bytes], pin: SignerPin | None) -> None:
    if pin is None:
        return
    if chain_id != pin.chain_id:
        raise BundleRejected(f"chain id {chain_id} differs from the pinned {pin.chain_id}")
    if frozenset(signers) != pin.signers:
        raise BundleRejected("the signer set differs from the pinned signer set")


def registry_account(pool: NodePool, state_root: bytes, registry: bytes) -> Account:
    account = pool.account(state_root, registry)
    if account is None or not account.has_code:
        raise BundleRejected(
            f"registry {checksum_address(registry)} has no contract at the checkpoint"
        )
    return account


def verify_bundle(bundle: TrustBundle, pin: SignerPin | None = None) -> ChainEvidence:
    """Verify a parsed bundle once; raise BundleRejected (or another EvidenceError)."""
    if pin is not None and pin.registry is not None and pin.registry != bundle.registry:
        raise BundleRejected("the bundle's registry differs from the pinned registry")
    check_pin(bundle.chain_id, bundle.signers, pin)
    cp = bundle.checkpoint
    parsed, sealer = verify_header(
        cp.header, expected_hash=cp.hash, number=cp.number, timestamp=cp.timestamp,
        signers=bundle.signers,
    )
    vouched = frozenset(bundle.slots)
    for document in bundle.documents:
        if registry_layout.document_slot(document.hash) not in vouched:
            raise BundleRejected(f"document 0x{document.hash.hex()} is listed without the "
                                 "proof of its word")
    pool = NodePool(bundle.nodes)
    account = registry_account(pool, parsed.state_root, bundle.registry)
    return ChainEvidence(
        chain_id=bundle.chain_id,
        registry=bundle.registry,
        signers=frozenset(bundle.signers),
        pinned=pin is not None,
        block_number=parsed.number,
        block_hash=cp.hash,
        block_time=parsed.timestamp,
        sealer=sealer,
        storage_root=account.storage_root,
        pool=pool,
        names={e.did: e.name for e in bundle.issuers if e.name},
        vouched=vouched,
        authority=bundle.authority,
        status_log=ListedLog(bundle.status_events),
        documents={d.hash: d for d in bundle.documents},
    )


def load_evidence(raw: Any, pin: SignerPin | None = None) -> ChainEvidence:
    """Parse and verify a bundle (a dict): BundleFormatError or BundleRejected if bad."""
    return verify_bundle(parse_bundle(raw), pin)
