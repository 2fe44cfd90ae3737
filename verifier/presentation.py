"""A W3C Verifiable Presentation answering an employer's request, and its named checks
(docs/presentations.md §3-§5).

The presentation holds derived copies of the holder's credentials and one
``DataIntegrityProof`` (eddsa-jcs-2022, proofPurpose ``authentication``) by the holder's
``did:key`` over the whole presentation, carrying the request's ``challenge`` and
``domain``. Swapping, adding or removing a credential breaks that proof; sending the
presentation to another request fails the challenge or the domain check.

Checks, in order: ``presentation.form``, ``presentation.proof``,
``presentation.challenge``, ``presentation.domain``, ``presentation.credentials`` (each
credential as a credential, by a function the caller gives: the offline verifier's checks,
or the service's), and ``presentation.requirements`` when requirements are given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import keys
from .credit.framework import Framework
from .errors import CredentialError, KeyFormatError
from .model import CheckResult, Status
from .proofs import eddsa_jcs_2022
from .requirements import Judgement, Requirement, holder_name, judge_all
from .scope import verdict_problem
from .trust import TrustList
from .verdict import explain
from .verify import verify

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
TYPE = "VerifiablePresentation"
PURPOSE = "authentication"
MAX_CREDENTIALS = 20
CHECK_IDS = ("presentation.form", "presentation.proof", "presentation.challenge",
             "presentation.domain", "presentation.credentials", "presentation.requirements")


def is_presentation(document: Any) -> bool:
    kinds = document.get("type") if isinstance(document, dict) else None
    return kinds == TYPE or (isinstance(kinds, list) and TYPE in kinds)


def make(credentials: Sequence[dict[str, Any]], holder: keys.SigningKey, *, challenge: str,
         domain: str, created: str, presentation_id: str) -> dict[str, Any]:
    """The signed presentation of ``credentials`` (derived copies) by ``holder``."""
    unsecured = {"@context": [VC_CONTEXT], "id": presentation_id, "type": [TYPE],
                 "holder": holder.did, "verifiableCredential": list(credentials)}
    proof = eddsa_jcs_2022.create_proof(unsecured, holder, created, purpose=PURPOSE,
                                        challenge=challenge, domain=domain)
    return {**unsecured, "proof": proof}


@dataclass(frozen=True)
class CredentialOutcome:
    """One presented credential as its checks judged it."""

    id: str
    verified: bool
    reason: str  # verifier.verdict reason code ("verified", "revoked", ...)
    detail: str = ""
    checks: tuple[CheckResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "verified": self.verified, "reason": self.reason,
                "detail": self.detail, "checks": [c.to_json() for c in self.checks]}


CredentialCheck = Callable[[dict[str, Any]], CredentialOutcome]


@dataclass(frozen=True)
class PresentationReport:
    checks: tuple[CheckResult, ...]
    credentials: tuple[CredentialOutcome, ...] = ()
    requirements: tuple[Judgement, ...] = ()
    holder: str | None = None  # the holder's did:key
    names: tuple[str, ...] = ()  # the holder's name as the credentials reveal it
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        """Every check passed (a skipped one is not a pass)."""
        return bool(self.checks) and all(c.status is Status.PASSED for c in self.checks)

    @property
    def failed(self) -> str | None:
        return next((c.id for c in self.checks if c.status is not Status.PASSED), None)

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    def to_json(self) -> dict[str, Any]:
        return {"verified": self.verified, "failed": self.failed, "holder": self.holder,
                "holderName": self.names[0] if len(self.names) == 1 else None,
                "namesRevealed": list(self.names),
                "checks": [c.to_json() for c in self.checks],
                "credentials": [c.to_json() for c in self.credentials],
                "requirements": [j.to_json() for j in self.requirements]}


def _form(document: Any) -> tuple[list[dict[str, Any]], str]:
    """The credentials and the holder of a well-formed presentation; raises otherwise."""
    if not isinstance(document, dict):
        raise CredentialError("a presentation is a JSON object")
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT:
        raise CredentialError(f"@context must start with {VC_CONTEXT}")
    if not is_presentation(document):
        raise CredentialError(f"type must include {TYPE}")
    holder = document.get("holder")
    if not isinstance(holder, str):
        raise CredentialError("holder must be a did:key")
    try:
        keys.public_key_from_did_key(holder)
    except KeyFormatError as exc:
        raise CredentialError(f"holder: {exc}") from None
    credentials = document.get("verifiableCredential")
    if not isinstance(credentials, list) or not 1 <= len(credentials) <= MAX_CREDENTIALS \
            or not all(isinstance(c, dict) for c in credentials):
        raise CredentialError(
            f"verifiableCredential must hold 1 to {MAX_CREDENTIALS} credentials")
    if not isinstance(document.get("proof"), dict):
        raise CredentialError("a presentation has exactly one proof (an object)")
    return credentials, holder


def _proof(document: dict[str, Any], holder: str) -> CheckResult:
    proof = document["proof"]
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or method.split("#", 1)[0] != holder:
        return CheckResult("presentation.proof", Status.FAILED,
                           "the proof is not by the presentation's holder")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    try:
        valid = eddsa_jcs_2022.verify_proof(unsecured, proof, purpose=PURPOSE)
    except CredentialError as exc:
        return CheckResult("presentation.proof", Status.FAILED, str(exc))
    if not valid:
        return CheckResult("presentation.proof", Status.FAILED,
                           "the holder's signature does not match the presentation")
    return CheckResult("presentation.proof", Status.PASSED, f"signed by {holder}")


def _bound(document: dict[str, Any], member: str, expected: str | None) -> CheckResult:
    check_id = f"presentation.{member}"
    if expected is None:
        return CheckResult(check_id, Status.SKIPPED, f"no {member} given to check against")
    found = document["proof"].get(member)
    if found != expected:
        return CheckResult(check_id, Status.FAILED,
                           f"the proof's {member} is not this request's"
                           if isinstance(found, str) else f"the proof has no {member}")
    return CheckResult(check_id, Status.PASSED, f"{member} matches")


def _skipped(ids: Sequence[str], why: str) -> list[CheckResult]:
    return [CheckResult(i, Status.SKIPPED, why) for i in ids]


def check(document: Any, *, challenge: str | None, domain: str | None,
          check_credential: CredentialCheck,
          requirements: Sequence[Requirement] | None = None,
          framework: Framework | None = None) -> PresentationReport:
    """Run the named checks on a presentation. ``challenge`` and ``domain`` are what the
    request issued (None skips the check, which then fails the verdict);
    ``check_credential`` judges one presented credential."""
    rest = list(CHECK_IDS[1:] if requirements is not None else CHECK_IDS[1:-1])
    try:
        credentials, holder = _form(document)
    except CredentialError as exc:
        return PresentationReport((CheckResult("presentation.form", Status.FAILED, str(exc)),
                                   *_skipped(rest, "not checked: the presentation is "
                                             "malformed")))
    results = [CheckResult("presentation.form", Status.PASSED,
                           f"{len(credentials)} credential(s) held by {holder}"),
               _proof(document, holder), _bound(document, "challenge", challenge),
               _bound(document, "domain", domain)]
    outcomes = tuple(_judged(check_credential, c) for c in credentials)
    bad = [o for o in outcomes if not o.verified]
    results.append(CheckResult(
        "presentation.credentials", Status.FAILED if bad else Status.PASSED,
        "; ".join(f"{o.id}: {o.reason}" + (f" ({o.detail})" if o.detail else "")
                  for o in bad) if bad else f"{len(outcomes)} credential(s) verified"))
    # by object, not by id: a second copy under a verified copy's id must not borrow its trust
    trusted = {id(c) for c, o in zip(credentials, outcomes, strict=True) if o.verified}
    accredited = {id(c) for c, o in zip(credentials, outcomes, strict=True)
                  if o.verified and any(k.id == "issuer_trusted" and k.status is Status.PASSED
                                        for k in o.checks)}
    names = tuple(dict.fromkeys(n for n in (holder_name(c) for c in credentials) if n))
    judged: tuple[Judgement, ...] = ()
    if requirements is not None:
        judged = judge_all(requirements, credentials,
                           lambda d: id(d) in trusted, framework,
                           lambda d: id(d) in accredited)
        unmet = [j.requirement.id for j in judged if not j.met]
        results.append(CheckResult(
            "presentation.requirements", Status.FAILED if unmet else Status.PASSED,
            f"not met: {', '.join(unmet)}" if unmet else f"all {len(judged)} met"))
    if len(names) > 1:
        results.append(CheckResult("presentation.holder_name", Status.FAILED,
                                   "the credentials reveal different names: "
                                   + ", ".join(names)))
    return PresentationReport(tuple(results), outcomes, judged, holder, names)


def credential_check(*, trust: TrustList | None, evidence: Any, accept: set[str],
                     now: Any = None) -> CredentialCheck:
    """Judge each presented credential offline as ``credbank-verify`` judges a credential
    file: its checks with ``trust`` and chain ``evidence``, the verdict failing closed
    except for the gaps in ``accept`` (``issuer``, ``status``)."""
    unpinned = bool(evidence is not None and getattr(evidence, "pinned", True) is False)

    def judge_one(document: dict[str, Any]) -> CredentialOutcome:
        result = verify(document, trust=trust, evidence=evidence, now=now)
        explained = explain(result, accept=accept, unpinned=unpinned)
        detail = result.check(explained.failed).detail if explained.failed else ""
        scope = verdict_problem(document, evidence) if explained.verified else None
        if scope is not None:  # outside its issuer's accreditation scope (verifier.scope)
            return CredentialOutcome(str(document.get("id")), False, "out_of_scope", scope,
                                     result.checks)
        return CredentialOutcome(str(document.get("id")), explained.verified,
                                 explained.reason, detail, result.checks)

    return judge_one


def _judged(check_credential: CredentialCheck, document: dict[str, Any]) -> CredentialOutcome:
    try:
        return check_credential(document)
    except Exception as exc:  # a check that breaks must never read as a pass
        return CredentialOutcome(str(document.get("id")), False, "unreadable",
                                 f"{type(exc).__name__}: {exc}")
