"""The anchoring worker: batches by size and age, proofs that verify, exactly once."""

# The chain fixture is imported, so a test parameter named after it shadows the import.
# ruff: noqa: F811

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from api.service.context import Service
from api.service.models import AnchorBatch, Credential, Issuer
from api.service.worker import Anchorer, batch_tree
from api.web.app import create_app
from ledger import ChainUnavailable, IssuerNotActive
from ledger.governance import issuer_client
from ledger.issuance import IssuerIdentity
from verifier import load_evidence, merkle, timefmt, verify
from verifier.proofs import ledger_proof

from .chain_fixtures import ServiceChain, service_chain, trust_list  # noqa: F401
from .conftest import Tenant, record


def _issue(client: TestClient, tenant: Tenant, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        answer = client.post("/v1/credentials", json=record(), headers=tenant.headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def _rows(service: Service) -> list[Credential]:
    with service.db.session() as session:
        return list(session.scalars(select(Credential).order_by(Credential.issued_at)))


def _batches(service: Service) -> list[AnchorBatch]:
    with service.db.session() as session:
        return list(session.scalars(select(AnchorBatch).order_by(AnchorBatch.id)))


def _identity(service: Service, tenant: Tenant) -> IssuerIdentity:
    with service.db.session() as session:
        issuer = session.scalars(select(Issuer).where(Issuer.slug == tenant.slug)).one()
    return IssuerIdentity.load(issuer.directory)


def test_a_full_batch_closes_and_every_credential_verifies_with_chain_evidence(
    service: Service, client: TestClient, university: Tenant, college: Tenant,
    service_chain: ServiceChain,
):
    service.settings.batch_size = 3
    service.settings.batch_age_seconds = 3600
    ours = _issue(client, university, 4)
    theirs = _issue(client, college, 1)

    outcomes = Anchorer(service).run_once()
    # one full batch of the university's three oldest; the fourth and the college's one
    # wait for company or for age
    assert [o.count for o in outcomes] == [3]
    rows = {r.id: r for r in _rows(service)}
    assert [rows[i].state for i in ours] == ["anchored"] * 3 + ["pending"]
    assert rows[theirs[0]].state == "pending" and rows[theirs[0]].batch_id is None

    evidence = service_chain.evidence()
    bundle = service_chain.bundle()
    trust = trust_list(service)
    batch = _batches(service)[0]
    assert batch.state == "anchored" and batch.count == 3
    for credential_id in ours[:3]:
        detail = client.get(f"/v1/credentials/{credential_id}", headers=university.headers)
        assert detail.json()["state"] == "anchored" and detail.json()["anchoredAt"]
        credential = detail.json()["credential"]
        anchor = credential["proof"][1]["anchor"]
        assert anchor["batchRoot"] == batch.root
        assert anchor["transactionHash"] == batch.transaction_hash
        assert anchor["blockNumber"] == batch.block_number
        assert anchor["chainId"] == service_chain.chain_id
        assert anchor["registry"] == service_chain.registry
        leaf = merkle.leaf_hash(ledger_proof.unhex32(rows[credential_id].claims_root, "c"))
        path = [ledger_proof.unhex32(h, "p") for h in anchor["merklePath"]]
        assert merkle.verify_path(leaf, path, ledger_proof.unhex32(batch.root, "root"))
        result = verify(credential, trust=trust, evidence=evidence)
        assert result.check("anchored").status == "passed", result
        assert result.verified, result
        with service_chain.rpc_down():  # offline: the trust bundle alone
            offline = verify(credential, trust=trust, evidence=load_evidence(bundle))
        assert offline.check("anchored").status == "passed", offline
        assert offline.verified, offline
    assert service_chain.anchor_count(batch.root) == 1


def test_a_batch_closes_when_its_oldest_is_old_enough(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_size = 100
    service.settings.batch_age_seconds = 60
    first, second = _issue(client, university, 2)
    assert Anchorer(service).run_once() == []  # young and not full: nothing closes

    with service.db.session() as session:  # the first one waited past the age limit
        session.execute(update(Credential).where(Credential.id == first)
                        .values(issued_at=timefmt.now() - timedelta(seconds=61)))
    outcomes = Anchorer(service).run_once()
    # the batch takes every pending credential up to the size, not just the old one
    assert [o.count for o in outcomes] == [2]
    assert {r.id: r.state for r in _rows(service)} == {first: "anchored", second: "anchored"}


def test_a_prepared_batch_is_finished_after_a_restart_without_a_second_anchor(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    ids = _issue(client, university, 5)
    (issuer_id,) = {r.issuer_id for r in _rows(service)}
    crashed = Anchorer(service)
    batch_id = crashed.prepare(issuer_id)
    assert batch_id is not None
    batch = _batches(service)[0]
    assert batch.state == "prepared" and batch.count == 5
    # The process sent the anchor, then died before recording it.
    issuer_client(_identity(service, university)).anchor(
        ledger_proof.unhex32(batch.root, "root"), batch.count)

    restarted = Anchorer(service)
    outcomes = restarted.run_once()
    assert len(outcomes) == 1 and outcomes[0].resumed and outcomes[0].batch_id == batch_id
    assert service_chain.anchor_count(batch.root) == 1
    assert all(r.state == "anchored" and r.batch_id == batch_id for r in _rows(service))
    evidence = service_chain.evidence()
    for row in _rows(service):
        assert row.id in ids
        assert verify(json.loads(row.document), evidence=evidence).check(
            "anchored").status == "passed"


def test_a_batch_prepared_before_a_crash_is_sent_once_on_restart(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    _issue(client, university, 2)
    (issuer_id,) = {r.issuer_id for r in _rows(service)}
    Anchorer(service).prepare(issuer_id)
    _issue(client, university, 1)  # accepted after the crash, before the restart

    outcomes = Anchorer(service).run_once()
    # the prepared batch first and as it was; the newcomer in a batch of its own
    assert [(o.count, o.resumed) for o in outcomes] == [(2, False), (1, False)]
    assert [b.state for b in _batches(service)] == ["anchored", "anchored"]
    assert all(service_chain.anchor_count(b.root) == 1 for b in _batches(service))


def test_chain_down_keeps_everything_and_anchoring_resumes(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    _issue(client, university, 3)
    anchorer = Anchorer(service)
    with service_chain.rpc_down():
        with pytest.raises(ChainUnavailable):
            anchorer.run_once()
        with pytest.raises(ChainUnavailable):
            anchorer.run_once()  # the prepared batch is retried, not prepared again
        assert [b.state for b in _batches(service)] == ["prepared"]
        assert {r.state for r in _rows(service)} == {"pending"}
    outcomes = anchorer.run_once()
    assert [(o.count, o.resumed) for o in outcomes] == [(3, False)]
    assert {r.state for r in _rows(service)} == {"anchored"}
    assert len(_batches(service)) == 1


def test_an_issuer_without_a_chain_stays_pending(
    service: Service, client: TestClient, university: Tenant, caplog: pytest.LogCaptureFixture,
):
    service.settings.batch_age_seconds = 0
    _issue(client, university, 2)
    anchorer = Anchorer(service)
    for _ in range(3):
        assert anchorer.run_once() == []
    assert {r.state for r in _rows(service)} == {"pending"}
    assert _batches(service) == []
    warnings = [r for r in caplog.records if "no chain connection" in r.getMessage()]
    assert len(warnings) == 1


def test_the_batch_root_is_the_sorted_tree_of_claims_roots(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    _issue(client, university, 7)
    Anchorer(service).run_once()
    rows = _rows(service)
    expected = merkle.root(merkle.leaf_hash(ledger_proof.unhex32(r.claims_root, "c"))
                           for r in reversed(rows))
    (batch,) = _batches(service)
    assert batch.root == ledger_proof.hex32(expected)
    assert batch_tree([r.claims_root for r in rows]).root == expected
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Credential)
                              .where(Credential.batch_id == batch.id)) == 7


def test_the_app_runs_the_worker_when_a_chain_is_configured(
    service: Service, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    service.settings.worker_poll_seconds = 0.05
    service.settings.run_worker = True
    app = create_app(service=service)
    with TestClient(app) as http:
        ids = _issue(http, university, 2)
        job = http.post("/v1/jobs", json=[record()] * 3, headers=university.headers).json()
        assert app.state.anchoring is not None and app.state.jobs is not None
        app.state.jobs.wait_idle(timeout=60)
        app.state.anchoring.wait_idle(timeout=60)
        progress = http.get(f"/v1/jobs/{job['id']}", headers=university.headers).json()
        assert (progress["state"], progress["done"], progress["anchored"]) == ("done", 3, 3)
        listed = http.get("/v1/jobs", headers=university.headers).json()["items"]
        assert [j["anchored"] for j in listed] == [3]
        page = http.get(f"/v1/jobs/{job['id']}/credentials", headers=university.headers)
        ids += [item["credential"]["id"] for item in page.json()["items"]]
        states = [http.get(f"/v1/credentials/{i}", headers=university.headers).json()["state"]
                  for i in ids]
    assert states == ["anchored"] * 5
    assert not app.state.anchoring.alive and not app.state.jobs.alive


def test_without_a_chain_the_app_signs_jobs_but_runs_no_anchoring(
    service: Service, university: Tenant,
):
    service.settings.worker_poll_seconds = 0.05
    service.settings.run_worker = True
    app = create_app(service=service)
    with TestClient(app) as http:
        job = http.post("/v1/jobs", json=[record()], headers=university.headers).json()
        assert app.state.anchoring is None
        app.state.jobs.wait_idle(timeout=60)
        done = http.get(f"/v1/jobs/{job['id']}", headers=university.headers).json()
    assert done["state"] == "done"
    assert {r.state for r in _rows(service)} == {"pending"}


def test_an_issuer_the_registry_refuses_does_not_hold_up_the_others(
    service: Service, client: TestClient, university: Tenant, college: Tenant,
    service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    held = _issue(client, university, 2)
    passes = _issue(client, college, 2)
    service_chain.governor().suspend_issuer(university.did)
    anchorer = Anchorer(service)
    with pytest.raises(IssuerNotActive):
        anchorer.run_once()
    states = {r.id: r.state for r in _rows(service)}
    assert [states[i] for i in passes] == ["anchored", "anchored"]
    assert [states[i] for i in held] == ["pending", "pending"]
    assert [b.state for b in _batches(service) if b.count == 2] == ["prepared", "anchored"]

    service_chain.governor().reinstate_issuer(university.did)
    outcomes = anchorer.run_once()
    assert [(o.count, o.resumed) for o in outcomes] == [(2, False)]
    assert {r.state for r in _rows(service)} == {"anchored"}


class _StaleFirstLook:
    """An issuer's client whose first root lookup misses an anchor already mined (our own
    transaction from before a crash, included just after we looked)."""

    def __init__(self, client):
        self._client = client
        self.looks = 0

    def anchoring_transaction(self, batch_root: bytes):
        self.looks += 1
        return None if self.looks == 1 else self._client.anchoring_transaction(batch_root)

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def test_an_anchor_mined_between_the_lookup_and_the_send_is_recovered_not_repeated(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    _issue(client, university, 2)
    (issuer_id,) = {r.issuer_id for r in _rows(service)}
    Anchorer(service).prepare(issuer_id)
    (batch,) = _batches(service)
    issuer_client(_identity(service, university)).anchor(
        ledger_proof.unhex32(batch.root, "root"), batch.count)

    stale: list[_StaleFirstLook] = []
    anchorer = Anchorer(service, client_for=lambda identity: stale.append(
        _StaleFirstLook(issuer_client(identity))) or stale[-1])
    outcomes = anchorer.run_once()
    assert [(o.count, o.resumed) for o in outcomes] == [(2, True)]
    assert stale[0].looks == 2  # looked, was refused by the registry, looked again
    assert service_chain.anchor_count(batch.root) == 1
    assert {r.state for r in _rows(service)} == {"anchored"}
