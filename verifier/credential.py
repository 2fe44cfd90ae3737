"""A credential read into its parts: document, interop proof, ledger proof, status entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from . import canonical, claims, keys, timefmt
from .errors import CredentialFormatError, KeyFormatError
from .proofs import eddsa_jcs_2022, ledger_proof

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
STATUS_TYPE = "CredbankStatusEntry"
MAX_STATUS_INDEX = 2**64 - 1


@dataclass(frozen=True)
class StatusEntry:
    institution: str  # the issuer's registry DID, stable across key rotation
    index: int
    registry: str | None  # "eip155:<chainId>:<address>" once the issuer has a chain


@dataclass(frozen=True)
class Credential:
    raw: dict[str, Any]
    document: dict[str, Any]
    ledger: ledger_proof.LedgerProof
    interop: dict[str, Any] | None
    issuer_key: bytes
    issuer_name: str | None
    status: StatusEntry
    valid_from: datetime
    valid_until: datetime | None

    @property
    def id(self) -> str:
        return self.document["id"]

    @cached_property
    def _walked(self) -> tuple[list[tuple[str, Any]], bool]:
        return claims.walk(self.document)

    @property
    def leaves(self) -> list[tuple[str, Any]]:
        """(pointer, value) of every leaf of the document; walked once per credential."""
        return self._walked[0]

    @cached_property
    def _hashed(self) -> tuple[list[bytes], bool]:
        return claims.full_copy_digests(self.document, self.ledger.salt_key or b"")

    @property
    def full_digests(self) -> list[bytes]:
        """A full copy's leaf digests, the manifest's last (claims.full_copy_digests)."""
        return self._hashed[0]

    @property
    def leaf_count(self) -> int:
        return len(self.full_digests) - 1 if not self.ledger.derived else len(self.leaves)

    @cached_property
    def canonical_document(self) -> bytes:
        """RFC 8785 bytes of the document (what the interop proof signs)."""
        # A full copy learns whether it is plain while its leaves are hashed.
        plain = self._walked[1] if self.ledger.derived else self._hashed[1]
        if plain:
            return canonical.encode_plain(self.document)
        return canonical.dumps(self.document)


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise CredentialFormatError(reason)


def _status(raw: Any) -> StatusEntry:
    _require(isinstance(raw, dict), "credentialStatus must be an object")
    _require(raw.get("type") == STATUS_TYPE, f"credentialStatus type must be {STATUS_TYPE}")
    index = raw.get("statusIndex")
    _require(
        isinstance(index, str) and index.isascii() and index.isdigit() and len(index) <= 20,
        "credentialStatus.statusIndex must be a decimal string",
    )
    _require(int(index) <= MAX_STATUS_INDEX, "credentialStatus.statusIndex is too large")
    institution = raw.get("statusIssuer")
    _require(
        isinstance(institution, str) and institution.startswith("did:"),
        "credentialStatus.statusIssuer must be a DID",
    )
    registry = raw.get("statusRegistry")
    _require(registry is None or isinstance(registry, str), "statusRegistry must be a string")
    return StatusEntry(institution, int(index), registry)


def parse(raw: Any) -> Credential:
    """Read a credential. Raises CredentialFormatError with the first thing wrong."""
    _require(isinstance(raw, dict), "a credential is a JSON object")
    context = raw.get("@context")
    _require(
        isinstance(context, list) and context[:1] == [VC_CONTEXT],
        "not a W3C VC 2.0 credential (@context must start with the VC 2.0 context)",
    )
    types = raw.get("type")
    _require(
        isinstance(types, list) and all(isinstance(t, str) for t in types)
        and "VerifiableCredential" in types and bool(CREDENTIAL_TYPES & set(types)),
        "type must include VerifiableCredential and OpenBadgeCredential",
    )
    _require(isinstance(raw.get("id"), str) and bool(raw["id"]), "credential needs an id")
    issuer = raw.get("issuer")
    _require(isinstance(issuer, dict) and isinstance(issuer.get("id"), str),
             "issuer must be an object with an id")
    try:
        issuer_key = keys.public_key_from_did_key(issuer["id"])
    except KeyFormatError as exc:
        raise CredentialFormatError(f"issuer.id: {exc}") from None
    subject = raw.get("credentialSubject")
    _require(isinstance(subject, dict), "credentialSubject must be an object")
    achievement = subject.get("achievement")
    _require(isinstance(achievement, dict), "credentialSubject.achievement must be an object")
    _require(isinstance(achievement.get("name"), str), "achievement needs a name")
    valid_from = timefmt.parse(raw.get("validFrom"), "validFrom")
    valid_until = (
        timefmt.parse(raw["validUntil"], "validUntil") if "validUntil" in raw else None
    )
    status = _status(raw.get("credentialStatus"))

    proofs = raw.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    _require(isinstance(proofs, list) and 1 <= len(proofs) <= 2,
             "proof must hold the ledger proof and at most one interop proof")
    ledger_raw = [p for p in proofs if isinstance(p, dict) and p.get("type") == ledger_proof.TYPE]
    interop = [p for p in proofs if eddsa_jcs_2022.is_this_suite(p)]
    _require(len(ledger_raw) == 1, f"exactly one {ledger_proof.TYPE} is required")
    _require(len(ledger_raw) + len(interop) == len(proofs), "unknown proof in the proof set")
    ledger = ledger_proof.parse(ledger_raw[0])
    _require(not (ledger.derived and interop),
             "a derived copy cannot carry the interop proof of the full credential")

    document = {k: v for k, v in raw.items() if k != "proof"}
    name = issuer.get("name")
    return Credential(
        raw=raw,
        document=document,
        ledger=ledger,
        interop=interop[0] if interop else None,
        issuer_key=issuer_key,
        issuer_name=name if isinstance(name, str) else None,
        status=status,
        valid_from=valid_from,
        valid_until=valid_until,
    )
