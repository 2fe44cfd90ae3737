"""Anchoring issued batches: send ``anchor(batchRoot, count)``, then record where it went.

A batch from :func:`ledger.issuance.issue_batch` is a directory (one file per credential
plus ``batch.json``) or a JSON Lines file (with ``<stem>.batch.json`` beside it). After the
transaction is mined, each credential's ledger-proof ``anchor`` gets the chain members of
docs/format.md §7.3 (``chainId``, ``registry``, ``transactionHash``, ``blockNumber``) and
the manifest an ``anchor`` object; the manifest is written last, so it says "done" only
when every credential says so.

Anchoring is resumable: if a run stops after the transaction but before the files are
rewritten, running it again finds the root already anchored by this issuer, recovers the
transaction from the registry's ``BatchAnchored`` log, and rewrites the files, without a
second transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier import merkle, registry_layout
from verifier.proofs import ledger_proof

from .client import AnchorResult, RegistryClient
from .errors import ChainError, InputError
from .files import replacing, write_atomic

MANIFEST = "batch.json"
_ANCHOR_MEMBER = ',"anchor":'
_TAIL = "}]}"  # a credential as issue_batch writes it ends with its ledger proof's anchor

Progress = Callable[[int], None]


@dataclass(frozen=True)
class AnchoredBatch:
    """A batch whose root is on chain and whose files say where."""

    anchor: AnchorResult
    count: int
    path: Path
    resumed: bool  # the root was already on chain; no new transaction was sent


def manifest_path(batch: Path) -> Path:
    """Where the manifest of a batch directory or JSON Lines batch lives."""
    batch = Path(batch)
    if batch.suffix.lower() == ".jsonl":
        return batch.with_name(batch.stem + ".batch.json")
    return batch / MANIFEST


def read_manifest(batch: Path) -> dict[str, Any]:
    path = manifest_path(batch)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{batch} is not an issued batch (no {path.name})") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("type") != "CredbankBatch":
        raise InputError(f"{path} is not a batch manifest")
    return manifest


def anchor_batch(
    client: RegistryClient, batch: Path, *, on_progress: Progress | None = None
) -> AnchoredBatch:
    """Anchor an issued batch with ``client``'s account and record it in every credential."""
    batch = Path(batch)
    manifest = read_manifest(batch)
    batch_root = ledger_proof.unhex32(manifest.get("batchRoot"), "batchRoot")
    count = manifest.get("count")
    if type(count) is not int or count < 1:
        raise InputError(f"{manifest_path(batch)}: count must be a positive integer")
    issuer_did = manifest.get("issuer")
    if not isinstance(issuer_did, str):
        raise InputError(f"{manifest_path(batch)}: no issuer")
    _check_account_acts_for(client, issuer_did)
    result = existing_anchor(client, batch_root, issuer_did)
    resumed = result is not None
    if result is None:
        result = client.anchor(batch_root, count)
    record_anchor(batch, result, on_progress=on_progress)
    return AnchoredBatch(result, count, batch, resumed)


def anchor_credential(client: RegistryClient, credential: dict[str, Any]) -> dict[str, Any]:
    """Anchor a credential issued alone (a batch of one) and record it in the credential."""
    proof = _ledger_proof(credential)
    anchor = proof.get("anchor")
    claims_root = ledger_proof.unhex32(proof.get("claimsRoot"), "claimsRoot")
    # A lone credential's batch root is the leaf of its own claims root (format §7.3).
    batch_root = merkle.leaf_hash(claims_root)
    if not isinstance(anchor, dict) or anchor.get("batchRoot") != ledger_proof.hex32(batch_root):
        raise InputError("the credential is not a batch of one (its anchor names another root)")
    issuer_did = credential.get("credentialStatus", {}).get("statusIssuer")
    if not isinstance(issuer_did, str):
        raise InputError("the credential has no statusIssuer")
    _check_account_acts_for(client, issuer_did)
    result = existing_anchor(client, batch_root, issuer_did) or client.anchor(batch_root, 1)
    anchor.update(result.anchor_members())
    return credential


