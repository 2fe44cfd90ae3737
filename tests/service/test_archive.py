"""The learning archive through the API: exported by a learner, signed by the credit bank,
checked offline with a trust bundle, by the service, and printed as a PDF that carries it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main as credbank
from api.service.context import Service
from api.service.worker import Anchorer
from verifier import archive, cli, load_evidence
from verifier.pdf import extract

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, bearer, make_tenant, record


@pytest.fixture
def bank(service: Service) -> Tenant:
    service.settings.credit_bank = "credit-bank"
    return make_tenant(service, "credit-bank", "上海市终身教育学分银行")


@pytest.fixture
def account(service: Service, client: TestClient, bank: Tenant, university: Tenant,
            college: Tenant, learner: dict[str, str],
            service_chain: ServiceChain,  # noqa: F811
            ) -> dict[str, Any]:
    service.settings.batch_age_seconds = 0
    ids = []
    for tenant, name in ((university, "数据结构"), (college, "电工技能")):
        body = record(achievement={"type": "Course", "name": {"zh": name},
                                   "description": "通过考核。"})
        answer = client.post("/v1/credentials", json=body, headers=tenant.headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    Anchorer(service).run_once()
    token = client.post("/v1/learner/session", json=learner).json()["token"]
    return {"ids": ids, "headers": bearer(token), "chain": service_chain}


def test_an_archive_verifies_offline_with_a_fresh_trust_bundle(
        client: TestClient, account: dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    answer = client.get("/v1/learner/archive", headers=account["headers"])
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    document = answer.json()
    held = document["credentialSubject"]["verifiableCredential"]
    assert sorted(c["id"] for c in held) == sorted(account["ids"])
    # no salted identity hash leaves the service; the name does
    assert "salt" not in json.dumps(document["credentialSubject"]["identifier"])
    assert all(i.get("hashed") is not True for c in held
               for i in c["credentialSubject"].get("identifier", []) if i)
    assert document["credentialSubject"]["identifier"][0]["identityHash"] == "张伟"

    report = archive.check(document, evidence=load_evidence(account["chain"].bundle()))
    assert report.verified, report.to_json()

    bundle, path = tmp_path / "bundle.json", tmp_path / "archive.json"
    bundle.write_text(json.dumps(account["chain"].bundle()))
    path.write_text(answer.text)
    # a bundle's signer set that nobody pinned proves nothing: not verified
    assert cli.main([str(path), "--trust", str(bundle)]) == 1
    assert "NOT VERIFIED archive" in capsys.readouterr().out
    pin = tmp_path / "pin.json"
    assert credbank(["trust", "pin", "--rpc", account["chain"].url, "--registry",
                     account["chain"].registry, "--out", str(pin)]) == 0
    assert cli.main([str(path), "--trust", str(bundle), "--pin", str(pin)]) == 0
    out = capsys.readouterr().out
    assert "\nVERIFIED archive" in out and "NOT VERIFIED" not in out


def test_the_service_checks_an_archive_and_names_a_bad_one(
        client: TestClient, account: dict[str, Any]) -> None:
    document = client.get("/v1/learner/archive", headers=account["headers"]).json()
    good = client.post("/v1/verify/archive", json=document)
    assert good.status_code == 200, good.text
    assert good.json()["verified"] is True
    assert [c["verified"] for c in good.json()["credentials"]] == [True, True]

    document["credentialSubject"]["verifiableCredential"][0]["credentialSubject"][
        "achievement"]["name"] = "另一门课程"
    bad = client.post("/v1/verify/archive", json=document).json()
    assert bad["verified"] is False
    status = {c["id"]: c["status"] for c in bad["checks"]}
    assert status["archive_signature"] == "failed"
    assert status["archive_credentials"] == "failed"

    not_one = client.post("/v1/verify/archive", json={"type": ["VerifiableCredential"]})
    assert not_one.status_code == 422


def test_a_chosen_selection_and_the_refusals(service: Service, client: TestClient,
                                             account: dict[str, Any], university: Tenant
                                             ) -> None:
    first = account["ids"][0]
    one = client.get("/v1/learner/archive", params={"credential": [first],
                                                    "revealName": "false"},
                     headers=account["headers"])
    assert one.status_code == 200, one.text
    assert [c["id"] for c in one.json()["credentialSubject"]["verifiableCredential"]] == [
        first]
    assert one.json()["credentialSubject"]["identifier"] == []

    twice = client.get("/v1/learner/archive", params={"credential": [first, first]},
                       headers=account["headers"])
    assert twice.status_code == 422
    unknown = client.get("/v1/learner/archive", params={"credential": ["urn:uuid:x"]},
                         headers=account["headers"])
    assert unknown.status_code == 404 and "in this learning account" in unknown.text

    revoked = client.post(f"/v1/credentials/{first}/revoke", json={"reason": 1},
                          headers=university.headers)
    assert revoked.status_code == 200, revoked.text
    refused = client.get("/v1/learner/archive", params={"credential": [first]},
                         headers=account["headers"])
    assert refused.status_code == 409 and "revoked" in refused.text
    client.cookies.clear()  # signing in set the session cookie too
    assert client.get("/v1/learner/archive").status_code == 401


def test_without_a_credit_bank_issuer_archives_are_unavailable(
        service: Service, client: TestClient, account: dict[str, Any]) -> None:
    service.settings.credit_bank = None
    answer = client.get("/v1/learner/archive", headers=account["headers"])
    assert answer.status_code == 503 and "credit bank" in answer.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pdf_carries_the_archive(client: TestClient, account: dict[str, Any],
                                     lang: str) -> None:
    answer = client.get("/v1/learner/archive.pdf", params={"lang": lang},
                        headers=account["headers"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    embedded = json.loads(extract(answer.content))
    assert archive.is_archive(embedded)
    assert client.post("/v1/verify/archive", json=embedded).json()["verified"] is True
