"""Sign a document into a credential: claims tree, ledger proof, interop proof."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from verifier import canonical, claims, keys, merkle, timefmt
from verifier.credit import Standard
from verifier.proofs import eddsa_jcs_2022, ledger_proof

from .documents import build_document
from .inputs import LearningRecord
from .issuer import IssuerIdentity


def sign_document(
    document: dict[str, Any], key: keys.SigningKey, created: str
) -> tuple[dict[str, Any], bytes]:
    """The full credential (without anchor) and its claims root."""
    salt_key = os.urandom(32)
    digests, plain = claims.full_copy_digests(document, salt_key)  # and whether JCS is plain
    root = merkle.root(digests)
    canonical_document = (
        canonical.encode_plain(document) if plain else canonical.dumps(document))
    interop = eddsa_jcs_2022.create_proof(document, key, created, canonical_document)
    ledger = {
        "type": ledger_proof.TYPE,
        "created": created,
        "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod",
        "claimsRoot": ledger_proof.hex32(root),
        "saltKey": ledger_proof.b64(salt_key),
        "signature": ledger_proof.sign(root, created, key),
    }
    return {**document, "proof": [interop, ledger]}, root


def attach_anchor(
    credential: dict[str, Any], batch_root: bytes, path: list[bytes],
    chain: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record the batch root and Merkle path (and chain facts, once anchored)."""
    anchor: dict[str, Any] = {
        "batchRoot": ledger_proof.hex32(batch_root),
        "merklePath": [ledger_proof.hex32(h) for h in path],
    }
    if chain:
        anchor.update(chain)
    for proof in credential["proof"]:
        if proof.get("type") == ledger_proof.TYPE:
            proof["anchor"] = anchor
    return credential


def issue_one(
    record: LearningRecord, issuer: IssuerIdentity, *, status_index: int,
    now: datetime | None = None, status_registry: str | None = None,
) -> tuple[dict[str, Any], bytes]:
    """One signed credential (no anchor yet) and its claims root."""
    moment = now or timefmt.now()
    key = issuer.signing_key(moment)
    return sign_record(record, issuer, key, status_index=status_index, issued_at=moment,
                       created=timefmt.format(moment), status_registry=status_registry)


def sign_record(
    record: LearningRecord, issuer: IssuerIdentity, key: keys.SigningKey, *,
    status_index: int, issued_at: datetime, created: str, status_registry: str | None,
    standard: Standard | None = None,
) -> tuple[dict[str, Any], bytes]:
    """Build and sign one record's credential with an already chosen key and time
    (``standard``: the outcome standard it cites, see build_document)."""
    document = build_document(
        record,
        institution_did=issuer.did,
        institution_name=issuer.name,
        signing_did=key.did,
        status_index=status_index,
        issued_at=issued_at,
        status_registry=status_registry,
        standard=standard,
    )
    return sign_document(document, key, created)


def single_batch(credential: dict[str, Any], claims_root: bytes) -> dict[str, Any]:
    """A lone credential is a batch of one: its batch root is its own leaf."""
    return attach_anchor(credential, merkle.leaf_hash(claims_root), [])
