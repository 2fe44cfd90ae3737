"""The chain client's interface: the credential registry as the rest of credbank sees it.

:class:`RegistryClient` is what callers program against, with the data that crosses it;
:class:`~ledger.web3_client.Web3RegistryClient` is its one implementation, over any
Ethereum JSON-RPC endpoint. Ethereum account keys live in files (mode 0600) read here.
"""

from __future__ import annotations

import abc
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from verifier.registry_layout import (
    AccountFact,
    BatchFact,
    DocumentFact,
    DocumentKind,
    IssuerFact,
    KeyFact,
    ScopeFact,
)

from .errors import (
    ChainError,
)

# ---- data crossing the interface ---------------------------------------------------------


@dataclass(frozen=True)
class TransactionResult:
    """A mined, successful transaction."""

    transaction_hash: str  # 0x + 64 hex
    block_number: int
    gas_used: int


@dataclass(frozen=True)
class AnchorResult:
    """Where a batch root was anchored: the chain facts a credential's anchor records."""

    chain_id: int
    registry: str  # checksummed
    batch_root: bytes
    transaction_hash: str
    block_number: int

    def anchor_members(self) -> dict[str, Any]:
        """The chain members of a ledger proof's ``anchor`` (docs/format.md §7.3)."""
        return {
            "chainId": self.chain_id,
            "registry": self.registry,
            "transactionHash": self.transaction_hash,
            "blockNumber": self.block_number,
        }


@dataclass(frozen=True)
class GovernorProposal:
    account: str
    add: bool
    executed: bool
    approvals: int
    epoch: int


# ---- the interface -----------------------------------------------------------------------


