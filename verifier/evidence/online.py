"""Chain evidence fetched from a JSON-RPC endpoint, and checked as if it came in a bundle.

``--online RPC_URL`` asks a node for the latest sealed header and for EIP-1186 proofs, but
believes none of its answers: the header is rebuilt from its fields and must hash to the
block hash the node gave and be sealed by a pinned signer (EIP-225), and every storage word
is read by walking the returned proof nodes from that header's state root, never taken
from the ``value`` the node reports. Standard library HTTP only.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from . import documents as docs
from . import header as headers
from .bundle import (
    ChainEvidence,
    SignerPin,
    check_pin,
    checksum_address,
    parse_address,
    registry_account,
    verify_header,
)
from .errors import EvidenceError, HeaderError
from .status_log import BATCH_REVOKED, TOPICS, StatusEvent, decode_log, issuer_topic
from .trie_proofs import NodePool

MAX_RESPONSE_BYTES = 64 << 20
PROOF_SLOTS_PER_CALL = 500  # well under the embedded node's limit of 1,000 keys


class RpcError(EvidenceError):
    """The endpoint could not be reached or answered with an error."""


class Rpc(Protocol):
    def call(self, method: str, params: Sequence[Any]) -> Any: ...


class HttpRpc:
    """A minimal JSON-RPC 2.0 client over HTTP(S), on urllib."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise RpcError(f"not an http(s) RPC URL: {url}")
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)

    def call(self, method: str, params: Sequence[Any]) -> Any:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        ).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = response.read(MAX_RESPONSE_BYTES + 1)
        except (urllib.error.URLError, OSError) as exc:
            raise RpcError(f"{method}: cannot reach {self.url}: {exc}") from None
        if len(data) > MAX_RESPONSE_BYTES:
            raise RpcError(f"{method}: answer larger than {MAX_RESPONSE_BYTES} bytes")
        try:
            answer = json.loads(data)
        except ValueError:
            raise RpcError(f"{method}: answer is not JSON") from None
        if not isinstance(answer, dict):
            raise RpcError(f"{method}: answer is not a JSON-RPC object")
        if answer.get("error") is not None:
            error = answer["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise RpcError(f"{method}: {message}")
        return answer.get("result")


def _hex_int(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RpcError(f"{what} is not a hex quantity")
    try:
        return int(value, 16)
    except ValueError:
        raise RpcError(f"{what} is not a hex quantity") from None


def _bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RpcError(f"{what} is not 0x-hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise RpcError(f"{what} is not 0x-hex") from None


def fetch_header(rpc: Rpc, block: str = "latest") -> headers.Header:
    """The sealed header of ``block``, rebuilt and checked against the node's block hash.

    Nodes that report only the 32-byte vanity of a Clique ``extraData`` (so that clients
    built for proof of work accept the block) cannot have their header rebuilt from the
    fields; then ``debug_getRawHeader`` supplies the RLP, which must hash the same.
    """
    answer = rpc.call("eth_getBlockByNumber", [block, False])
    if not isinstance(answer, dict):
        raise RpcError(f"eth_getBlockByNumber: no block {block}")
    expected = _bytes(answer.get("hash"), "block hash")
    rebuilt = headers.from_rpc(answer)
    if rebuilt.hash == expected:
        return rebuilt
    if len(rebuilt.extra_data) == headers.EXTRA_VANITY:
        raw = rpc.call("debug_getRawHeader", [hex(rebuilt.number)])
        full = headers.decode(_bytes(raw, "raw header"))
        if full.hash == expected:
            return full
    raise HeaderError(f"block {rebuilt.number}: the header fields do not hash to its hash")


def fetch_signers(rpc: Rpc, block_number: int) -> list[bytes] | None:
    """``clique_getSigners`` at a block, or None when the node does not offer it."""
    try:
        answer = rpc.call("clique_getSigners", [hex(block_number)])
    except RpcError:
        return None
    if not isinstance(answer, list):
        return None
    return [parse_address(a, "clique_getSigners") for a in answer]


def fetch_proof_nodes(
    rpc: Rpc, registry: bytes, slots: Iterable[int], block_number: int
) -> tuple[list[bytes], list[bytes]]:
    """(account proof nodes, storage proof nodes) from ``eth_getProof`` (EIP-1186)."""
    account_nodes: list[bytes] = []
    storage_nodes: list[bytes] = []
    wanted = list(slots)
    batches = [wanted[i : i + PROOF_SLOTS_PER_CALL]
               for i in range(0, len(wanted), PROOF_SLOTS_PER_CALL)] or [[]]
    for batch in batches:
        answer = rpc.call(
            "eth_getProof",
            [checksum_address(registry), ["0x" + s.to_bytes(32, "big").hex() for s in batch],
             hex(block_number)],
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("accountProof"), list):
            raise RpcError("eth_getProof: not an EIP-1186 answer")
        if not account_nodes:
            account_nodes = [_bytes(n, "accountProof node") for n in answer["accountProof"]]
        entries = answer.get("storageProof")
        if not isinstance(entries, list) or len(entries) != len(batch):
            raise RpcError("eth_getProof: storageProof does not answer every slot")
        for entry in entries:
            proof = entry.get("proof") if isinstance(entry, dict) else None
            if not isinstance(proof, list):
                raise RpcError("eth_getProof: a storage proof is not a list")
            storage_nodes += [_bytes(n, "storage proof node") for n in proof]
    return account_nodes, storage_nodes


class RpcLog:
    """Status changes read from the node's logs (``eth_getLogs``), on first use per issuer
    or batch, up to the evidence's block. Reported by the node, not proven; a node that
    cannot answer leaves the changes unknown (docs/format.md §13.6)."""

    reporter = "node"
    source = "reported by the node, not proven"

    def __init__(self, rpc: Rpc, registry: bytes, to_block: int) -> None:
        self._rpc, self._registry, self._to_block = rpc, registry, to_block
        self._times: dict[int, int] = {}
        self._issuers: dict[str, list[StatusEvent]] = {}
        self._batches: dict[bytes, list[StatusEvent]] = {}

    def _events(self, topics: list[Any], did_of: Callable[[bytes], str | None]
                ) -> list[StatusEvent]:
        logs = self._rpc.call("eth_getLogs", [{
            "address": checksum_address(self._registry), "fromBlock": "0x0",
            "toBlock": hex(self._to_block), "topics": topics}])
        if not isinstance(logs, list):
            raise RpcError("eth_getLogs: not a list of logs")
        events = []
        for entry in logs:
            if not isinstance(entry, dict):
                continue
            try:
                block = _hex_int(entry.get("blockNumber"), "log blockNumber")
            except RpcError:
                continue
            event = decode_log(entry, self._time(block), did_of)
            if event is not None:
                events.append(event)
        return events

    def _time(self, block: int) -> int:
        known = self._times.get(block)
        if known is None:
            answer = self._rpc.call("eth_getBlockByNumber", [hex(block), False])
            if not isinstance(answer, dict):
                raise RpcError(f"eth_getBlockByNumber: no block {block}")
            known = self._times[block] = _hex_int(answer.get("timestamp"), "block timestamp")
        return known

    def for_issuer(self, did: str) -> Sequence[StatusEvent]:
        if did not in self._issuers:
            topic = issuer_topic(did)
            self._issuers[did] = self._events(
                [["0x" + t.hex() for t in TOPICS], "0x" + topic.hex()],
                lambda seen: did if seen == topic else None)
        return self._issuers[did]

    def for_batch(self, batch_root: bytes) -> Sequence[StatusEvent]:
        if batch_root not in self._batches:
            self._batches[batch_root] = self._events(
                ["0x" + BATCH_REVOKED.hex(), "0x" + batch_root.hex()], lambda _: None)
        return self._batches[batch_root]


def fetch_evidence(
    rpc: Rpc | str,
    registry: bytes | str,
    *,
    pin: SignerPin | None = None,
    block: str = "latest",
    names: dict[str, str] | None = None,
    authority: str | None = None,
    documents: Iterable[Any] = (),
) -> ChainEvidence:
    """Evidence at ``block`` (latest by default), checked against ``pin`` when given.

    Storage words are fetched on first use, one ``eth_getProof`` per slot, and verified
    against the same header. ``names`` and ``authority`` are display names only;
    ``documents`` (read frameworks, catalogues, rule sets of ``verifier.credit``) are given
    with the evidence, each under its own hash (``verifier.published`` uses them).
    """
    carried = docs.carried_from(documents)
    client: Rpc = HttpRpc(rpc) if isinstance(rpc, str) else rpc
    registry_bytes = parse_address(registry, "registry") if isinstance(registry, str) else registry
    chain_id = _hex_int(client.call("eth_chainId", []), "eth_chainId")
    sealed = fetch_header(client, block)
    signers = list(pin.signers) if pin is not None else fetch_signers(client, sealed.number)
    if signers is None:
        # Without clique_getSigners and without a pin, the sealer is the only signer known;
        # every detail says the set is not pinned.
        signers = [sealed.signer()]
    check_pin(chain_id, signers if pin is None else list(pin.signers), pin)
    _, sealer = verify_header(sealed.encode(), expected_hash=sealed.hash, number=None,
                              timestamp=None, signers=signers)
    account_nodes, _ = fetch_proof_nodes(client, registry_bytes, [], sealed.number)
    pool = NodePool(account_nodes)
    account = registry_account(pool, sealed.state_root, registry_bytes)

    def fetch_slots(slots: Sequence[int]) -> list[bytes]:
        return fetch_proof_nodes(client, registry_bytes, slots, sealed.number)[1]

    fetcher: Callable[[Sequence[int]], list[bytes]] = fetch_slots
    return ChainEvidence(
        chain_id=chain_id,
        registry=registry_bytes,
        signers=frozenset(signers),
        pinned=pin is not None,
        block_number=sealed.number,
        block_hash=sealed.hash,
        block_time=sealed.timestamp,
        sealer=sealer,
        storage_root=account.storage_root,
        pool=pool,
        names=dict(names or {}),
        fetch_slots=fetcher,
        authority=authority,
        status_log=RpcLog(client, registry_bytes, sealed.number),
        documents={d.hash: d for d in carried},
    )
