"""Verification over HTTP: the verifier's named checks, trust downloads, the W3C VC API."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import trust
from api.service.context import Service
from api.service.models import Credential
from api.service.settings import Settings
from api.web.app import create_app
from ledger.issuance import LearningRecord, attach_anchor, issue_one
from ledger.issuance.signing import single_batch
from ledger.node import Node, RpcHandler, RpcServer, init_data_dir
from ledger.web3_client import Web3RegistryClient
from tests.credentials import ISSUED_AT, RECORD, make_issuer
from verifier import load_evidence, parse_trust_list, verdict, verify
from verifier.checks import CHECK_IDS
from verifier.merkle import MerkleTree, leaf_hash

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401, F811
from .conftest import Tenant, record


def _self_anchored(client: TestClient, service: Service, tenant: Tenant) -> dict[str, Any]:
    """A credential the service issued, as a batch of one (no chain needed to verify it)."""
    accepted = client.post("/v1/credentials", json=record(), headers=tenant.headers).json()
    credential = client.get(f"/v1/credentials/{accepted['id']}", headers=tenant.headers).json()
    with service.db.session() as session:
        root = session.scalars(select(Credential.claims_root)
                               .where(Credential.id == accepted["id"])).one()
    return single_batch(credential["credential"], bytes.fromhex(root.removeprefix("0x")))


def _count(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(Credential)) or 0


# ---- POST /v1/verify ---------------------------------------------------------------------


def test_a_good_credential_verifies_as_the_cli_says(client: TestClient, service: Service,
                                                     university: Tenant):
    credential = _self_anchored(client, service, university)
    # no chain here: status cannot be checked, so it verifies only when that is accepted
    refused = client.post("/v1/verify", json=credential).json()
    assert (refused["verified"], refused["reason"], refused["notChecked"]) == (
        False, "status_unknown", ["status"])
    assert refused["headline"] == {"zh": "无法核验状态", "en": "Status could not be checked"}
    answer = client.post("/v1/verify?accept=status", json=credential)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["verified"], body["reason"], body["notChecked"]) == (
        True, "verified", ["status"])
    assert body["headline"] == {"zh": "已验证", "en": "Verified"}
    assert body["statusChange"] is None
    assert [c["id"] for c in body["checks"]] == list(CHECK_IDS)
    assert body["checks"][CHECK_IDS.index("issuer_trusted")]["status"] == "passed"
    offline = verify(credential, trust=parse_trust_list(trust.trust_document(service)))
    # the same answer credbank-verify --json --no-status prints (bar the file name and the
    # clock)
    assert body["verified"] == verdict.explain(offline, accept={"status"}).verified
    assert refused["verified"] == offline.verified
    assert [(c["id"], c["status"]) for c in body["checks"]] == [
        (c.id, str(c.status)) for c in offline.checks]


def test_a_self_made_issuer_with_a_real_name_is_not_accredited(client: TestClient,
                                                               university: Tenant,
                                                               tmp_path: Path):
    # anyone can make an issuer named like an accredited one; its key is its own
    forger = make_issuer(tmp_path / "forger", "上海开放大学 Shanghai Open University")
    credential, root = issue_one(LearningRecord.from_json(copy.deepcopy(RECORD)), forger,
                                 status_index=0, now=ISSUED_AT)
    for query in ("", "?accept=status", "?accept=status&accept=issuer"):
        body = client.post(f"/v1/verify{query}", json=single_batch(credential, root)).json()
        assert (body["verified"], body["reason"]) == (False, "not_accredited"), query
        assert body["headline"]["en"] == "Issuer not accredited"


def test_a_tampered_credential_names_the_failing_check(client: TestClient, service: Service,
                                                        university: Tenant):
    credential = _self_anchored(client, service, university)
    credential["credentialSubject"]["creditsEarned"] = 40
    body = client.post("/v1/verify", json=credential).json()
    assert body["verified"] is False
    failing = {c["id"]: c for c in body["checks"] if c["status"] == "failed"}
    assert "integrity" in failing and failing["integrity"]["detail"]


def test_an_unknown_issuer_is_not_trusted(client: TestClient, tmp_path: Path):
    stranger = make_issuer(tmp_path / "stranger", "Not accredited here")
    credential, root = issue_one(LearningRecord.from_json(copy.deepcopy(RECORD)), stranger,
                                 status_index=0, now=ISSUED_AT)
    body = client.post("/v1/verify", json=single_batch(credential, root)).json()
    assert body["verified"] is False
    statuses = {c["id"]: c["status"] for c in body["checks"]}
    assert statuses["issuer_signature"] == "passed"
    assert statuses["issuer_trusted"] == "failed"


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "malformed JSON"),
    (b"", "JSON object"),
    (b"[1, 2]", "JSON object"),
    (b'{"a": 1, "a": 2}', "duplicate"),
    (b'{"type": ["VerifiableCredential"]}', "not a credential"),
    (b'{"x": NaN}', "NaN"),
    ("\"\xff\"".encode("latin-1"), "UTF-8"),
])
def test_bad_bodies_are_422_with_a_reason(client: TestClient, body: bytes, reason: str):
    answer = client.post("/v1/verify", content=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["detail"]


def test_a_body_larger_than_a_credential_can_be_is_413(client: TestClient):
    big = {"type": ["VerifiableCredential"], "padding": "x" * (1 << 20)}
    answer = client.post("/v1/verify", json=big)
    assert answer.status_code == 413
    assert "bytes" in answer.json()["detail"]


# ---- trust downloads ---------------------------------------------------------------------


def test_without_a_chain_both_downloads_are_the_trust_list(client: TestClient,
                                                           university: Tenant, college: Tenant):
    listed = client.get("/v1/trust-list")
    bundle = client.get("/v1/trust-bundle")
    assert listed.status_code == bundle.status_code == 200
    assert listed.json() == bundle.json()
    assert listed.json()["type"] == "CredbankTrustList"
    assert {i["id"] for i in listed.json()["issuers"]} == {university.did, college.did}
    parse_trust_list(listed.json())  # what credbank-verify --trust reads
    assert "max-age" in listed.headers["Cache-Control"]


# ---- with a chain: evidence from the service's node ------------------------------------------


@dataclass
class Deployment:
    url: str
    registry: str
    credentials: list[dict[str, Any]]  # status index 1 revoked, 2 suspended


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    governor, anchorer = Account.create(), Account.create()
    base = tmp_path_factory.mktemp("chain")
    init_data_dir(base / "node", period=0, sender_allowlist=[
        bytes.fromhex(a.address[2:]) for a in (governor, anchorer)])
    node = Node.open(base / "node", durable=False)
    server = RpcServer(RpcHandler(node), port=0)
    node.start()
    server.start()
    try:
        client = Web3RegistryClient.deploy(server.url, governor, [governor.address])
        issuer = make_issuer(base / "issuer")
        client.accredit(issuer.did, issuer.name)
        client.add_key(issuer.did, issuer.signing_key(ISSUED_AT).public_key, 0)
        client.authorize_account(issuer.did, anchorer.address)
        issuing = client.with_account(anchorer)
        status_registry = f"eip155:{client.chain_id}:{client.registry}"
        issued = [issue_one(LearningRecord.from_json(copy.deepcopy(RECORD)), issuer,
                            status_index=i, now=ISSUED_AT, status_registry=status_registry)
                  for i in range(3)]
        tree = MerkleTree(leaf_hash(root) for _, root in issued)
        anchored = issuing.anchor(tree.root, len(issued))
        credentials = [attach_anchor(c, tree.root, tree.proof(leaf_hash(root)),
                                     anchored.anchor_members()) for c, root in issued]
        issuing.revoke([1], reason=1)
        issuing.suspend([2], reason=7)
        yield Deployment(server.url, client.registry, credentials)
    finally:
        server.stop()
        node.close()


def _chain_client(tmp_path: Path, database_url: str, rpc_url: str, registry: str):
    settings = Settings(data_dir=tmp_path / "chained", database_url=database_url,
                        run_worker=False, rpc_url=rpc_url, registry=registry)
    return Service.open(settings)


def test_with_a_chain_verify_uses_proven_status(deployment: Deployment, tmp_path: Path,
                                                database_url: str):
    svc = _chain_client(tmp_path, database_url, deployment.url, deployment.registry)
    try:
        with TestClient(create_app(service=svc)) as http:
            good, revoked, suspended = (
                {c["id"]: c["status"] for c in
                 http.post("/v1/verify", json=credential).json()["checks"]}
                for credential in deployment.credentials)
            bundle = http.get("/v1/trust-bundle")
    finally:
        svc.close()
    assert good["anchored"] == good["not_revoked"] == good["not_suspended"] == "passed"
    assert good["issuer_trusted"] == "passed"
    assert revoked["not_revoked"] == "failed" and revoked["not_suspended"] == "passed"
    assert suspended["not_suspended"] == "failed"
    # the download is a bundle an offline verifier checks with no network at all
    assert bundle.status_code == 200 and bundle.json()["type"] == "CredbankTrustBundle"
    evidence = load_evidence(bundle.json())
    offline = verify(deployment.credentials[1], evidence=evidence)
    assert offline.check("not_revoked").status == "failed"
    assert verify(deployment.credentials[0], evidence=evidence).verified


def test_a_chain_that_cannot_be_reached_is_an_error_never_a_pass(
        deployment: Deployment, tmp_path: Path, database_url: str):
    from tests.conftest import _free_loopback_port

    dead = f"http://127.0.0.1:{_free_loopback_port()}"
    svc = _chain_client(tmp_path, database_url, dead, deployment.registry)
    try:
        with TestClient(create_app(service=svc)) as http:
            body = http.post("/v1/verify", json=deployment.credentials[0]).json()
            bundle = http.get("/v1/trust-bundle")
            vc_api = http.post("/credentials/verify",
                               json={"verifiableCredential": deployment.credentials[0]})
    finally:
        svc.close()
    statuses = {c["id"]: c["status"] for c in body["checks"]}
    assert body["verified"] is False
    assert statuses["anchored"] == statuses["not_revoked"] == "error"
    assert bundle.status_code == 503 and "chain" in bundle.json()["detail"]
    assert vc_api.status_code == 400


def test_the_rpc_url_never_leaks_credentials_into_answers(deployment: Deployment,
                                                          tmp_path: Path, database_url: str):
    from tests.conftest import _free_loopback_port

    secret_url = f"http://user:s3cret@127.0.0.1:{_free_loopback_port()}/key/t0ken?k=t0ken"
    svc = _chain_client(tmp_path, database_url, secret_url, deployment.registry)
    try:
        with TestClient(create_app(service=svc)) as http:
            answers = [http.post("/v1/verify", json=deployment.credentials[0]).text,
                       http.get("/v1/trust-bundle").text]
    finally:
        svc.close()
    for text in answers:
        assert "error" in text or "503" in text or "chain" in text
        assert "s3cret" not in text and "t0ken" not in text


def test_verify_never_contradicts_what_the_service_did(
        service: Service, client: TestClient, university: Tenant,
        service_chain: ServiceChain):  # noqa: F811
    """Evidence cached before an anchoring or a revocation is fetched afresh."""
    from api.service.worker import Anchorer

    service.settings.batch_age_seconds = 0
    accepted = client.post("/v1/credentials", json=record(), headers=university.headers).json()
    pending = client.get(f"/v1/credentials/{accepted['id']}", headers=university.headers)
    before = client.post("/v1/verify", json=pending.json()["credential"]).json()
    assert before["verified"] is False  # not anchored yet; evidence is now cached
    Anchorer(service).run_once()
    document = client.get(f"/v1/credentials/{accepted['id']}",
                          headers=university.headers).json()["credential"]
    assert client.post("/v1/verify", json=document).json()["verified"] is True
    revoked = client.post(f"/v1/credentials/{accepted['id']}/revoke", json={"reason": 1},
                          headers=university.headers)
    assert revoked.status_code == 200, revoked.text
    after = client.post("/v1/verify", json=document).json()
    assert {c["id"]: c["status"] for c in after["checks"]}["not_revoked"] == "failed"
    vc_api = client.post("/credentials/verify", json={"verifiableCredential": document})
    assert vc_api.status_code == 400 and any(e.startswith("not_revoked:")
                                             for e in vc_api.json()["errors"])


def test_an_issuer_added_after_a_verification_is_trusted_at_once(
        client: TestClient, service: Service, university: Tenant):
    from .conftest import make_tenant

    first = _self_anchored(client, service, university)
    # (no chain here: the status gap is accepted)
    assert client.post("/v1/verify?accept=status",
                       json=first).json()["verified"] is True  # list cached
    newcomer = make_tenant(service, "museum", "城市博物馆")
    credential = _self_anchored(client, service, newcomer)
    assert client.post("/v1/verify?accept=status",
                       json=credential).json()["verified"] is True


def test_with_a_chain_the_verdict_names_the_authority_and_the_recorded_revocation(
        service: Service, client: TestClient, university: Tenant, tmp_path: Path,
        service_chain: ServiceChain):  # noqa: F811
    from api.service.worker import Anchorer

    service.settings.authority_name = "上海市终身教育学分银行"
    service.settings.batch_age_seconds = 0
    trust.forget(service)
    accepted = client.post("/v1/credentials", json=record(), headers=university.headers).json()
    Anchorer(service).run_once()
    document = client.get(f"/v1/credentials/{accepted['id']}",
                          headers=university.headers).json()["credential"]
    good = client.post("/v1/verify", json=document).json()
    assert (good["verified"], good["reason"], good["notChecked"]) == (True, "verified", [])

    # A self-made issuer under a real institution's name: the registry has no record of it.
    forger = make_issuer(tmp_path / "forger", "上海开放大学 Shanghai Open University")
    forged, root = issue_one(LearningRecord.from_json(copy.deepcopy(RECORD)), forger,
                             status_index=0, now=ISSUED_AT)
    body = client.post("/v1/verify?accept=status&accept=issuer",
                       json=single_batch(forged, root)).json()
    assert (body["verified"], body["reason"]) == (False, "not_accredited")
    trusted = next(c for c in body["checks"] if c["id"] == "issuer_trusted")
    assert trusted["detail"].startswith(
        f"not accredited by 上海市终身教育学分银行, registry {service_chain.registry} on chain "
        f"{service_chain.chain_id}: {forger.did} has no record in the registry")

    revoked = client.post(f"/v1/credentials/{accepted['id']}/revoke", json={"reason": 1},
                          headers=university.headers).json()
    after = client.post("/v1/verify", json=document).json()
    assert (after["verified"], after["reason"]) == (False, "revoked")
    change = after["statusChange"]
    assert (change["action"], change["reason"], change["transactionHash"],
            change["blockNumber"]) == ("revoked", 1, revoked["transactionHash"],
                                       revoked["blockNumber"])
    assert isinstance(change["blockNumber"], int)
    assert change["reasonWords"] == {"zh": "误发", "en": "issued in error"}
    assert after["headline"]["en"] == f"Revoked on {change['at']} (reason: issued in error)"
    assert after["headline"]["zh"] == f"已于 {change['at']} 撤销（原因：误发）"

    # the bundle for offline verifiers names the authority, as information
    bundle = client.get("/v1/trust-bundle").json()
    assert bundle["authority"] == "上海市终身教育学分银行"
    assert [e["action"] for e in bundle["statusEvents"]] == ["revoked"]


def test_the_services_own_record_of_a_revocation_is_never_contradicted(
        client: TestClient, service: Service, university: Tenant):
    from datetime import UTC, datetime

    from api.service.models import StatusChange

    credential = _self_anchored(client, service, university)
    at = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    with service.db.session() as session:
        row = session.get(Credential, credential["id"])
        row.status = "suspended"
        session.add(StatusChange(credential_id=row.id, action="suspend", reason=7, note="",
                                 transaction_hash="0x" + "ab" * 32, at=at))
    # no chain: status is not checked, and even a caller accepting that reads "suspended"
    body = client.post("/v1/verify?accept=status", json=credential).json()
    assert (body["verified"], body["reason"], body["notChecked"]) == (
        False, "suspended", ["status"])
    assert body["statusChange"] == {
        "action": "suspended", "at": "2026-10-01T02:00:00Z", "reason": 7,
        "reasonWords": {"zh": "审查中", "en": "under review"},
        "transactionHash": "0x" + "ab" * 32, "blockNumber": None}
    assert body["headline"]["en"] == "Suspended on 2026-10-01T02:00:00Z (reason: under review)"
    vc_api = client.post("/credentials/verify?accept=status",
                         json={"verifiableCredential": credential})
    assert vc_api.status_code == 400
    assert vc_api.json()["errors"] == [
        "suspended: Suspended on 2026-10-01T02:00:00Z (reason: under review)"]
    # an altered copy is not that credential: its own fault comes first
    credential["credentialSubject"]["creditsEarned"] = 40
    altered = client.post("/v1/verify?accept=status", json=credential).json()
    assert (altered["reason"], altered["statusChange"]) == ("altered", None)
