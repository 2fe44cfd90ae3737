"""credbank verifier: the credential format and every check on it, offline.

Public surface: `verify`, `verify_file`, the result types, trust lists and the errors.
"""

from .disclosure import derive_copy
from .errors import CanonicalizationError, CredentialError, CredentialFormatError, TrustListError
from .model import CheckResult, Status, VerificationResult
from .trust import TrustList
from .trust import load as load_trust_list
from .trust import parse as parse_trust_list
from .verify import verify, verify_file

__all__ = [
    "CanonicalizationError",
    "CheckResult",
    "CredentialError",
    "CredentialFormatError",
    "Status",
    "TrustList",
    "TrustListError",
    "VerificationResult",
    "derive_copy",
    "load_trust_list",
    "parse_trust_list",
    "verify",
    "verify_file",
]
