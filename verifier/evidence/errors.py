"""Typed errors of chain evidence: what was wrong with a header, a proof or a bundle.

None of them is a `CredentialError`: evidence that cannot be checked makes the chain
checks `error`, never `failed` and never a pass.
"""


class EvidenceError(Exception):
    """Chain evidence could not be established."""


class HeaderError(EvidenceError):
    """A block header is malformed, does not hash as claimed, or is not sealed by a signer."""


class ProofError(EvidenceError):
    """A trie proof does not prove what it is asked: a node is missing or malformed."""


class BundleFormatError(EvidenceError):
    """A trust bundle or pin file is not shaped as docs/format.md says (a usage error)."""


class BundleRejected(EvidenceError):
    """A well-formed trust bundle whose evidence does not verify."""


class NotCovered(ProofError):
    """The evidence does not speak for this word: a bundle that does not vouch for its slot.

    Unlike a node missing from what a bundle vouches for, this is no defect of the bundle:
    it was made without this fact (another issuer, a later anchoring, an older export).
    """
