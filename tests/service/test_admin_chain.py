"""The authority governs issuers on chain through the API, with the service's governor key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.service.context import Service
from api.service.data_dir import CHAIN_FILE, GOVERNOR_KEY, NODE_DIR
from ledger import Web3RegistryClient, create_account_key
from ledger.governance import issuer_client
from ledger.issuance import IssuerIdentity
from ledger.node import DataDir, Node, RpcServer
from tests.ledger.chains import start_embedded_node
from verifier import keys, verify

from .conftest import Tenant, record


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    # These routes only read issuer rows; the chain is what they exercise. Both databases
    # are covered by the other service tests.
    return f"sqlite:///{tmp_path / 'service.db'}"


@dataclass
class Chain:
    url: str
    registry: str
    node: Node
    server: RpcServer
    node_dir: Path

    def reader(self) -> Web3RegistryClient:
        return Web3RegistryClient(self.url, self.registry)

    def allowed(self) -> set[str]:
        return {"0x" + bytes(a).hex() for a in DataDir(self.node_dir).read_allowlist()}


@pytest.fixture
def chain(service: Service) -> Iterator[Chain]:
    """The embedded node in DATA_DIR/node (as `credbank up` lays it out), the registry
    deployed by DATA_DIR/governor.key, DATA_DIR/chain.json; no issuer accredited."""
    from ledger import load_account_key
    from ledger.governance import deploy_registry

    node_dir = service.settings.path(NODE_DIR)
    node, server = start_embedded_node(node_dir)
    try:
        governor = create_account_key(service.settings.path(GOVERNOR_KEY))
        DataDir(node_dir).change_allowlist(add=[bytes.fromhex(governor.address[2:])])
        config = deploy_registry(server.url, load_account_key(service.settings.path(
            GOVERNOR_KEY)))
        config.write(service.settings.path(CHAIN_FILE))
        yield Chain(server.url, config.registry, node, server, node_dir)
    finally:
        server.stop()
        node.close()


def _identity(service: Service, slug: str) -> IssuerIdentity:
    return IssuerIdentity.load(service.settings.path("issuers", slug))


def _public(multibase: str) -> bytes:
    return keys.decode_public_key_multibase(multibase)


def test_accredit_connects_admits_and_registers_the_current_key(
        client: TestClient, governor: dict, university: Tenant, chain: Chain,
        service: Service):
    answer = client.post("/v1/admin/issuers/open-university/accredit", headers=governor)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["steps"] == ["accredited", "key registered", "account authorized"]
    assert body["status"] == "active" and body["did"] == university.did
    account = body["anchoringAccount"]
    assert account.lower() in chain.allowed()
    assert [k["registered"] for k in body["keys"]] == [True]

    reader = chain.reader()
    assert reader.issuer(university.did).accredited
    assert reader.account_issuer(account).issuer_id != 0
    identity = _identity(service, "open-university")
    assert identity.chain["anchoringAccount"] == account
    key_file = identity.directory / identity.chain["anchoringKeyFile"]
    assert key_file.stat().st_mode & 0o077 == 0
    # the anchoring account can anchor for the issuer at once
    anchored = issuer_client(identity).anchor(b"\x01" * 32, 1)
    assert anchored.block_number > 0

    again = client.post("/v1/admin/issuers/open-university/accredit", headers=governor)
    assert again.status_code == 200 and again.json()["steps"] == []

    # credentials issued from now on name the registry they are anchored in
    issued = client.post("/v1/credentials", json=record(), headers=university.headers).json()
    credential = client.get(f"/v1/credentials/{issued['id']}",
                            headers=university.headers).json()["credential"]
    assert credential["credentialStatus"]["statusRegistry"].endswith(chain.registry)

    shown = client.get("/v1/admin/issuers/open-university/chain", headers=governor).json()
    assert shown["status"] == "active" and shown["anchoringAccount"] == account
    overview = client.get("/v1/admin/chain", headers=governor).json()
    assert overview["registry"] == chain.registry and overview["isGovernor"] is True


def test_accredit_with_a_window(client: TestClient, governor: dict, university: Tenant,
                                chain: Chain):
    answer = client.post("/v1/admin/issuers/open-university/accredit", headers=governor,
                         json={"validFrom": "2026-01-01T00:00:00Z",
                               "validUntil": "2031-01-01T00:00:00Z"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["validFrom"] == "2026-01-01T00:00:00Z"
    assert answer.json()["validUntil"] == "2031-01-01T00:00:00Z"


def test_rotation_is_registered_on_chain_and_signs_from_then_on(
        client: TestClient, governor: dict, university: Tenant, chain: Chain,
        service: Service):
    client.post("/v1/admin/issuers/open-university/accredit", headers=governor)
    old = _identity(service, "open-university").key_records[0].public_key_multibase
    answer = client.post("/v1/admin/issuers/open-university/rotate-key", headers=governor)
    assert answer.status_code == 200, answer.text
    shown = answer.json()["keys"]
    assert [k["registered"] for k in shown] == [True, True]
    assert shown[0]["publicKeyMultibase"] == old and shown[0]["validUntil"] is not None
    new = shown[1]["publicKeyMultibase"]
    assert _identity(service, "open-university").key_records[-1].public_key_multibase == new
    reader = chain.reader()
    assert reader.issuer_key(university.did, _public(new)).registered
    assert reader.issuer_key(university.did, _public(old)).valid_until > 0

    issued = client.post("/v1/credentials", json=record(), headers=university.headers).json()
    credential = client.get(f"/v1/credentials/{issued['id']}",
                            headers=university.headers).json()["credential"]
    methods = {p.get("verificationMethod", "") for p in credential["proof"]}
    assert any(new in m for m in methods), methods
    assert verify(credential).check("issuer_signature").status == "passed"


def test_suspend_reinstate_retire(client: TestClient, governor: dict, university: Tenant,
                                  chain: Chain):
    base = "/v1/admin/issuers/open-university"
    client.post(f"{base}/accredit", headers=governor)
    suspended = client.post(f"{base}/suspend", headers=governor)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["transactionHash"].startswith("0x")
    assert not chain.reader().is_issuer_active(university.did)

    twice = client.post(f"{base}/suspend", headers=governor)
    assert twice.status_code == 409
    assert "InvalidStatusTransition" in twice.json()["detail"]

    assert client.post(f"{base}/reinstate", headers=governor).json()["status"] == "active"
    assert chain.reader().is_issuer_active(university.did)
    assert client.post(f"{base}/retire", headers=governor).json()["status"] == "retired"

    late = client.post(f"{base}/rotate-key", headers=governor)
    assert late.status_code == 409 and "IssuerRetired" in late.json()["detail"]
    assert len(_identity(client.app.state.service, "open-university").key_records) == 1


def test_status_changes_need_an_accredited_issuer(client: TestClient, governor: dict,
                                                  university: Tenant, chain: Chain):
    answer = client.post("/v1/admin/issuers/open-university/suspend", headers=governor)
    assert answer.status_code == 409 and "UnknownIssuer" in answer.json()["detail"]
    rotate = client.post("/v1/admin/issuers/open-university/rotate-key", headers=governor)
    assert rotate.status_code == 409 and "accredit" in rotate.json()["detail"]


def test_refusals_write_nothing(client: TestClient, governor: dict, university: Tenant,
                                chain: Chain, service: Service):
    base = "/v1/admin/issuers/open-university"
    cases = [
        (client.post("/v1/admin/issuers/nobody/accredit", headers=governor), 404, "no issuer"),
        (client.post(f"{base}/accredit", headers=university.headers), 403, "governor"),
        (client.post(f"{base}/accredit", headers=governor, json={"validFrom": "soon"}), 422,
         "validFrom"),
        (client.post(f"{base}/accredit", headers=governor,
                     json={"validFrom": "2027-01-01T00:00:00Z",
                           "validUntil": "2026-01-01T00:00:00Z"}), 422, "after"),
        (client.post(f"{base}/accredit"), 401, "authentication"),
    ]
    for answer, status, reason in cases:
        assert answer.status_code == status, answer.text
        assert reason in answer.json()["detail"]
    assert _identity(service, "open-university").chain is None
    assert not chain.reader().issuer(university.did).accredited


def test_without_a_governor_key_the_chain_routes_answer_503(
        client: TestClient, governor: dict, university: Tenant, chain: Chain,
        service: Service):
    service.settings.path(GOVERNOR_KEY).unlink()
    for action in ("accredit", "rotate-key", "suspend", "reinstate", "retire"):
        answer = client.post(f"/v1/admin/issuers/open-university/{action}", headers=governor)
        assert answer.status_code == 503, answer.text
        assert "governor key" in answer.json()["detail"]
    assert _identity(service, "open-university").chain is None
    assert len(_identity(service, "open-university").key_records) == 1
    # reading needs no key
    assert client.get("/v1/admin/issuers/open-university/chain",
                      headers=governor).json()["status"] == "none"


def test_without_a_chain_the_chain_routes_answer_503(client: TestClient, governor: dict,
                                                     university: Tenant, service: Service):
    for action in ("accredit", "rotate-key", "suspend"):
        answer = client.post(f"/v1/admin/issuers/open-university/{action}", headers=governor)
        assert answer.status_code == 503
        assert "no chain" in answer.json()["detail"]
    assert client.get("/v1/admin/chain", headers=governor).status_code == 503
    assert _identity(service, "open-university").chain is None


def test_an_unreachable_chain_is_a_503_with_one_line(client: TestClient, governor: dict,
                                                     university: Tenant, chain: Chain,
                                                     service: Service):
    chain.server.stop()
    answer = client.post("/v1/admin/issuers/open-university/accredit", headers=governor)
    assert answer.status_code == 503
    detail = answer.json()["detail"]
    assert "\n" not in detail and detail.startswith("the chain:")
    assert _identity(service, "open-university").chain is None


def test_a_governor_key_others_can_read_is_refused(client: TestClient, governor: dict,
                                                   university: Tenant, chain: Chain,
                                                   service: Service):
    service.settings.path(GOVERNOR_KEY).chmod(0o644)
    answer = client.post("/v1/admin/issuers/open-university/accredit", headers=governor)
    assert answer.status_code == 503 and "chmod 600" in answer.json()["detail"]
    assert _identity(service, "open-university").chain is None
