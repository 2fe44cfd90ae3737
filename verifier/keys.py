"""Ed25519 keys as Multikey multibase strings and did:key identifiers.

did:key for Ed25519 (W3C did:key §3.1.1): "did:key:" + base58btc multibase of the
multicodec prefix 0xed 0x01 followed by the 32-byte public key. Private keys use the
multicodec prefix 0x80 0x26 (ed25519-priv) with the 32-byte seed, as in the W3C
vc-di-eddsa test vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import nacl.exceptions
import nacl.signing

from .errors import KeyFormatError

_PUB_PREFIX = b"\xed\x01"
_PRIV_PREFIX = b"\x80\x26"


# base58btc (the Bitcoin alphabet), two digits at a time: a signature is encoded and
# decoded on every issue and verify, and steps of several digits cut the big-integer work
# (decoding maps characters to digit values with bytes.translate, then takes four a step).
# tests/verifier/test_keys.py checks it against the `base58` library and the W3C vectors.
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_PAIR_VALUE = {pair: i for i, pair in enumerate(_PAIRS)}
_PAIR_BASE = 58 * 58
_QUAD_BASE = _PAIR_BASE * _PAIR_BASE
_NOT_A_DIGIT = 0xFF
# Byte -> digit value (0-57), or _NOT_A_DIGIT outside the alphabet.
_DIGIT_VALUE = bytes(
    _ALPHABET.index(chr(i)) if chr(i) in _ALPHABET else _NOT_A_DIGIT for i in range(256))


def base58_encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    pairs: list[str] = []
    append = pairs.append
    while number:  # two pairs a step; 58**4 < 2**30 keeps each division one-digit
        number, rest = divmod(number, _QUAD_BASE)
        append(_PAIRS[rest % _PAIR_BASE])
        append(_PAIRS[rest // _PAIR_BASE])
    return "1" * zeros + "".join(reversed(pairs)).lstrip("1")


def base58_decode(text: str) -> bytes:
    zeros = len(text) - len(text.lstrip("1"))
    try:
        digits = text[zeros:].encode("ascii").translate(_DIGIT_VALUE)
    except UnicodeEncodeError:
        raise KeyFormatError("invalid base58btc character") from None
    if _NOT_A_DIGIT in digits:
        raise KeyFormatError("invalid base58btc character")
    digits = bytes(-len(digits) % 4) + digits  # whole groups of four digits
    number = 0
    groups = iter(digits)
    for a, b, c, d in zip(groups, groups, groups, groups, strict=False):  # 58**4 < 2**30
        number = number * _QUAD_BASE + ((a * 58 + b) * 58 + c) * 58 + d
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + raw


def multibase_encode(data: bytes) -> str:
    return "z" + base58_encode(data)


def multibase_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z") or len(text) > 256:
        raise KeyFormatError("expected a base58btc multibase string starting with 'z'")
    return base58_decode(text[1:])


def public_key_multibase(public_key: bytes) -> str:
    return multibase_encode(_PUB_PREFIX + public_key)


def decode_public_key_multibase(text: str) -> bytes:
    if not isinstance(text, str):
        raise KeyFormatError("expected a base58btc multibase string starting with 'z'")
    return _decode_public_key(text)


@lru_cache(maxsize=4096)  # issuers are few; decoding base58 is not cheap
def _decode_public_key(text: str) -> bytes:
    raw = multibase_decode(text)
    if len(raw) != 34 or raw[:2] != _PUB_PREFIX:
        raise KeyFormatError("not an Ed25519 public key multibase (0xed01 + 32 bytes)")
    return raw[2:]


def did_key(public_key: bytes) -> str:
    return "did:key:" + public_key_multibase(public_key)


def verification_method(public_key: bytes) -> str:
    mb = public_key_multibase(public_key)
    return f"did:key:{mb}#{mb}"


def public_key_from_did_key(did: str) -> bytes:
    """The Ed25519 key named by a did:key DID or its verification method URL."""
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise KeyFormatError("verification method is not a did:key")
    return _key_from_did(did)


@lru_cache(maxsize=4096)
def _key_from_did(did: str) -> bytes:
    ident, _, fragment = did[len("did:key:") :].partition("#")
    if fragment and fragment != ident:
        raise KeyFormatError("did:key fragment does not match the key")
    return decode_public_key_multibase(ident)


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key. Its repr never shows the secret."""

    _key: nacl.signing.SigningKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        return cls(nacl.signing.SigningKey(seed))

    @classmethod
    def from_multibase(cls, text: str) -> SigningKey:
        raw = multibase_decode(text)
        if len(raw) != 34 or raw[:2] != _PRIV_PREFIX:
            raise KeyFormatError("not an Ed25519 private key multibase (0x8026 + 32 bytes)")
        return cls.from_seed(raw[2:])

    def to_multibase(self) -> str:
        return multibase_encode(_PRIV_PREFIX + bytes(self._key))

    @cached_property
    def public_key(self) -> bytes:
        return bytes(self._key.verify_key)

    @cached_property
    def did(self) -> str:
        return did_key(self.public_key)

    @cached_property
    def verification_method(self) -> str:
        return verification_method(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"SigningKey(public={public_key_multibase(self.public_key)})"


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True
