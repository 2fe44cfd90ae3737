"""A deployed registry on one EVM backend, with helpers to act and to read reverts and events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

import contracts
from contracts import abi_type

ARTIFACT = contracts.load("CredentialRegistry")
ERRORS = ARTIFACT.errors_by_selector()
EVENTS = ARTIFACT.events_by_topic()


@dataclass(frozen=True)
class Revert:
    """A decoded custom-error revert."""

    name: str
    args: tuple[Any, ...]


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data carried by a failed call on either backend.

    web3 reports a JSON-RPC node's revert as ContractCustomError with hex data; the
    in-process eth-tester backend raises TransactionFailed wrapping py-evm's Revert(bytes).
    """
    if isinstance(exc, ContractCustomError | ContractLogicError) and isinstance(exc.data, str):
        return bytes(HexBytes(exc.data))
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        for arg in current.args:
            if isinstance(arg, bytes):
                return arg
            if isinstance(arg, BaseException):
                pending.append(arg)
        pending.extend([current.__cause__, current.__context__])
    raise AssertionError(f"no revert data in {exc!r}")


def decode_revert(data: bytes) -> Revert:
    entry = ERRORS.get(data[:4])
    if entry is None:
        raise AssertionError(f"revert {data.hex()} is not a custom error of the registry ABI")
    types = [abi_type(i) for i in entry["inputs"]]
    values = abi_decode(types, data[4:])
    # Checksummed like web3 reports accounts, so arguments compare with w3.eth.accounts.
    return Revert(
        entry["name"],
        tuple(
            Web3.to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, values, strict=True)
        ),
    )


@dataclass
class Registry:
    """A freshly deployed CredentialRegistry and the roles of the backend's dev accounts."""

    w3: Web3
    contract: Contract
    governors: list[str]
    issuer_account: str  # anchors for the issuer of the test (issuer A)
    second_issuer_account: str  # a second account of issuer A
    other_issuer_account: str  # anchors for issuer B
    outsider: str  # no role at all

    @property
    def address(self) -> str:
        return self.contract.address

    def transact(self, function: str, *args: Any, sender: str) -> TxReceipt:
        tx_hash = getattr(self.contract.functions, function)(*args).transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return receipt

    def call(self, function: str, *args: Any) -> Any:
        return getattr(self.contract.functions, function)(*args).call()

    def refused(self, function: str, *args: Any, sender: str) -> Revert:
        """Send a transaction that must revert; return its decoded custom error."""
        with pytest.raises(Exception) as caught:  # the backends raise different types
            getattr(self.contract.functions, function)(*args).transact({"from": sender})
        return decode_revert(revert_data(caught.value))

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        event = getattr(self.contract.events, name)()
        return [dict(log["args"]) for log in event.process_receipt(receipt, errors=DISCARD)]

    def event_names(self, receipt: TxReceipt) -> list[str]:
        """Names of every event the receipt logged, in order."""
        return [EVENTS[bytes(log["topics"][0])]["name"] for log in receipt["logs"]]

    def latest_timestamp(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]


def deploy(w3: Web3, governors: list[str] | None = None) -> Registry:
    accounts = w3.eth.accounts
    governors = governors if governors is not None else list(accounts[0:3])
    factory = w3.eth.contract(abi=ARTIFACT.abi, bytecode=ARTIFACT.bytecode)
    tx_hash = factory.constructor(governors).transact({"from": accounts[0]})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=ARTIFACT.abi)
    return Registry(
        w3=w3,
        contract=contract,
        governors=governors,
        issuer_account=accounts[3],
        second_issuer_account=accounts[4],
        other_issuer_account=accounts[5],
        outsider=accounts[6],
    )


def with_reason(reason: int, index: int) -> int:
    """The data word of a status event: the reason code in bits 248..255 above the index."""
    return reason << 248 | index


def sorted_runs(indices: list[int]) -> Iterator[tuple[int, int]]:
    """(word index, bit mask) per status word, as the bulk calls log them."""
    words: dict[int, int] = {}
    for index in indices:
        words[index >> 8] = words.get(index >> 8, 0) | (1 << (index & 255))
    yield from sorted(words.items())
