"""The W3C `eddsa-jcs-2022` cryptosuite (vc-di-eddsa §3.3).

hashData = SHA-256(JCS(proofConfig)) || SHA-256(JCS(unsecuredDocument)), signed with
Ed25519; proofValue is its base58btc multibase. The proof configuration carries the
document's `@context` (vc-di-eddsa §3.3.5 step 5 in the 2025 text and its test vectors).
The unsecured document is the credential without its `proof` property, so this proof stays
valid whatever other proofs sit beside it in the proof set.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .. import canonical, keys
from ..errors import CredentialFormatError, KeyFormatError

TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"


def proof_config(
    document: dict[str, Any], verification_method: str, created: str,
    purpose: str = "assertionMethod", challenge: str | None = None, domain: str | None = None,
) -> dict[str, Any]:
    """The proof options. A presentation's proof (purpose ``authentication``) carries the
    verifier's ``challenge`` and ``domain`` (vc-data-integrity §2.1), signed with the rest."""
    config: dict[str, Any] = {
        "type": TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": purpose,
    }
    if challenge is not None:
        config["challenge"] = challenge
    if domain is not None:
        config["domain"] = domain
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def hash_data(
    config: dict[str, Any], document: dict[str, Any], canonical_document: bytes | None = None
) -> bytes:
    """The 64-byte message: proof config hash followed by document hash."""
    proof_hash = hashlib.sha256(canonical.dumps(config)).digest()
    if canonical_document is None:
        canonical_document = canonical.dumps(document)
    return proof_hash + hashlib.sha256(canonical_document).digest()


def create_proof(
    document: dict[str, Any], key: keys.SigningKey, created: str,
    canonical_document: bytes | None = None, *, purpose: str = "assertionMethod",
    challenge: str | None = None, domain: str | None = None,
) -> dict[str, Any]:
    """A DataIntegrityProof over `document` (which must not contain `proof`)."""
    config = proof_config(document, key.verification_method, created, purpose, challenge,
                          domain)
    signature = key.sign(hash_data(config, document, canonical_document))
    return {**config, "proofValue": keys.multibase_encode(signature)}


def is_this_suite(proof: Any) -> bool:
    return (
        isinstance(proof, dict)
        and proof.get("type") == TYPE
        and proof.get("cryptosuite") == CRYPTOSUITE
    )


def verify_proof(
    unsecured_document: dict[str, Any],
    proof: dict[str, Any],
    canonical_document: bytes | None = None,
    purpose: str = "assertionMethod",
) -> bool:
    """True when `proof` is a valid eddsa-jcs-2022 proof of `unsecured_document`
    (whose canonical bytes the caller may pass in when it already has them), made for
    `purpose` (a credential's: assertionMethod; a presentation's: authentication).

    Raises CredentialFormatError when the proof is not shaped as the suite requires.
    """
    if not is_this_suite(proof):
        raise CredentialFormatError("not an eddsa-jcs-2022 DataIntegrityProof")
    if proof.get("proofPurpose") != purpose:
        raise CredentialFormatError(f"the proof's purpose must be {purpose}")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise CredentialFormatError("interop proof has no proofValue")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config:
        # vc-di-eddsa §3.3.2: the document's @context must start with the proof's, and the
        # document is then hashed with the proof's @context.
        proof_context = config["@context"]
        document_context = unsecured_document.get("@context")
        if not isinstance(proof_context, list):
            proof_context = [proof_context]
        if not isinstance(document_context, list):
            document_context = [document_context]
        if document_context[: len(proof_context)] != proof_context:
            return False
        if document_context != config["@context"]:
            unsecured_document = {**unsecured_document, "@context": config["@context"]}
            canonical_document = None
    try:
        public_key = keys.public_key_from_did_key(proof.get("verificationMethod"))
        signature = keys.multibase_decode(value)
    except KeyFormatError as exc:
        raise CredentialFormatError(f"interop proof: {exc}") from None
    message = hash_data(config, unsecured_document, canonical_document)
    return keys.verify_signature(public_key, message, signature)
