"""The chain client: the credential registry over any Ethereum JSON-RPC endpoint.

:class:`RegistryClient` is the interface the rest of credbank programs against;
:class:`Web3RegistryClient` is its one implementation, on web3.py. It uses only standard
JSON-RPC methods (``eth_chainId``, ``eth_call``, ``eth_estimateGas``, ``eth_gasPrice``,
``eth_getTransactionCount``, ``eth_sendRawTransaction``, ``eth_getTransactionReceipt``,
``eth_getLogs``, ``eth_getBlockByNumber``, ``eth_getCode``), so the embedded node, anvil
and a Besu consortium network are all the same to it.

Transactions are signed here with an eth-account ``LocalAccount`` and sent raw: a node
never holds our keys, and ``eth_sendTransaction`` is never used.
"""

from __future__ import annotations

import abc
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.middleware import ExtraDataToPOAMiddleware

import contracts
from verifier import registry_layout
from verifier.registry_layout import AccountFact, BatchFact, IssuerFact, KeyFact

from .errors import (
    ChainError,
    ChainUnavailable,
    RegistryRefused,
    TransactionRejected,
    TransactionTimeout,
    registry_refused,
)

REGISTRY_CONTRACT = "CredentialRegistry"
_ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
_T = TypeVar("_T")


# ---- data crossing the interface ---------------------------------------------------------


@dataclass(frozen=True)
class TransactionResult:
    """A mined, successful transaction."""

    transaction_hash: str  # 0x + 64 hex
    block_number: int
    gas_used: int


@dataclass(frozen=True)
class AnchorResult:
    """Where a batch root was anchored: the chain facts a credential's anchor records."""

    chain_id: int
    registry: str  # checksummed
    batch_root: bytes
    transaction_hash: str
    block_number: int

    def anchor_members(self) -> dict[str, Any]:
        """The chain members of a ledger proof's ``anchor`` (docs/format.md §7.3)."""
        return {
            "chainId": self.chain_id,
            "registry": self.registry,
            "transactionHash": self.transaction_hash,
            "blockNumber": self.block_number,
        }


@dataclass(frozen=True)
class GovernorProposal:
    account: str
    add: bool
    executed: bool
    approvals: int
    epoch: int


# ---- the interface -----------------------------------------------------------------------


