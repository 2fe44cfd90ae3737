"""The ordered checks. Each is `(credential, context) -> CheckResult`; order is data.

An exception inside a check becomes `error`, never a pass (see verify.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from . import claims, keys, merkle, timefmt
from .credential import Credential
from .errors import CredentialFormatError
from .evidence.bundle import ChainEvidence, RejectedEvidence
from .evidence.errors import EvidenceError, NotCovered
from .model import CheckResult, Status
from .proofs import eddsa_jcs_2022
from .registry_layout import BatchFact
from .trust import TrustList

NO_CHAIN = "no chain evidence"


@dataclass(frozen=True)
class Context:
    now: datetime
    trust: TrustList | None = None
    # Verified registry facts (offline from a trust bundle, or online), or the reason
    # the evidence given was rejected.
    evidence: ChainEvidence | RejectedEvidence | None = None


def passed(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.PASSED, detail)


def failed(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.FAILED, detail)


def skipped(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.SKIPPED, detail)


def errored(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.ERROR, detail)


def check_integrity(c: Credential, ctx: Context) -> CheckResult:
    proof = c.ledger
    try:
        if proof.salt_key is not None:
            computed = merkle.root(c.full_digests)
        else:
            computed = claims.recompute_root(
                c.document, leaves=c.leaves, salts=proof.disclosed_salts,
                hidden=proof.hidden_digests,
            )
    except CredentialFormatError as exc:
        return failed("integrity", str(exc))
    if computed != proof.claims_root:
        return failed(
            "integrity",
            "claims root does not match the document: a value was changed, a mandatory "
            "field was hidden, or the proof belongs to another credential",
        )
    return passed("integrity", f"claims root {computed.hex()[:16]}… recomputed from the document")


def check_disclosure(c: Credential, ctx: Context) -> CheckResult:
    if not c.ledger.derived:
        return passed("disclosure", f"full copy: all {c.leaf_count} claims disclosed")
    leaves = {p for p, _ in c.leaves}
    missing = [
        prefix for prefix in ("/id", "/validFrom", "/issuer/id", "/credentialStatus/statusIndex",
                              "/credentialSubject/achievement/name")
        if prefix not in leaves
    ]
    if missing:
        return failed("disclosure", f"mandatory claim {missing[0]} is not disclosed")
    salts = c.ledger.disclosed_salts or {}
    if claims.MANIFEST_POINTER not in salts:
        return failed("disclosure", "the mandatory-claims manifest is not disclosed")
    shown = len(salts) - 1
    return passed(
        "disclosure",
        f"derived copy: {shown} claims disclosed, {len(c.ledger.hidden_digests)} hidden; "
        "all mandatory claims present",
    )


def check_issuer_signature(c: Credential, ctx: Context) -> CheckResult:
    proof = c.ledger
    try:
        signer = keys.public_key_from_did_key(proof.verification_method)
    except CredentialFormatError as exc:
        return failed("issuer_signature", f"ledger proof: {exc}")
    if signer != c.issuer_key:
        return failed("issuer_signature", "ledger proof is signed by a key other than issuer.id")
    if not proof.signature_valid():
        return failed("issuer_signature", "ledger proof signature does not verify")
    if c.interop is None:
        return passed("issuer_signature", "ledger proof signature valid (no interop proof)")
    if c.interop.get("verificationMethod") != proof.verification_method:
        return failed("issuer_signature", "interop proof is signed by another key")
    if not eddsa_jcs_2022.verify_proof(c.document, c.interop, c.canonical_document):
        return failed("issuer_signature", "eddsa-jcs-2022 proof does not verify")
    return passed("issuer_signature", "ledger proof and eddsa-jcs-2022 proof valid")


def issuance_time(c: Credential) -> datetime:
    return c.ledger.created_at


def check_issuer_trusted(c: Credential, ctx: Context) -> CheckResult:
    if ctx.evidence is not None:
        return _chain_check("issuer_trusted", c, ctx, _issuer_trusted_on_chain)
    if ctx.trust is None:
        return skipped("issuer_trusted", "no trust list given")
    institution = c.status.institution
    issuer = ctx.trust.issuer(institution)
    if issuer is None:
        return failed("issuer_trusted", f"issuer {institution} is not in the trust list")
    at = issuance_time(c)
    when = timefmt.format(at)
    if not issuer.window.covers(at):
        return failed("issuer_trusted", f"{issuer.name or institution} not accredited at {when}")
    if not issuer.knows_key(c.issuer_key):
        return failed("issuer_trusted", f"signing key is not a key of {issuer.name or institution}")
    if issuer.key_valid_at(c.issuer_key, at) is None:
        return failed("issuer_trusted", f"signing key was not valid at issuance ({when})")
    return passed(
        "issuer_trusted",
        f"{issuer.name or institution} accredited and key valid at issuance ({when}, "
        "as stated by the issuer; not chain time)",
    )


def check_batch_inclusion(c: Credential, ctx: Context) -> CheckResult:
    anchor = c.ledger.anchor
    if anchor is None:
        return failed("batch_inclusion", "ledger proof has no anchor")
    leaf = merkle.leaf_hash(c.ledger.claims_root)
    if not merkle.verify_path(leaf, anchor.merkle_path, anchor.batch_root):
        return failed("batch_inclusion", "Merkle path does not lead to the batch root")
    return passed(
        "batch_inclusion",
        f"in batch {anchor.batch_root.hex()[:16]}… ({len(anchor.merkle_path)} steps)",
    )


# ---- chain checks ------------------------------------------------------------------------
#
# Each runs against verified evidence. Evidence that was rejected, or that cannot answer
# (a proof node missing), makes the check `error`: absent evidence is never a pass. A word
# a bundle does not vouch for is "not covered" (docs/format.md §13.3): for the issuer word
# that means the issuer is not accredited by anything the evidence speaks for.

ChainCheck = Callable[[Credential, ChainEvidence], CheckResult]

# what a check needed that the evidence does not cover
_NOT_COVERED = {
    "anchored": "the batch root's record",
    "not_revoked": "the revocation word of this status index",
    "not_suspended": "the suspension word of this status index",
}


def _chain_check(check_id: str, c: Credential, ctx: Context, body: ChainCheck) -> CheckResult:
    evidence = ctx.evidence
    if evidence is None:
        return skipped(check_id, NO_CHAIN)
    if isinstance(evidence, RejectedEvidence):
        return errored(check_id, f"chain evidence rejected: {evidence.reason}")
    outside = _outside_evidence(c, evidence)
    if outside is not None:
        return failed(check_id, outside)
    try:
        return body(c, evidence)
    except NotCovered:
        what = _NOT_COVERED.get(check_id, "a registry word this check needs")
        return errored(check_id, f"not covered by the chain evidence: it holds no proof of "
                                 f"{what}, either way ({evidence.as_of})")
    except EvidenceError as exc:
        return errored(check_id, f"chain evidence incomplete: {exc}")


def _outside_evidence(c: Credential, evidence: ChainEvidence) -> str | None:
    """Why the credential's stated chain or registry is not the one the evidence covers."""
    anchor = c.ledger.anchor
    if anchor is not None and not evidence.covers(anchor.chain_id, anchor.registry):
        return (
            f"anchored on chain {anchor.chain_id} registry {anchor.registry}; the evidence "
            f"covers {evidence.caip10}"
        )
    stated = c.status.registry
    if stated is not None:
        parts = stated.split(":")
        chain_id = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else -1
        if parts[0] != "eip155" or len(parts) != 3 or not evidence.covers(chain_id, parts[2]):
            return f"status registry {stated} is not {evidence.caip10}, which the evidence covers"
    return None


