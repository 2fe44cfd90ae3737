"""Revoke, suspend and reinstate: on chain first, then recorded; only by the issuer."""

# The chain fixture is imported, so a test parameter named after it shadows the import.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.models import Credential, Issuer, StatusChange
from api.service.worker import Anchorer
from ledger.governance import issuer_client
from ledger.issuance import IssuerIdentity
from verifier import verify
from verifier.proofs import ledger_proof

from .chain_fixtures import ServiceChain, service_chain, trust_list  # noqa: F401
from .conftest import Tenant, record


def _issue(client: TestClient, tenant: Tenant) -> dict[str, object]:
    answer = client.post("/v1/credentials", json=record(), headers=tenant.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _change(client: TestClient, tenant: Tenant | dict[str, str], credential_id: object,
            action: str, **body: object):
    headers = tenant.headers if isinstance(tenant, Tenant) else tenant
    return client.post(f"/v1/credentials/{credential_id}/{action}",
                       json={"reason": 0, **body}, headers=headers)


def _changes(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(StatusChange)) or 0


def _status(client: TestClient, tenant: Tenant, credential_id: object) -> str:
    return client.get(f"/v1/credentials/{credential_id}", headers=tenant.headers).json()["status"]


def test_revoked_is_on_chain_recorded_and_fails_verification(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    revoked, kept = _issue(client, university), _issue(client, university)
    Anchorer(service).run_once()

    answer = _change(client, university, revoked["id"], "revoke", reason=1,
                     note="issued in error")
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["status"] == "revoked" and out["reason"] == 1
    assert out["transactionHash"].startswith("0x")
    reader = service_chain.reader()
    assert reader.is_revoked(university.did, revoked["statusIndex"])
    assert not reader.is_revoked(university.did, kept["statusIndex"])
    history = client.get(f"/v1/credentials/{revoked['id']}/status-changes",
                         headers=university.headers).json()
    assert [(h["action"], h["reason"], h["note"]) for h in history] == [
        ("revoke", 1, "issued in error")]
    # the block that took the change, as the chain client reported it
    assert isinstance(history[0]["blockNumber"], int) and history[0]["blockNumber"] > 0
    with service.db.session() as session:
        assert session.scalars(select(StatusChange)).one().block_number == \
            history[0]["blockNumber"]
    listed = client.get("/v1/credentials?status=revoked", headers=university.headers).json()
    assert [i["id"] for i in listed["items"]] == [revoked["id"]]

    evidence, trust = service_chain.evidence(), trust_list(service)
    for credential_id, expected in ((revoked["id"], "failed"), (kept["id"], "passed")):
        document = client.get(f"/v1/credentials/{credential_id}",
                              headers=university.headers).json()["credential"]
        result = verify(document, trust=trust, evidence=evidence)
        assert result.check("not_revoked").status == expected, result


def test_illegal_transitions_are_refused_and_change_nothing(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    credential = _issue(client, university)
    cid = credential["id"]
    assert _change(client, university, cid, "reinstate").status_code == 409  # not suspended
    assert _change(client, university, cid, "suspend", reason=7).status_code == 200
    answer = _change(client, university, cid, "suspend")
    assert answer.status_code == 409 and "already suspended" in answer.json()["detail"]
    assert service_chain.reader().is_suspended(university.did, credential["statusIndex"])
    assert _change(client, university, cid, "reinstate", reason=7).status_code == 200
    assert _status(client, university, cid) == "active"
    assert not service_chain.reader().is_suspended(university.did, credential["statusIndex"])

    assert _change(client, university, cid, "suspend").status_code == 200
    assert _change(client, university, cid, "revoke", reason=3).status_code == 200
    assert _status(client, university, cid) == "revoked"
    recorded = _changes(service)
    for action, says in (("revoke", "already revoked"), ("reinstate", "cannot be reinstated"),
                         ("suspend", "cannot be suspended")):
        answer = _change(client, university, cid, action)
        assert answer.status_code == 409 and says in answer.json()["detail"]
    assert _changes(service) == recorded == 4
    assert _status(client, university, cid) == "revoked"


def test_chain_down_is_503_and_nothing_changes(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    credential = _issue(client, university)
    with service_chain.rpc_down():
        answer = _change(client, university, credential["id"], "revoke")
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("the chain did not take the change")
    assert "\n" not in answer.json()["detail"]
    assert _status(client, university, credential["id"]) == "active"
    assert _changes(service) == 0
    assert not service_chain.reader().is_revoked(university.did, credential["statusIndex"])
    # once the chain answers again, the same request works
    assert _change(client, university, credential["id"], "revoke").status_code == 200


def test_a_change_already_on_chain_is_recorded_without_a_second_transaction(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    credential = _issue(client, university)
    with service.db.session() as session:
        directory = session.scalars(select(Issuer.directory)
                                    .where(Issuer.slug == university.slug)).one()
    # the chain took the revocation, but its answer never reached the service
    issuer_client(IssuerIdentity.load(directory)).revoke([credential["statusIndex"]], 1)
    answer = _change(client, university, credential["id"], "revoke", reason=1)
    assert answer.status_code == 200, answer.text
    assert answer.json()["transactionHash"] is None
    assert _status(client, university, credential["id"]) == "revoked"


def test_only_the_owning_issuer_changes_status(
    service: Service, client: TestClient, university: Tenant, college: Tenant,
    governor: dict[str, str], service_chain: ServiceChain,
):
    credential = _issue(client, university)
    cid = credential["id"]
    for action in ("revoke", "suspend", "reinstate"):
        answer = _change(client, college, cid, action)
        assert answer.status_code == 404 and answer.json()["detail"]
        assert _change(client, governor, cid, action).status_code == 403
        assert client.post(f"/v1/credentials/{cid}/{action}", json={"reason": 0}
                           ).status_code == 401
    assert client.get(f"/v1/credentials/{cid}/status-changes",
                      headers=college.headers).status_code == 404
    assert _change(client, university, "urn:uuid:nope", "revoke").status_code == 404
    assert _change(client, university, "urn%00nope", "revoke").status_code == 404
    assert _changes(service) == 0
    assert not service_chain.reader().is_revoked(university.did, credential["statusIndex"])
    assert _change(client, university, cid, "suspend").status_code == 200


@pytest.mark.parametrize("body", [
    {"reason": 256}, {"reason": -1}, {"reason": "misconduct"}, {}, {"reason": 1.5},
    {"reason": 1, "note": "x" * 501}, {"reason": 1, "extra": True}, {"reason": 1, "note": "a\x00b"},
])
def test_bad_bodies_are_422_and_send_nothing(
    service: Service, client: TestClient, university: Tenant, body: dict[str, object],
):
    credential = _issue(client, university)
    answer = client.post(f"/v1/credentials/{credential['id']}/revoke", json=body,
                         headers=university.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]
    assert _changes(service) == 0


def test_an_issuer_without_a_chain_cannot_change_status(
    service: Service, client: TestClient, university: Tenant,
):
    credential = _issue(client, university)
    answer = _change(client, university, credential["id"], "suspend")
    assert answer.status_code == 503 and "not connected to a chain" in answer.json()["detail"]
    with service.db.session() as session:
        assert session.get(Credential, credential["id"]).status == "active"
    assert json.dumps(answer.json()).count("\\n") == 0


def test_a_whole_batch_is_revoked_in_one_transaction(
    service: Service, client: TestClient, university: Tenant, college: Tenant,
    governor: dict[str, str], service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    ids = [_issue(client, university)["id"] for _ in range(3)]
    assert _change(client, university, ids[0], "revoke", reason=1).status_code == 200
    Anchorer(service).run_once()
    page = client.get("/v1/batches", headers=university.headers).json()
    (batch,) = page["items"]
    assert (batch["count"], batch["state"], batch["revoked"]) == (3, "anchored", 1)
    assert client.get("/v1/batches", headers=college.headers).json()["items"] == []
    url = f"/v1/batches/{batch['root']}/revoke"
    assert client.post(url, json={"reason": 2}, headers=college.headers).status_code == 404
    assert client.post(url, json={"reason": 2}, headers=governor).status_code == 403
    assert client.post(url, json={"reason": 2}).status_code == 401
    assert client.post(url, json={"reason": 300}, headers=university.headers).status_code == 422

    answer = client.post(url, json={"reason": 2, "note": "superseded"},
                         headers=university.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked"] == 2 and answer.json()["transactionHash"]
    assert service_chain.reader().batch(ledger_proof.unhex32(batch["root"], "r")).revoked
    assert {_status(client, university, i) for i in ids} == {"revoked"}
    again = client.post(url, json={"reason": 2}, headers=university.headers)
    assert again.status_code == 409 and "already revoked" in again.json()["detail"]
    assert client.get(f"/v1/batches/{batch['root']}", headers=university.headers
                      ).json()["revoked"] == 3
    with service.db.session() as session:
        batch_changes = session.scalars(select(StatusChange).where(
            StatusChange.action == "revoke-batch")).all()
    assert len(batch_changes) == 2 and all(c.block_number for c in batch_changes)

    evidence = service_chain.evidence()
    document = client.get(f"/v1/credentials/{ids[2]}", headers=university.headers
                          ).json()["credential"]
    result = verify(document, evidence=evidence)
    assert result.check("not_revoked").status == "failed"
    assert "batch" in result.check("not_revoked").detail


def test_a_batch_not_yet_anchored_cannot_be_revoked_whole(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
):
    service.settings.batch_age_seconds = 0
    _issue(client, university)
    with service.db.session() as session:
        issuer_id = session.scalars(select(Issuer.id).where(Issuer.slug == university.slug)
                                    ).one()
    Anchorer(service).prepare(issuer_id)
    (batch,) = client.get("/v1/batches", headers=university.headers).json()["items"]
    assert batch["state"] == "prepared"
    answer = client.post(f"/v1/batches/{batch['root']}/revoke", json={"reason": 0},
                         headers=university.headers)
    assert answer.status_code == 409 and "not anchored yet" in answer.json()["detail"]
    for root in ("0xnope", "0x%00", batch["root"][:-1] + "%00"):
        assert client.get(f"/v1/batches/{root}", headers=university.headers).status_code == 404


def test_a_suspension_that_lost_a_race_to_a_revocation_leaves_it_revoked(
    service: Service, client: TestClient, university: Tenant, service_chain: ServiceChain,
    monkeypatch: pytest.MonkeyPatch,
):
    from api.service import credentials as institution

    credential = _issue(client, university)
    real_client = institution.issuer_client

    class RacedByRevocation:
        def __init__(self, identity):
            self._client = real_client(identity)

        def suspend(self, indices, reason):
            result = self._client.suspend(indices, reason)
            with service.db.session() as session:  # a revocation committed meanwhile
                session.get(Credential, credential["id"]).status = "revoked"
            return result

        def __getattr__(self, name):
            return getattr(self._client, name)

    monkeypatch.setattr(institution, "issuer_client", RacedByRevocation)
    answer = _change(client, university, credential["id"], "suspend")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "revoked"
    assert _status(client, university, credential["id"]) == "revoked"