class RegistryClient(abc.ABC):
    """The deployed CredentialRegistry (which extends IssuerRegistry), seen from one sender.

    Issuers are named by DID; the registry keys them by ``keccak256(did)``. Writes return
    after the transaction is mined and raise a :class:`~ledger.errors.ChainError` (for a
    revert, a :class:`~ledger.errors.RegistryRefused` naming the custom error) otherwise.
    """

    chain_id: int
    registry: str

    @property
    @abc.abstractmethod
    def sender(self) -> str | None:
        """The checksummed address transactions are signed for (None: read-only)."""

    # -- governance (governors only) ------------------------------------------------------

    @abc.abstractmethod
    def propose_governor_change(self, account: str, add: bool) -> tuple[TransactionResult, int]:
        """Propose adding or removing a governor; returns the proposal id too."""

    @abc.abstractmethod
    def approve_governor_change(self, proposal_id: int) -> TransactionResult: ...

    @abc.abstractmethod
    def accredit(
        self, did: str, name: str, valid_from: int = 0, valid_until: int = 0
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def set_accreditation_window(
        self, did: str, valid_from: int, valid_until: int
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def suspend_issuer(self, did: str) -> TransactionResult: ...

    @abc.abstractmethod
    def reinstate_issuer(self, did: str) -> TransactionResult: ...

    @abc.abstractmethod
    def retire_issuer(self, did: str) -> TransactionResult: ...

    @abc.abstractmethod
    def add_key(
        self, did: str, public_key: bytes, valid_from: int, valid_until: int = 0
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def rotate_key(
        self, did: str, previous_key: bytes, new_key: bytes, at: int
    ) -> TransactionResult: ...

    @abc.abstractmethod
    def revoke_key(self, did: str, public_key: bytes, revoked_from: int) -> TransactionResult: ...

    @abc.abstractmethod
    def authorize_account(self, did: str, account: str) -> TransactionResult: ...

    @abc.abstractmethod
    def remove_account(self, account: str) -> TransactionResult: ...

    @abc.abstractmethod
    def set_accreditation_scope(
        self, did: str, sectors: Iterable[str], max_level_rank: int | None = None
    ) -> TransactionResult:
        """Limit the issuer to these sectors (``Sector`` values, at least one) and to levels
        up to ``max_level_rank`` (None or 0: no level limit)."""

    @abc.abstractmethod
    def clear_accreditation_scope(self, did: str) -> TransactionResult:
        """Lift the issuer's scope: every sector, every level."""

    # -- documents (a governor for the authority, or an active issuer's account) ------------

    @abc.abstractmethod
    def publish_document(self, doc_hash: bytes, kind: DocumentKind) -> TransactionResult:
        """Record a document's 32-byte canonical hash (``RuleSet.hash()`` and the like) as
        published: by the authority when the sender is a governor, else by its issuer."""

    @abc.abstractmethod
    def withdraw_document(self, doc_hash: bytes) -> TransactionResult: ...

    # -- an issuer's anchoring account ------------------------------------------------------

    @abc.abstractmethod
    def anchor(self, batch_root: bytes, count: int) -> AnchorResult: ...

    @abc.abstractmethod
    def revoke(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult:
        """Revoke the caller's issuer's credentials at these status indices, in one tx."""

    @abc.abstractmethod
    def suspend(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult: ...

    @abc.abstractmethod
    def reinstate(self, status_indices: Iterable[int], reason: int = 0) -> TransactionResult: ...

    @abc.abstractmethod
    def revoke_batch(self, batch_root: bytes, reason: int = 0) -> TransactionResult: ...

    # -- reads (views at the latest block) ---------------------------------------------------

    @abc.abstractmethod
    def issuer(self, did: str) -> IssuerFact: ...

    @abc.abstractmethod
    def issuer_key(self, did: str, public_key: bytes) -> KeyFact: ...

    @abc.abstractmethod
    def is_key_valid_at(self, did: str, public_key: bytes, at: int) -> bool: ...

    @abc.abstractmethod
    def is_issuer_active(self, did: str) -> bool: ...

    @abc.abstractmethod
    def issuer_name(self, did: str) -> str: ...

    @abc.abstractmethod
    def account_issuer(self, account: str) -> AccountFact: ...

    @abc.abstractmethod
    def batch(self, batch_root: bytes) -> BatchFact: ...

    @abc.abstractmethod
    def document(self, doc_hash: bytes) -> DocumentFact:
        """The document's word (all zero/False when never published)."""

    @abc.abstractmethod
    def accreditation_scope(self, did: str) -> ScopeFact:
        """The issuer's scope (``set`` False: no limit)."""

    @abc.abstractmethod
    def is_revoked(self, did: str, status_index: int) -> bool: ...

    @abc.abstractmethod
    def is_suspended(self, did: str, status_index: int) -> bool: ...

    @abc.abstractmethod
    def is_governor(self, account: str) -> bool: ...

    @abc.abstractmethod
    def governor_count(self) -> int: ...

    @abc.abstractmethod
    def approvals_required(self) -> int: ...

    @abc.abstractmethod
    def governor_proposal(self, proposal_id: int) -> GovernorProposal: ...

    @abc.abstractmethod
    def anchoring_transaction(self, batch_root: bytes) -> AnchorResult | None:
        """Where an anchored root was anchored (from the BatchAnchored log); None if not."""

    @abc.abstractmethod
    def latest_block_timestamp(self) -> int: ...


# ---- keys of Ethereum accounts -----------------------------------------------------------


def create_account_key(path: Path) -> LocalAccount:
    """Create a new Ethereum account key file (mode 0600, never overwritten)."""
    account = Account.create()
    # O_EXCL: an existing key is never replaced, so an account cannot be lost by mistake.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(account.key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return account


def load_account_key(path: Path) -> LocalAccount:
    """The account in a key file holding one hex private key (0x optional).

    Errors name the file, never its content.
    """
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ChainError(f"no key file at {path}") from None
    except (OSError, UnicodeDecodeError):
        raise ChainError(f"cannot read key file {path}") from None
    digits = text[2:] if text.startswith(("0x", "0X")) else text
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ChainError(f"key file {path} does not hold one hex private key")
    try:
        return Account.from_key(bytes.fromhex(digits))
    except (ValueError, TypeError):
        raise ChainError(f"key file {path} does not hold a valid private key") from None


def key_file_is_private(path: Path) -> bool:
    """True when only the owner can read or write the key file."""
    return stat.S_IMODE(Path(path).stat().st_mode) & 0o077 == 0


