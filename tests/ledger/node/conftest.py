"""Fixtures for the node tests: fresh data directories, in-process and subprocess nodes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.node import Node, RpcHandler, RpcServer, init_data_dir

from .facts_contract import ABI, BYTECODE

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class RunningNode:
    node: Node
    server: RpcServer
    data_dir: Path

    @property
    def url(self) -> str:
        return self.server.url

    def web3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))


@pytest.fixture
def sender() -> LocalAccount:
    """An allow-listed sender whose key exists only for this test run."""
    return Account.create()


@pytest.fixture
def outsider() -> LocalAccount:
    """A sender that is not on the allow-list."""
    return Account.create()


@pytest.fixture
def data_dir(tmp_path: Path, sender: LocalAccount) -> Path:
    path = tmp_path / "node"
    init_data_dir(path, sender_allowlist=[bytes.fromhex(sender.address[2:])], period=0)
    return path


@pytest.fixture
def running_node(data_dir: Path) -> Iterator[RunningNode]:
    node = Node.open(data_dir)
    server = RpcServer(RpcHandler(node), port=0)
    node.start()
    server.start()
    try:
        yield RunningNode(node, server, data_dir)
    finally:
        server.stop()
        node.close()


@pytest.fixture
def w3(running_node: RunningNode) -> Web3:
    return running_node.web3()


def deploy_facts(w3: Web3, account: LocalAccount):
    """Deploy the Facts contract with web3.py's defaults; return the contract."""
    factory = w3.eth.contract(abi=ABI, bytecode=BYTECODE)
    tx = factory.constructor().build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    )
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)
    assert receipt.status == 1
    return w3.eth.contract(address=receipt.contractAddress, abi=ABI)


def transact(w3: Web3, account: LocalAccount, call, **overrides):
    """Build (web3 defaults), sign locally, send raw, wait for the receipt."""
    params = {
        "from": account.address,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
    }
    params.update(overrides)
    tx = call.build_transaction(params)
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)


class NodeProcess:
    """``python -m ledger.node run`` in a subprocess on a free loopback port."""

    def __init__(self, data_dir: Path, log_path: Path):
        self.data_dir = data_dir
        self.log_path = log_path
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 30.0) -> str:
        log = open(self.log_path, "a")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ledger.node",
                "run",
                "--data-dir",
                str(self.data_dir),
                "--rpc",
                "127.0.0.1:0",
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("rpc listening on "):
                self.url = line.split()[-1]
                return self.url
            if not line and self.process.poll() is not None:
                break
        self.kill()
        raise RuntimeError(f"node did not start; see {self.log_path}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture
def node_process(data_dir: Path, tmp_path: Path) -> Iterator[NodeProcess]:
    process = NodeProcess(data_dir, tmp_path / "node.log")
    try:
        yield process
    finally:
        process.kill()