class RegistryClient(abc.ABC):
    """The deployed CredentialRegistry (which extends IssuerRegistry), seen from one sender.

    Issuers are named by DID; the registry keys them by ``keccak256(did)``. Writes return
    after the transaction is mined and raise a :class:`~ledger.errors.ChainError` (for a
    revert, a :class:`~ledger.errors.RegistryRefused` naming the custom error) otherwise.
    """

    chain_id: int
    registry: str

    @property
    @abc.abstractmethod
    def sender(self) -> str | None:
        """The checksummed address transactions are signed for (None: read-only)."""

    # -- governance (governors only) ------------------------------------------------------

    @abc.abstractmethod
    def propose_governor_change(self, account: str, add: bool) -> tuple[TransactionResult, int]:
        """Propose adding or removing a governor; returns the proposal id too."""

    @abc.abstractmethod
    def approve_governor_change(self, proposal_id: int) -> TransactionResult: ...

    @abc.abstractmethod
    def accredit(
        self, did: str, name: str, valid_from: int = 0, valid_until: int = 0
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def set_accreditation_window(
        self, did: str, valid_from: int, valid_until: int
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def suspend_issuer(self, did: str) -> TransactionResult: ...

    @abc.abstractmethod
    def reinstate_issuer(self, did: str) -> TransactionResult: ...

    @abc.abstractmethod
    def retire_issuer(self, did: str) -> TransactionResult: ...

    @abc.abstractmethod
    def add_key(
        self, did: str, public_key: bytes, valid_from: int, valid_until: int = 0
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def rotate_key(
        self, did: str, previous_key: bytes, new_key: bytes, at: int
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def revoke_key(self, did: str, public_key: bytes, revoked_from: int) -> TransactionResult: ...

    @abc.abstractmethod
    def authorize_account(self, did: str, account: str) -> TransactionResult: ...

    @abc.abstractmethod
    def remove_account(self, account: str) -> TransactionResult: ...

    # -- an issuer's anchoring account ------------------------------------------------------

    @abc.abstractmethod
    def anchor(self, batch_root: bytes, count: int) -> AnchorResult: ...

    @abc.abstractmethod
    def revoke(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult:
        """Revoke the caller's issuer's credentials at these status indices, in one tx."""

    @abc.abstractmethod
    def suspend(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult: ...

    @abc.abstractmethod
    def reinstate(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult: ...

    @abc.abstractmethod
    def revoke_batch(self, batch_root: bytes, reason: int = 0) -> TransactionResult: ...

    # -- reads (views at the latest block) ---------------------------------------------------

    @abc.abstractmethod
    def issuer(self, did: str) -> IssuerFact: ...

    @abc.abstractmethod
    def issuer_key(self, did: str, public_key: bytes) -> KeyFact: ...

    @abc.abstractmethod
    def is_key_valid_at(self, did: str, public_key: bytes, at: int) -> bool: ...

    @abc.abstractmethod
    def is_issuer_active(self, did: str) -> bool: ...

    @abc.abstractmethod
    def issuer_name(self, did: str) -> str: ...

    @abc.abstractmethod
    def account_issuer(self, account: str) -> AccountFact: ...

    @abc.abstractmethod
    def batch(self, batch_root: bytes) -> BatchFact: ...

    @abc.abstractmethod
    def is_revoked(self, did: str, status_index: int) -> bool: ...

    @abc.abstractmethod
    def is_suspended(self, did: str, status_index: int) -> bool: ...

    @abc.abstractmethod
    def is_governor(self, account: str) -> bool: ...

    @abc.abstractmethod
    def governor_count(self) -> int: ...

    @abc.abstractmethod
    def approvals_required(self) -> int: ...

    @abc.abstractmethod
    def governor_proposal(self, proposal_id: int) -> GovernorProposal: ...

    @abc.abstractmethod
    def anchoring_transaction(self, batch_root: bytes) -> AnchorResult | None:
        """Where an anchored root was anchored (from the BatchAnchored log); None if not."""

    @abc.abstractmethod
    def latest_block_timestamp(self) -> int: ...


# ---- keys of Ethereum accounts -----------------------------------------------------------


def create_account_key(path: Path) -> LocalAccount:
    """Create a new Ethereum account key file (mode 0600, never overwritten)."""
    account = Account.create()
    # O_EXCL: an existing key is never replaced, so an account cannot be lost by mistake.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(account.key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return account


def load_account_key(path: Path) -> LocalAccount:
    """The account in a key file holding one hex private key (0x optional).

    Errors name the file, never its content.
    """
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ChainError(f"no key file at {path}") from None
    except (OSError, UnicodeDecodeError):
        raise ChainError(f"cannot read key file {path}") from None
    digits = text[2:] if text.startswith(("0x", "0X")) else text
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ChainError(f"key file {path} does not hold one hex private key")
    try:
        return Account.from_key(bytes.fromhex(digits))
    except (ValueError, TypeError):
        raise ChainError(f"key file {path} does not hold a valid private key") from None


def key_file_is_private(path: Path) -> bool:
    """True when only the owner can read or write the key file."""
    return stat.S_IMODE(Path(path).stat().st_mode) & 0o077 == 0


# ---- the web3 implementation -------------------------------------------------------------

# Errors worth another try: the request may not have reached the node, or the node was
# momentarily overloaded. Anything else (a revert, a refusal) is an answer, not a glitch.
_TRANSIENT = (
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


def _hex(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def _bytes32(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{what} must be 32 bytes")
    return bytes(value)


class Web3RegistryClient(RegistryClient):
    """The registry through web3.py's HTTP provider.

    ``account`` signs transactions (None for a read-only client). Nonces come from the
    node's pending count and a local counter, whichever is higher, so quick successive
    sends from one client never reuse a nonce. A client is meant for one thread.
    """

    def __init__(
        self,
        rpc_url: str,
        registry: str,
        account: LocalAccount | None = None,
        *,
        receipt_timeout: float = 120.0,
        poll_interval: float = 0.05,
        retries: int = 3,
        retry_backoff: float = 0.25,
        _w3: Web3 | None = None,
    ) -> None:
        self.rpc_url = rpc_url
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self.retries = retries
        self.retry_backoff = retry_backoff
        self._account = account
        self._next_nonce: int | None = None
        self.w3 = _w3 or self._connect(rpc_url)
        try:
            self.registry = to_checksum_address(registry)
        except ValueError:
            raise ChainError(f"{registry!r} is not an Ethereum address") from None
        self.chain_id = int(self._rpc(lambda: self.w3.eth.chain_id))
        code = self._rpc(lambda: self.w3.eth.get_code(self.registry))
        if not code:
            raise ChainError(
                f"no contract at {self.registry} on chain {self.chain_id} ({redact_url(rpc_url)})"
            )
        self._artifact = contracts.load(REGISTRY_CONTRACT)
        self._contract: Contract = self.w3.eth.contract(
            address=self.registry, abi=self._artifact.abi
        )
        self._errors = self._artifact.errors_by_selector()

    # -- construction ----------------------------------------------------------------------

    @staticmethod
    def _connect(rpc_url: str) -> Web3:
        # Our own bounded retry below replaces the provider's, so every method (sending
        # included) follows one rule.
        w3 = Web3(Web3.HTTPProvider(
            rpc_url, request_kwargs={"timeout": 30}, exception_retry_configuration=None
        ))
        # Clique and QBFT networks (Besu) put signer data in extraData beyond 32 bytes,
        # which web3.py refuses in blocks unless told the chain is proof of authority.
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        return w3

    @classmethod
    def deploy(
        cls, rpc_url: str, account: LocalAccount, governors: Sequence[str], **options: Any
    ) -> Web3RegistryClient:
        """Deploy a new CredentialRegistry with these initial governors; a client for it."""
        if not governors:
            raise ChainError("a registry needs at least one governor")
        try:
            governor_addresses = [to_checksum_address(g) for g in governors]
        except ValueError as exc:
            raise ChainError(f"not an Ethereum address: {exc}") from None
        artifact = contracts.load(REGISTRY_CONTRACT)
        w3 = cls._connect(rpc_url)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = factory.constructor(governor_addresses).data_in_transaction
        deployer = _Sender(w3, account, rpc_url, options.get("retries", 3),
                           options.get("retry_backoff", 0.25))
        receipt = deployer.send_and_wait(
            to=None, data=data, errors=artifact.errors_by_selector(),
            timeout=options.get("receipt_timeout", 120.0),
            poll_interval=options.get("poll_interval", 0.05),
        )
        client = cls(rpc_url, receipt["contractAddress"], account, _w3=w3, **options)
        client._next_nonce = deployer.next_nonce
        return client

    def with_account(self, account: LocalAccount | None) -> Web3RegistryClient:
        """The same registry and connection, acting as another account."""
        other = object.__new__(Web3RegistryClient)
        other.__dict__.update(self.__dict__)
        other._account = account
        other._next_nonce = None
        return other

    @property
    def sender(self) -> str | None:
        return self._account.address if self._account is not None else None

    # -- transport ---------------------------------------------------------------------------

    def _rpc(self, call: Callable[[], _T]) -> _T:
        return _with_retries(call, self.rpc_url, self.retries, self.retry_backoff)

    # -- transactions ------------------------------------------------------------------------

    def _sender(self) -> _Sender:
        if self._account is None:
            raise ChainError("this client has no account to sign transactions with")
        sender = _Sender(self.w3, self._account, self.rpc_url, self.retries, self.retry_backoff)
        sender.next_nonce = self._next_nonce
        return sender

    def send(self, function: str, *args: Any, gas: int | None = None) -> str:
        """Sign and send a registry call without waiting; returns the transaction hash.

        The call is first estimated (``eth_estimateGas``), so a call the registry would
        refuse raises :class:`RegistryRefused` before anything is sent. ``gas`` skips the
        estimate (and so sends even a call that will revert).
        """
        data = self._contract.encode_abi(function, args=list(args))
        sender = self._sender()
        try:
            return sender.send(to=self.registry, data=data, errors=self._errors, gas=gas)
        finally:
            self._next_nonce = sender.next_nonce

    def wait(self, transaction_hash: str) -> TransactionResult:
        """Wait for the receipt; a reverted transaction raises its decoded custom error."""
        receipt = self._sender_for_wait().wait(
            transaction_hash, self._errors, self.receipt_timeout, self.poll_interval
        )
        return TransactionResult(
            _hex(receipt["transactionHash"]), receipt["blockNumber"], receipt["gasUsed"]
        )

    def _sender_for_wait(self) -> _Sender:
        return _Sender(self.w3, self._account, self.rpc_url, self.retries, self.retry_backoff)

    def transact(self, function: str, *args: Any, gas: int | None = None) -> TransactionResult:
        """Send a registry call and wait until it is mined."""
        return self.wait(self.send(function, *args, gas=gas))

    def _receipt(self, transaction_hash: str) -> Any:
        return self._rpc(lambda: self.w3.eth.get_transaction_receipt(transaction_hash))

    # -- governance --------------------------------------------------------------------------

    def propose_governor_change(self, account: str, add: bool) -> tuple[TransactionResult, int]:
        result = self.transact("proposeGovernorChange", to_checksum_address(account), add)
        receipt = self._receipt(result.transaction_hash)
        (event,) = self._contract.events.GovernorChangeProposed().process_receipt(
            receipt, errors=DISCARD
        )
        return result, int(event["args"]["proposalId"])

    def approve_governor_change(self, proposal_id: int) -> TransactionResult:
        return self.transact("approveGovernorChange", proposal_id)

    def accredit(
        self, did: str, name: str, valid_from: int = 0, valid_until: int = 0
    ) -> TransactionResult:
        return self.transact("accredit", did, name, valid_from, valid_until)

    def set_accreditation_window(
        self, did: str, valid_from: int, valid_until: int
    ) -> TransactionResult:
        return self.transact("setAccreditationWindow", _issuer_id(did), valid_from, valid_until)

    def suspend_issuer(self, did: str) -> TransactionResult:
        return self.transact("suspendIssuer", _issuer_id(did))

    def reinstate_issuer(self, did: str) -> TransactionResult:
        return self.transact("reinstateIssuer", _issuer_id(did))

    def retire_issuer(self, did: str) -> TransactionResult:
        return self.transact("retireIssuer", _issuer_id(did))

    def add_key(
        self, did: str, public_key: bytes, valid_from: int, valid_until: int = 0
    ) -> TransactionResult:
        return self.transact(
            "addKey", _issuer_id(did), _bytes32(public_key, "public_key"), valid_from, valid_until
        )

    def rotate_key(
        self, did: str, previous_key: bytes, new_key: bytes, at: int
    ) -> TransactionResult:
        return self.transact(
            "rotateKey",
            _issuer_id(did),
            _bytes32(previous_key, "previous_key"),
            _bytes32(new_key, "new_key"),
            at,
        )

    def revoke_key(self, did: str, public_key: bytes, revoked_from: int) -> TransactionResult:
        return self.transact(
            "revokeKey", _issuer_id(did), _bytes32(public_key, "public_key"), revoked_from
        )

    def authorize_account(self, did: str, account: str) -> TransactionResult:
        return self.transact("authorizeAccount", _issuer_id(did), to_checksum_address(account))

    def remove_account(self, account: str) -> TransactionResult:
        return self.transact("removeAccount", to_checksum_address(account))

    # -- anchoring and status ------------------------------------------------------------------

    def anchor(self, batch_root: bytes, count: int) -> AnchorResult:
        result = self.transact("anchor", _bytes32(batch_root, "batch_root"), count)
        return AnchorResult(
            self.chain_id, self.registry, bytes(batch_root), result.transaction_hash,
            result.block_number,
        )

    def _status_change(
        self, one: str, many: str, status_indices: Iterable[int], reason: int
    ) -> TransactionResult:
        # Sorted, so indices sharing a status word are written together (docs/contracts.md
        # §Gas); one index takes the cheaper single-index call.
        indices = sorted(status_indices)
        if len(indices) == 1:
            return self.transact(one, indices[0], reason)
        return self.transact(many, indices, reason)

    def revoke(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult:
        return self._status_change("revokeCredential", "revokeCredentials", status_indices,
                                   reason)

    def suspend(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult:
        return self._status_change("suspendCredential", "suspendCredentials", status_indices,
                                   reason)

    def reinstate(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult:
        return self._status_change("reinstateCredential", "reinstateCredentials",
                                   status_indices, reason)

    def revoke_batch(self, batch_root: bytes, reason: int = 0) -> TransactionResult:
        return self.transact("revokeBatch", _bytes32(batch_root, "batch_root"), reason)

    # -- reads -------------------------------------------------------------------------------

    def _view(self, function: str, *args: Any) -> Any:
        call = getattr(self._contract.functions, function)(*args)
        try:
            return self._rpc(lambda: call.call())
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise _decoded(exc, self._errors) from None

    def issuer(self, did: str) -> IssuerFact:
        return registry_layout.decode_issuer(self._view("issuerWord", _issuer_id(did)))

    def issuer_key(self, did: str, public_key: bytes) -> KeyFact:
        return registry_layout.decode_key(
            self._view("keyWord", _issuer_id(did), _bytes32(public_key, "public_key"))
        )

    def is_key_valid_at(self, did: str, public_key: bytes, at: int) -> bool:
        return bool(self._view(
            "isKeyValidAt", _issuer_id(did), _bytes32(public_key, "public_key"), at
        ))

    def is_issuer_active(self, did: str) -> bool:
        return bool(self._view("isIssuerActive", _issuer_id(did)))

    def issuer_name(self, did: str) -> str:
        return str(self._view("issuerName", _issuer_id(did)))

    def account_issuer(self, account: str) -> AccountFact:
        return registry_layout.decode_account(
            self._view("accountWord", to_checksum_address(account))
        )

    def batch(self, batch_root: bytes) -> BatchFact:
        return registry_layout.decode_batch(
            self._view("batchWord", _bytes32(batch_root, "batch_root"))
        )

    def is_revoked(self, did: str, status_index: int) -> bool:
        return bool(self._view("isRevoked", _issuer_id(did), status_index))

    def is_suspended(self, did: str, status_index: int) -> bool:
        return bool(self._view("isSuspended", _issuer_id(did), status_index))

    def is_governor(self, account: str) -> bool:
        return bool(self._view("isGovernor", to_checksum_address(account)))

    def governor_count(self) -> int:
        return int(self._view("governorCount"))

    def approvals_required(self) -> int:
        return int(self._view("approvalsRequired"))

    def governor_proposal(self, proposal_id: int) -> GovernorProposal:
        account, add, executed, approvals, epoch = self._view("governorProposal", proposal_id)
        return GovernorProposal(to_checksum_address(account), bool(add), bool(executed),
                                int(approvals), int(epoch))

    def anchoring_transaction(self, batch_root: bytes) -> AnchorResult | None:
        fact = self.batch(batch_root)
        if not fact.anchored:
            return None
        topic = self._contract.events.BatchAnchored().topic
        logs = self._rpc(lambda: self.w3.eth.get_logs({
            "address": self.registry,
            "fromBlock": fact.block_number,
            "toBlock": fact.block_number,
            "topics": [topic, _hex(batch_root)],
        }))
        if not logs:
            raise ChainError(
                f"batch {_hex(batch_root)} is anchored in block {fact.block_number} but the "
                "node returned no BatchAnchored log for it"
            )
        return AnchorResult(self.chain_id, self.registry, bytes(batch_root),
                            _hex(logs[0]["transactionHash"]), fact.block_number)

    def latest_block_timestamp(self) -> int:
        return int(self._rpc(lambda: self.w3.eth.get_block("latest"))["timestamp"])


def _issuer_id(did: str) -> bytes:
    if not isinstance(did, str) or not did:
        raise ValueError("an issuer is named by its DID")
    return registry_layout.issuer_id(did)


# ---- sending one transaction -------------------------------------------------------------


class _Sender:
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
        return _with_retries(call, self.rpc_url, self.retries, self.retry_backoff)

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
                raise _decoded(exc, errors) from None
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
            expected = _hex(signed.hash)
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
        transaction_hash = _hex(receipt["transactionHash"])
        try:
            tx = self._rpc(lambda: self.w3.eth.get_transaction(transaction_hash))
        except TransactionNotFound:
            tx = None
        if tx is not None:
            replay = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
            try:
                self._rpc(lambda: self.w3.eth.call(replay, receipt["blockNumber"]))  # type: ignore[arg-type]
            except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
                error = _decoded(exc, errors)
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


def _with_retries(call: Callable[[], _T], rpc_url: str, retries: int, backoff: float) -> _T:
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
        except _TRANSIENT:
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


def _decoded(exc: Exception, errors: dict[bytes, dict[str, Any]]) -> ChainError:
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
        return _hex(value)
    return value
