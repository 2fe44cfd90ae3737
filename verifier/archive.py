"""The learning archive (终身学习档案): a learner's chosen credentials in one document the
credit bank signs, shaped as a 1EdTech CLR 2.0 ClrCredential (docs/format.md, "The
learning archive").

An archive holds each credential whole (a full or a derived copy), so every one of them is
checked exactly as it would be on its own; the credit bank's eddsa-jcs-2022 proof binds the
selection, the relationships and the totals. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import keys, timefmt
from .credential import VC_CONTEXT
from .credit import CreditDataError, Credits, Totals, source_from_credential
from .credit.decision import MEMBER, Recognition, recognition_of
from .errors import CredentialFormatError
from .evidence.bundle import ChainEvidence, RejectedEvidence
from .evidence.errors import EvidenceError
from .model import CheckResult, Status, VerificationResult
from .proofs import eddsa_jcs_2022
from .trust import TrustList
from .verify import verify

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
TYPE = "ClrCredential"
SUBJECT_TYPE = "ClrSubject"
INSTITUTION_ID_TYPE = "ext:InstitutionDid"
MAX_CREDENTIALS = 100  # and 1 MiB in all, the limit of a credential file

_TOP = frozenset({"@context", "id", "type", "issuer", "name", "validFrom",
                  "credentialSubject", "proof"})
_SUBJECT = frozenset({"type", "identifier", "achievement", "verifiableCredential",
                      "association", "credbankTotals"})


def _decision_of(document: Mapping[str, Any]) -> Recognition | None:
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping) or MEMBER not in subject:
        return None
    return recognition_of(document)


def totals(credentials: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The archive's totals, recomputable from the credentials it holds.

    ``earned`` adds the typed figures of the outcomes themselves, by unit and by unit and
    sector (never across units); figures without a unit are listed one by one under
    ``untyped`` and added to nothing. ``recognised`` adds what the recognition decisions
    among them granted toward the credit bank, by unit, kept apart from ``earned``: a
    recognised credit restates an outcome, it does not add a new one."""
    figures: list[Credits] = []
    untyped: list[dict[str, str]] = []
    granted: list[Credits] = []
    for document in credentials:
        decision = _decision_of(document)
        if decision is not None:
            if decision.toward_bank:
                granted.extend(decision.granted())
            continue
        source = source_from_credential(document)
        if source.credits is not None:
            figures.append(source.credits)
        elif source.untyped_credits is not None:
            untyped.append({"credential": source.credential_id,
                            "value": source.to_json()["untypedCredits"]})
    out: dict[str, Any] = {"earned": Totals.of(figures).to_json()}
    if untyped:
        out["untyped"] = untyped
    if granted:
        out["recognised"] = Totals.of(granted).to_json()
    return out


def _achievement(document: Mapping[str, Any]) -> dict[str, Any]:
    return dict(document["credentialSubject"]["achievement"])


