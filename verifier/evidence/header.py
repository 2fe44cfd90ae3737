"""Block headers: JSON-RPC fields to RLP and back, the block hash, and the Clique seal.

A header is the RLP list of its fields in Yellow Paper order (§4.3), with fields added by
later forks appended: London (EIP-1559) adds ``baseFeePerGas``, Shanghai (EIP-4895)
``withdrawalsRoot``, Cancun (EIP-4844, EIP-4788) ``blobGasUsed``, ``excessBlobGas`` and
``parentBeaconBlockRoot``, Prague (EIP-7685) ``requestsHash``. Which fork a header follows
is read from the field count, so one decoder serves a pre-London Rinkeby header and the
embedded node's London headers.

Clique (EIP-225 §"Block sealing"): ``extraData`` is 32 bytes of vanity, then on checkpoint
blocks the signer addresses, then a 65-byte secp256k1 signature [r ‖ s ‖ v] with v ∈ {0, 1}
over the *seal hash*, the keccak of the header RLP with those last 65 bytes removed. The
signature is inside the hashed header, so the block hash commits to the seal and the seal
commits to every other field, the state root included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth_hash.auto import keccak
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError

from .errors import HeaderError

EXTRA_VANITY = 32  # EIP-225 §constants
EXTRA_SEAL = 65

# (JSON-RPC name, kind, size): kind "hash" is fixed-size bytes, "int" a scalar, "bytes"
# variable-length. Order is the RLP order.
_FIELDS: tuple[tuple[str, str, int], ...] = (
    ("parentHash", "hash", 32),
    ("sha3Uncles", "hash", 32),
    ("miner", "hash", 20),
    ("stateRoot", "hash", 32),
    ("transactionsRoot", "hash", 32),
    ("receiptsRoot", "hash", 32),
    ("logsBloom", "hash", 256),
    ("difficulty", "int", 0),
    ("number", "int", 0),
    ("gasLimit", "int", 0),
    ("gasUsed", "int", 0),
    ("timestamp", "int", 0),
    ("extraData", "bytes", 0),
    ("mixHash", "hash", 32),
    ("nonce", "hash", 8),
    ("baseFeePerGas", "int", 0),  # London
    ("withdrawalsRoot", "hash", 32),  # Shanghai
    ("blobGasUsed", "int", 0),  # Cancun
    ("excessBlobGas", "int", 0),
    ("parentBeaconBlockRoot", "hash", 32),
    ("requestsHash", "hash", 32),  # Prague
)
_PRE_LONDON = 15
_MAX_EXTRA = 32 + 20 * 1024 + 65  # vanity, a generous signer list, seal
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Header:
    """A decoded header: its RLP items, in order, as raw bytes (scalars big-endian)."""

    items: tuple[bytes, ...]

    def _item(self, name: str) -> bytes:
        for i, (field, _, _) in enumerate(_FIELDS[: len(self.items)]):
            if field == name:
                return self.items[i]
        raise HeaderError(f"header has no {name}")

    def _int(self, name: str) -> int:
        return int.from_bytes(self._item(name), "big")

    @property
    def number(self) -> int:
        return self._int("number")

    @property
    def timestamp(self) -> int:
        return self._int("timestamp")

    @property
    def state_root(self) -> bytes:
        return self._item("stateRoot")

    @property
    def parent_hash(self) -> bytes:
        return self._item("parentHash")

    @property
    def extra_data(self) -> bytes:
        return self._item("extraData")

    @property
    def base_fee(self) -> int | None:
        return self._int("baseFeePerGas") if len(self.items) > _PRE_LONDON else None

    def encode(self) -> bytes:
        return rlp.encode(list(self.items))

    @property
    def hash(self) -> bytes:
        """The block hash: keccak256 of the header RLP."""
        return keccak(self.encode())

    def seal_hash(self) -> bytes:
        """EIP-225 §"Block sealing": keccak256 of the RLP with the seal cut off extraData."""
        extra = self.extra_data
        if len(extra) < EXTRA_VANITY + EXTRA_SEAL:
            raise HeaderError(
                f"extraData is {len(extra)} bytes: too short for a Clique vanity and seal"
            )
        index = [f for f, _, _ in _FIELDS].index("extraData")
        items = list(self.items)
        items[index] = extra[:-EXTRA_SEAL]
        return keccak(rlp.encode(items))

    def signer(self) -> bytes:
        """The 20-byte address that sealed this block (EIP-225 §"Signer recovery")."""
        seal = self.extra_data[-EXTRA_SEAL:]
        digest = self.seal_hash()
        if seal[64] not in (0, 1):
            raise HeaderError(f"seal recovery id must be 0 or 1, not {seal[64]}")
        try:
            signature = keys.Signature(signature_bytes=seal)
            return signature.recover_public_key_from_msg_hash(digest).to_canonical_address()
        except (BadSignature, ValidationError) as exc:
            raise HeaderError(f"seal does not recover a signer: {exc}") from None

    def checkpoint_signers(self) -> tuple[bytes, ...]:
        """Signer addresses listed in extraData (EIP-225: on epoch blocks only)."""
        middle = self.extra_data[EXTRA_VANITY:-EXTRA_SEAL]
        if len(middle) % 20:
            raise HeaderError("extraData signer list is not a whole number of addresses")
        return tuple(middle[i : i + 20] for i in range(0, len(middle), 20))


def _scalar(value: int) -> bytes:
    # RLP scalars are big-endian with no leading zeros; zero is the empty string
    # (Yellow Paper appendix B).
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _hex_bytes(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise HeaderError(f"block field {name} must be a 0x-hex string")
    text = value[2:]
    if len(text) % 2:
        raise HeaderError(f"block field {name} has an odd number of hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise HeaderError(f"block field {name} is not hex") from None


def _hex_int(value: Any, name: str) -> int:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")) or len(value) > 66:
        raise HeaderError(f"block field {name} must be a 0x-hex quantity")
    try:
        return int(value[2:], 16)
    except ValueError:
        raise HeaderError(f"block field {name} is not a hex quantity") from None


def from_rpc(block: Any) -> Header:
    """Rebuild the header from an ``eth_getBlockByNumber`` answer.

    Fields are taken in order while present; a fork's fields are either all there or the
    header stops before them. Nothing in the answer is trusted: the caller compares the
    rebuilt hash with the one it expects.
    """
    if not isinstance(block, dict):
        raise HeaderError("block must be a JSON object")
    items: list[bytes] = []
    for name, kind, size in _FIELDS:
        if name not in block or block[name] is None:
            if len(items) < _PRE_LONDON:
                raise HeaderError(f"block has no {name}")
            break
        if kind == "int":
            items.append(_scalar(_hex_int(block[name], name)))
            continue
        raw = _hex_bytes(block[name], name)
        if kind == "hash" and len(raw) != size:
            raise HeaderError(f"block field {name} must be {size} bytes")
        items.append(raw)
    return _checked(tuple(items))


def decode(encoded: bytes) -> Header:
    """Decode a header's RLP, strictly: one list of byte strings of the known fork shapes."""
    if len(encoded) > _MAX_HEADER_BYTES:
        raise HeaderError("header is too large")
    try:
        # strict decoding refuses trailing bytes and non-canonical lengths
        decoded = rlp.decode(encoded, strict=True)
    except rlp.exceptions.DecodingError as exc:
        raise HeaderError(f"header is not RLP: {exc}") from None
    if not isinstance(decoded, list) or not all(isinstance(i, bytes) for i in decoded):
        raise HeaderError("header RLP must be a flat list of byte strings")
    _check_count(len(decoded))
    for (name, kind, size), item in zip(_FIELDS, decoded, strict=False):
        if kind == "hash" and len(item) != size:
            raise HeaderError(f"header field {name} must be {size} bytes")
        if kind == "int" and item[:1] == b"\x00":
            raise HeaderError(f"header field {name} has a leading zero")
    return _checked(tuple(decoded))


def _check_count(count: int) -> None:
    if not _PRE_LONDON <= count <= len(_FIELDS):
        raise HeaderError(f"a header has {_PRE_LONDON} to {len(_FIELDS)} fields, not {count}")


def _checked(items: tuple[bytes, ...]) -> Header:
    _check_count(len(items))
    header = Header(items)
    if len(header.extra_data) > _MAX_EXTRA:
        raise HeaderError("extraData is too large")
    return header


def to_rpc(header: Header) -> dict[str, str]:
    """The header's fields as JSON-RPC hex values (the inverse of `from_rpc`)."""
    out: dict[str, str] = {}
    for (name, kind, _), item in zip(_FIELDS, header.items, strict=False):
        if kind == "int":
            out[name] = hex(int.from_bytes(item, "big"))
        else:
            out[name] = "0x" + item.hex()
    return out
