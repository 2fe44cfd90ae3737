"""Issuing and what follows it: issue, derive, anchor, and the status changes on chain.

    credbank issue --issuer DIR RECORDS [--out FILE|DIR] [--no-anchor]
    credbank derive CREDENTIAL --reveal POINTER... [--out FILE]
    credbank anchor --issuer DIR BATCH
    credbank revoke|suspend|reinstate --issuer DIR (CREDENTIAL_FILE... | --index N...)
    credbank revoke-batch --issuer DIR BATCH

Refusals by the registry exit 2 with the custom error's name and a plain reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.errors import CommandError
from api.cli.shared import AsJson, IssuerDir, emit, err, write_json
from ledger import ChainError, anchor_batch, anchor_credential
from ledger.anchoring import read_manifest
from ledger.errors import InputError
from ledger.governance import MAX_REASON, issuer_client, status_registry
from ledger.issuance import IssuerIdentity, LearningRecord, issue_batch, issue_one, read_records
from ledger.issuance.records import count_records
from ledger.issuance.signing import single_batch
from verifier import derive_copy, jsonio
from verifier.proofs import ledger_proof


def issue(
    issuer: IssuerDir,
    source: Annotated[Path, typer.Argument(help="learning records: .json, .jsonl or .csv")],
    out: Annotated[Path | None, typer.Option("--out", "-o",
                   help="file for one credential; directory for a batch")] = None,
    no_anchor: Annotated[bool, typer.Option("--no-anchor", help="do not anchor now, even "
                         "though the issuer has a chain (see: credbank anchor)")] = False,
) -> None:
    """Issue credentials: one from a .json object, or a batch (one batch root) from .jsonl,
    .csv or a .json array.

    One credential goes to --out FILE or stdout; a batch needs --out DIR. When the issuer
    has a chain, the credentials name its registry and are anchored unless --no-anchor.
    """
    identity = IssuerIdentity.load(issuer)
    registry = status_registry(identity)
    anchoring = registry is not None and not no_anchor
    single = _single_record(source)
    if single is not None:
        with identity.reserve_status_indices() as indices:
            credential, root = issue_one(single, identity, status_index=indices.take(),
                                         status_registry=registry)
        credential = single_batch(credential, root)
        try:
            if anchoring:
                anchor_issued(identity, credential)
        finally:  # issued is issued: written out even when anchoring fails
            write_json(credential, out)
        return
    if out is None:
        raise CommandError("a batch needs --out DIR")
    total = count_records(source)
    with Progress(TextColumn("issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("issue", total=total)
        result = issue_batch(read_records(source), identity, out, status_registry=registry,
                             on_progress=lambda n: progress.update(task, completed=n))
    manifest = result.manifest
    if anchoring:
        try:
            manifest = {**manifest, "anchor": anchor_issued(identity, out)}
        except ChainError as exc:
            raise CommandError(f"{result.count} credentials issued in {out} but not anchored: "
                               f"{exc}; anchor them with: credbank anchor --issuer {issuer} "
                               f"{out}") from None
    print(json.dumps(manifest, ensure_ascii=False))
    err.print(f"{result.count} credentials in {out}, batch root {result.manifest['batchRoot']}")


def _single_record(source: Path) -> LearningRecord | None:
    if source.suffix.lower() != ".json":
        return None
    raw = jsonio.load_path(source, max_bytes=1 << 20) if source.stat().st_size < (1 << 20) \
        else None
    if isinstance(raw, dict):
        return LearningRecord.from_json(raw, source.name)
    return None


def derive(
    credential: Annotated[Path, typer.Argument(help="the learner's full copy")],
    reveal: Annotated[list[str], typer.Option("--reveal", "-r",
                      help="JSON pointer to disclose (repeatable); mandatory claims always are")],
    out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
) -> None:
    """Derive a copy that discloses only the chosen fields."""
    full = jsonio.load_path(credential)
    write_json(derive_copy(full, reveal), out)


# ---- anchoring ----------------------------------------------------------------------------


def anchor_issued(identity: IssuerIdentity, target: Path | dict[str, Any]) -> dict[str, Any]:
    """Anchor a batch (directory or .jsonl path) or a lone credential (dict, updated)."""
    client = issuer_client(identity)
    if isinstance(target, dict):
        anchor_credential(client, target)
        return target
    total = read_manifest(target).get("count")
    with Progress(TextColumn("anchoring"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("anchor", total=total)
        anchored = anchor_batch(client, target,
                                on_progress=lambda n: progress.update(task, completed=n))
    return {**anchored.anchor.anchor_members(), "count": anchored.count,
            "resumed": anchored.resumed}


def anchor(
    issuer: IssuerDir,
    batch: Annotated[Path, typer.Argument(
        help="batch directory, .jsonl batch, or one credential .json issued alone")],
    as_json: AsJson = False,
) -> None:
    """Anchor a batch issued with --no-anchor (or whose anchoring was cut short)."""
    identity = IssuerIdentity.load(issuer)
    if batch.is_file() and batch.suffix.lower() == ".json":
        credential = jsonio.load_path(batch)
        if not isinstance(credential, dict):
            raise InputError(f"{batch} is not a credential")
        anchor_issued(identity, credential)
        write_json(credential, batch)
        members = _ledger_anchor(credential)
        emit(members, f"anchored {batch} in transaction {members['transactionHash']}", as_json)
        return
    if not batch.exists():
        raise InputError(f"{batch} does not exist")
    summary = anchor_issued(identity, batch)
    line = (f"{summary['count']} credentials of {batch} anchored in transaction "
            f"{summary['transactionHash']} (block {summary['blockNumber']})")
    emit(summary, line + (" — it was already on chain" if summary["resumed"] else ""), as_json)


def _ledger_anchor(credential: dict[str, Any]) -> dict[str, Any]:
    for proof in credential.get("proof", []):
        if isinstance(proof, dict) and proof.get("type") == ledger_proof.TYPE:
            return proof.get("anchor") or {}
    raise InputError("the credential has no ledger proof")


# ---- status changes -----------------------------------------------------------------------


def _status_indices(identity: IssuerIdentity, files: list[Path], indices: list[int]
                    ) -> list[int]:
    if bool(files) == bool(indices):
        raise InputError("give credential files or --index, not both and not neither")
    if indices:
        if any(i < 0 or i >= 2**64 for i in indices):
            raise InputError("a status index is between 0 and 2^64-1")
        return list(dict.fromkeys(indices))
    expected_registry = status_registry(identity)
    found: list[int] = []
    for path in files:
        credential = jsonio.load_path(path)
        status = credential.get("credentialStatus") if isinstance(credential, dict) else None
        if not isinstance(status, dict) or not str(status.get("statusIndex", "")).isdigit():
            raise InputError(f"{path} has no credentialStatus with a statusIndex")
        if status.get("statusIssuer") != identity.did:
            raise InputError(f"{path} was issued by {status.get('statusIssuer')}, "
                             f"not by {identity.did}")
        named = status.get("statusRegistry")
        if named is not None and named != expected_registry:
            raise InputError(f"{path} keeps its status in {named}, not in {expected_registry}")
        found.append(int(status["statusIndex"]))
    return list(dict.fromkeys(found))


def _check_reason(reason: int) -> None:
    if not 0 <= reason <= MAX_REASON:
        raise InputError("--reason must be between 0 and 255")


def _status_command(action: str, verb: str) -> Callable[..., None]:
    def command(
        issuer: IssuerDir,
        credentials: Annotated[list[Path] | None, typer.Argument(
            help="credential files (.json) of this issuer")] = None,
        index: Annotated[list[int] | None, typer.Option(
            "--index", help="status index (repeatable)")] = None,
        reason: Annotated[int, typer.Option(
            help="reason code 0-255 (docs/contracts.md: 0 unspecified, 1 issued in error, "
                 "2 superseded, 3 misconduct, 4 key compromised, 5 learner's request, "
                 "7 under review)")] = 0,
        as_json: AsJson = False,
    ) -> None:
        _check_reason(reason)
        identity = IssuerIdentity.load(issuer)
        indices = _status_indices(identity, credentials or [], index or [])
        client = issuer_client(identity)
        result = getattr(client, action)(indices, reason)
        summary = {"action": action, "issuer": identity.did, "statusIndices": sorted(indices),
                   "reason": reason, "transactionHash": result.transaction_hash,
                   "blockNumber": result.block_number}
        emit(summary, f"{verb} {len(indices)} credential(s) of {identity.name} in "
             f"transaction {result.transaction_hash} (block {result.block_number})", as_json)

    command.__doc__ = (f"{action.capitalize()} credentials of the issuer on chain, all in "
                       "one transaction.")
    command.__name__ = action
    return command


revoke = _status_command("revoke", "revoked")
suspend = _status_command("suspend", "suspended")
reinstate = _status_command("reinstate", "reinstated")


def revoke_batch(
    issuer: IssuerDir,
    batch: Annotated[Path, typer.Argument(help="batch directory or .jsonl batch")],
    reason: Annotated[int, typer.Option(help="reason code 0-255")] = 0,
    as_json: AsJson = False,
) -> None:
    """Revoke every credential of an anchored batch in one transaction."""
    _check_reason(reason)
    identity = IssuerIdentity.load(issuer)
    manifest = read_manifest(batch)
    if manifest.get("issuer") != identity.did:
        raise InputError(f"{batch} was issued by {manifest.get('issuer')}, not {identity.did}")
    root = ledger_proof.unhex32(manifest.get("batchRoot"), "batchRoot")
    result = issuer_client(identity).revoke_batch(root, reason)
    summary = {"action": "revoke-batch", "batchRoot": manifest["batchRoot"],
               "count": manifest.get("count"), "reason": reason,
               "transactionHash": result.transaction_hash, "blockNumber": result.block_number}
    emit(summary, f"revoked batch {manifest['batchRoot']} ({manifest.get('count')} "
         f"credentials) in transaction {result.transaction_hash}", as_json)
