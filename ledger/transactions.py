"""Sending transactions and reading answers: one account's transactions built, signed,
sent raw and waited for; transient failures retried; reverts decoded into the ledger's
typed errors. A node never holds our keys, and ``eth_sendTransaction`` is never used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)

import contracts

from .errors import (
    ChainError,
    ChainUnavailable,
    RegistryRefused,
    TransactionRejected,
    TransactionTimeout,
    registry_refused,
)

_ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
_T = TypeVar("_T")


# Errors worth another try: the request may not have reached the node, or the node was
# momentarily overloaded. Anything else (a revert, a refusal) is an answer, not a glitch.
TRANSIENT = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    ProviderConnectionError,
    ConnectionError,
)
_RETRY_HTTP_STATUS = {429, 502, 503, 504}


def redact_url(url: str) -> str:
    """The URL without user and password, for messages (Besu behind basic auth)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def hex0x(data: bytes) -> str:

    return "0x" + bytes(data).hex()



# ---- sending one transaction -------------------------------------------------------------


class Sender:
    """Build, sign, send and wait for transactions of one account."""

    def __init__(
        self, w3: Web3, account: LocalAccount | None, rpc_url: str, retries: int,
        retry_backoff: float,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.rpc_url = rpc_url
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.next_nonce: int | None = None

    def _rpc(self, call: Callable[[], _T]) -> _T:
        return with_retries(call, self.rpc_url, self.retries, self.retry_backoff)

    def _nonce(self, refresh: bool = False) -> int:
        assert self.account is not None
        pending = int(self._rpc(
            lambda: self.w3.eth.get_transaction_count(self.account.address, "pending")
        ))
        if refresh or self.next_nonce is None:
            return pending
        return max(pending, self.next_nonce)

    def send(
        self, *, to: str | None, data: str, errors: dict[bytes, dict[str, Any]],
        gas: int | None = None,
    ) -> str:
        assert self.account is not None
        call: dict[str, Any] = {"from": self.account.address, "data": data, "value": 0}
        if to is not None:
            call["to"] = to
        if gas is None:
            try:
                estimate = self._rpc(lambda: self.w3.eth.estimate_gas(call))  # type: ignore[arg-type]
            except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
                raise decoded_error(exc, errors) from None
            # Headroom: the estimate is exact for the state it ran on, and the state may
            # change before inclusion (another status word written first, say).
            gas = int(estimate * 1.25) + 10_000
            block_limit = int(self._rpc(lambda: self.w3.eth.get_block("latest"))["gasLimit"])
            gas = min(gas, block_limit)
        # A legacy (type 0) transaction at the node's own gas price: accepted by every
        # node, free on the embedded node and on Besu with zero base fee.
        gas_price = int(self._rpc(lambda: self.w3.eth.gas_price))
        chain_id = int(self._rpc(lambda: self.w3.eth.chain_id))
        nonce = self._nonce()
        for attempt in (1, 2):
            tx = {**call, "gas": gas, "gasPrice": gas_price, "nonce": nonce, "chainId": chain_id}
            signed = self.account.sign_transaction(tx)
            expected = hex0x(signed.hash)
            try:
                self._rpc(lambda signed=signed: self.w3.eth.send_raw_transaction(
                    signed.raw_transaction
                ))
            except Web3RPCError as exc:
                message = _rpc_message(exc)
                lowered = message.lower()
                # Our own retry may resend a transaction the node already took.
                if "already known" in lowered or "known transaction" in lowered:
                    self.next_nonce = nonce + 1
                    return expected
                if "nonce too low" in lowered and self._known(expected):
                    # Our retry resent a transaction that was already mined.
                    self.next_nonce = nonce + 1
                    return expected
                # Someone else used this account meanwhile: take a fresh nonce once.
                if attempt == 1 and "nonce too low" in lowered:
                    nonce = self._nonce(refresh=True)
                    continue
                self.next_nonce = None
                raise TransactionRejected(f"the node refused the transaction: {message}") from None
            self.next_nonce = nonce + 1
            return expected
        raise AssertionError("unreachable: the loop returns or raises")

    def _known(self, transaction_hash: str) -> bool:
        try:
            self._rpc(lambda: self.w3.eth.get_transaction(transaction_hash))
        except TransactionNotFound:
            return False
        return True

    def wait(
        self, transaction_hash: str, errors: dict[bytes, dict[str, Any]], timeout: float,
        poll_interval: float,
    ) -> Any:
        try:
            receipt = self._rpc(lambda: self.w3.eth.wait_for_transaction_receipt(
                transaction_hash, timeout=timeout, poll_latency=poll_interval
            ))
        except TimeExhausted:
            raise TransactionTimeout(
                f"transaction {transaction_hash} was not mined within {timeout:g} s; it may "
                "still be; look it up before sending it again",
                transaction_hash,
            ) from None
        if receipt["status"] != 1:
            raise self._failure(receipt, errors)
        return receipt

    def _failure(self, receipt: Any, errors: dict[bytes, dict[str, Any]]) -> ChainError:
        # A receipt carries no revert data: replay the call against the block's state to
        # learn which custom error the registry raised.
        transaction_hash = hex0x(receipt["transactionHash"])
        try:
            tx = self._rpc(lambda: self.w3.eth.get_transaction(transaction_hash))
        except TransactionNotFound:
            tx = None
        if tx is not None:
            replay = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
            try:
                self._rpc(lambda: self.w3.eth.call(replay, receipt["blockNumber"]))  # type: ignore[arg-type]
            except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
                error = decoded_error(exc, errors)
                if isinstance(error, RegistryRefused):
                    error.transaction_hash = transaction_hash
                return error
        if receipt["gasUsed"] >= (tx["gas"] if tx is not None else receipt["gasUsed"] + 1):
            return ChainError(f"transaction {transaction_hash} ran out of gas")
        return ChainError(f"transaction {transaction_hash} reverted; its reason is unknown")

    def send_and_wait(
        self, *, to: str | None, data: str, errors: dict[bytes, dict[str, Any]],
        timeout: float, poll_interval: float,
    ) -> Any:
        return self.wait(self.send(to=to, data=data, errors=errors), errors, timeout,
                         poll_interval)


def with_retries(call: Callable[[], _T], rpc_url: str, retries: int, backoff: float) -> _T:
    """Run one JSON-RPC call, retrying transport failures at most ``retries`` times."""
    attempt = 0
    while True:
        try:
            return call()
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status not in _RETRY_HTTP_STATUS or attempt >= retries:
                raise ChainUnavailable(
                    f"the chain at {redact_url(rpc_url)} answered HTTP {status}"
                ) from None
        except TRANSIENT:
            if attempt >= retries:
                raise ChainUnavailable(
                    f"cannot reach the chain at {redact_url(rpc_url)} "
                    f"(tried {retries + 1} times)"
                ) from None
        attempt += 1
        time.sleep(backoff * 2 ** (attempt - 1))


def _rpc_message(exc: Web3RPCError) -> str:
    response = getattr(exc, "rpc_response", None) or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return str(exc.args[0]) if exc.args else exc.__class__.__name__


def _revert_data(exc: Exception) -> bytes | None:
    data: Any = getattr(exc, "data", None)
    if data is None and isinstance(exc, Web3RPCError):
        response = exc.rpc_response or {}
        error = response.get("error") if isinstance(response, dict) else None
        data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes(HexBytes(data))
        except ValueError:
            return None
    if isinstance(data, bytes):
        return data
    return None


def decoded_error(exc: Exception, errors: dict[bytes, dict[str, Any]]) -> ChainError:
    """The typed error for a failed call: the registry's custom error when it is one."""
    if isinstance(exc, ContractPanicError):
        return ChainError(f"the registry panicked: {exc}")
    data = _revert_data(exc)
    if data is not None and len(data) >= 4:
        entry = errors.get(data[:4])
        if entry is not None:
            types = [contracts.abi_type(i) for i in entry["inputs"]]
            try:
                values = abi_decode(types, data[4:])
            except Exception:  # malformed data from a node: report what we know
                return registry_refused(entry["name"], {})
            args = {
                param["name"] or str(i): _plain(kind, value)
                for i, (param, kind, value) in enumerate(
                    zip(entry["inputs"], types, values, strict=True)
                )
            }
            return registry_refused(entry["name"], args)
        if data[:4] == _ERROR_STRING_SELECTOR:
            (message,) = abi_decode(["string"], data[4:])
            return ChainError(f"execution reverted: {message}")
    message = _rpc_message(exc) if isinstance(exc, Web3RPCError) else str(exc)
    return ChainError(f"the chain refused the call: {message}")


def _plain(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return hex0x(value)
    return value

