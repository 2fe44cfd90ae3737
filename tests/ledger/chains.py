"""Chains for the client, anchoring and CLI tests: the embedded node and anvil, alike.

A test asks for ``chain`` and runs once per node; it gets the RPC URL and fresh accounts
that may transact there (allow-listed on the embedded node, funded on anvil, which
charges for gas). Nothing else about the node is visible, as nothing in the client may
assume one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.node import DataDir, Node, RpcHandler, RpcServer, init_data_dir

ANVIL_FUNDING_WEI = 10**21  # 1,000 ether: plenty for a test's transactions


@dataclass
class ChainUnderTest:
    kind: str
    url: str
    _admit: Callable[[LocalAccount], None]
    data_dir: Path | None = None
    accounts: list[LocalAccount] = field(default_factory=list)

    def new_account(self) -> LocalAccount:
        """A fresh account able to send transactions on this chain."""
        account = Account.create()
        self._admit(account)
        self.accounts.append(account)
        return account

    def admit(self, address: str) -> None:
        """Let an address created elsewhere (an issuer's key file) transact."""
        self._admit(_AddressOnly(address))  # type: ignore[arg-type]


@dataclass
class _AddressOnly:
    address: str


@contextmanager
def anvil_rewound(url: str) -> Iterator[None]:
    """Leave the session's shared anvil node as found (evm_snapshot, then evm_revert), so
    tests that count its blocks see none of ours."""
    w3 = Web3(Web3.HTTPProvider(url))
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield
    finally:
        reverted = w3.provider.make_request("evm_revert", [snapshot])
        assert reverted.get("result") is True, reverted


def start_embedded_node(data_dir: Path) -> tuple[Node, RpcServer]:
    """An embedded node sealing every transaction at once (period 0), served on loopback."""
    init_data_dir(data_dir, sender_allowlist=[], period=0)
    node = Node.open(data_dir)
    server = RpcServer(RpcHandler(node), port=0)
    node.start()
    server.start()
    return node, server


@pytest.fixture(params=["embedded", "anvil"])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChainUnderTest]:
    if request.param == "anvil":
        url = request.getfixturevalue("anvil_url")
        w3 = Web3(Web3.HTTPProvider(url))

        def fund(account: LocalAccount) -> None:
            w3.provider.make_request("anvil_setBalance", [account.address, hex(ANVIL_FUNDING_WEI)])

        with anvil_rewound(url):
            yield ChainUnderTest("anvil", url, fund)
        return
    data_dir = tmp_path / "node"
    node, server = start_embedded_node(data_dir)

    def allow(account: LocalAccount) -> None:
        DataDir(data_dir).change_allowlist(add=[bytes.fromhex(account.address[2:])])

    try:
        yield ChainUnderTest("embedded", server.url, allow, data_dir)
    finally:
        server.stop()
        node.close()


@pytest.fixture
def embedded_chain(tmp_path: Path) -> Iterator[ChainUnderTest]:
    """The embedded node alone (scenarios that need its evidence export)."""
    data_dir = tmp_path / "node"
    node, server = start_embedded_node(data_dir)

    def allow(account: LocalAccount) -> None:
        DataDir(data_dir).change_allowlist(add=[bytes.fromhex(account.address[2:])])

    try:
        yield ChainUnderTest("embedded", server.url, allow, data_dir)
    finally:
        server.stop()
        node.close()
