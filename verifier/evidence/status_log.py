"""When, in which block and why a credential was revoked or suspended: the registry's events.

The status bits themselves are proven by storage proofs (``bundle.ChainEvidence``); the
date, block, transaction and reason code of the change live only in the registry's events
(docs/contracts.md, Events). A trust bundle carries them as ``statusEvents`` and ``--online``
reads them with ``eth_getLogs`` (docs/format.md §13.6). Either way they are **reported**,
not proven: no header commits to them in a way this verifier checks, so they are shown
beside a verdict and never change one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_hash.auto import keccak

from .errors import BundleFormatError, EvidenceError

ACTIONS = ("revoked", "suspended", "reinstated")
_INDEX_BITS = (1 << 248) - 1
_MAX_STATUS_INDEX = (1 << 64) - 1
_DIGITS = re.compile(r"[0-9]{1,20}")
_HEX32 = re.compile(r"0x[0-9a-f]{64}")

# event signature -> (action, what the word after the issuer id carries)
_EVENTS: dict[str, tuple[str, str]] = {
    "CredentialRevoked(bytes32,uint256)": ("revoked", "index"),
    "CredentialSuspended(bytes32,uint256)": ("suspended", "index"),
    "CredentialReinstated(bytes32,uint256)": ("reinstated", "index"),
    "CredentialsRevoked(bytes32,uint256,uint256)": ("revoked", "word"),
    "CredentialsSuspended(bytes32,uint256,uint256)": ("suspended", "word"),
    "CredentialsReinstated(bytes32,uint256,uint256)": ("reinstated", "word"),
}
TOPICS: dict[bytes, tuple[str, str]] = {keccak(s.encode()): v for s, v in _EVENTS.items()}
BATCH_REVOKED = keccak(b"BatchRevoked(bytes32,bytes32,uint8)")


@dataclass(frozen=True)
class StatusEvent:
    """One status change as the registry logged it.

    ``issuer`` and ``status_indices`` for a credential's change, or ``batch_root`` for a
    whole batch revoked; ``timestamp`` is the block's (unix seconds).
    """

    action: str
    reason: int
    block_number: int
    timestamp: int
    transaction_hash: str
    issuer: str | None = None
    status_indices: tuple[int, ...] = ()
    batch_root: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.batch_root is not None:
            out["batchRoot"] = "0x" + self.batch_root.hex()
        else:
            out["issuer"] = self.issuer
            out["statusIndices"] = [str(i) for i in self.status_indices]
        out.update(action=self.action, reason=self.reason, blockNumber=self.block_number,
                   timestamp=self.timestamp, transactionHash=self.transaction_hash)
        return out


# ---- reading the registry's logs ---------------------------------------------------------


def issuer_topic(did: str) -> bytes:
    """The indexed issuer id of a DID (keccak-256 of its UTF-8), as the events carry it."""
    return keccak(did.encode("utf-8"))


def decode_log(entry: dict[str, Any], timestamp: int,
               did_of: Callable[[bytes], str | None]) -> StatusEvent | None:
    """A status event from one ``eth_getLogs`` entry, or None when it is not one.

    ``did_of`` names the DID of an issuer id (the events carry only the id).
    """
    try:
        topics = [bytes.fromhex(t[2:]) for t in entry["topics"]]
        data = bytes.fromhex(entry["data"][2:])
        number = entry["blockNumber"]
        block = number if type(number) is int else int(number, 16)
        tx = str(entry["transactionHash"]).lower()
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not topics:
        return None
    if topics[0] == BATCH_REVOKED and len(topics) == 3 and len(data) == 32:
        return StatusEvent("revoked", data[31], block, timestamp, tx, batch_root=topics[1])
    known = TOPICS.get(topics[0])
    if known is None or len(topics) != 2 or len(data) < 32:
        return None
    action, kind = known
    did = did_of(topics[1])
    if did is None:
        return None
    word = int.from_bytes(data[:32], "big")
    reason, value = word >> 248, word & _INDEX_BITS
    if kind == "index":
        indices: tuple[int, ...] = (value,)
    else:
        if len(data) < 64:
            return None
        bits = int.from_bytes(data[32:64], "big")
        indices = tuple(value * 256 + b for b in range(256) if bits >> b & 1)
    return StatusEvent(action, reason, block, timestamp, tx, issuer=did, status_indices=indices)


# ---- the log a verifier consults ---------------------------------------------------------


class StatusLog(Protocol):
    """Where reported status changes come from, and who reports them (``reporter``: a
    code, ``bundle`` or ``node``; ``source``: the same in words)."""

    reporter: str
    source: str

    def for_issuer(self, did: str) -> Sequence[StatusEvent]: ...

    def for_batch(self, batch_root: bytes) -> Sequence[StatusEvent]: ...


@dataclass
class ListedLog:
    """The status changes a trust bundle lists."""

    events: tuple[StatusEvent, ...]
    reporter: str = "bundle"
    source: str = "reported by the bundle's exporter, not proven"
    _by_issuer: dict[str, list[StatusEvent]] = field(default_factory=dict)
    _by_batch: dict[bytes, list[StatusEvent]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for event in sorted(self.events, key=lambda e: e.block_number):
            if event.batch_root is not None:
                self._by_batch.setdefault(event.batch_root, []).append(event)
            elif event.issuer is not None:
                self._by_issuer.setdefault(event.issuer, []).append(event)

    def for_issuer(self, did: str) -> Sequence[StatusEvent]:
        return self._by_issuer.get(did, ())

    def for_batch(self, batch_root: bytes) -> Sequence[StatusEvent]:
        return self._by_batch.get(batch_root, ())


def latest(events: Iterable[StatusEvent], action: str, index: int | None = None
           ) -> StatusEvent | None:
    """The last event of ``action`` (for ``index`` when given), in chain order."""
    found = None
    for event in sorted(events, key=lambda e: e.block_number):
        if event.action == action and (index is None or index in event.status_indices):
            found = event
    return found


def change_of(log: StatusLog | None, did: str, index: int, action: str,
              batch_root: bytes | None = None) -> StatusEvent | None:
    """The reported change that set a proven status bit: the latest ``action`` of ``index``
    (or, for a revocation, of the whole batch), or None when the log does not say.

    A log that cannot be read says nothing: the annotation is information, never needed.
    """
    if log is None:
        return None
    try:
        found = latest(log.for_issuer(did), action, index)
        if found is None and action == "revoked" and batch_root is not None:
            found = latest(log.for_batch(batch_root), "revoked")
    except EvidenceError:
        return None
    return found


# ---- the bundle member -------------------------------------------------------------------


def _uint(value: Any, where: str, top: int | None = None) -> int:
    if type(value) is not int or value < 0 or (top is not None and value > top):
        raise BundleFormatError(f"{where} must be an integer from 0" +
                                (f" to {top}" if top is not None else ""))
    return value


def parse_events(raw: Any) -> tuple[StatusEvent, ...]:
    """``statusEvents`` of a trust bundle (docs/format.md §13.1)."""
    if not isinstance(raw, list):
        raise BundleFormatError("statusEvents must be a list")
    events = []
    for i, entry in enumerate(raw):
        where = f"statusEvents[{i}]"
        if not isinstance(entry, dict):
            raise BundleFormatError(f"{where} must be an object")
        common = {"action", "reason", "blockNumber", "timestamp", "transactionHash"}
        shape = ({"batchRoot"} if "batchRoot" in entry else {"issuer", "statusIndices"})
        if set(entry) != common | shape:
            raise BundleFormatError(
                f"{where} needs exactly {', '.join(sorted(common | shape))}")
        action = entry["action"]
        if action not in ACTIONS or ("batchRoot" in entry and action != "revoked"):
            raise BundleFormatError(f"{where}.action must be one of {', '.join(ACTIONS)}"
                                    " (revoked for a batch)")
        tx = entry["transactionHash"]
        if not isinstance(tx, str) or not _HEX32.fullmatch(tx):
            raise BundleFormatError(f"{where}.transactionHash must be lowercase hex32")
        common_values = dict(
            action=action, reason=_uint(entry["reason"], f"{where}.reason", 255),
            block_number=_uint(entry["blockNumber"], f"{where}.blockNumber"),
            timestamp=_uint(entry["timestamp"], f"{where}.timestamp"), transaction_hash=tx)
        if "batchRoot" in entry:
            root = entry["batchRoot"]
            if not isinstance(root, str) or not _HEX32.fullmatch(root):
                raise BundleFormatError(f"{where}.batchRoot must be lowercase hex32")
            events.append(StatusEvent(**common_values, batch_root=bytes.fromhex(root[2:])))
            continue
        issuer, indices = entry["issuer"], entry["statusIndices"]
        if not isinstance(issuer, str) or not issuer.startswith("did:"):
            raise BundleFormatError(f"{where}.issuer must be a DID")
        if not isinstance(indices, list) or not indices or len(indices) > 256:
            raise BundleFormatError(f"{where}.statusIndices must be a list of 1 to 256")
        values = []
        for index in indices:
            if not isinstance(index, str) or not _DIGITS.fullmatch(index) or \
                    int(index) > _MAX_STATUS_INDEX:
                raise BundleFormatError(f"{where}.statusIndices holds a value that is not a "
                                        "status index (a string of digits)")
            values.append(int(index))
        events.append(StatusEvent(**common_values, issuer=issuer,
                                  status_indices=tuple(values)))
    return tuple(events)