def record_anchor(
    batch: Path, result: AnchorResult, *, on_progress: Progress | None = None
) -> int:
    """Write ``result``'s chain members into every credential of the batch, then the
    manifest. Each file is replaced atomically. Returns the number of credentials."""
    batch = Path(batch)
    manifest = read_manifest(batch)
    expected_root = ledger_proof.hex32(result.batch_root)
    if manifest.get("batchRoot") != expected_root:
        raise InputError(f"{batch} holds batch {manifest.get('batchRoot')}, not {expected_root}")
    members = result.anchor_members()
    done = 0
    if batch.suffix.lower() == ".jsonl":
        with open(batch, encoding="utf-8") as source, replacing(batch) as out:
            for number, line in enumerate(source, 1):
                if not line.strip():
                    continue
                text = _with_chain_members(line.rstrip("\n"), members, expected_root,
                                           f"{batch.name} line {number}")
                out.write((text + "\n").encode("utf-8"))
                done += 1
                if on_progress:
                    on_progress(done)
    else:
        for path in sorted(batch.glob("*.json")):
            if path.name == MANIFEST:
                continue
            text = path.read_text(encoding="utf-8")
            # No fsync per credential: a rename is still atomic for a crashed process, and
            # the manifest (fsynced, written last) is what says the batch is recorded.
            write_atomic(path, _with_chain_members(text, members, expected_root, path.name),
                         durable=False)
            done += 1
            if on_progress:
                on_progress(done)
    if done != manifest.get("count"):
        raise InputError(f"{batch} holds {done} credentials but its manifest says "
                         f"{manifest.get('count')}")
    manifest["anchor"] = members
    write_atomic(manifest_path(batch), json.dumps(manifest, indent=2) + "\n")
    return done


def existing_anchor(
    client: RegistryClient, batch_root: bytes, issuer_did: str
) -> AnchorResult | None:
    """Where ``batch_root`` was anchored, if it was (recovered from the registry's
    ``BatchAnchored`` log); None if it is not on chain.

    Only an anchor by the issuer ``issuer_did`` counts (its credentials name that issuer in
    their status): a root anchored by another issuer raises ChainError.
    """
    existing = client.anchoring_transaction(batch_root)
    if existing is None:
        return None
    if client.batch(batch_root).issuer_number != client.issuer(issuer_did).issuer_number:
        raise ChainError(f"batch {ledger_proof.hex32(batch_root)} was anchored by another issuer")
    return existing


# ---- internals ---------------------------------------------------------------------------


def _check_account_acts_for(client: RegistryClient, issuer_did: str) -> None:
    # Without this, an account bound to another issuer would anchor the batch under that
    # issuer: the registry records the caller's issuer, not the one the files name.
    if client.sender is None:
        raise ChainError("anchoring needs the issuer's anchoring account")
    bound = client.account_issuer(client.sender).issuer_id
    if bound is not None and bound != registry_layout.issuer_id(issuer_did):
        raise ChainError(
            f"account {client.sender} anchors for another issuer than {issuer_did}"
        )


def _ledger_proof(credential: dict[str, Any]) -> dict[str, Any]:
    for proof in credential.get("proof", []) if isinstance(credential, dict) else []:
        if isinstance(proof, dict) and proof.get("type") == ledger_proof.TYPE:
            return proof
    raise InputError(f"no {ledger_proof.TYPE} in the credential")


def _with_chain_members(text: str, members: dict[str, Any], batch_root: str, where: str) -> str:
    """The credential text with the chain members added to its ledger proof's anchor."""
    # Fast path for issue_batch's compact output, whose text ends with the anchor object:
    # only that object is parsed, so rewriting 100,000 credentials stays cheap.
    head, found, tail = text.rpartition(_ANCHOR_MEMBER)
    if found and tail.endswith(_TAIL):
        try:
            anchor = json.loads(tail[: -len(_TAIL)])
        except ValueError:
            anchor = None
        if isinstance(anchor, dict) and anchor.get("batchRoot") == batch_root:
            anchor.update(members)
            return head + _ANCHOR_MEMBER + json.dumps(anchor, separators=(",", ":")) + _TAIL
    try:
        credential = json.loads(text)
    except ValueError:
        raise InputError(f"{where} is not JSON") from None
    anchor = _ledger_proof(credential).get("anchor")
    if not isinstance(anchor, dict) or anchor.get("batchRoot") != batch_root:
        raise InputError(f"{where} does not belong to batch {batch_root}")
    anchor.update(members)
    if "\n" in text:
        return json.dumps(credential, ensure_ascii=False, indent=2) + "\n"
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
