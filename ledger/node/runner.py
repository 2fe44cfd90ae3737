"""Run a node with its JSON-RPC server until told to stop."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from .node import Node
from .rpc import RpcHandler
from .server import RpcServer

log = logging.getLogger("ledger.node")


def run_node(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8545,
    full_extra_data: bool = False,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Open the node in ``data_dir``, seal and serve JSON-RPC on ``host:port``.

    Returns when ``stop`` is set or, from the main thread, on SIGINT/SIGTERM. ``on_ready``
    receives the RPC URL once the server listens (port 0 picks a free port).
    """
    stop = stop or threading.Event()
    node = Node.open(Path(data_dir))
    try:
        server = RpcServer(RpcHandler(node, full_extra_data=full_extra_data), host, port)
    except OSError:
        node.close()
        raise
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    try:
        node.start()
        server.start()
        log.info(
            "node %s: chain %d at block #%d, sealing as %s, rpc %s",
            data_dir,
            node.genesis.chain_id,
            node.head.block_number,
            node.signer.hex(),
            server.url,
        )
        if on_ready is not None:
            on_ready(server.url)
        while not stop.wait(timeout=0.5):
            pass
    finally:
        server.stop()
        node.close()
