"""Typed errors at the verifier's boundary; callers catch by meaning."""


class CredentialError(Exception):
    """Base of everything the verifier raises about its inputs."""


class CredentialFormatError(CredentialError):
    """The input is not a well-formed credential (or not JSON we accept)."""


class CanonicalizationError(CredentialFormatError):
    """The value has no RFC 8785 canonical form (NaN, huge integers, lone surrogates)."""


class TrustListError(CredentialError):
    """The trust file is malformed."""


class KeyFormatError(CredentialFormatError):
    """A key or did:key is not an Ed25519 multibase key."""
