"""Batch issuance: N learning records become N credentials under one batch root.

Streaming in two passes so memory stays bounded at 100,000 records and beyond: pass one
signs each record and spools the credential text to disk, keeping only its 32-byte claims
root; the batch tree is built over the roots; pass two adds each credential's anchor (batch
root and Merkle path) and writes the output: one file per credential in a directory, or
one credential per line when the output path ends in .jsonl. Everything is written to a
temporary name that is renamed into place at the end, so a failed batch leaves no output
and consumes no status indices.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from verifier import merkle, timefmt
from verifier.proofs import ledger_proof

from ..errors import InputError
from ..files import write_atomic
from .inputs import LearningRecord
from .issuer import IssuerIdentity
from .signing import sign_record

Progress = Callable[[int], None]


@dataclass(frozen=True)
class BatchResult:
    batch_root: bytes
    count: int
    first_status_index: int
    out_dir: Path
    manifest: dict[str, Any]


def _file_name(credential_id: str) -> str:
    tail = credential_id.rsplit(":", 1)[-1]
    safe = "".join(ch for ch in tail if ch.isalnum() or ch in "-_")
    return f"{safe or 'credential'}.json"


def _anchor_json(batch_root: str, path: list[bytes]) -> str:
    """json.dumps({"batchRoot": ..., "merklePath": [...]}, separators=(",", ":")): hex
    strings need no escaping, so the text is written out."""
    hashes = ",".join([f'"{ledger_proof.hex32(h)}"' for h in path])
    return f'{{"batchRoot":"{batch_root}","merklePath":[{hashes}]}}'


def _with_anchor(text: bytes, anchor_json: str) -> bytes:
    # The ledger proof is the last member of the last property ("proof") of the
    # credential as sign_document builds it, so the text ends with "}]}".
    if not text.endswith(b"}]}"):
        raise AssertionError("credential text does not end with its ledger proof")
    return b"".join((text[:-3], b',"anchor":', anchor_json.encode(), b"}]}"))


def issue_batch(
    records: Iterable[LearningRecord],
    issuer: IssuerIdentity,
    out_dir: str | Path,
    *,
    now: datetime | None = None,
    status_registry: str | None = None,
    on_progress: Progress | None = None,
) -> BatchResult:
    """Issue every record under one batch root into `out_dir` (a directory that must not
    exist or be empty), or into a JSON Lines file when `out_dir` ends in .jsonl."""
    out_dir = Path(out_dir)
    as_lines = out_dir.suffix.lower() == ".jsonl"
    if as_lines and out_dir.exists():
        raise InputError(f"{out_dir} already exists")
    if not as_lines and out_dir.exists() and any(out_dir.iterdir()):
        raise InputError(f"{out_dir} exists and is not empty")
    moment = now or timefmt.now()
    created = timefmt.format(moment)
    key = issuer.signing_key(moment)
    work = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    spool_path = work / ".spool"
    roots: list[bytes] = []
    try:
        with issuer.reserve_status_indices() as indices:
            # The spool holds one credential a line, as compact UTF-8 JSON in the order
            # built (orjson escapes no newline), after its file name and a tab.
            with open(spool_path, "wb") as spool:
                for record in records:
                    credential, root = sign_record(
                        record, issuer, key, status_index=indices.take(), issued_at=moment,
                        created=created, status_registry=status_registry)
                    roots.append(root)
                    name = b"" if as_lines else _file_name(credential["id"]).encode()
                    spool.write(b"".join((name, b"\t", orjson.dumps(credential), b"\n")))
                    if on_progress:
                        on_progress(len(roots))
            if not roots:
                raise InputError("no learning records in the input")
            tree = merkle.MerkleTree(merkle.leaf_hash(r) for r in roots)
            batch_root = ledger_proof.hex32(tree.root)
            lines = open(work / "credentials.jsonl", "wb") if as_lines else None
            with open(spool_path, "rb") as spool:
                for root, line in zip(roots, spool, strict=True):
                    name, _, text = line.rstrip(b"\n").partition(b"\t")
                    anchor = _anchor_json(batch_root, tree.proof(merkle.leaf_hash(root)))
                    if lines is not None:
                        lines.write(_with_anchor(text, anchor) + b"\n")
                    else:
                        (work / name.decode()).write_bytes(_with_anchor(text, anchor))
            if lines is not None:
                lines.close()
            spool_path.unlink()
            manifest = {
                "type": "CredbankBatch",
                "batchRoot": batch_root,
                "count": len(roots),
                "issuer": issuer.did,
                "created": created,
                "firstStatusIndex": indices.start,
                "lastStatusIndex": indices.next - 1,
            }
            manifest_text = json.dumps(manifest, indent=2) + "\n"
            if as_lines:
                write_atomic(out_dir.with_name(out_dir.stem + ".batch.json"), manifest_text)
                os.replace(work / "credentials.jsonl", out_dir)
                shutil.rmtree(work)
            else:
                (work / "batch.json").write_text(manifest_text)
                if out_dir.exists():
                    out_dir.rmdir()
                os.replace(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BatchResult(tree.root, len(roots), indices.start, out_dir, manifest)


def iter_credentials(out: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, credential) for each credential of a batch directory or JSON Lines file."""
    if out.is_file():
        with open(out, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    yield f"{out}:{number}", json.loads(line)
        return
    for path in sorted(out.glob("*.json")):
        if path.name != "batch.json":
            yield str(path), json.loads(path.read_text(encoding="utf-8"))
