"""The credbank ledger proof (docs/format.md §Ledger proof).

It binds the document to a claims root, the claims root to the issuer's key, and the
claims root to a batch root anchored on chain. The issuer signs a domain-separated
message, so the signature can never be replayed as a signature over anything else:

    message = JCS({"claimsRoot": ..., "created": ..., "domain": DOMAIN,
                   "verificationMethod": ...})
"""

from __future__ import annotations

import base64
import binascii
import json.encoder
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import canonical, keys, timefmt
from ..errors import CredentialFormatError, KeyFormatError

TYPE = "CredbankLedgerProof"
DOMAIN = "credbank-ledger-proof-v1"
_encode_string = json.encoder.encode_basestring  # the C version when available


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: Any, field: str, size: int = 32) -> bytes:
    if not isinstance(text, str) or len(text) > 4 * size:
        raise CredentialFormatError(f"{field} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise CredentialFormatError(f"{field} is not base64url") from None
    if len(raw) != size or b64(raw) != text:
        raise CredentialFormatError(f"{field} must encode exactly {size} bytes")
    return raw


_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def _unb64_32_all(texts: list[Any]) -> list[bytes] | None:
    """unb64(text, ..., 32) of each, decoded in one piece (a derived copy carries dozens of
    salts and digests), or None when any is not so read; unb64 of each then names it.

    43 base64url characters carry 32 bytes and 2 spare bits, which the one spelling
    unb64 accepts leaves zero. With an "A" (six zero bits) after each, every text is a
    whole 44-character group of 33 bytes whose last byte holds those spare bits."""
    if not all(type(t) is str and len(t) == 43 for t in texts):
        return None
    joined = "A".join(texts) + "A" if texts else ""
    if not joined.isascii() or "+" in joined or "/" in joined or "=" in joined:
        return None
    try:
        raw = binascii.a2b_base64(joined.encode().translate(_URLSAFE_TO_STANDARD),
                                  strict_mode=True)
    except binascii.Error:
        return None
    if len(raw) != 33 * len(texts) or raw[32::33].count(0) != len(texts):
        return None
    return [raw[i:i + 32] for i in range(0, len(raw), 33)]


def hex32(data: bytes) -> str:
    return "0x" + data.hex()


_HEX32 = re.compile(r"0x[0-9a-f]{64}")


def unhex32(text: Any, field: str) -> bytes:
    # One spelling only (lowercase, no whitespace): two texts of one credential must not
    # both verify. Decoding and re-encoding checks that (bytes.fromhex alone would take
    # uppercase digits and spaces); tests pin it to the pattern _HEX32.
    if type(text) is str and len(text) == 66 and text.startswith("0x"):
        digits = text[2:]
        try:
            data = bytes.fromhex(digits)
        except ValueError:
            data = b""
        if len(data) == 32 and data.hex() == digits:
            return data
    raise CredentialFormatError(f"{field} must be 0x followed by 64 lowercase hex digits")


def _unhex32_list(texts: list[Any], field: str) -> tuple[bytes, ...]:
    """unhex32 of each, decoded in one piece (a Merkle path is read with every credential)."""
    if all(type(t) is str and len(t) == 66 and t.startswith("0x") for t in texts):
        digits = "".join([t[2:] for t in texts])
        try:
            data = bytes.fromhex(digits)
        except ValueError:
            data = b""
        if len(data) == 32 * len(texts) and data.hex() == digits:
            return tuple(data[i:i + 32] for i in range(0, len(data), 32))
    return tuple(unhex32(t, field) for t in texts)  # names the fault


def reference_signing_message(
    claims_root: bytes, created: str, verification_method: str
) -> bytes:
    """The signing message by its definition (§7.2): JCS of the four-member object."""
    return canonical.dumps(
        {
            "claimsRoot": hex32(claims_root),
            "created": created,
            "domain": DOMAIN,
            "verificationMethod": verification_method,
        }
    )


def signing_message(claims_root: bytes, created: str, verification_method: str) -> bytes:
    """reference_signing_message(), written out: JCS puts the four members in this order,
    and the C string encoder escapes as RFC 8785 does (tests check both agree)."""
    if type(created) is str and type(verification_method) is str:
        try:
            return (
                f'{{"claimsRoot":"0x{claims_root.hex()}","created":{_encode_string(created)},'
                f'"domain":"{DOMAIN}","verificationMethod":'
                f"{_encode_string(verification_method)}}}"
            ).encode()
        except UnicodeEncodeError:  # a lone surrogate: the reference path refuses it
            return reference_signing_message(claims_root, created, verification_method)
    return reference_signing_message(claims_root, created, verification_method)


def sign(claims_root: bytes, created: str, key: keys.SigningKey) -> str:
    message = signing_message(claims_root, created, key.verification_method)
    return keys.multibase_encode(key.sign(message))


@dataclass(frozen=True)
class Anchor:
    batch_root: bytes
    merkle_path: tuple[bytes, ...]
    chain_id: int | None = None
    registry: str | None = None
    transaction_hash: str | None = None
    block_number: int | None = None

    @property
    def on_chain(self) -> bool:
        return self.chain_id is not None and self.transaction_hash is not None


@dataclass(frozen=True)
class LedgerProof:
    created: str
    verification_method: str
    claims_root: bytes
    signature: bytes
    salt_key: bytes | None
    disclosed_salts: dict[str, bytes] | None
    hidden_digests: tuple[bytes, ...]
    anchor: Anchor | None
    raw: dict[str, Any]
    created_at: datetime  # `created`, read (and checked) once

    @property
    def derived(self) -> bool:
        return self.salt_key is None

    def signature_valid(self) -> bool:
        try:
            public_key = keys.public_key_from_did_key(self.verification_method)
        except KeyFormatError:
            return False
        message = signing_message(self.claims_root, self.created, self.verification_method)
        return keys.verify_signature(public_key, message, self.signature)


_MAX_PATH = 64  # a batch of 2**64 credentials is deeper than any real batch
# One credential has one spelling (docs/format.md §7.1): a member not listed is refused.
_PROOF_MEMBERS = frozenset({"type", "created", "verificationMethod", "proofPurpose",
                            "claimsRoot", "saltKey", "disclosure", "signature", "anchor"})
_DISCLOSURE_MEMBERS = frozenset({"salts", "hiddenDigests"})
_ANCHOR_MEMBERS = frozenset({"batchRoot", "merklePath", "chainId", "registry",
                             "transactionHash", "blockNumber"})


def _only(raw: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = raw.keys() - allowed
    if unknown:
        raise CredentialFormatError(f"{where} has an unknown member {min(unknown)!r}")
_MAX_HIDDEN = 10_000


def _parse_anchor(raw: Any) -> Anchor | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CredentialFormatError("anchor must be an object")
    _only(raw, _ANCHOR_MEMBERS, "anchor")
    path = raw.get("merklePath")
    if not isinstance(path, list) or len(path) > _MAX_PATH:
        raise CredentialFormatError("anchor.merklePath must be a list of hashes")
    chain_id = raw.get("chainId")
    block = raw.get("blockNumber")
    for name, value in (("chainId", chain_id), ("blockNumber", block)):
        if value is not None and (type(value) is not int or value < 0):
            raise CredentialFormatError(f"anchor.{name} must be a non-negative integer")
    for name in ("registry", "transactionHash"):
        if raw.get(name) is not None and not isinstance(raw.get(name), str):
            raise CredentialFormatError(f"anchor.{name} must be a string")
    return Anchor(
        batch_root=unhex32(raw.get("batchRoot"), "anchor.batchRoot"),
        merkle_path=_unhex32_list(path, "anchor.merklePath[]"),
        chain_id=chain_id,
        registry=raw.get("registry"),
        transaction_hash=raw.get("transactionHash"),
        block_number=block,
    )


def parse(raw: Any) -> LedgerProof:
    if not isinstance(raw, dict) or raw.get("type") != TYPE:
        raise CredentialFormatError(f"no {TYPE} in the proof set")
    _only(raw, _PROOF_MEMBERS, "the ledger proof")
    if raw.get("proofPurpose") != "assertionMethod":
        raise CredentialFormatError("ledger proof purpose must be assertionMethod")
    for field in ("created", "verificationMethod", "signature"):
        if not isinstance(raw.get(field), str):
            raise CredentialFormatError(f"ledger proof has no {field}")
    created_at = timefmt.parse(raw["created"], "ledger proof created")
    try:
        signature = keys.multibase_decode(raw["signature"])
    except KeyFormatError:
        raise CredentialFormatError("ledger proof signature is not multibase") from None
    salt_key = disclosed = None
    hidden: tuple[bytes, ...] = ()
    if "saltKey" in raw:
        if "disclosure" in raw:
            raise CredentialFormatError("ledger proof has both saltKey and disclosure")
        salt_key = unb64(raw["saltKey"], "saltKey")
    else:
        disclosure = raw.get("disclosure")
        if not isinstance(disclosure, dict):
            raise CredentialFormatError("ledger proof has neither saltKey nor disclosure")
        _only(disclosure, _DISCLOSURE_MEMBERS, "disclosure")
        salts = disclosure.get("salts")
        digests = disclosure.get("hiddenDigests", [])
        if not isinstance(salts, dict) or not isinstance(digests, list):
            raise CredentialFormatError("disclosure needs salts (object) and hiddenDigests")
        if len(digests) > _MAX_HIDDEN:
            raise CredentialFormatError("too many hidden digests")
        decoded = _unb64_32_all([*salts.values(), *digests])
        if decoded is None:  # read each, to name the one at fault
            decoded = [unb64(s, f"salt of {p!r}") for p, s in salts.items()]
            decoded += [unb64(d, "hiddenDigests[]") for d in digests]
        disclosed = dict(zip(salts, decoded, strict=False))
        hidden = tuple(decoded[len(salts):])
    return LedgerProof(
        created=raw["created"],
        verification_method=raw["verificationMethod"],
        claims_root=unhex32(raw.get("claimsRoot"), "claimsRoot"),
        signature=signature,
        salt_key=salt_key,
        disclosed_salts=disclosed,
        hidden_digests=hidden,
        anchor=_parse_anchor(raw.get("anchor")),
        raw=raw,
        created_at=created_at,
    )
