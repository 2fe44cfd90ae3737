"""Typed errors of the ledger, so callers catch by meaning.

    InputError                       what the caller gave cannot be used (a record, a file,
    │                                an option); nothing was changed
    └── ConfigurationError           a key file or chain file that does not fit the chain
        └── RegistryOutdated         the registry predates a feature asked for (documents,
                                     accreditation scopes): deployed by an earlier release

    ChainError                       anything the chain or the way to it refused or broke
    ├── ChainUnavailable             the JSON-RPC endpoint did not answer (after retries)
    ├── TransactionRejected          the node refused a signed transaction (allow-list, nonce)
    ├── TransactionTimeout           no receipt in time; the transaction may still be mined
    └── RegistryRefused              the registry reverted with one of its custom errors
        ├── NotAuthorized            the sender has no right to the call
        ├── IssuerNotActive          the issuer is suspended, retired or outside its window
        └── AlreadyRecorded          the fact the call would write is already on chain

Every message is one line and never contains a private key: the client only ever holds
keys inside an eth-account ``LocalAccount``, and messages name addresses, not keys.
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Input that cannot be used: a learning record, a chain or key file, an option.
    The message is one line."""


class ConfigurationError(InputError):
    """The setup cannot be used as it is: a key file others can read, a node answering for
    another chain than the chain file names."""


class RegistryOutdated(ConfigurationError):
    """The registry's bytecode predates a feature: it was deployed by an earlier release
    and keeps its code, so the feature needs a newly deployed registry."""


class ChainError(Exception):
    """A chain operation failed; ``str()`` is one line fit for a user."""


class ChainUnavailable(ChainError):
    """The endpoint could not be reached or kept failing with transient errors."""


class TransactionRejected(ChainError):
    """The node did not accept a signed transaction into its pool."""


class TransactionTimeout(ChainError):
    """The transaction was sent but no receipt arrived in time.

    ``transaction_hash`` lets the caller look again later: the transaction may still be
    included, so sending it anew could do the same thing twice.
    """

    def __init__(self, message: str, transaction_hash: str) -> None:
        super().__init__(message)
        self.transaction_hash = transaction_hash


# Plain-language reasons for the registry's custom errors (docs/contracts.md §Custom errors).
REASONS: dict[str, str] = {
    "NotGovernor": "this account is not a governor of the registry",
    "NoGovernors": "a registry needs at least one governor",
    "ZeroAddress": "the zero address cannot hold a role",
    "AlreadyGovernor": "this account is already a governor",
    "LastGovernor": "the last governor cannot be removed",
    "UnknownProposal": "there is no governor proposal with this id",
    "ProposalClosed": "the proposal was executed or the governor set changed since",
    "AlreadyApproved": "this governor already approved the proposal",
    "EmptyDid": "an issuer needs a DID",
    "IssuerAlreadyAccredited": "this issuer is already accredited",
    "UnknownIssuer": "this issuer was never accredited",
    "IssuerRetired": "the issuer is retired and its record can no longer change",
    "InvalidStatusTransition": "the issuer's current status does not allow this change",
    "InvalidWindow": "a validity window must end after it starts",
    "ZeroKey": "the zero key is not a key",
    "KeyAlreadyRegistered": "this key is already registered for the issuer",
    "UnknownKey": "this key is not registered for the issuer",
    "KeyAlreadyRevoked": "this key is already revoked",
    "InvalidRotationTime": "the rotation time lies outside the old key's validity window",
    "InvalidRevocationTime": "a key revocation needs a time",
    "AccountAlreadyBound": "this account already anchors for an issuer",
    "AccountNotBound": "this account anchors for no issuer",
    "NotAnchoringAccount": "this account may not anchor for any issuer",
    "IssuerNotActive": "the issuer is not active (suspended or retired)",
    "OutsideAccreditationWindow": "the issuer's accreditation window does not cover now",
    "ZeroBatchRoot": "the zero hash is not a batch root",
    "InvalidCount": "a batch holds between 1 and 2^64-1 credentials",
    "BatchAlreadyAnchored": "this batch root is already anchored",
    "UnknownBatch": "this batch root was never anchored",
    "NotBatchIssuer": "the batch was anchored by another issuer",
    "BatchAlreadyRevoked": "the batch is already revoked",
    "NoStatusIndices": "no status index was given",
    "DuplicateStatusIndex": "a status index appears twice",
    "StatusIndexTooLarge": "a status index is above 2^64-1",
    "AlreadyRevoked": "the credential is already revoked",
    "AlreadySuspended": "the credential is already suspended",
    "NotSuspended": "the credential is not suspended",
    "EmptyScope": "an accreditation scope names at least one sector",
    "NoAccreditationScope": "the issuer has no accreditation scope to clear",
    "ZeroDocumentHash": "the zero hash is not a document hash",
    "InvalidDocumentKind": "a document needs a kind",
    "DocumentAlreadyPublished": "this document is already published",
    "UnknownDocument": "this document was never published",
    "DocumentAlreadyWithdrawn": "this document is already withdrawn",
    "NotDocumentOwner": "the document belongs to another publisher",
}


class RegistryRefused(ChainError):
    """The registry reverted with a custom error of its ABI.

    ``name`` is the Solidity error name (``NotAnchoringAccount``), ``error_args`` its decoded
    arguments by parameter name (addresses checksummed, bytes32 as ``0x`` hex) and
    ``reason`` a sentence for people.
    """

    def __init__(self, name: str, args: dict[str, Any], transaction_hash: str | None = None):
        self.name = name
        self.error_args = args
        self.reason = REASONS.get(name, "the registry refused the call")
        self.transaction_hash = transaction_hash
        super().__init__(f"refused by the registry: {name} — {self.reason}")


class NotAuthorized(RegistryRefused):
    """The sender may not make this call (not a governor, not the issuer's account)."""


class IssuerNotActive(RegistryRefused):
    """The issuer cannot act now: suspended, retired or outside its accreditation window."""


class AlreadyRecorded(RegistryRefused):
    """What the call would record is already recorded (anchored, revoked, registered)."""


_KINDS: dict[str, type[RegistryRefused]] = {
    **dict.fromkeys(
        ("NotGovernor", "NotAnchoringAccount", "NotBatchIssuer", "NotDocumentOwner"),
        NotAuthorized,
    ),
    **dict.fromkeys(
        ("IssuerNotActive", "OutsideAccreditationWindow", "IssuerRetired"), IssuerNotActive
    ),
    **dict.fromkeys(
        (
            "AlreadyGovernor", "AlreadyApproved", "IssuerAlreadyAccredited",
            "KeyAlreadyRegistered", "KeyAlreadyRevoked", "AccountAlreadyBound",
            "BatchAlreadyAnchored", "BatchAlreadyRevoked", "AlreadyRevoked", "AlreadySuspended",
            "DocumentAlreadyPublished", "DocumentAlreadyWithdrawn",
        ),
        AlreadyRecorded,
    ),
}


def registry_refused(
    name: str, args: dict[str, Any], transaction_hash: str | None = None
) -> RegistryRefused:
    """The most specific error class for a decoded custom error."""
    return _KINDS.get(name, RegistryRefused)(name, args, transaction_hash)
