"""The ordered checks. Each is `(credential, context) -> CheckResult`; order is data.

An exception inside a check becomes `error`, never a pass (see verify.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from . import claims, keys, merkle, timefmt
from .credential import Credential
from .errors import CredentialFormatError
from .model import CheckResult, Status
from .proofs import eddsa_jcs_2022
from .trust import TrustList

NO_CHAIN = "no chain evidence"


@dataclass(frozen=True)
class Context:
    now: datetime
    trust: TrustList | None = None
    # Facts established earlier in the run (e.g. the recomputed claims root).
    notes: dict[str, object] = field(default_factory=dict)


def passed(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.PASSED, detail)


def failed(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.FAILED, detail)


def skipped(check_id: str, detail: str) -> CheckResult:
    return CheckResult(check_id, Status.SKIPPED, detail)


def check_integrity(c: Credential, ctx: Context) -> CheckResult:
    proof = c.ledger
    try:
        if proof.salt_key is not None:
            computed = claims.recompute_root(
                c.document, leaves=c.leaves, salt_key=proof.salt_key
            )
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
    leaves = [p for p, _ in c.leaves]
    if not c.ledger.derived:
        return passed("disclosure", f"full copy: all {len(leaves)} claims disclosed")
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
    return timefmt.parse(c.ledger.created, "ledger proof created")


def check_issuer_trusted(c: Credential, ctx: Context) -> CheckResult:
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


def check_anchored(c: Credential, ctx: Context) -> CheckResult:
    return skipped("anchored", NO_CHAIN)


def check_not_revoked(c: Credential, ctx: Context) -> CheckResult:
    return skipped("not_revoked", NO_CHAIN)


def check_not_suspended(c: Credential, ctx: Context) -> CheckResult:
    return skipped("not_suspended", NO_CHAIN)


def check_not_expired(c: Credential, ctx: Context) -> CheckResult:
    now = ctx.now
    if now < c.valid_from:
        return failed("not_expired", f"not valid before {timefmt.format(c.valid_from)}")
    if c.valid_until is not None and now >= c.valid_until:
        return failed("not_expired", f"expired at {timefmt.format(c.valid_until)}")
    until = "no expiry" if c.valid_until is None else f"until {timefmt.format(c.valid_until)}"
    return passed("not_expired", f"valid from {timefmt.format(c.valid_from)}, {until}")


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
