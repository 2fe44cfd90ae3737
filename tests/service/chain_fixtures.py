"""A chain for service tests: an embedded node on loopback with the registry deployed.

Use it by importing the fixture into a test module (pytest finds fixtures by name)::

    from tests.service.chain_fixtures import ServiceChain, service_chain  # noqa: F401

``service_chain`` depends on the ``service``, ``university`` and ``college`` fixtures of
conftest.py and gives a :class:`ServiceChain`: the node (sealing each transaction at once),
a ``CredentialRegistry`` deployed by a governor whose key is the service's
``DATA_DIR/governor.key``, ``DATA_DIR/chain.json`` as ``credbank chain deploy`` writes it
(so ``Service.chain_config()`` finds it), and both test issuers connected and accredited
(key registered, anchoring account authorized and allow-listed on the node). The node
stops when the test ends.

Nothing here starts the anchoring worker: tests drive :class:`api.service.worker.Anchorer`
themselves, or start the app with ``run_worker=True``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.cli import main as credbank
from api.service.context import Service
from api.service.data_dir import CHAIN_FILE, GOVERNOR_KEY
from api.service.models import Issuer
from ledger import Web3RegistryClient, create_account_key
from ledger.bundle import export_bundle
from ledger.chain_config import CHAIN_FILE_TYPE, ChainConfig
from ledger.governance import connect_issuer
from ledger.issuance import IssuerIdentity
from ledger.node import DataDir, Node, RpcHandler, RpcServer
from tests.ledger.chains import start_embedded_node
from verifier import ChainEvidence, TrustList, fetch_evidence, parse_trust_list

from .conftest import Tenant


@dataclass
class ServiceChain:
    url: str
    chain_id: int
    registry: str
    node_dir: Path
    chain_file: Path  # DATA_DIR/chain.json
    governor_key: Path  # DATA_DIR/governor.key (0600)
    node: Node
    server: RpcServer

    def reader(self) -> Web3RegistryClient:
        """A read-only client of the registry."""
        return Web3RegistryClient(self.url, self.registry)

    def governor(self) -> Web3RegistryClient:
        from ledger import load_account_key

        return Web3RegistryClient(self.url, self.registry, load_account_key(self.governor_key))

    def allow(self, address: str) -> None:
        """Let an account send transactions to the node."""
        DataDir(self.node_dir).change_allowlist(add=[bytes.fromhex(address[2:])])

    @contextmanager
    def rpc_down(self) -> Iterator[None]:
        """The node keeps its chain but answers no JSON-RPC inside the block; it serves
        again, on the same port, afterwards."""
        host, port = self.server.address
        self.server.stop()
        try:
            yield
        finally:
            self.server = RpcServer(RpcHandler(self.node), host, port)
            self.server.start()

    def evidence(self) -> ChainEvidence:
        """Online chain evidence at the latest block, for verifier.verify(evidence=...)."""
        return fetch_evidence(self.url, self.registry)

    def bundle(self) -> dict[str, Any]:
        """A trust bundle exported now (docs/format.md §13), for offline checks with
        ``verifier.load_evidence(bundle)``."""
        return export_bundle(self.url, self.registry)

    def anchor_count(self, batch_root: str) -> int:
        """How many BatchAnchored logs the registry emitted for this root."""
        client = self.reader()
        topic = client._contract.events.BatchAnchored().topic
        logs = client.w3.eth.get_logs({"address": self.registry, "fromBlock": 0,
                                       "toBlock": "latest", "topics": [topic, batch_root]})
        return len(logs)


def deploy_registry(url: str, node_dir: Path, data_dir: Path) -> tuple[Path, Path]:
    """Deploy with a new governor key in ``data_dir``; (chain file, governor key)."""
    governor_key = data_dir / GOVERNOR_KEY
    account = create_account_key(governor_key)
    DataDir(node_dir).change_allowlist(add=[bytes.fromhex(account.address[2:])])
    chain_file = data_dir / CHAIN_FILE
    assert credbank(["chain", "deploy", "--rpc", url, "--governor-key", str(governor_key),
                     "--out", str(chain_file)]) == 0
    return chain_file, governor_key


def connect_and_accredit(identity_dir: Path, chain_file: Path, governor_key: Path,
                         node_dir: Path) -> str:
    """Connect an issuer directory to the chain, allow-list its anchoring account and
    accredit it; the account's address."""
    identity = IssuerIdentity.load(identity_dir)
    address = connect_issuer(identity, ChainConfig.read(chain_file), None)
    DataDir(node_dir).change_allowlist(add=[bytes.fromhex(address[2:])])
    assert credbank(["issuer", "accredit", "--dir", str(identity_dir), "--chain",
                     str(chain_file), "--governor-key", str(governor_key)]) == 0
    return address


def trust_list(svc: Service) -> TrustList:
    """Every issuer of the service as an offline trust list."""
    with svc.db.session() as session:
        directories = [i.directory for i in session.query(Issuer).order_by(Issuer.id)]
    return parse_trust_list({"type": "CredbankTrustList", "version": 1, "issuers": [
        IssuerIdentity.load(d).trust_entry() for d in directories]})


@pytest.fixture
def service_chain(service: Service, university: Tenant, college: Tenant,
                  tmp_path: Path) -> Iterator[ServiceChain]:
    node_dir = tmp_path / "node"
    node, server = start_embedded_node(node_dir)
    try:
        chain_file, governor_key = deploy_registry(server.url, node_dir, service.settings.data_dir)
        config = json.loads(chain_file.read_text())
        assert config["type"] == CHAIN_FILE_TYPE
        with service.db.session() as session:
            issuers = [(i.id, i.directory) for i in session.query(Issuer).order_by(Issuer.id)]
        for issuer_id, directory in issuers:
            connect_and_accredit(Path(directory), chain_file, governor_key, node_dir)
            service.identities.forget(issuer_id)
        assert service.chain_config() is not None
        assert os.stat(governor_key).st_mode & 0o077 == 0
        yield ServiceChain(server.url, config["chainId"], config["registry"], node_dir,
                           chain_file, governor_key, node, server)
    finally:
        server.stop()
        node.close()

