"""credbank ledger: everything that touches a chain.

Public surface: the chain client (:class:`RegistryClient`, its web3 implementation
:class:`Web3RegistryClient`, the result types), its typed errors, Ethereum account key
files, and anchoring of issued batches (:mod:`ledger.anchoring`). The embedded node is
``ledger.node``; issuing is ``ledger.issuance``.
"""

from .anchoring import AnchoredBatch, anchor_batch, anchor_credential, record_anchor
from .client import (
    AnchorResult,
    GovernorProposal,
    RegistryClient,
    TransactionResult,
    create_account_key,
    load_account_key,
)
from .errors import (
    AlreadyRecorded,
    ChainError,
    ChainUnavailable,
    ConfigurationError,
    InputError,
    IssuerNotActive,
    NotAuthorized,
    RegistryOutdated,
    RegistryRefused,
    TransactionRejected,
    TransactionTimeout,
)
from .web3_client import Web3RegistryClient

__all__ = [
    "AlreadyRecorded",
    "AnchorResult",
    "AnchoredBatch",
    "ChainError",
    "ChainUnavailable",
    "GovernorProposal",
    "ConfigurationError",
    "InputError",
    "IssuerNotActive",
    "NotAuthorized",
    "RegistryClient",
    "RegistryOutdated",
    "RegistryRefused",
    "TransactionRejected",
    "TransactionResult",
    "TransactionTimeout",
    "Web3RegistryClient",
    "anchor_batch",
    "anchor_credential",
    "create_account_key",
    "load_account_key",
    "record_anchor",
]
