"""The embedded permissioned chain node: py-evm, Clique (EIP-225), LMDB, JSON-RPC.

Public surface:

* :func:`init_data_dir` creates a node's data directory (genesis, signer key, genesis
  block); :class:`Genesis` is the genesis file's content.
* :class:`Node` is an open chain (seal, send raw transactions, read); :func:`run_node`
  runs one with its JSON-RPC server; :class:`RpcServer` / :class:`RpcHandler` serve a
  :class:`Node` in-process (tests, embedding).
* :func:`export_chain` / :func:`import_chain` write and replay RLP block files.
* ``ledger.node.cli.app`` is the ``credbank node`` command group.
"""

from .blockfile import export_chain, import_chain
from .datadir import DataDir, init_data_dir
from .errors import (
    BlockImportError,
    DataDirError,
    GenesisError,
    NodeError,
    SenderNotAllowed,
    TransactionRejected,
)
from .genesis import Genesis
from .node import Node
from .rpc import RpcHandler
from .runner import run_node
from .server import RpcServer

__all__ = [
    "BlockImportError",
    "DataDir",
    "DataDirError",
    "Genesis",
    "GenesisError",
    "Node",
    "NodeError",
    "RpcHandler",
    "RpcServer",
    "SenderNotAllowed",
    "TransactionRejected",
    "export_chain",
    "import_chain",
    "init_data_dir",
    "run_node",
]
