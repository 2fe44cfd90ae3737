"""The chain file (``chain.json``): which chain and registry a deployment anchors on.

``credbank chain deploy`` writes it; the service reads it from its data directory and the
command line from ``--chain``. On disk it is JSON (docs/operations.md):

    {"type": "CredbankChain", "version": 1, "rpcUrl": "...", "chainId": 1337,
     "registry": "0x...", "governors": ["0x..."], "deployedBy": "0x..."}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import InputError
from .files import write_atomic

CHAIN_FILE_TYPE = "CredbankChain"


@dataclass(frozen=True)
class ChainConfig:
    """A registry on a chain, reached through ``rpc_url``.

    ``chain_id`` is None only for a configuration assembled from settings (an RPC URL and
    a registry address) before the node was asked.
    """

    rpc_url: str
    registry: str
    chain_id: int | None = None
    governors: tuple[str, ...] = ()
    deployed_by: str | None = None

    @property
    def status_registry(self) -> str:
        """The credentials' statusRegistry, CAIP-10 (docs/format.md §2.4)."""
        return f"eip155:{self.chain_id}:{self.registry}"

    def with_rpc(self, rpc_url: str) -> ChainConfig:
        return replace(self, rpc_url=rpc_url)

    def with_chain_id(self, chain_id: int) -> ChainConfig:
        return replace(self, chain_id=chain_id)

    def same_registry(self, chain_id: Any, registry: Any) -> bool:
        return self.chain_id == chain_id and self.registry == registry

    # ---- the file ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"type": CHAIN_FILE_TYPE, "version": 1, "rpcUrl": self.rpc_url,
                "chainId": self.chain_id, "registry": self.registry,
                "governors": list(self.governors), "deployedBy": self.deployed_by}

    @classmethod
    def from_json(cls, document: Any, where: str) -> ChainConfig:
        if not isinstance(document, dict) or document.get("type") != CHAIN_FILE_TYPE:
            raise InputError(f"{where} is not a credbank chain file")
        for field, kind in (("rpcUrl", str), ("chainId", int), ("registry", str)):
            if not isinstance(document.get(field), kind) or isinstance(document[field], bool):
                raise InputError(f"{where}: {field} is missing")
        governors = document.get("governors") or []
        if not isinstance(governors, list) or not all(isinstance(g, str) for g in governors):
            raise InputError(f"{where}: governors must be a list of addresses")
        deployed_by = document.get("deployedBy")
        return cls(rpc_url=document["rpcUrl"], registry=document["registry"],
                   chain_id=document["chainId"], governors=tuple(governors),
                   deployed_by=deployed_by if isinstance(deployed_by, str) else None)

    @classmethod
    def read(cls, path: Path) -> ChainConfig:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"no chain file at {path} (run: credbank chain deploy)") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
        return cls.from_json(document, str(path))

    def write(self, path: Path) -> None:
        """Write the chain file at once (a rename), never half written."""
        write_atomic(path, json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n")
