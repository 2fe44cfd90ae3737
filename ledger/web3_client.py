"""The registry client on web3.py: :class:`Web3RegistryClient`, the one implementation of
:class:`~ledger.client.RegistryClient`.

It uses only standard JSON-RPC methods (``eth_chainId``, ``eth_call``, ``eth_estimateGas``,
``eth_gasPrice``, ``eth_getTransactionCount``, ``eth_sendRawTransaction``,
``eth_getTransactionReceipt``, ``eth_getLogs``, ``eth_getBlockByNumber``, ``eth_getCode``),
so the embedded node, anvil and a Besu consortium network are all the same to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractCustomError,
    ContractLogicError,
    Web3RPCError,
)
from web3.logs import DISCARD
from web3.middleware import ExtraDataToPOAMiddleware

import contracts
from verifier import registry_layout
from verifier.registry_layout import (
    AccountFact,
    BatchFact,
    DocumentFact,
    DocumentKind,
    IssuerFact,
    KeyFact,
    ScopeFact,
)

from .client import AnchorResult, GovernorProposal, RegistryClient, TransactionResult
from .errors import (
    ChainError,
    InputError,
    RegistryOutdated,
)
from .transactions import Sender, decoded_error, hex0x, redact_url, with_retries

REGISTRY_CONTRACT = "CredentialRegistry"
_T = TypeVar("_T")


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
        # Whether the registry has documents and scopes: None until first asked.
        self._documents_and_scopes: bool | None = None

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
        deployer = Sender(w3, account, rpc_url, options.get("retries", 3),
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
        return with_retries(call, self.rpc_url, self.retries, self.retry_backoff)

    # -- transactions ------------------------------------------------------------------------

    def _sender(self) -> Sender:
        if self._account is None:
            raise ChainError("this client has no account to sign transactions with")
        sender = Sender(self.w3, self._account, self.rpc_url, self.retries, self.retry_backoff)
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
            hex0x(receipt["transactionHash"]), receipt["blockNumber"], receipt["gasUsed"]
        )

    def _sender_for_wait(self) -> Sender:
        return Sender(self.w3, self._account, self.rpc_url, self.retries, self.retry_backoff)

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

    # -- accreditation scopes and documents ----------------------------------------------------

    def _require_documents_and_scopes(self) -> None:
        """Refuse clearly on a registry deployed before documents and scopes existed.

        Such a registry keeps its old bytecode, which has no function for them: any call
        reverts without data (and its storage slots 6 and 7 hold other data). One view call
        tells, once per client.
        """
        if self._documents_and_scopes is None:
            call = self._contract.functions.documentWord(bytes(32))
            try:
                self._rpc(lambda: call.call())
                self._documents_and_scopes = True
            except (ContractCustomError, ContractLogicError, Web3RPCError,
                    BadFunctionCallOutput):
                self._documents_and_scopes = False
        if not self._documents_and_scopes:
            raise RegistryOutdated(
                f"the registry {self.registry} on chain {self.chain_id} predates document "
                "publication and accreditation scopes (it was deployed by an earlier "
                "release); deploy a new registry to use them"
            )

    def set_accreditation_scope(
        self, did: str, sectors: Iterable[str], max_level_rank: int | None = None
    ) -> TransactionResult:
        try:
            mask = registry_layout.sector_mask(sectors)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if not mask:
            raise InputError("an accreditation scope names at least one sector")
        rank = max_level_rank or 0
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 0xFFFF:
            raise InputError("the highest level rank is a whole number from 0 to 65535")
        self._require_documents_and_scopes()
        return self.transact("setAccreditationScope", _issuer_id(did), mask, rank)

    def clear_accreditation_scope(self, did: str) -> TransactionResult:
        self._require_documents_and_scopes()
        return self.transact("clearAccreditationScope", _issuer_id(did))

    def publish_document(self, doc_hash: bytes | str, kind: DocumentKind) -> TransactionResult:
        if isinstance(kind, bool) or not isinstance(kind, int) or not 0 < kind <= 0xFF:
            raise InputError("a document kind is a number from 1 to 255 (DocumentKind)")
        digest = _document_hash(doc_hash)
        self._require_documents_and_scopes()
        return self.transact("publishDocument", digest, int(kind))

    def withdraw_document(self, doc_hash: bytes | str) -> TransactionResult:
        digest = _document_hash(doc_hash)
        self._require_documents_and_scopes()
        return self.transact("withdrawDocument", digest)

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
            raise decoded_error(exc, self._errors) from None

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

    def document(self, doc_hash: bytes | str) -> DocumentFact:
        digest = _document_hash(doc_hash)
        self._require_documents_and_scopes()
        return registry_layout.decode_document(self._view("documentWord", digest))

    def accreditation_scope(self, did: str) -> ScopeFact:
        self._require_documents_and_scopes()
        return registry_layout.decode_scope(self._view("scopeWord", _issuer_id(did)))

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
            "topics": [topic, hex0x(batch_root)],
        }))
        if not logs:
            raise ChainError(
                f"batch {hex0x(batch_root)} is anchored in block {fact.block_number} but the "
                "node returned no BatchAnchored log for it"
            )
        return AnchorResult(self.chain_id, self.registry, bytes(batch_root),
                            hex0x(logs[0]["transactionHash"]), fact.block_number)

    def latest_block_timestamp(self) -> int:
        return int(self._rpc(lambda: self.w3.eth.get_block("latest"))["timestamp"])


def _issuer_id(did: str) -> bytes:
    if not isinstance(did, str) or not did:
        raise ValueError("an issuer is named by its DID")
    return registry_layout.issuer_id(did)


def _document_hash(value: bytes | str) -> bytes:
    """A document's 32-byte hash, from bytes or the ``0x`` hex that ``RuleSet.hash()`` gives."""
    if isinstance(value, str):
        text = value[2:] if value[:2].lower() == "0x" else value
        try:
            value = bytes.fromhex(text)
        except ValueError:
            raise InputError("a document hash is 32 bytes or 0x and 64 hex digits") from None
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise InputError("a document hash is 32 bytes or 0x and 64 hex digits")
    if not any(value):
        raise InputError("the zero hash is not a document hash")
    return bytes(value)
