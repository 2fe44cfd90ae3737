"""The genesis file: chain id, Clique signers, pre-funded accounts, sender allow-list.

The file is geth/Besu-shaped JSON so the same genesis can seed a Besu network:

```json
{
  "config": {"chainId": 1337, "londonBlock": 0, "zeroBaseFee": true,
             "clique": {"blockperiodseconds": 1, "epochlength": 30000}},
  "extraData": "0x<32 vanity bytes><signer addresses><65 zero bytes>",
  "gasLimit": "0xe4e1c0", "difficulty": "0x1", "baseFeePerGas": "0x0",
  "timestamp": "0x...", "alloc": {"0x...": {"balance": "0x..."}},
  "credbank": {"senderAllowlist": ["0x..."]}
}
```

geth's spelling of the Clique settings (``period``, ``epoch``) is accepted when reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from eth.consensus.clique.constants import (
    COMMON_ADDRESS_LENGTH,
    NONCE_DROP,
    SIGNATURE_LENGTH,
    VANITY_LENGTH,
)
from eth.constants import BLANK_ROOT_HASH, ZERO_ADDRESS, ZERO_HASH32
from eth_typing import Address
from eth_utils import decode_hex, encode_hex, is_hex_address, to_canonical_address

from .chain import DEFAULT_EPOCH_LENGTH, DIFF_NOTURN, extra_data_for
from .errors import GenesisError

# 15 M gas: a few full-size contract deployments, or ~300 storage-writing calls, per
# block; py-evm executes that in about two seconds, which bounds how long one block can
# hold the node.
DEFAULT_GAS_LIMIT = 15_000_000
DEFAULT_PERIOD = 1
VANITY = b"credbank"


def parse_address(text: str) -> Address:
    if not isinstance(text, str) or not is_hex_address(text):
        raise GenesisError(f"not an Ethereum address: {text!r}")
    return Address(to_canonical_address(text))


def _quantity(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    elif isinstance(value, str):
        try:
            result = int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError as exc:
            raise GenesisError(f"{name}: not a number: {value!r}") from exc
    else:
        raise GenesisError(f"{name}: not a number: {value!r}")
    if result < 0:
        raise GenesisError(f"{name}: must not be negative")
    return result


@dataclass(frozen=True)
class Account:
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Genesis:
    chain_id: int
    signers: tuple[Address, ...]
    timestamp: int
    period: int = DEFAULT_PERIOD
    epoch_length: int = DEFAULT_EPOCH_LENGTH
    gas_limit: int = DEFAULT_GAS_LIMIT
    alloc: dict[Address, Account] = field(default_factory=dict)
    sender_allowlist: tuple[Address, ...] = ()
    vanity: bytes = VANITY

    def __post_init__(self) -> None:
        if not self.signers:
            raise GenesisError("the genesis needs at least one Clique signer")
        if self.chain_id <= 0:
            raise GenesisError("chain id must be positive")
        if self.period < 0:
            raise GenesisError("the block period must not be negative")
        if self.epoch_length <= 0:
            raise GenesisError("the epoch length must be positive")
        if self.gas_limit < 5000:
            raise GenesisError("the block gas limit is below the protocol minimum (5000)")

    @property
    def extra_data(self) -> bytes:
        return extra_data_for(0, list(self.signers), self.epoch_length, self.vanity)

    def header_params(self) -> dict[str, Any]:
        """Genesis header fields for py-evm's ``Chain.from_genesis``."""
        return {
            "difficulty": DIFF_NOTURN,
            "extra_data": self.extra_data,
            "gas_limit": self.gas_limit,
            "timestamp": self.timestamp,
            "coinbase": ZERO_ADDRESS,
            "nonce": NONCE_DROP,
            "mix_hash": ZERO_HASH32,
            "base_fee_per_gas": 0,
            "transaction_root": BLANK_ROOT_HASH,
            "receipt_root": BLANK_ROOT_HASH,
        }

    def genesis_state(self) -> dict[Address, dict[str, Any]]:
        return {
            address: {
                "balance": account.balance,
                "nonce": account.nonce,
                "code": account.code,
                "storage": dict(account.storage),
            }
            for address, account in self.alloc.items()
        }

    # -- JSON ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        alloc: dict[str, Any] = {}
        for address, account in self.alloc.items():
            entry: dict[str, Any] = {"balance": hex(account.balance)}
            if account.nonce:
                entry["nonce"] = hex(account.nonce)
            if account.code:
                entry["code"] = encode_hex(account.code)
            if account.storage:
                entry["storage"] = {
                    encode_hex(k.to_bytes(32, "big")): encode_hex(v.to_bytes(32, "big"))
                    for k, v in account.storage.items()
                }
            alloc[encode_hex(address)] = entry
        return {
            "config": {
                "chainId": self.chain_id,
                "homesteadBlock": 0,
                "eip150Block": 0,
                "eip155Block": 0,
                "eip158Block": 0,
                "byzantiumBlock": 0,
                "constantinopleBlock": 0,
                "petersburgBlock": 0,
                "istanbulBlock": 0,
                "berlinBlock": 0,
                "londonBlock": 0,
                "zeroBaseFee": True,
                "clique": {
                    "blockperiodseconds": self.period,
                    "epochlength": self.epoch_length,
                },
            },
            "nonce": "0x0",
            "timestamp": hex(self.timestamp),
            "extraData": encode_hex(self.extra_data),
            "gasLimit": hex(self.gas_limit),
            "difficulty": hex(DIFF_NOTURN),
            "baseFeePerGas": "0x0",
            "mixHash": encode_hex(ZERO_HASH32),
            "coinbase": encode_hex(ZERO_ADDRESS),
            "alloc": alloc,
            "credbank": {"senderAllowlist": [encode_hex(a) for a in self.sender_allowlist]},
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, doc: Any) -> Genesis:
        if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
            raise GenesisError("genesis: expected an object with a 'config' object")
        config = doc["config"]
        clique = config.get("clique")
        if not isinstance(clique, dict):
            raise GenesisError("genesis: config.clique is missing (only Clique is supported)")
        period = _quantity(clique.get("blockperiodseconds", clique.get("period", 1)), "period")
        epoch = _quantity(
            clique.get("epochlength", clique.get("epoch", DEFAULT_EPOCH_LENGTH)), "epoch"
        )
        try:
            extra = decode_hex(doc.get("extraData", "0x"))
        except ValueError as exc:
            raise GenesisError("genesis: extraData is not hex") from exc
        signer_bytes = extra[VANITY_LENGTH : len(extra) - SIGNATURE_LENGTH]
        if (
            len(extra) < VANITY_LENGTH + SIGNATURE_LENGTH
            or len(signer_bytes) % COMMON_ADDRESS_LENGTH
        ):
            raise GenesisError(
                "genesis: extraData must be 32 vanity bytes, the signer addresses "
                "and 65 zero bytes (EIP-225)"
            )
        signers = tuple(
            Address(signer_bytes[i : i + COMMON_ADDRESS_LENGTH])
            for i in range(0, len(signer_bytes), COMMON_ADDRESS_LENGTH)
        )
        alloc_doc = doc.get("alloc", {})
        if not isinstance(alloc_doc, dict):
            raise GenesisError("genesis: alloc must be an object")
        alloc = {}
        for text, entry in alloc_doc.items():
            if not isinstance(entry, dict):
                raise GenesisError(f"genesis: alloc entry for {text} must be an object")
            address = parse_address(text if text.startswith("0x") else "0x" + text)
            storage = {
                _quantity(k, "storage key"): _quantity(v, "storage value")
                for k, v in (entry.get("storage") or {}).items()
            }
            alloc[address] = Account(
                balance=_quantity(entry.get("balance", 0), "balance"),
                nonce=_quantity(entry.get("nonce", 0), "nonce"),
                code=decode_hex(entry.get("code", "0x")),
                storage=storage,
            )
        own = doc.get("credbank") or {}
        allowlist = tuple(parse_address(a) for a in own.get("senderAllowlist", []))
        return cls(
            chain_id=_quantity(config.get("chainId"), "chainId"),
            signers=signers,
            timestamp=_quantity(doc.get("timestamp", 0), "timestamp"),
            period=period,
            epoch_length=epoch,
            gas_limit=_quantity(doc.get("gasLimit", DEFAULT_GAS_LIMIT), "gasLimit"),
            alloc=alloc,
            sender_allowlist=allowlist,
            vanity=extra[:VANITY_LENGTH].rstrip(b"\0"),
        )

    @classmethod
    def loads(cls, text: str) -> Genesis:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GenesisError(f"genesis: not JSON ({exc.msg} at line {exc.lineno})") from exc
        return cls.from_json(doc)
