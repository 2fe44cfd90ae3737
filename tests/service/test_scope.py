"""An issuer's accreditation scope: set and cleared by the authority on chain, kept by the
service, checked at issuance (single credentials and job rows) and in the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main as credbank
from api.service.context import Service
from api.service.jobs import JobRunner
from api.service.worker import Anchorer
from verifier import cli

from . import registry_fixtures as reg
from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, record

FW = "urn:example:qf"
SCOPE = "/v1/admin/issuers/open-university/scope"


def _course(level: str | None = None, **changes: Any) -> dict[str, Any]:
    achievement: dict[str, Any] = {"type": "Course", "name": {"zh": "数据结构"},
                                   "description": "通过考核。"}
    if level is not None:
        achievement["level"] = level
    return record(achievement=achievement, **changes)


@pytest.fixture
def chain(service: Service, client: TestClient, governor: dict[str, str],
          service_chain: ServiceChain,  # noqa: F811
          ) -> ServiceChain:
    service.settings.batch_age_seconds = 0
    assert client.post("/v1/admin/frameworks", json=reg.framework(),
                       headers=governor).status_code == 201
    answer = client.post(f"/v1/admin/frameworks/{FW}/2024/publish", headers=governor)
    assert answer.status_code == 200, answer.text
    return service_chain


def _issue(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> Any:
    return client.post("/v1/credentials", json=body, headers=tenant.headers)


def test_a_scope_is_set_on_chain_checked_at_issuance_and_cleared(
        service: Service, client: TestClient, governor: dict[str, str], university: Tenant,
        chain: ServiceChain) -> None:
    assert client.get(SCOPE, headers=governor).json()["sectors"] is None
    unknown = client.put(SCOPE, json={"sectors": ["degree"], "maxLevel": "9"},
                         headers=governor)
    assert unknown.status_code == 422 and "'9'" in unknown.json()["detail"]
    assert client.put("/v1/admin/issuers/nobody/scope", json={"sectors": ["degree"]},
                      headers=governor).status_code == 404

    answer = client.put(SCOPE, json={"sectors": ["degree", "non_degree"], "maxLevel": "4"},
                        headers=governor)
    assert answer.status_code == 200, answer.text
    scope = answer.json()
    assert (scope["sectors"], scope["maxLevel"], scope["maxLevelRank"]) == (
        ["degree", "non_degree"], "4", 4)
    assert scope["chain"]["set"] is True and scope["chain"]["maxLevelRank"] == 4
    assert scope["chain"]["sectors"] == ["degree", "non_degree"]
    assert scope["transactionHash"].startswith("0x")
    assert client.get(SCOPE, headers=governor).json()["chain"] == scope["chain"]

    assert _issue(client, university, _course("4")).status_code == 201
    outside = _issue(client, university, _course(sector="vocational"))
    assert outside.status_code == 422
    assert "sector vocational" in outside.json()["detail"]
    too_high = _issue(client, university, _course("5"))
    assert too_high.status_code == 422 and "level 5" in too_high.json()["detail"]

    job = client.post("/v1/jobs", json=[_course("3"), _course("6")],
                      headers=university.headers)
    assert job.status_code == 202, job.text
    JobRunner(service).run_all()
    state = client.get(f"/v1/jobs/{job.json()['id']}", headers=university.headers).json()
    assert state["state"] == "failed" and "level 6" in state["error"], state

    cleared = client.delete(SCOPE, headers=governor)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["sectors"] is None and cleared.json()["chain"]["set"] is False
    assert _issue(client, university, _course("6", sector="vocational")).status_code == 201


def test_the_verdict_fails_a_credential_outside_the_scope_its_evidence_proves(
        service: Service, client: TestClient, governor: dict[str, str], university: Tenant,
        chain: ServiceChain, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inside = _issue(client, university, _course("3"))
    outside = _issue(client, university, _course(sector="vocational"))
    assert inside.status_code == outside.status_code == 201
    Anchorer(service).run_once()
    answer = client.put(SCOPE, json={"sectors": ["degree"]}, headers=governor)
    assert answer.status_code == 200, answer.text

    documents = {}
    for name, made in (("inside", inside), ("outside", outside)):
        documents[name] = client.get(f"/v1/credentials/{made.json()['id']}",
                                     headers=university.headers).json()["credential"]
    good = client.post("/v1/verify", json=documents["inside"]).json()
    assert good["verified"] is True and good["scopeProblem"] is None, good
    bad = client.post("/v1/verify", json=documents["outside"]).json()
    assert (bad["verified"], bad["reason"]) == (False, "out_of_scope"), bad
    assert bad["headline"]["en"] == "Outside the issuer's accreditation scope"
    assert "sector vocational" in bad["scopeProblem"]
    assert all(c["status"] == "passed" for c in bad["checks"])

    # credbank-verify with a trust bundle and a pinned signer set says the same
    bundle, pin = tmp_path / "bundle.json", tmp_path / "pin.json"
    bundle.write_text(json.dumps(chain.bundle()))
    assert credbank(["trust", "pin", "--rpc", chain.url, "--registry", chain.registry,
                     "--out", str(pin)]) == 0
    capsys.readouterr()
    for name, code in (("inside", 0), ("outside", 1)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(documents[name], ensure_ascii=False))
        assert cli.main([str(path), "--trust", str(bundle), "--pin", str(pin),
                         "--json"]) == code
        report = json.loads(capsys.readouterr().out)
        if name == "outside":
            assert report["reason"] == "out_of_scope"
            assert "sector vocational" in report["scopeProblem"]
        else:
            assert report["verified"] is True and "scopeProblem" not in report


def test_without_a_chain_the_scope_is_read_but_not_set(
        client: TestClient, governor: dict[str, str], university: Tenant) -> None:
    shown = client.get(SCOPE, headers=governor)
    assert shown.status_code == 200 and shown.json()["chain"] is None
    assert client.put(SCOPE, json={"sectors": ["degree"]},
                      headers=governor).status_code == 503
    assert client.delete(SCOPE, headers=governor).status_code == 503
