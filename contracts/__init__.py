"""credbank contracts: Solidity sources and their compiled artifacts.

``load("CredentialRegistry")`` returns the committed artifact built by
``scripts/compile_contracts``; nothing here needs Node or a compiler. The deployed registry
is ``CredentialRegistry`` (which extends ``IssuerRegistry``); see docs/contracts.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIR = PACKAGE_DIR / "src"
BUILD_DIR = PACKAGE_DIR / "build"

__all__ = [
    "Artifact",
    "ArtifactNotFound",
    "abi_signature",
    "abi_type",
    "available",
    "load",
    "stale_sources",
]


class ArtifactNotFound(LookupError):
    """No committed artifact has this contract name."""


@dataclass(frozen=True)
class Artifact:
    """A compiled contract as committed under contracts/build/."""

    contract_name: str
    source_name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str
    settings: dict[str, Any]
    source_hashes: dict[str, str]
    storage_layout: dict[str, Any]

    def errors_by_selector(self) -> dict[bytes, dict[str, Any]]:
        """Custom errors of the ABI keyed by their 4-byte selector, for decoding reverts."""
        from eth_hash.auto import keccak

        return {
            keccak(abi_signature(entry).encode("ascii"))[:4]: entry
            for entry in self.abi
            if entry["type"] == "error"
        }

    def events_by_topic(self) -> dict[bytes, dict[str, Any]]:
        """Events of the ABI keyed by their topic 0, for decoding logs."""
        from eth_hash.auto import keccak

        return {
            keccak(abi_signature(entry).encode("ascii")): entry
            for entry in self.abi
            if entry["type"] == "event"
        }


def abi_type(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter, tuples spelled out: ``(uint8,bytes32)[]``."""
    if param["type"].startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][len('tuple') :]}"
    return param["type"]


def abi_signature(entry: dict[str, Any]) -> str:
    """``Name(type,...)`` of an ABI error, event or function: what selectors hash."""
    return f"{entry['name']}({','.join(abi_type(i) for i in entry['inputs'])})"


def available() -> list[str]:
    """Names of every committed artifact."""
    return sorted(path.stem for path in BUILD_DIR.glob("*.json"))


@cache
def load(contract_name: str) -> Artifact:
    """The committed artifact of ``contract_name`` (e.g. ``"CredentialRegistry"``)."""
    path = BUILD_DIR / f"{contract_name}.json"
    if not path.is_file():
        raise ArtifactNotFound(f"no artifact for {contract_name!r}; have {available()}")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Artifact(
        contract_name=raw["contractName"],
        source_name=raw["sourceName"],
        abi=raw["abi"],
        bytecode=raw["bytecode"],
        deployed_bytecode=raw["deployedBytecode"],
        compiler_version=raw["compiler"]["version"],
        settings=raw["settings"],
        source_hashes=raw["sources"],
        storage_layout=raw["storageLayout"],
    )


def stale_sources(contract_name: str) -> list[str]:
    """Sources whose content differs from what ``contract_name`` was built from.

    Empty when the artifact matches the sources in contracts/src (added or removed files
    count as differences).
    """
    recorded = load(contract_name).source_hashes
    current = {
        f"contracts/src/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(SOURCE_DIR.glob("*.sol"))
    }
    return sorted(
        name for name in recorded.keys() | current.keys() if recorded.get(name) != current.get(name)
    )
