"""Deposits (成果存入) through the API: a learner deposits an outcome from elsewhere, the
authority reviews it against a standard, and the credit bank issues a credential carrying
the deposit's digest, anchored and verifiable."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.service.context import Service
from api.service.worker import Anchorer
from verifier import canonical, keys
from verifier.proofs import eddsa_jcs_2022

from . import registry_fixtures as reg
from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, bearer, make_tenant

FW = "urn:example:qf"
ELECTRICIAN = "6-31-01-03-4"  # level 3, 4 credits, vocational
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def certificate(data: bytes = PNG, media_type: str = "image/png", **changes: Any
                ) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "certificate", "certificateNumber": "S000031012345", "issuerName":
        "上海市职业技能鉴定中心", "title": "电工（四级）", "issuedOn": "2025-11-02",
        "scan": {"mediaType": media_type, "data": base64.b64encode(data).decode()},
        "standard": ELECTRICIAN, "note": "外省考取"}
    body.update(changes)
    return body


def foreign_credential() -> tuple[dict[str, Any], str]:
    """A credential another system signed with eddsa-jcs-2022 by a did:key; its signer."""
    key = keys.SigningKey.generate()
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:6a1c2f0e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Electrician", "issuer": {"id": key.did, "name": "Elsewhere"},
        "validFrom": "2025-11-02T00:00:00Z",
        "credentialSubject": {"achievement": {"name": "Electrician level 4"}}}
    document["proof"] = eddsa_jcs_2022.create_proof(document, key, "2025-11-02T00:00:00Z")
    return document, key.did


@pytest.fixture
def session(client: TestClient, learner: dict[str, str]) -> dict[str, str]:
    return bearer(client.post("/v1/learner/session", json=learner).json()["token"])


@pytest.fixture
def bank(service: Service) -> Tenant:
    service.settings.credit_bank = "credit-bank"
    return make_tenant(service, "credit-bank", "上海市终身教育学分银行")


def publish_standards(client: TestClient, governor: dict[str, str]) -> None:
    assert client.post("/v1/admin/frameworks", json=reg.framework(),
                       headers=governor).status_code == 201
    answer = client.post(f"/v1/admin/frameworks/{FW}/2024/publish", headers=governor)
    assert answer.status_code == 200, answer.text
    assert client.post("/v1/admin/standards", json=reg.standards(),
                       headers=governor).status_code == 201
    answer = client.post("/v1/admin/standards/publish", headers=governor)
    assert answer.status_code == 200, answer.text


def test_a_scan_is_deposited_reviewed_approved_issued_anchored_and_verified(
        service: Service, client: TestClient, governor: dict[str, str],
        session: dict[str, str], bank: Tenant,
        service_chain: ServiceChain,  # noqa: F811 (accredits the bank too: it comes first)
        ) -> None:
    service.settings.batch_age_seconds = 0
    publish_standards(client, governor)

    made = client.post("/v1/learner/deposits", json=certificate(), headers=session)
    assert made.status_code == 201, made.text
    deposit = made.json()
    assert deposit["state"] == "submitted" and deposit["scanMediaType"] == "image/png"
    assert deposit["digest"] == hashlib.sha256(PNG).hexdigest()
    assert [d["id"] for d in client.get("/v1/learner/deposits",
                                        headers=session).json()] == [deposit["id"]]

    queue = client.get("/v1/admin/deposits", params={"state": "submitted"}, headers=governor)
    assert queue.status_code == 200 and [d["id"] for d in queue.json()] == [deposit["id"]]
    assert queue.json()[0]["learner"] == "zhangwei"
    scan = client.get(f"/v1/admin/deposits/{deposit['id']}/scan", headers=governor)
    assert scan.status_code == 200 and scan.content == PNG
    assert scan.headers["content-type"] == "image/png"
    assert scan.headers["x-content-type-options"] == "nosniff"
    assert scan.headers["content-disposition"].startswith("attachment")

    unknown = client.post(f"/v1/admin/deposits/{deposit['id']}/decision", headers=governor,
                          json={"decision": "approve", "standard": "X-1", "version": "1"})
    assert unknown.status_code == 422 and "X-1" in unknown.json()["detail"]
    approved = client.post(f"/v1/admin/deposits/{deposit['id']}/decision", headers=governor,
                           json={"decision": "approve", "standard": ELECTRICIAN,
                                 "version": "2024", "results": [{"value": "合格"}]})
    assert approved.status_code == 200, approved.text
    credential_id = approved.json()["credentialId"]
    assert approved.json()["state"] == "approved" and credential_id
    again = client.post(f"/v1/admin/deposits/{deposit['id']}/decision", headers=governor,
                        json={"decision": "refuse", "reason": "twice"})
    assert again.status_code == 409

    seen = client.get(f"/v1/learner/deposits/{deposit['id']}", headers=session).json()
    assert seen["state"] == "approved" and seen["credentialId"] == credential_id

    Anchorer(service).run_once()
    document = client.get(f"/v1/learner/credentials/{credential_id}", headers=session).json()
    assert document["evidence"] == [{
        "id": f"urn:sha256:{deposit['digest']}", "type": ["Evidence"],
        "name": "电工（四级） (上海市职业技能鉴定中心, S000031012345)",
        "genre": "deposit: certificate scan", "description": f"deposit {deposit['id']}"}]
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["alignment"][0]["targetCode"] == ELECTRICIAN
    assert (achievement["creditUnit"], achievement["sector"]) == ("credit", "vocational")
    assert document["credentialSubject"]["identifier"][0]["identityType"] == "accountId"
    verdict = client.post("/v1/verify", json=document).json()
    assert verdict["verified"] is True, verdict

    totals = client.get("/v1/learner/summary", headers=session).json()["totals"]
    assert totals["byUnit"] == [{"value": "4", "unit": "credit"}]
    assert totals["byUnitAndSector"] == [{"value": "4", "unit": "credit",
                                          "sector": "vocational"}]


def test_a_signed_credential_is_deposited_and_its_signature_shown(
        client: TestClient, governor: dict[str, str], session: dict[str, str]) -> None:
    document, signer = foreign_credential()
    made = client.post("/v1/learner/deposits", json={"kind": "credential",
                                                      "credential": document},
                       headers=session)
    assert made.status_code == 201, made.text
    assert made.json()["signature"] == f"signature valid, signed by {signer}"
    assert made.json()["digest"] == hashlib.sha256(canonical.dumps(document)).hexdigest()
    shown = client.get(f"/v1/admin/deposits/{made.json()['id']}", headers=governor).json()
    assert shown["credential"] == document and shown["kind"] == "credential"

    document["name"] = "Master Electrician"
    tampered = client.post("/v1/learner/deposits", json={"kind": "credential",
                                                          "credential": document},
                           headers=session).json()
    assert tampered["signature"].startswith("signature invalid")
    del document["proof"]
    unsigned = client.post("/v1/learner/deposits", json={"kind": "credential",
                                                          "credential": document},
                           headers=session).json()
    assert unsigned["signature"].startswith("not checkable here")


def test_refusals_store_nothing(client: TestClient, session: dict[str, str],
                                governor: dict[str, str], service: Service) -> None:
    bad_type = client.post("/v1/learner/deposits", json=certificate(JPEG, "image/png"),
                           headers=session)
    assert bad_type.status_code == 422 and "image/jpeg" in bad_type.json()["detail"]
    not_media = client.post("/v1/learner/deposits", json=certificate(b"GIF89a" + b"\0" * 9),
                            headers=session)
    assert not_media.status_code == 422
    big = PNG + b"\0" * (2 * 1024 * 1024)
    assert client.post("/v1/learner/deposits", json=certificate(big),
                       headers=session).status_code == 422
    no_scan = certificate()
    del no_scan["scan"]
    assert client.post("/v1/learner/deposits", json=no_scan,
                       headers=session).status_code == 422
    not_vc = client.post("/v1/learner/deposits", json={"kind": "credential",
                                                        "credential": {"a": 1}},
                         headers=session)
    assert not_vc.status_code == 422
    assert client.get("/v1/learner/deposits", headers=session).json() == []
    assert client.get("/v1/admin/deposits", headers=governor).json() == []


def test_withdraw_refuse_and_other_learners(
        service: Service, client: TestClient, session: dict[str, str],
        governor: dict[str, str]) -> None:
    from api.service.accounts import open_learner_account

    first = client.post("/v1/learner/deposits", json=certificate(JPEG, "image/jpeg"),
                        headers=session).json()
    second = client.post("/v1/learner/deposits", json=certificate(), headers=session).json()
    open_learner_account(service, "lisi", "110101199003071234", "another password", "李四")
    other = bearer(client.post("/v1/learner/session", json={
        "login": "lisi", "password": "another password"}).json()["token"])
    assert client.get(f"/v1/learner/deposits/{first['id']}", headers=other).status_code == 404
    assert client.post(f"/v1/learner/deposits/{first['id']}/withdraw",
                       headers=other).status_code == 404
    assert client.get("/v1/learner/deposits/nope", headers=other).status_code == 404

    withdrawn = client.post(f"/v1/learner/deposits/{first['id']}/withdraw", headers=session)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert client.post(f"/v1/learner/deposits/{first['id']}/withdraw",
                       headers=session).status_code == 409
    assert client.post(f"/v1/admin/deposits/{first['id']}/decision", headers=governor,
                       json={"decision": "refuse", "reason": "x"}).status_code == 409

    no_reason = client.post(f"/v1/admin/deposits/{second['id']}/decision", headers=governor,
                            json={"decision": "refuse"})
    assert no_reason.status_code == 422
    refused = client.post(f"/v1/admin/deposits/{second['id']}/decision", headers=governor,
                          json={"decision": "refuse", "reason": "扫描件不清晰"})
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    seen = client.get(f"/v1/learner/deposits/{second['id']}", headers=session).json()
    assert (seen["state"], seen["reason"]) == ("refused", "扫描件不清晰")
    states = [d["state"] for d in client.get("/v1/admin/deposits", params={
        "state": "refused"}, headers=governor).json()]
    assert states == ["refused"]
    assert client.get(f"/v1/admin/deposits/{first['id']}/scan",
                      headers=governor).content == JPEG
