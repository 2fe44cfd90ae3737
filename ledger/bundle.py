"""Trust bundle export: the evidence an offline verifier needs, from any JSON-RPC node.

``export_bundle`` reads the registry's history from its events (``eth_getLogs``) to learn
every issuer, key, anchoring account, anchored batch root and the highest status index
in use, then asks ``eth_getProof`` (EIP-1186) at one sealed block for every word a
verifier may look up, and writes the proof nodes into a de-duplicated pool
(docs/format.md §13). Only standard methods are used (``eth_chainId``,
``eth_getBlockByNumber``, ``eth_getLogs``, ``eth_getProof``, and ``clique_getSigners``
when the node has it), so the embedded node, Besu and geth serve alike.

Status words are exported for every word index from 0 to the issuer's highest, zero words
included: their absence proofs are what lets a verifier say "not revoked" offline. Upper
trie nodes are shared by all words, so the pool grows by roughly the leaf and its parent
per word. The issuer word of any other DID the bundle is asked about is proven too, so
that a verifier can show such an issuer has no record in the registry.

On a registry with documents and accreditation scopes (docs/contracts.md), every issuer's
scope word is proven as well, and the word of each document the exporter is asked about;
the documents given as JSON travel in the bundle (``documents``) for the verifier to
recompute their hashes. A registry of an earlier release has neither: its bundle leaves
scopes out, and asking it for documents is an error.

Two members are reported, not proven (docs/format.md §13.1): ``authority``, the name of
whoever runs the registry, as the exporter is told it; and ``statusEvents``, each status
change's block, time, transaction and reason code, read from the registry's events.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak
from web3 import Web3

import contracts
from verifier import published, registry_layout, timefmt
from verifier.evidence import bundle as bundles
from verifier.evidence import documents as docs
from verifier.evidence import online
from verifier.evidence.errors import EvidenceError
from verifier.evidence.status_log import StatusEvent, decode_log

from .errors import ChainError
from .files import write_atomic

LOG_BLOCK_RANGE = 10_000  # blocks per eth_getLogs call; public nodes cap ranges
Progress = Callable[[str, int, int], None]


class BundleExportError(ChainError):
    """The node could not be read, or its answers do not make a bundle that verifies."""


class _Web3Rpc:
    """web3.py's provider as the verifier's minimal RPC interface."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3

    def call(self, method: str, params: Sequence[Any]) -> Any:
        answer = self._w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if answer.get("error") is not None:
            error = answer["error"]
            raise online.RpcError(
                f"{method}: {error.get('message') if isinstance(error, dict) else error}")
        return _plain(answer.get("result"))


def _plain(value: Any) -> Any:
    """web3.py may wrap answers (AttributeDict, HexBytes); the verifier reads plain JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def rpc_for(source: str | Web3 | online.Rpc) -> online.Rpc:
    if isinstance(source, str):
        return online.HttpRpc(source, timeout=120)
    if isinstance(source, Web3):
        return _Web3Rpc(source)
    return source


# ---- what the registry's events say exists -----------------------------------------------


@dataclass
class IssuerHistory:
    """Everything exported for one issuer, gathered from the registry's events."""

    issuer_id: bytes
    did: str = ""
    name: str = ""
    keys: set[bytes] = field(default_factory=set)
    accounts: set[bytes] = field(default_factory=set)
    roots: set[bytes] = field(default_factory=set)
    anchored_count: int = 0
    # status words a status event touched (an index may lie far beyond anchored_count)
    touched_words: set[int] = field(default_factory=set)
    # the status events themselves (and batch revocations), as eth_getLogs gave them
    status_logs: list[dict[str, Any]] = field(default_factory=list)

    def status_words(self) -> list[int]:
        """Status word indices to export: every word the issuer's anchored credentials can
        use (indices 0 … anchored_count-1, handed out densely) and every word a status
        event touched. Only what exists is exported, so a stray huge index costs one word.
        """
        dense = 0
        if self.anchored_count:
            dense = registry_layout.status_position(self.anchored_count - 1)[0] + 1
        return sorted(set(range(dense)) | self.touched_words)

    def slots(self) -> list[int]:
        iid = self.issuer_id
        out = [registry_layout.issuer_slot(iid)]
        out += [registry_layout.key_slot(iid, k) for k in sorted(self.keys)]
        out += [registry_layout.account_slot(a) for a in sorted(self.accounts)]
        out += [registry_layout.root_slot(r) for r in sorted(self.roots)]
        for word in self.status_words():
            out.append(registry_layout.revocation_slot(iid, word))
            out.append(registry_layout.suspension_slot(iid, word))
        return out