@functools.lru_cache(maxsize=1024)
def _moment(unix: int) -> str:
    # Credentials of one batch share its anchoring time; format it once.
    return timefmt.format(datetime.fromtimestamp(unix, UTC))


def _anchoring_batch(c: Credential, evidence: ChainEvidence) -> BatchFact | None:
    anchor = c.ledger.anchor
    if anchor is None:
        return None
    batch = evidence.batch(anchor.batch_root).value
    return batch if batch.anchored else None


NOT_ACCREDITED = "not accredited "


def _issuer_trusted_on_chain(c: Credential, evidence: ChainEvidence) -> CheckResult:
    institution = c.status.institution
    name = evidence.name(institution)
    try:
        issuer = evidence.issuer(institution).value
    except NotCovered:
        # The bundle was not made to speak for this issuer: no record of it, and no proof
        # that there is none. Not accredited by anything this evidence covers.
        return failed("issuer_trusted",
                      f"{NOT_ACCREDITED}by any issuer this evidence covers ({evidence.accreditor}"
                      f", {evidence.as_of}): it holds no record of {institution}, nor proof "
                      "that the registry has none")
    if not issuer.accredited:
        return failed("issuer_trusted",
                      f"{NOT_ACCREDITED}by {evidence.accreditor}: {institution} has no record "
                      f"in the registry ({evidence.as_of})")
    batch = _anchoring_batch(c, evidence)
    if batch is None:
        return failed("issuer_trusted",
                      f"batch root not anchored, so no chain time to judge issuance at "
                      f"({evidence.as_of})")
    if batch.issuer_number != issuer.issuer_number:
        return failed("issuer_trusted", f"the batch was anchored by another issuer than {name}")
    # Chain time replaces the issuer-stated `created`: the registry only accepts an anchor
    # from an ACTIVE issuer inside its window, so the anchoring block's time is a moment the
    # issuer was trusted, and one it cannot backdate.
    at = batch.timestamp
    when = _moment(at)
    if at < issuer.valid_from or (issuer.valid_until and at >= issuer.valid_until):
        return failed("issuer_trusted", f"{name} not accredited at anchoring time {when}")
    key = evidence.key(institution, c.issuer_key).value
    if not key.registered:
        return failed("issuer_trusted", f"signing key is not a registered key of {name}")
    if not key.valid_at(at):
        revoked = f", revoked from {_moment(key.revoked_from)}" if key.revoked_from else ""
        return failed("issuer_trusted",
                      f"signing key was not valid at anchoring time {when}{revoked}")
    return passed(
        "issuer_trusted",
        f"{name} accredited and key valid at anchoring time {when} (chain time; "
        f"{evidence.as_of})",
    )


