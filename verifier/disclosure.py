"""Deriving a selectively disclosed copy from a learner's full copy."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from . import claims, credential
from .errors import CredentialFormatError
from .proofs import ledger_proof


def derive_copy(full: dict[str, Any], reveal: Iterable[str]) -> dict[str, Any]:
    """A copy of `full` that discloses only `reveal` (JSON pointers to leaves or subtrees)
    plus the mandatory claims. The interop proof is dropped (it signs the whole document),
    and the ledger proof's saltKey is replaced by the disclosed salts and hidden digests.
    """
    parsed = credential.parse(full)
    if parsed.ledger.derived:
        raise CredentialFormatError("can only derive from a full copy (one with a saltKey)")
    reveal = list(reveal)
    for pointer in reveal:
        if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
            raise CredentialFormatError(f"{pointer!r} is not a JSON pointer")
    document, salts, hidden = claims.derive(parsed.document, parsed.ledger.salt_key, reveal)
    proof = {k: copy.deepcopy(v) for k, v in parsed.ledger.raw.items() if k != "saltKey"}
    proof["disclosure"] = {
        "salts": {p: ledger_proof.b64(s) for p, s in sorted(salts.items())},
        "hiddenDigests": [ledger_proof.b64(d) for d in hidden],
    }
    # Keep the ledger proof's own member order, with disclosure where saltKey stood.
    ordered = {}
    for key in parsed.ledger.raw:
        if key == "saltKey":
            ordered["disclosure"] = proof.pop("disclosure")
        elif key in proof:
            ordered[key] = proof.pop(key)
    ordered.update(proof)
    return {**_in_original_order(full, document), "proof": [ordered]}


def _in_original_order(full: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    return {k: document[k] for k in full if k in document}


def disclosed_pointers(derived: dict[str, Any]) -> list[str]:
    """The pointers a derived copy discloses (for display)."""
    return [p for p, _ in claims.iter_leaves({k: v for k, v in derived.items() if k != "proof"})]