# The status events carry their reason code in the top byte of the word that carries the
# status index (one-index calls) or the word index (list calls): docs/contracts.md, Events.
_INDEX_BITS = (1 << 248) - 1


def _event_topics() -> dict[bytes, dict[str, Any]]:
    return contracts.load("CredentialRegistry").events_by_topic()


def _decode_log(entry: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    topics = [bytes.fromhex(t[2:]) for t in entry["topics"][1:]]
    data = bytes.fromhex(entry["data"][2:])
    indexed = [i for i in event["inputs"] if i["indexed"]]
    plain = [i for i in event["inputs"] if not i["indexed"]]
    values: dict[str, Any] = {}
    for param, topic in zip(indexed, topics, strict=True):
        if param["type"] == "address":
            values[param["name"]] = topic[12:]
        elif param["type"] == "bytes32":
            values[param["name"]] = topic
        else:
            values[param["name"]] = int.from_bytes(topic, "big")
    decoded = abi_decode([p["type"] for p in plain], data)
    values.update({p["name"]: v for p, v in zip(plain, decoded, strict=True)})
    return values


def read_history(
    rpc: online.Rpc, registry: bytes, to_block: int, *, from_block: int = 0,
    on_progress: Progress | None = None,
) -> dict[bytes, IssuerHistory]:
    """Issuers and what they hold, from the registry's events up to ``to_block``."""
    topics = _event_topics()
    issuers: dict[bytes, IssuerHistory] = {}

    def of(issuer_id: bytes) -> IssuerHistory:
        return issuers.setdefault(issuer_id, IssuerHistory(issuer_id))

    address = bundles.checksum_address(registry)
    start = from_block
    while start <= to_block:
        stop = min(to_block, start + LOG_BLOCK_RANGE - 1)
        logs = rpc.call("eth_getLogs", [{"address": address, "fromBlock": hex(start),
                                         "toBlock": hex(stop)}])
        for entry in logs or []:
            event = topics.get(bytes.fromhex(entry["topics"][0][2:])) if entry["topics"] else None
            if event is None:
                continue
            name = event["name"]
            values = _decode_log(entry, event)
            if name == "IssuerAccredited":
                history = of(values["issuerId"])
                history.did, history.name = values["did"], values["name"]
            elif name == "IssuerKeyAdded":
                of(values["issuerId"]).keys.add(values["publicKey"])
            elif name == "AnchoringAccountAuthorized":
                of(values["issuerId"]).accounts.add(values["account"])
            elif name == "BatchAnchored":
                history = of(values["issuerId"])
                history.roots.add(values["batchRoot"])
                history.anchored_count += values["count"]
            elif name in ("CredentialRevoked", "CredentialSuspended", "CredentialReinstated"):
                status_index = values["reasonAndStatusIndex"] & _INDEX_BITS
                word, _ = registry_layout.status_position(status_index)
                of(values["issuerId"]).touched_words.add(word)
                of(values["issuerId"]).status_logs.append(entry)
            elif name in ("CredentialsRevoked", "CredentialsSuspended", "CredentialsReinstated"):
                word_index = values["reasonAndWordIndex"] & _INDEX_BITS
                of(values["issuerId"]).touched_words.add(word_index)
                of(values["issuerId"]).status_logs.append(entry)
            elif name == "BatchRevoked":
                of(values["issuerId"]).status_logs.append(entry)
        if on_progress is not None:
            on_progress("events", stop - from_block + 1, to_block - from_block + 1)
        start = stop + 1
    return issuers


# ---- the bundle --------------------------------------------------------------------------


def _quantity(value: Any) -> int:
    return value if isinstance(value, int) else int(value, 16)


def status_events(rpc: online.Rpc, issuers: dict[bytes, IssuerHistory]) -> list[StatusEvent]:
    """Every status change the registry logged, with its block's time (one
    ``eth_getBlockByNumber`` per block that holds one), in chain order."""
    dids = {h.issuer_id: h.did for h in issuers.values() if h.did}
    times: dict[int, int] = {}
    events = []
    for history in issuers.values():
        for entry in history.status_logs:
            block = _quantity(entry["blockNumber"])
            if block not in times:
                header = rpc.call("eth_getBlockByNumber", [hex(block), False])
                if not isinstance(header, dict):
                    raise BundleExportError(f"eth_getBlockByNumber: no block {block}")
                times[block] = _quantity(header["timestamp"])
            event = decode_log(entry, times[block], dids.get)
            if event is not None:
                events.append((block, _quantity(entry.get("logIndex", 0)), event))
    return [event for _, _, event in sorted(events, key=lambda e: e[:2])]


_DOCUMENT_WORD = keccak(text="documentWord(bytes32)")[:4]


def has_documents_and_scopes(rpc: online.Rpc, registry: bytes, block: int) -> bool:
    """Whether the registry's code has documents and scopes (a view call that a registry of
    an earlier release, without the function, reverts)."""
    call = {"to": bundles.checksum_address(registry),
            "data": "0x" + (_DOCUMENT_WORD + bytes(32)).hex()}
    try:
        answer = rpc.call("eth_call", [call, hex(block)])
    except online.RpcError:
        return False
    return isinstance(answer, str) and len(answer) == 66


def _documents(hashes: Iterable[bytes | str], contents: Iterable[Any]
               ) -> list[docs.CarriedDocument]:
    try:
        read = [published.parse_content(raw, f"document {i + 1}")
                for i, raw in enumerate(contents)]
        carried = {d.hash: d for d in docs.carried_from(read)}
        for value in hashes:
            digest = docs.document_hash(value)
            carried.setdefault(digest, docs.CarriedDocument(digest))
    except (ValueError, EvidenceError) as exc:
        raise BundleExportError(f"documents to export: {exc}") from None
    return list(carried.values())


def export_bundle(
    source: str | Web3 | online.Rpc,
    registry: str,
    *,
    block: str | int = "latest",
    from_block: int = 0,
    now: datetime | None = None,
    on_progress: Progress | None = None,
    authority: str | None = None,
    dids: Iterable[str] = (),
    document_hashes: Iterable[bytes | str] = (),
    documents: Iterable[Any] = (),
    history: bool = True,
) -> dict[str, Any]:
    """A trust bundle (docs/format.md §13) for ``registry`` at ``block``, verified.

    ``dids``: more issuers to prove the issuer word of, accredited or not (a zero word is
    proven absent). ``authority``: the registry's operator by name, written as reported.
    ``document_hashes``: documents (32 bytes or 0x hex) to prove the word of, published or
    not; ``documents``: frameworks, catalogues or rule sets as JSON, proven the same way and
    carried in the bundle. ``history`` False leaves out what the registry's events name
    (every issuer, key, batch root and status word): a small bundle that proves only the
    facts asked for, e.g. the documents a learner's attendance record cites.
    """
    carried = _documents(document_hashes, documents)
    tag = hex(block) if isinstance(block, int) else block
    if authority is not None and not 0 < len(authority) <= bundles.MAX_AUTHORITY_CHARS:
        raise BundleExportError(
            f"the authority's name must be 1 to {bundles.MAX_AUTHORITY_CHARS} characters")
    try:
        rpc = rpc_for(source)
        registry_bytes = bundles.parse_address(registry, "registry")
        chain_id = int(rpc.call("eth_chainId", []), 16)
        sealed = online.fetch_header(rpc, tag)
        signers = online.fetch_signers(rpc, sealed.number) or [sealed.signer()]
        issuers = read_history(rpc, registry_bytes, sealed.number, from_block=from_block,
                               on_progress=on_progress) if history else {}
        asked_ids = [registry_layout.issuer_id(d) for d in dids]
        asked = [registry_layout.issuer_slot(i) for i in asked_ids]
        if has_documents_and_scopes(rpc, registry_bytes, sealed.number):
            asked += [registry_layout.scope_slot(i) for i in [*issuers, *asked_ids]]
            asked += [registry_layout.document_slot(d.hash) for d in carried]
        elif carried:
            raise BundleExportError(
                f"registry {bundles.checksum_address(registry_bytes)} predates document "
                "publication (deployed by an earlier release): it has no documents to prove")
        slots = list(dict.fromkeys([*(s for h in issuers.values() for s in h.slots()),
                                    *asked]))
        account_nodes, _ = online.fetch_proof_nodes(rpc, registry_bytes, [], sealed.number)
        pool: dict[bytes, None] = dict.fromkeys(account_nodes)
        chunk = online.PROOF_SLOTS_PER_CALL
        for done in range(0, len(slots), chunk):
            _, nodes = online.fetch_proof_nodes(rpc, registry_bytes, slots[done:done + chunk],
                                                sealed.number)
            pool.update(dict.fromkeys(nodes))
            if on_progress is not None:
                on_progress("proofs", min(done + chunk, len(slots)), len(slots))
        events = status_events(rpc, issuers)
    except EvidenceError as exc:
        raise BundleExportError(str(exc)) from None
    document: dict[str, Any] = {
        "type": bundles.TYPE,
        "version": bundles.VERSION,
        "chainId": chain_id,
        "registry": bundles.checksum_address(registry_bytes),
        "signers": [bundles.checksum_address(s) for s in sorted(set(signers))],
        "checkpoint": {
            "number": sealed.number,
            "hash": "0x" + sealed.hash.hex(),
            "timestamp": sealed.timestamp,
            "header": "0x" + sealed.encode().hex(),
        },
        "nodes": ["0x" + n.hex() for n in pool],
        "slots": ["0x" + s.to_bytes(32, "big").hex() for s in slots],
        "issuers": [{"did": h.did, "name": h.name}
                    for h in sorted(issuers.values(), key=lambda h: h.did) if h.did],
        "exportedAt": timefmt.format(now or timefmt.now()),
    }
    if authority is not None:
        document["authority"] = authority
    if events:
        document["statusEvents"] = [e.to_json() for e in events]
    if carried:
        document["documents"] = [
            {"hash": "0x" + d.hash.hex(), **({"content": d.content}
                                             if d.content is not None else {})}
            for d in carried]
    _self_check(document, slots)
    return document


def _self_check(document: dict[str, Any], slots: Iterable[int]) -> None:
    """Never hand out a bundle that does not verify or cannot answer what it vouches for."""
    try:
        evidence = bundles.load_evidence(document)
        for slot in slots:
            evidence.word(slot)
        published.carried_documents(evidence)
    except EvidenceError as exc:
        raise BundleExportError(f"the exported bundle does not verify: {exc}") from None


def export_pin(source: str | Web3 | online.Rpc, registry: str | None = None) -> dict[str, Any]:
    """A pin file: chain id and the Clique signer set at the latest block (and registry).

    Pinning is a trust decision: the operator should compare it with the chain's genesis
    or governance records before handing it to relying parties.
    """
    try:
        rpc = rpc_for(source)
        chain_id = int(rpc.call("eth_chainId", []), 16)
        sealed = online.fetch_header(rpc, "latest")
        signers = online.fetch_signers(rpc, sealed.number) or [sealed.signer()]
        if sealed.number and sealed.signer() not in signers:
            raise BundleExportError("the latest block is not sealed by the reported signers")
    except EvidenceError as exc:
        raise BundleExportError(str(exc)) from None
    pin: dict[str, Any] = {
        "chainId": chain_id,
        "signers": [bundles.checksum_address(s) for s in sorted(set(signers))],
    }
    if registry is not None:
        try:
            address = bundles.parse_address(registry, "registry")
        except EvidenceError as exc:
            raise BundleExportError(str(exc)) from None
        pin["registry"] = bundles.checksum_address(address)
    return pin


def write_json(document: dict[str, Any], path: str | Path) -> int:
    """Write compact JSON atomically; gzip it when the name ends in ``.gz``. Returns bytes."""
    path = Path(path)
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return write_atomic(path, data)