def _anchored(c: Credential, evidence: ChainEvidence) -> CheckResult:
    anchor = c.ledger.anchor
    if anchor is None:
        return failed("anchored", "ledger proof has no anchor")
    batch = evidence.batch(anchor.batch_root).value
    if not batch.anchored:
        return failed("anchored", f"batch root {anchor.batch_root.hex()[:16]}… is not anchored "
                                  f"({evidence.as_of})")
    institution = c.status.institution
    issuer = evidence.issuer(institution).value
    if not issuer.accredited or issuer.issuer_number != batch.issuer_number:
        return failed("anchored", f"the batch was not anchored by {institution}")
    if anchor.block_number is not None and anchor.block_number != batch.block_number:
        return failed("anchored", f"anchored in block {batch.block_number}, not block "
                                  f"{anchor.block_number} as the credential states")
    return passed(
        "anchored",
        f"anchored by {evidence.name(institution)} in block {batch.block_number} at "
        f"{_moment(batch.timestamp)} ({evidence.as_of})",
    )


def _not_revoked(c: Credential, evidence: ChainEvidence) -> CheckResult:
    index = c.status.index
    revoked = evidence.revoked(c.status.institution, index)
    if revoked.value:
        return failed("not_revoked", f"revoked: status index {index} ({evidence.as_of})")
    anchor = c.ledger.anchor
    if anchor is not None:
        batch = evidence.batch(anchor.batch_root).value
        if batch.revoked:
            return failed("not_revoked", f"its whole batch was revoked (reason "
                                         f"{batch.revocation_reason}; {evidence.as_of})")
    return passed("not_revoked", f"status index {index} not revoked ({evidence.as_of})")


def _not_suspended(c: Credential, evidence: ChainEvidence) -> CheckResult:
    index = c.status.index
    if evidence.suspended(c.status.institution, index).value:
        return failed("not_suspended", f"suspended: status index {index} ({evidence.as_of})")
    return passed("not_suspended", f"status index {index} not suspended ({evidence.as_of})")


def check_anchored(c: Credential, ctx: Context) -> CheckResult:
    return _chain_check("anchored", c, ctx, _anchored)


def check_not_revoked(c: Credential, ctx: Context) -> CheckResult:
    return _chain_check("not_revoked", c, ctx, _not_revoked)


def check_not_suspended(c: Credential, ctx: Context) -> CheckResult:
    return _chain_check("not_suspended", c, ctx, _not_suspended)


@functools.lru_cache(maxsize=1024)
def _written(moment: datetime) -> str:
    # Credentials of one batch share their validity dates; format each once.
    return timefmt.format(moment)


def check_not_expired(c: Credential, ctx: Context) -> CheckResult:
    now = ctx.now
    if now < c.valid_from:
        return failed("not_expired", f"not valid before {_written(c.valid_from)}")
    if c.valid_until is not None and now >= c.valid_until:
        return failed("not_expired", f"expired at {_written(c.valid_until)}")
    until = "no expiry" if c.valid_until is None else f"until {_written(c.valid_until)}"
    return passed("not_expired", f"valid from {_written(c.valid_from)}, {until}")


Check = Callable[[Credential, Context], CheckResult]

ORDER: tuple[tuple[str, Check], ...] = (
    ("integrity", check_integrity),
    ("disclosure", check_disclosure),
    ("issuer_signature", check_issuer_signature),
    ("issuer_trusted", check_issuer_trusted),
    ("batch_inclusion", check_batch_inclusion),
    ("anchored", check_anchored),
    ("not_revoked", check_not_revoked),
    ("not_suspended", check_not_suspended),
    ("not_expired", check_not_expired),
)
CHECK_IDS: tuple[str, ...] = ("format", *(name for name, _ in ORDER))
