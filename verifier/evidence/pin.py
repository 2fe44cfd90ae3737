"""The pinned signer set: what a relying party trusts (a chain id, its Clique signers, and
optionally the registry), read from a pin file (docs/format.md §13), and the addresses in
it. ``credbank trust pin`` writes one; ``credbank-verify`` reads the stored one by default.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from .. import jsonio
from ..errors import CredentialFormatError
from .errors import BundleFormatError

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
NOT_PINNED = "signer set not pinned"


# ---- addresses ---------------------------------------------------------------------------


def checksum_address(address: bytes) -> str:
    """EIP-55 mixed-case checksum spelling of a 20-byte address."""
    text = address.hex()
    digest = keccak(text.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(text)
    )


def parse_address(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise BundleFormatError(f"{where} must be a 0x-hex address")
    raw = bytes.fromhex(value[2:])
    # Mixed case is a checksum (EIP-55) and must be right; all-lower or all-upper is not one.
    if value[2:] not in (value[2:].lower(), value[2:].upper()) and checksum_address(
        raw
    ) != value:
        raise BundleFormatError(f"{where} has a wrong EIP-55 checksum")
    return raw


# ---- pinned signer set -------------------------------------------------------------------


@dataclass(frozen=True)
class SignerPin:
    """What a relying party trusts: a chain id and its Clique signer set (and registry)."""

    chain_id: int
    signers: frozenset[bytes]
    registry: bytes | None = None


def parse_pin(raw: Any) -> SignerPin:
    if not isinstance(raw, dict):
        raise BundleFormatError("a pin file is a JSON object")
    unknown = set(raw) - {"chainId", "signers", "registry"}
    if unknown:
        raise BundleFormatError(f"pin file has unknown member {sorted(unknown)[0]}")
    chain_id = raw.get("chainId")
    if type(chain_id) is not int or chain_id < 0:
        raise BundleFormatError("pin file chainId must be a non-negative integer")
    signers = signer_list(raw.get("signers"), "pin file signers")
    registry = raw.get("registry")
    return SignerPin(
        chain_id,
        frozenset(signers),
        None if registry is None else parse_address(registry, "pin file registry"),
    )


def load_pin(path: str | Path) -> SignerPin:
    try:
        raw = jsonio.load_path(path, max_bytes=1 << 20)
    except CredentialFormatError as exc:
        raise BundleFormatError(f"pin file: {exc}") from None
    return parse_pin(raw)


def stored_pin_path(environ: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """Where ``credbank trust pin`` stores the pin and ``credbank-verify`` looks for it:
    ``$XDG_CONFIG_HOME/credbank/pin.json``, by default ``~/.config/credbank/pin.json``
    (XDG Base Directory: an unset, empty or relative ``XDG_CONFIG_HOME`` is ignored)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "credbank" / "pin.json"


def signer_list(value: Any, where: str) -> list[bytes]:
    if not isinstance(value, list) or not value or len(value) > 1024:
        raise BundleFormatError(f"{where} must be a non-empty list of addresses")
    signers = [parse_address(s, f"{where}[{i}]") for i, s in enumerate(value)]
    if len(set(signers)) != len(signers):
        raise BundleFormatError(f"{where} lists an address twice")
    return signers