def associations(credentials: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """CLR associations: each source a recognition decision in the archive relied on
    ``isPartOf`` that decision's achievement, when the source is in the archive too."""
    by_id = {d["id"]: d for d in credentials}
    out = []
    for document in by_id.values():
        decision = _decision_of(document)
        if decision is None:
            continue
        target = _achievement(document)["id"]
        for source in decision.included:
            held = by_id.get(source.id)
            if held is not None:
                out.append({"type": "Association", "associationType": "isPartOf",
                            "sourceId": _achievement(held)["id"], "targetId": target})
    return out


def build(*, archive_id: str, institution_did: str, institution_name: str,
          signing_did: str, name: str, identifiers: list[dict[str, Any]],
          credentials: list[dict[str, Any]], issued_at: datetime) -> dict[str, Any]:
    """The unsigned archive document (no proof). ``identifiers`` name the learner as a
    credential does (hashed identity objects); ``credentials`` are the copies chosen."""
    if not credentials:
        raise CredentialFormatError("an archive holds at least one credential")
    if len(credentials) > MAX_CREDENTIALS:
        raise CredentialFormatError(f"an archive holds at most {MAX_CREDENTIALS} credentials")
    ids = [d.get("id") for d in credentials]
    if len(set(ids)) != len(ids):
        raise CredentialFormatError("an archive holds each credential once")
    return {
        "@context": [VC_CONTEXT, CLR_CONTEXT],
        "id": archive_id,
        "type": ["VerifiableCredential", TYPE],
        "issuer": {"id": signing_did, "type": ["Profile"], "name": institution_name,
                   "otherIdentifier": [{"type": "IdentifierEntry",
                                        "identifier": institution_did,
                                        "identifierType": INSTITUTION_ID_TYPE}]},
        "name": name,
        "validFrom": timefmt.format(issued_at),
        "credentialSubject": {
            "type": [SUBJECT_TYPE],
            "identifier": identifiers,
            "achievement": [_achievement(d) for d in credentials],
            "verifiableCredential": credentials,
            "association": associations(credentials),
            "credbankTotals": totals(credentials),
        },
    }


def sign(document: dict[str, Any], key: keys.SigningKey, created: str) -> dict[str, Any]:
    """The archive with the credit bank's eddsa-jcs-2022 proof."""
    if "proof" in document:
        raise CredentialFormatError("the archive is signed already")
    return {**document, "proof": [eddsa_jcs_2022.create_proof(document, key, created)]}


# ---- checking ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """A well-formed archive, read."""

    document: dict[str, Any]
    proof: dict[str, Any]
    signer: bytes
    institution: str
    issuer_name: str
    issued_at: datetime
    credentials: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ArchiveReport:
    checks: tuple[CheckResult, ...]
    credentials: tuple[tuple[str, VerificationResult], ...]

    @property
    def verified(self) -> bool:
        """Every archive check passed, and so did every credential it holds: fail closed."""
        return bool(self.checks) and all(c.status is Status.PASSED for c in self.checks)

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if file is None else {"file": file}
        out["verified"] = self.verified
        out["checks"] = [c.to_json() for c in self.checks]
        out["credentials"] = [{"id": i, **r.to_json()} for i, r in self.credentials]
        return out


def is_archive(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("type"), list) and (
        TYPE in document["type"])


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise CredentialFormatError(reason)


def parse(raw: Any) -> Archive:
    """Read an archive's shape; raises CredentialFormatError naming what is wrong."""
    _require(is_archive(raw), f"not a {TYPE}")
    for unknown in sorted(set(raw) - _TOP)[:1]:
        raise CredentialFormatError(f"unknown member {unknown!r}")
    _require(raw.get("@context", [None])[0] == VC_CONTEXT, "@context must start with the "
             "VC 2.0 context")
    _require(isinstance(raw.get("id"), str), "id must be a string")
    issuer = raw.get("issuer")
    _require(isinstance(issuer, dict) and isinstance(issuer.get("id"), str),
             "issuer.id must be a string")
    entries = [e for e in issuer.get("otherIdentifier") or [] if isinstance(e, dict)
               and e.get("identifierType") == INSTITUTION_ID_TYPE]
    _require(len(entries) == 1 and isinstance(entries[0].get("identifier"), str),
             "issuer.otherIdentifier must name the institution DID once")
    subject = raw.get("credentialSubject")
    _require(isinstance(subject, dict), "credentialSubject must be an object")
    for unknown in sorted(set(subject) - _SUBJECT)[:1]:
        raise CredentialFormatError(f"unknown member credentialSubject.{unknown}")
    held = subject.get("verifiableCredential")
    _require(isinstance(held, list) and 0 < len(held) <= MAX_CREDENTIALS
             and all(isinstance(d, dict) for d in held),
             f"credentialSubject.verifiableCredential must hold 1 to {MAX_CREDENTIALS} "
             "credentials")
    proofs = raw.get("proof")
    _require(isinstance(proofs, list) and len(proofs) == 1, "proof must hold one proof")
    try:
        signer = keys.public_key_from_did_key(issuer["id"])
    except CredentialFormatError as exc:
        raise CredentialFormatError(f"issuer.id: {exc}") from exc
    return Archive(document={k: v for k, v in raw.items() if k != "proof"}, proof=proofs[0],
                   signer=signer, institution=entries[0]["identifier"],
                   issuer_name=str(issuer.get("name") or entries[0]["identifier"]),
                   issued_at=timefmt.parse(raw.get("validFrom"), "validFrom"),
                   credentials=tuple(held))


def _signature(archive: Archive) -> CheckResult:
    proof = archive.proof
    if proof.get("verificationMethod") != keys.verification_method(archive.signer):
        return CheckResult("archive_signature", Status.FAILED,
                           "the proof is signed by a key other than issuer.id")
    try:
        valid = eddsa_jcs_2022.verify_proof(archive.document, proof)
    except CredentialFormatError as exc:
        return CheckResult("archive_signature", Status.FAILED, str(exc))
    if not valid:
        return CheckResult("archive_signature", Status.FAILED,
                           "eddsa-jcs-2022 proof does not verify: the archive was altered")
    return CheckResult("archive_signature", Status.PASSED, "eddsa-jcs-2022 proof valid")


def _signer_trusted(archive: Archive, trust: TrustList | None,
                    evidence: ChainEvidence | RejectedEvidence | None) -> CheckResult:
    """The signing key belongs to the institution that signed, at the signing time the
    archive states (an archive is not anchored, so there is no chain time)."""
    at, name = archive.issued_at, archive.issuer_name
    when = timefmt.format(at)
    if isinstance(evidence, RejectedEvidence):
        return CheckResult("archive_issuer", Status.FAILED,
                           f"chain evidence rejected: {evidence.reason}")
    if isinstance(evidence, ChainEvidence):
        try:
            issuer = evidence.issuer(archive.institution).value
            key = evidence.key(archive.institution, archive.signer).value
        except EvidenceError as exc:
            return CheckResult("archive_issuer", Status.FAILED, str(exc))
        if not issuer.accredited:
            return CheckResult("archive_issuer", Status.FAILED,
                               f"{archive.institution} is not accredited ({evidence.as_of})")
        if not key.registered or not key.valid_at(int(at.timestamp())):
            return CheckResult("archive_issuer", Status.FAILED,
                               f"the signing key is not a valid key of {name} at {when}")
        return CheckResult("archive_issuer", Status.PASSED,
                           f"signed with a key of {name} valid at {when} ({evidence.as_of}; "
                           "the time is as stated by the archive)")
    if trust is None:
        return CheckResult("archive_issuer", Status.SKIPPED, "no trust list given")
    trusted = trust.issuer(archive.institution)
    if trusted is None:
        return CheckResult("archive_issuer", Status.FAILED,
                           f"{archive.institution} is not in the trust list")
    if trusted.key_valid_at(archive.signer, at) is None:
        return CheckResult("archive_issuer", Status.FAILED,
                           f"the signing key is not a valid key of {name} at {when}")
    return CheckResult("archive_issuer", Status.PASSED,
                       f"signed with a key of {name} valid at {when} (trust list)")


def _contents(archive: Archive) -> CheckResult:
    subject = archive.document["credentialSubject"]
    try:
        expected = {"achievement": [_achievement(d) for d in archive.credentials],
                    "association": associations(archive.credentials),
                    "credbankTotals": totals(archive.credentials)}
    except (CreditDataError, CredentialFormatError, KeyError, TypeError, ValueError) as exc:
        return CheckResult("archive_totals", Status.FAILED, f"credentials unreadable: {exc}")
    for member, value in expected.items():
        if subject.get(member) != value:
            return CheckResult("archive_totals", Status.FAILED,
                               f"credentialSubject.{member} does not follow from the "
                               "credentials the archive holds")
    return CheckResult("archive_totals", Status.PASSED,
                       "achievements, associations and totals follow from the credentials")


def check(raw: Any, *, trust: TrustList | None = None,
          evidence: ChainEvidence | RejectedEvidence | None = None,
          now: datetime | None = None) -> ArchiveReport:
    """Check an archive and every credential in it, offline (a trust list or a trust
    bundle's evidence) or with online evidence."""
    try:
        archive = parse(raw)
    except CredentialFormatError as exc:
        return ArchiveReport((CheckResult("archive_form", Status.FAILED, str(exc)),), ())
    results = tuple((str(d.get("id")), verify(d, trust=trust, evidence=evidence, now=now))
                    for d in archive.credentials)
    failing = [i for i, r in results
               if any(c.status in (Status.FAILED, Status.ERROR) for c in r.checks)]
    gaps = [i for i, r in results if not r.verified and i not in failing]
    if failing:
        held = CheckResult("archive_credentials", Status.FAILED,
                           f"{len(failing)} of {len(results)} credentials do not verify: "
                           + ", ".join(failing))
    elif gaps:
        held = CheckResult("archive_credentials", Status.SKIPPED,
                           f"{len(gaps)} of {len(results)} credentials could not be checked "
                           "in full (see each credential's checks)")
    else:
        held = CheckResult("archive_credentials", Status.PASSED,
                           f"all {len(results)} credentials verify")
    checks = (CheckResult("archive_form", Status.PASSED, f"a {TYPE}"), _signature(archive),
              _signer_trusted(archive, trust, evidence), held, _contents(archive))
    return ArchiveReport(checks, results)
