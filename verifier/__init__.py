"""credbank verifier: the credential format and every check on it, offline.

Public surface: `verify`, `verify_file`, the result types, trust lists, chain evidence
(trust bundles, signer pins, online evidence), the accreditation scope check and the
errors.
"""

from .disclosure import derive_copy
from .errors import CanonicalizationError, CredentialError, CredentialFormatError, TrustListError
from .evidence.bundle import (
    ChainEvidence,
    Fact,
    RejectedEvidence,
    SignerPin,
    TrustBundle,
    load_bundle_file,
    load_evidence,
    load_pin,
    parse_bundle,
    parse_pin,
    verify_bundle,
)
from .evidence.errors import BundleFormatError, BundleRejected, EvidenceError
from .evidence.online import fetch_evidence
from .model import CheckResult, Status, VerificationResult
from .scope import check_scope, scope_problem
from .trust import TrustList
from .trust import load as load_trust_list
from .trust import parse as parse_trust_list
from .verify import verify, verify_file

__all__ = [
    "BundleFormatError",
    "BundleRejected",
    "CanonicalizationError",
    "ChainEvidence",
    "CheckResult",
    "CredentialError",
    "CredentialFormatError",
    "EvidenceError",
    "Fact",
    "RejectedEvidence",
    "SignerPin",
    "Status",
    "TrustList",
    "TrustBundle",
    "TrustListError",
    "VerificationResult",
    "check_scope",
    "derive_copy",
    "fetch_evidence",
    "load_bundle_file",
    "load_evidence",
    "load_pin",
    "load_trust_list",
    "parse_bundle",
    "parse_pin",
    "parse_trust_list",
    "scope_problem",
    "verify",
    "verify_bundle",
    "verify_file",
]
