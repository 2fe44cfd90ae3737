"""Errors of the embedded node, typed by meaning so the CLI and RPC can map them."""

from __future__ import annotations


class NodeError(Exception):
    """Base of every error the node raises on purpose."""


class GenesisError(NodeError):
    """The genesis file or the parameters to build one are invalid."""


class DataDirError(NodeError):
    """The data directory is missing, incomplete, locked by another node or unreadable."""


class TransactionRejected(NodeError):
    """A transaction was refused before it reached a block (JSON-RPC -32000)."""


class SenderNotAllowed(TransactionRejected):
    """The sender is not on the node's allow-list."""


class BlockImportError(NodeError):
    """A block from a block file failed validation (seal, state root, order)."""
