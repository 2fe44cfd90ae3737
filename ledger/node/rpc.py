"""Ethereum JSON-RPC 2.0 over the node: the methods web3.py and common tooling use.

Requests are plain dicts in, dicts out; :mod:`ledger.node.server` carries them over HTTP.
Every method takes the node lock, because py-evm is not thread-safe. Errors follow the
JSON-RPC 2.0 codes and geth's conventions: ``-32000`` for refused transactions and server
errors, ``3`` with the revert data in ``data`` for reverted calls.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import rlp
from eth._utils.address import generate_contract_address
from eth.abc import BlockHeaderAPI, ComputationAPI, ReceiptAPI, SignedTransactionAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.exceptions import (
    BlockNotFound,
    HeaderNotFound,
    Revert,
    TransactionNotFound,
)
from eth.rlp.accounts import Account
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode
from eth_bloom import BloomFilter
from eth_hash.auto import keccak
from eth_typing import Address, Hash32
from eth_utils import (
    ValidationError,
    decode_hex,
    encode_hex,
    is_hex,
    to_checksum_address,
)
from trie import HexaryTrie

from .errors import TransactionRejected
from .node import BlockRef, Node

log = logging.getLogger("ledger.node.rpc")

CLIENT_VERSION = "credbank-node/v0.1.0/py-evm-0.12.1b1/python3.11"

# JSON-RPC 2.0 §5.1 error codes, plus geth's.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
EXECUTION_REVERTED = 3

MAX_BATCH = 1000
MAX_LOG_BLOCK_RANGE = 100_000
MAX_FILTERS = 1000
FILTER_IDLE_SECONDS = 300
MAX_FEE_HISTORY = 1024

# Error(string) selector: keccak("Error(string)")[:4], what `revert("reason")` returns.
ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, message)


# -- parameter parsing ------------------------------------------------------------------


def _quantity(value: Any, name: str) -> int:
    if isinstance(value, str) and value.startswith(("0x", "0X")) and len(value) > 2:
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise invalid_params(f"{name}: expected a hex quantity, got {value!r}")


def _data(value: Any, name: str) -> bytes:
    if isinstance(value, str) and is_hex(value) and value.startswith(("0x", "0X")):
        try:
            return decode_hex(value)
        except ValueError:
            pass
    if value == "0x":
        return b""
    raise invalid_params(f"{name}: expected hex data, got {value!r}")


def _address(value: Any, name: str) -> Address:
    raw = _data(value, name)
    if len(raw) != 20:
        raise invalid_params(f"{name}: expected a 20-byte address")
    return Address(raw)


def _hash(value: Any, name: str) -> Hash32:
    raw = _data(value, name)
    if len(raw) != 32:
        raise invalid_params(f"{name}: expected a 32-byte hash")
    return Hash32(raw)


def _block_ref(value: Any, name: str = "block") -> BlockRef:
    if value is None or value in ("latest", "pending", "safe", "finalized"):
        # Clique blocks are final once sealed by the only signer: safe = finalized = latest.
        return BlockRef()
    if value == "earliest":
        return BlockRef(number=0)
    if isinstance(value, dict):  # EIP-1898
        if "blockHash" in value:
            return BlockRef(hash=_hash(value["blockHash"], name))
        if "blockNumber" in value:
            return _block_ref(value["blockNumber"], name)
        raise invalid_params(f"{name}: expected blockHash or blockNumber")
    return BlockRef(number=_quantity(value, name))


def _param(params: list[Any], index: int, default: Any = ...) -> Any:
    if index < len(params):
        return params[index]
    if default is ...:
        raise invalid_params(f"missing parameter {index}")
    return default


# -- result formatting ------------------------------------------------------------------


def _hex(value: int) -> str:
    return hex(value)


def _tx_type(tx: SignedTransactionAPI) -> int:
    return getattr(tx, "type_id", None) or 0


def _effective_gas_price(tx: SignedTransactionAPI, base_fee: int) -> int:
    if _tx_type(tx) == 2:
        return min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    return tx.gas_price


@dataclass
class LogFilter:
    from_block: int | None
    to_block: int | None
    block_hash: Hash32 | None
    addresses: frozenset[bytes]
    topics: list[frozenset[bytes] | None]

    def matches(self, address: bytes, topics: list[bytes]) -> bool:
        if self.addresses and address not in self.addresses:
            return False
        if len(self.topics) > len(topics):
            return False
        return all(
            wanted is None or topic in wanted
            for wanted, topic in zip(self.topics, topics, strict=False)
        )

    def may_match_bloom(self, bloom: int) -> bool:
        filter_ = BloomFilter(bloom)
        if self.addresses and not any(a in filter_ for a in self.addresses):
            return False
        for wanted in self.topics:
            if wanted is not None and not any(t in filter_ for t in wanted):
                return False
        return True


@dataclass
class InstalledFilter:
    kind: str  # "logs" or "blocks"
    next_block: int
    log_filter: LogFilter | None = None
    last_used: float = field(default_factory=time.monotonic)


def _parse_log_filter(criteria: Any) -> LogFilter:
    if not isinstance(criteria, dict):
        raise invalid_params("filter: expected an object")
    block_hash = criteria.get("blockHash")
    addresses: Iterable[Any]
    raw_address = criteria.get("address")
    if raw_address is None:
        addresses = ()
    elif isinstance(raw_address, list):
        addresses = raw_address
    else:
        addresses = (raw_address,)
    topics: list[frozenset[bytes] | None] = []
    raw_topics = criteria.get("topics") or []
    if not isinstance(raw_topics, list) or len(raw_topics) > 4:
        raise invalid_params("filter: topics must be a list of at most 4 entries")
    for entry in raw_topics:
        if entry is None:
            topics.append(None)
        elif isinstance(entry, list):
            topics.append(frozenset(_hash(t, "topic") for t in entry) if entry else None)
        else:
            topics.append(frozenset({_hash(entry, "topic")}))

    def bound(key: str) -> int | None:
        ref = _block_ref(criteria.get(key, "latest"), key)
        return ref.number

    if block_hash is not None and ("fromBlock" in criteria or "toBlock" in criteria):
        raise invalid_params("filter: blockHash excludes fromBlock/toBlock")
    return LogFilter(
        from_block=bound("fromBlock"),
        to_block=bound("toBlock"),
        block_hash=_hash(block_hash, "blockHash") if block_hash is not None else None,
        addresses=frozenset(_address(a, "address") for a in addresses),
        topics=topics,
    )


class RpcHandler:
    """Dispatches JSON-RPC requests (single or batch) to the node."""

    def __init__(self, node: Node, *, full_extra_data: bool = False):
        self.node = node
        # web3.py's default middleware refuses blocks whose extraData exceeds 32 bytes
        # (it assumes proof of work). By default blocks report the 32-byte vanity only;
        # `debug_getRawHeader` gives the full sealed header, and `full_extra_data` makes
        # blocks report the whole field, exactly as Besu does.
        self.full_extra_data = full_extra_data
        self._filters: dict[str, InstalledFilter] = {}
        self._filter_ids = itertools.count(1)
        self._filters_lock = threading.Lock()
        self._receipt_class = node.chain_class.vm_configuration[0][1].get_receipt_builder()
        self.methods: dict[str, Callable[[list[Any]], Any]] = {
            "web3_clientVersion": lambda p: CLIENT_VERSION,
            "web3_sha3": lambda p: encode_hex(keccak(_data(_param(p, 0), "data"))),
            "net_version": lambda p: str(node.genesis.chain_id),
            "net_listening": lambda p: True,
            "net_peerCount": lambda p: "0x0",
            "eth_chainId": lambda p: _hex(node.genesis.chain_id),
            "eth_syncing": lambda p: False,
            "eth_mining": lambda p: True,
            "eth_hashrate": lambda p: "0x0",
            "eth_accounts": lambda p: [],
            "eth_coinbase": lambda p: to_checksum_address(node.signer),
            "eth_protocolVersion": lambda p: "0x41",
            # Gas is free (zero base fee): web3.py fills maxPriorityFeePerGas from
            # eth_maxPriorityFeePerGas and maxFeePerGas = priority + 2 * baseFee = 0.
            "eth_gasPrice": lambda p: "0x0",
            "eth_maxPriorityFeePerGas": lambda p: "0x0",
            "eth_blobBaseFee": lambda p: "0x0",
            "eth_feeHistory": self.fee_history,
            "eth_blockNumber": self.block_number,
            "eth_getBalance": self.get_balance,
            "eth_getTransactionCount": self.get_transaction_count,
            "eth_getCode": self.get_code,
            "eth_getStorageAt": self.get_storage_at,
            "eth_getProof": self.get_proof,
            "eth_call": self.call,
            "eth_estimateGas": self.estimate_gas,
            "eth_sendRawTransaction": self.send_raw_transaction,
            "eth_sendTransaction": self.send_transaction,
            "eth_getTransactionByHash": self.get_transaction_by_hash,
            "eth_getTransactionByBlockHashAndIndex": self.get_transaction_by_block_and_index,
            "eth_getTransactionByBlockNumberAndIndex": self.get_transaction_by_block_and_index,
            "eth_getTransactionReceipt": self.get_transaction_receipt,
            "eth_getBlockByNumber": self.get_block,
            "eth_getBlockByHash": self.get_block,
            "eth_getBlockTransactionCountByNumber": self.get_block_transaction_count,
            "eth_getBlockTransactionCountByHash": self.get_block_transaction_count,
            "eth_getUncleCountByBlockNumber": lambda p: "0x0",
            "eth_getUncleCountByBlockHash": lambda p: "0x0",
            "eth_getLogs": self.get_logs,
            "eth_newFilter": self.new_filter,
            "eth_newBlockFilter": self.new_block_filter,
            "eth_getFilterChanges": self.get_filter_changes,
            "eth_getFilterLogs": self.get_filter_logs,
            "eth_uninstallFilter": self.uninstall_filter,
            "clique_getSigners": self.clique_get_signers,
            "clique_getSignersAtHash": self.clique_get_signers,
            "debug_getRawHeader": self.get_raw_header,
            "debug_getRawBlock": self.get_raw_block,
        }

    # -- envelope ----------------------------------------------------------------------

    def handle_bytes(self, body: bytes) -> bytes | None:
        """One HTTP body in, one HTTP body out (None for a batch of notifications)."""
        try:
            request = json.loads(body)
        except (ValueError, RecursionError):
            return _encode(_error_response(None, RpcError(PARSE_ERROR, "parse error")))
        if isinstance(request, list):
            if not request:
                return _encode(_error_response(None, RpcError(INVALID_REQUEST, "empty batch")))
            if len(request) > MAX_BATCH:
                error = RpcError(INVALID_REQUEST, f"batch too large (max {MAX_BATCH})")
                return _encode(_error_response(None, error))
            responses = [r for r in (self.handle(item) for item in request) if r is not None]
            return _encode(responses) if responses else None
        response = self.handle(request)
        return _encode(response) if response is not None else None

    def handle(self, request: Any) -> dict[str, Any] | None:
        if (
            not isinstance(request, dict)
            or request.get("jsonrpc") != "2.0"
            or not isinstance(request.get("method"), str)
        ):
            request_id = request.get("id") if isinstance(request, dict) else None
            if not isinstance(request_id, str | int | None) or isinstance(request_id, bool):
                request_id = None
            return _error_response(request_id, RpcError(INVALID_REQUEST, "invalid request"))
        request_id = request.get("id")
        is_notification = "id" not in request
        params = request.get("params", [])
        if not isinstance(params, list):
            response = _error_response(
                request_id, RpcError(INVALID_PARAMS, "params must be an array")
            )
            return None if is_notification else response
        method = self.methods.get(request["method"])
        try:
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, f"the method {request['method']} does not exist")
            result = method(params)
        except RpcError as exc:
            response = _error_response(request_id, exc)
        except TransactionRejected as exc:
            response = _error_response(request_id, RpcError(SERVER_ERROR, str(exc)))
        except (HeaderNotFound, BlockNotFound):
            response = {"jsonrpc": "2.0", "id": request_id, "result": None}
        except Exception:
            log.exception("internal error in %s", request["method"])
            response = _error_response(request_id, RpcError(INTERNAL_ERROR, "internal error"))
        else:
            response = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return None if is_notification else response

    # -- chain state -------------------------------------------------------------------

    def block_number(self, params: list[Any]) -> str:
        with self.node.lock:
            return _hex(self.node.head.block_number)

    def _header(self, params: list[Any], index: int) -> BlockHeaderAPI:
        ref = _block_ref(_param(params, index, "latest"))
        header = self.node.header_at(ref)
        return header

    def get_balance(self, params: list[Any]) -> str:
        address = _address(_param(params, 0), "address")
        with self.node.lock:
            if _param(params, 1, "latest") == "pending" and self.node.pending is not None:
                return _hex(self.node.pending.vm.state.get_balance(address))
            header = self._header(params, 1)
            return _hex(self.node.account_db(header).get_balance(address))

    def get_transaction_count(self, params: list[Any]) -> str:
        address = _address(_param(params, 0), "address")
        with self.node.lock:
            if _param(params, 1, "latest") == "pending":
                return _hex(self.node.pending_nonce(address))
            header = self._header(params, 1)
            return _hex(self.node.account_db(header).get_nonce(address))

    def get_code(self, params: list[Any]) -> str:
        address = _address(_param(params, 0), "address")
        with self.node.lock:
            header = self._header(params, 1)
            return encode_hex(self.node.account_db(header).get_code(address))

    def get_storage_at(self, params: list[Any]) -> str:
        address = _address(_param(params, 0), "address")
        slot = _quantity(_param(params, 1), "position")
        with self.node.lock:
            header = self._header(params, 2)
            value = self.node.account_db(header).get_storage(address, slot)
        return encode_hex(value.to_bytes(32, "big"))

    def get_proof(self, params: list[Any]) -> dict[str, Any]:
        """EIP-1186: account and storage proofs against the block's state root."""
        address = _address(_param(params, 0), "address")
        raw_keys = _param(params, 1)
        if not isinstance(raw_keys, list) or len(raw_keys) > 1000:
            raise invalid_params("storageKeys: expected a list (at most 1000)")
        slots = [(_quantity_or_word(k), k) for k in raw_keys]
        with self.node.lock:
            header = self._header(params, 2)
            state_trie = HexaryTrie(self.node.store, header.state_root)
            account_key = keccak(address)
            account_proof = _encode_proof(state_trie.get_proof(account_key))
            encoded_account = state_trie.get(account_key)
            if encoded_account:
                account = rlp.decode(encoded_account, sedes=Account)
            else:
                account = Account(0, 0, BLANK_ROOT_HASH, EMPTY_SHA3)
            storage_trie = HexaryTrie(self.node.store, account.storage_root)
            storage_proof = []
            for slot, original in slots:
                slot_key = keccak(slot.to_bytes(32, "big"))
                encoded = storage_trie.get(slot_key)
                value = rlp.decode(encoded, sedes=rlp.sedes.big_endian_int) if encoded else 0
                storage_proof.append(
                    {
                        "key": original,
                        "value": _hex(value),
                        "proof": _encode_proof(storage_trie.get_proof(slot_key)),
                    }
                )
        return {
            "address": to_checksum_address(address),
            "accountProof": account_proof,
            "balance": _hex(account.balance),
            "codeHash": encode_hex(account.code_hash),
            "nonce": _hex(account.nonce),
            "storageHash": encode_hex(account.storage_root),
            "storageProof": storage_proof,
        }

    # -- execution ---------------------------------------------------------------------

    def _call_transaction(
        self, call: Any, header: BlockHeaderAPI, gas: int | None = None
    ) -> SpoofTransaction:
        if not isinstance(call, dict):
            raise invalid_params("transaction: expected an object")
        cap = header.gas_limit
        sender = _address(call["from"], "from") if call.get("from") else Address(b"\0" * 20)
        to = _address(call["to"], "to") if call.get("to") else b""
        if gas is None:
            gas = min(_quantity(call["gas"], "gas"), cap) if call.get("gas") else cap
        price_field = call.get("gasPrice") or call.get("maxFeePerGas")
        gas_price = _quantity(price_field, "gasPrice") if price_field else 0
        value = _quantity(call["value"], "value") if call.get("value") else 0
        raw_data = call.get("input", call.get("data"))
        data = _data(raw_data, "input") if raw_data else b""
        nonce = self.node.account_db(header).get_nonce(sender)
        vm_class = self.node.chain_class.get_vm_class(header)
        unsigned = vm_class.create_unsigned_transaction(
            nonce=nonce, gas_price=gas_price, gas=gas, to=to, value=value, data=data
        )
        return SpoofTransaction(unsigned, from_=sender)

    def _execute(self, call: Any, header: BlockHeaderAPI, gas: int | None = None) -> ComputationAPI:
        tx = self._call_transaction(call, header, gas)
        with self.node.chain.get_vm(header).in_costless_state() as state:
            try:
                return state.costless_execute_transaction(tx)
            except ValidationError as exc:
                raise RpcError(SERVER_ERROR, str(exc).splitlines()[0]) from None

    def call(self, params: list[Any]) -> str:
        with self.node.lock:
            header = self._header(params, 1)
            computation = self._execute(_param(params, 0), header)
        _raise_for_computation(computation)
        return encode_hex(computation.output)

    def estimate_gas(self, params: list[Any]) -> str:
        """Smallest gas limit that succeeds, within 1.5% (geth's tolerance), in few runs.

        One run at the block gas limit gives the gas the call consumes; the answer lies
        between that and the limit (more only through EIP-150's 63/64 rule and refunds),
        so an optimistic guess usually settles it in two or three more runs.
        """
        call = _param(params, 0)
        with self.node.lock:
            header = self._header(params, 1)
            cap = header.gas_limit
            if isinstance(call, dict) and call.get("gas"):
                cap = min(cap, _quantity(call["gas"], "gas"))
            first = self._execute(call, header, cap)
            _raise_for_computation(first)
            consumed = cap - first.get_gas_remaining()
            low, high = consumed - 1, cap
            optimistic = min(cap, (consumed + first.get_gas_refund() + 2300) * 64 // 63)
            if optimistic < high:
                if self._execute(call, header, optimistic).is_error:
                    low = optimistic
                else:
                    high = optimistic
            for _probe in range(64):  # bounded; ends in ~log2(cap / 1.5%) steps at worst
                if high - low <= 1 or (high - low) * 1000 < high * 15:
                    break
                middle = (low + high) // 2
                if self._execute(call, header, middle).is_error:
                    low = middle
                else:
                    high = middle
            return _hex(high)

    def send_raw_transaction(self, params: list[Any]) -> str:
        raw = _data(_param(params, 0), "transaction")
        return encode_hex(self.node.send_raw_transaction(raw))

    def send_transaction(self, params: list[Any]) -> str:
        raise RpcError(
            SERVER_ERROR,
            "this node holds no account keys: sign locally and use eth_sendRawTransaction",
        )

    # -- transactions and receipts -----------------------------------------------------

    def _format_transaction(
        self,
        tx: SignedTransactionAPI,
        header: BlockHeaderAPI | None,
        index: int | None,
        sender: bytes | None = None,
    ) -> dict[str, Any]:
        type_id = _tx_type(tx)
        result: dict[str, Any] = {
            "type": _hex(type_id),
            "hash": encode_hex(tx.hash),
            "nonce": _hex(tx.nonce),
            "blockHash": encode_hex(header.hash) if header else None,
            "blockNumber": _hex(header.block_number) if header else None,
            "transactionIndex": _hex(index) if index is not None else None,
            "from": to_checksum_address(sender if sender is not None else tx.sender),
            "to": to_checksum_address(tx.to) if tx.to else None,
            "value": _hex(tx.value),
            "gas": _hex(tx.gas),
            "input": encode_hex(tx.data),
            "r": _hex(tx.r),
            "s": _hex(tx.s),
        }
        if type_id == 0:
            result["gasPrice"] = _hex(tx.gas_price)
            result["v"] = _hex(tx.v)
            if tx.chain_id is not None:
                result["chainId"] = _hex(tx.chain_id)
        else:
            result["chainId"] = _hex(tx.chain_id)
            result["v"] = _hex(tx.y_parity)
            result["yParity"] = _hex(tx.y_parity)
            result["accessList"] = [
                {
                    "address": to_checksum_address(address),
                    "storageKeys": [encode_hex(k.to_bytes(32, "big")) for k in keys],
                }
                for address, keys in tx.access_list
            ]
            if type_id == 2:
                result["maxFeePerGas"] = _hex(tx.max_fee_per_gas)
                result["maxPriorityFeePerGas"] = _hex(tx.max_priority_fee_per_gas)
                base_fee = header.base_fee_per_gas if header else 0
                result["gasPrice"] = _hex(_effective_gas_price(tx, base_fee))
            else:
                result["gasPrice"] = _hex(tx.gas_price)
        return result

    def _locate(self, tx_hash: Hash32) -> tuple[BlockHeaderAPI, int] | None:
        try:
            number, index = self.node.chain.chaindb.get_transaction_index(tx_hash)
        except TransactionNotFound:
            return None
        return self.node.chain.get_canonical_block_header_by_number(number), index

    def get_transaction_by_hash(self, params: list[Any]) -> dict[str, Any] | None:
        tx_hash = _hash(_param(params, 0), "hash")
        with self.node.lock:
            located = self._locate(tx_hash)
            if located is None:
                pending = self.node.pending
                if pending is not None and tx_hash in pending.index_by_hash:
                    position = pending.index_by_hash[tx_hash]
                    return self._format_transaction(
                        pending.transactions[position], None, None, pending.senders[position]
                    )
                return None
            header, index = located
            tx = self.node.chain.get_canonical_transaction_by_index(header.block_number, index)
            return self._format_transaction(tx, header, index)

    def get_transaction_by_block_and_index(self, params: list[Any]) -> dict[str, Any] | None:
        index = _quantity(_param(params, 1), "index")
        with self.node.lock:
            header = self._block_header_param(_param(params, 0))
            block = self.node.block_by_header(header)
            if index >= len(block.transactions):
                return None
            return self._format_transaction(block.transactions[index], header, index)

    def _receipts(self, header: BlockHeaderAPI) -> tuple[ReceiptAPI, ...]:
        return tuple(self.node.chain.chaindb.get_receipts(header, self._receipt_class))

    def get_transaction_receipt(self, params: list[Any]) -> dict[str, Any] | None:
        tx_hash = _hash(_param(params, 0), "hash")
        with self.node.lock:
            located = self._locate(tx_hash)
            if located is None:
                return None
            header, index = located
            block = self.node.block_by_header(header)
            receipts = self._receipts(header)
            return self._format_receipt(block.transactions, receipts, header, index)

    def _format_receipt(
        self,
        transactions: tuple[SignedTransactionAPI, ...],
        receipts: tuple[ReceiptAPI, ...],
        header: BlockHeaderAPI,
        index: int,
    ) -> dict[str, Any]:
        tx = transactions[index]
        receipt = receipts[index]
        sender = tx.sender
        previous_gas = receipts[index - 1].gas_used if index else 0
        log_offset = sum(len(r.logs) for r in receipts[:index])
        return {
            "type": _hex(_tx_type(tx)),
            "transactionHash": encode_hex(tx.hash),
            "transactionIndex": _hex(index),
            "blockHash": encode_hex(header.hash),
            "blockNumber": _hex(header.block_number),
            "from": to_checksum_address(sender),
            "to": to_checksum_address(tx.to) if tx.to else None,
            "cumulativeGasUsed": _hex(receipt.gas_used),
            "gasUsed": _hex(receipt.gas_used - previous_gas),
            "effectiveGasPrice": _hex(_effective_gas_price(tx, header.base_fee_per_gas)),
            "contractAddress": (
                to_checksum_address(generate_contract_address(sender, tx.nonce))
                if not tx.to
                else None
            ),
            "logs": [
                _format_log(entry, header, tx.hash, index, log_offset + i)
                for i, entry in enumerate(receipt.logs)
            ],
            "logsBloom": encode_hex(receipt.bloom.to_bytes(256, "big")),
            "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
        }

    # -- blocks ------------------------------------------------------------------------

    def _block_header_param(self, value: Any) -> BlockHeaderAPI:
        if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
            return self.node.header_at(BlockRef(hash=_hash(value, "block hash")))
        return self.node.header_at(_block_ref(value))

    def get_block(self, params: list[Any]) -> dict[str, Any] | None:
        full = bool(_param(params, 1, False))
        with self.node.lock:
            header = self._block_header_param(_param(params, 0))
            block = self.node.block_by_header(header)
            if full:
                transactions: list[Any] = [
                    self._format_transaction(tx, header, i)
                    for i, tx in enumerate(block.transactions)
                ]
            else:
                transactions = [encode_hex(tx.hash) for tx in block.transactions]
            score = self.node.chain.chaindb.get_score(header.hash)
        extra = header.extra_data if self.full_extra_data else header.extra_data[:32]
        return {
            "number": _hex(header.block_number),
            "hash": encode_hex(header.hash),
            "parentHash": encode_hex(header.parent_hash),
            "nonce": encode_hex(header.nonce),
            "sha3Uncles": encode_hex(header.uncles_hash),
            "logsBloom": encode_hex(header.bloom.to_bytes(256, "big")),
            "transactionsRoot": encode_hex(header.transaction_root),
            "stateRoot": encode_hex(header.state_root),
            "receiptsRoot": encode_hex(header.receipt_root),
            "miner": to_checksum_address(header.coinbase),
            "difficulty": _hex(header.difficulty),
            "totalDifficulty": _hex(score),
            "extraData": encode_hex(extra),
            "size": _hex(len(rlp.encode(block))),
            "gasLimit": _hex(header.gas_limit),
            "gasUsed": _hex(header.gas_used),
            "timestamp": _hex(header.timestamp),
            "mixHash": encode_hex(header.mix_hash),
            "baseFeePerGas": _hex(header.base_fee_per_gas),
            "transactions": transactions,
            "uncles": [],
        }

    def get_block_transaction_count(self, params: list[Any]) -> str:
        with self.node.lock:
            header = self._block_header_param(_param(params, 0))
            return _hex(len(self.node.chain.chaindb.get_block_transaction_hashes(header)))

    def get_raw_header(self, params: list[Any]) -> str:
        with self.node.lock:
            header = self._block_header_param(_param(params, 0))
        return encode_hex(rlp.encode(header))

    def get_raw_block(self, params: list[Any]) -> str:
        with self.node.lock:
            header = self._block_header_param(_param(params, 0))
            block = self.node.block_by_header(header)
        return encode_hex(rlp.encode(block))

    def fee_history(self, params: list[Any]) -> dict[str, Any]:
        count_param = _param(params, 0)
        count = count_param if isinstance(count_param, int) else _quantity(count_param, "count")
        count = max(0, min(count, MAX_FEE_HISTORY))
        percentiles = _param(params, 2, None) or []
        with self.node.lock:
            newest = self.node.header_at(_block_ref(_param(params, 1, "latest")))
            oldest = max(0, newest.block_number - count + 1)
            headers = [
                self.node.chain.get_canonical_block_header_by_number(n)
                for n in range(oldest, newest.block_number + 1)
            ]
        result: dict[str, Any] = {
            "oldestBlock": _hex(oldest),
            "baseFeePerGas": ["0x0"] * (len(headers) + 1),
            "gasUsedRatio": [h.gas_used / h.gas_limit for h in headers],
        }
        if percentiles:
            result["reward"] = [["0x0"] * len(percentiles) for _ in headers]
        return result

    def clique_get_signers(self, params: list[Any]) -> list[str]:
        # This node casts no Clique votes (nonce and coinbase stay zero), so the signer
        # set is the genesis set at every height.
        return [to_checksum_address(s) for s in sorted(self.node.genesis.signers)]

    # -- logs and filters --------------------------------------------------------------

    def _logs(self, log_filter: LogFilter, default_from: int | None = None) -> list[dict]:
        node = self.node
        if log_filter.block_hash is not None:
            headers: Iterable[BlockHeaderAPI] = [
                node.header_at(BlockRef(hash=log_filter.block_hash))
            ]
        else:
            head = node.head.block_number
            start = log_filter.from_block
            if start is None:
                start = head if default_from is None else default_from
            end = head if log_filter.to_block is None else min(log_filter.to_block, head)
            if end - start + 1 > MAX_LOG_BLOCK_RANGE:
                raise invalid_params(
                    f"block range too large: at most {MAX_LOG_BLOCK_RANGE} blocks per query"
                )
            headers = (
                node.chain.get_canonical_block_header_by_number(n) for n in range(start, end + 1)
            )
        found: list[dict] = []
        for header in headers:
            if not log_filter.may_match_bloom(header.bloom):
                continue
            receipts = self._receipts(header)
            tx_hashes = node.chain.chaindb.get_block_transaction_hashes(header)
            log_index = 0
            for tx_index, receipt in enumerate(receipts):
                for entry in receipt.logs:
                    topics = [t.to_bytes(32, "big") for t in entry.topics]
                    if log_filter.matches(entry.address, topics):
                        found.append(
                            _format_log(entry, header, tx_hashes[tx_index], tx_index, log_index)
                        )
                    log_index += 1
        return found

    def get_logs(self, params: list[Any]) -> list[dict]:
        log_filter = _parse_log_filter(_param(params, 0))
        with self.node.lock:
            return self._logs(log_filter)

    def _install(self, installed: InstalledFilter) -> str:
        with self._filters_lock:
            now = time.monotonic()
            idle = [k for k, f in self._filters.items() if now - f.last_used > FILTER_IDLE_SECONDS]
            for key in idle:
                del self._filters[key]
            if len(self._filters) >= MAX_FILTERS:
                raise RpcError(SERVER_ERROR, f"too many filters (max {MAX_FILTERS})")
            filter_id = hex(next(self._filter_ids))
            self._filters[filter_id] = installed
            return filter_id

    def _filter(self, params: list[Any]) -> InstalledFilter:
        filter_id = _param(params, 0)
        with self._filters_lock:
            installed = self._filters.get(filter_id) if isinstance(filter_id, str) else None
            if installed is None:
                raise RpcError(SERVER_ERROR, "filter not found")
            installed.last_used = time.monotonic()
            return installed

    def new_filter(self, params: list[Any]) -> str:
        log_filter = _parse_log_filter(_param(params, 0))
        with self.node.lock:
            head = self.node.head.block_number
        # As geth: changes are logs of blocks sealed after the filter was installed (and
        # inside its range); eth_getFilterLogs gives the whole range.
        start = max(head + 1, log_filter.from_block or 0)
        return self._install(InstalledFilter("logs", start, log_filter))

    def new_block_filter(self, params: list[Any]) -> str:
        with self.node.lock:
            head = self.node.head.block_number
        return self._install(InstalledFilter("blocks", head + 1))

    def get_filter_changes(self, params: list[Any]) -> list[Any]:
        installed = self._filter(params)
        with self.node.lock:
            head = self.node.head.block_number
            start = installed.next_block
            if start > head:
                return []
            if installed.kind == "blocks":
                changes: list[Any] = [
                    encode_hex(self.node.chain.get_canonical_block_hash(n))
                    for n in range(start, head + 1)
                ]
            else:
                assert installed.log_filter is not None
                window = installed.log_filter
                stop = head if window.to_block is None else min(head, window.to_block)
                if start > stop:
                    return []
                changes = self._logs(LogFilter(start, stop, None, window.addresses, window.topics))
            installed.next_block = head + 1
            return changes

    def get_filter_logs(self, params: list[Any]) -> list[Any]:
        installed = self._filter(params)
        if installed.log_filter is None:
            raise RpcError(SERVER_ERROR, "not a log filter")
        with self.node.lock:
            return self._logs(installed.log_filter)

    def uninstall_filter(self, params: list[Any]) -> bool:
        filter_id = _param(params, 0)
        with self._filters_lock:
            return (
                self._filters.pop(filter_id, None) is not None
                if isinstance(filter_id, str)
                else False
            )


def _quantity_or_word(value: Any) -> int:
    """A storage key: a 32-byte word or a quantity (web3.py sends ``0x0`` for slot 0)."""
    if isinstance(value, str) and value.startswith(("0x", "0X")) and 2 < len(value) <= 66:
        try:
            return int(value, 16)
        except ValueError:
            pass
    raise invalid_params(f"storage key: expected at most 32 bytes of hex, got {value!r}")


def _encode_proof(nodes: Iterable[Any]) -> list[str]:
    """Proof nodes as RLP, as geth returns them: nodes under 32 bytes are embedded in
    their parent, so only the root may be that short (EIP-1186, Yellow Paper app. D)."""
    encoded = [rlp.encode(node) for node in nodes]
    return [encode_hex(e) for i, e in enumerate(encoded) if i == 0 or len(e) >= 32]


def _format_log(
    entry: Any, header: BlockHeaderAPI, tx_hash: bytes, tx_index: int, log_index: int
) -> dict[str, Any]:
    return {
        "address": to_checksum_address(entry.address),
        "topics": [encode_hex(t.to_bytes(32, "big")) for t in entry.topics],
        "data": encode_hex(entry.data),
        "blockNumber": _hex(header.block_number),
        "blockHash": encode_hex(header.hash),
        "blockTimestamp": _hex(header.timestamp),
        "transactionHash": encode_hex(tx_hash),
        "transactionIndex": _hex(tx_index),
        "logIndex": _hex(log_index),
        "removed": False,
    }


def _raise_for_computation(computation: ComputationAPI) -> None:
    if not computation.is_error:
        return
    error = computation.error
    if isinstance(error, Revert):
        output = computation.output
        message = "execution reverted"
        if output[:4] == ERROR_STRING_SELECTOR:
            try:
                (reason,) = abi_decode(["string"], output[4:])
                message = f"execution reverted: {reason}"
            except Exception:
                pass
        raise RpcError(EXECUTION_REVERTED, message, encode_hex(output))
    raise RpcError(SERVER_ERROR, f"execution failed: {type(error).__name__}")


def _error_response(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
