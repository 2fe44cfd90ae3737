"""Recognition end to end through the API on the embedded chain: standards and a rule set
published (hashes on chain), a learner's credentials from two institutions, a dry run, an
application, the decision; the decision credential verifies offline with a fresh trust
bundle and its sources; reusing a source is refused; revoking a source marks the decision.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main as credbank
from api.service.context import Service
from api.service.worker import Anchorer
from tests.verifier.credit.examples import ELECTRICIAN_4, RULE_SET, STANDARDS
from verifier import archive, cli, load_evidence, load_pin
from verifier.credit import check_decision

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, bearer, make_tenant, record


@pytest.fixture
def bank(service: Service) -> Tenant:
    service.settings.credit_bank = "credit-bank"
    return make_tenant(service, "credit-bank", "上海市终身教育学分银行")


def _rule_set(bank: Tenant, university: Tenant, college: Tenant) -> dict[str, Any]:
    """The worked example's rule set, owned by the credit bank, for the test's tenants."""
    doc = copy.deepcopy(RULE_SET)
    doc.update(id="urn:example:rules:ea", version="2026.1", validFrom="2026-01-01",
               owner={"type": "authority", "id": bank.did})
    doc["programme"]["institution"] = university.did
    doc["rules"][0]["match"]["issuers"] = [college.did]
    doc["rules"] = [doc["rules"][0], doc["rules"][1], doc["rules"][3]]
    return doc


@pytest.fixture
def world(service: Service, client: TestClient, governor: dict[str, str], bank: Tenant,
          university: Tenant, college: Tenant, learner: dict[str, str],
          service_chain: ServiceChain,  # noqa: F811
          ) -> dict[str, Any]:
    service.settings.batch_age_seconds = 0
    assert client.post("/v1/admin/standards", json=STANDARDS,
                       headers=governor).status_code == 201
    published = client.post("/v1/admin/standards/publish", headers=governor)
    assert published.status_code == 200, published.text
    rules = _rule_set(bank, university, college)
    assert client.post("/v1/admin/rule-sets", json=rules, headers=governor).status_code == 201
    ruleset = client.post(f"/v1/admin/rule-sets/{rules['id']}/{rules['version']}/publish",
                          headers=governor)
    assert ruleset.status_code == 200, ruleset.text

    electrician = record(achievement={"type": "Certificate",
                                      "name": {"zh": "电工（四级/中级工）"},
                                      "description": "职业技能等级认定。", "level": "3"},
                         creditsEarned=4, creditUnit="credit", sector="vocational",
                         standard=ELECTRICIAN_4, results=[{"value": "合格"}])
    community = record(achievement={"type": "Course", "name": {"zh": "社区书法课"},
                                    "description": "社区学校课程。"},
                       creditsEarned=24, creditUnit="hour", sector="community_elderly",
                       results=[{"value": "结业"}])
    ids = []
    for tenant, body in ((college, electrician), (university, community)):
        answer = client.post("/v1/credentials", json=body, headers=tenant.headers)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    Anchorer(service).run_once()
    token = client.post("/v1/learner/session", json=learner).json()["token"]
    client.cookies.clear()
    return {"ids": ids, "learner": bearer(token), "rules": rules,
            "hash": ruleset.json()["hash"], "chain": service_chain}


def _ask(world: dict[str, Any], destination: str = "bank",
         ids: list[str] | None = None) -> dict[str, Any]:
    return {"ruleSet": {"id": world["rules"]["id"], "version": world["rules"]["version"]},
            "destination": destination, "credentials": ids or world["ids"]}


def _decided(client: TestClient, service: Service, governor: dict[str, str],
             world: dict[str, Any]) -> dict[str, Any]:
    applied = client.post("/v1/learner/recognition/applications", json=_ask(world),
                          headers=world["learner"])
    assert applied.status_code == 201, applied.text
    decided = client.post(f"/v1/admin/recognition/applications/{applied.json()['id']}"
                          "/decision", json={"decision": "approve"}, headers=governor)
    assert decided.status_code == 200, decided.text
    Anchorer(service).run_once()
    return decided.json()


def _own(client: TestClient, world: dict[str, Any], credential_id: str) -> dict[str, Any]:
    answer = client.get(f"/v1/learner/credentials/{credential_id}", headers=world["learner"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_decision_verifies_offline_with_its_sources(
        service: Service, client: TestClient, governor: dict[str, str],
        world: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dry = client.post("/v1/learner/recognition/dry-run", json=_ask(world),
                      headers=world["learner"])
    assert dry.status_code == 200, dry.text
    assert all(s["verified"] for s in dry.json()["sources"])
    grants = {g["rule"]: g["credits"] for g in dry.json()["evaluation"]["grants"]}
    assert grants == {"electrician-4-bank": {"value": "4", "unit": "credit",
                                             "sector": "vocational"},
                      "community-hours": {"value": "24", "unit": "hour",
                                          "sector": "community_elderly"}}

    queue = client.get("/v1/admin/recognition/applications", headers=governor).json()
    assert queue == []
    decided = _decided(client, service, governor, world)
    assert decided["state"] == "approved"
    decision_id = decided["decision"]["credential"]
    decision = _own(client, world, decision_id)
    recognition = decision["credentialSubject"]["recognition"]
    assert recognition["ruleSet"]["hash"] == world["hash"]
    assert sorted(s["id"] for s in recognition["sources"]) == sorted(world["ids"])

    sources = [_own(client, world, i) for i in world["ids"]]
    bundle = client.get("/v1/trust-bundle").json()
    pin = tmp_path / "pin.json"
    assert credbank(["trust", "pin", "--rpc", world["chain"].url, "--registry",
                     world["chain"].registry, "--out", str(pin)]) == 0
    evidence = load_evidence(bundle, load_pin(pin))
    report = check_decision(decision, sources, world["rules"], facts=evidence,
                            evidence=evidence)
    assert report.verified, json.dumps(report.to_json(), ensure_ascii=False, indent=1)

    # raised credits fail the grant check, by name
    raised = copy.deepcopy(decision)
    for grant in raised["credentialSubject"]["recognition"]["grants"]:
        if grant["credits"]["unit"] == "credit":
            grant["credits"]["value"] = "40"
    failed = check_decision(raised, sources, world["rules"], facts=evidence, evidence=evidence)
    assert failed.check("decision.grant").status.value == "failed"
    # a rule set other than the one published fails the rule-set check, by name
    other = {**copy.deepcopy(world["rules"]), "validUntil": "2030-12-31"}
    wrong = check_decision(decision, sources, other, facts=evidence, evidence=evidence)
    assert wrong.check("decision.rule_set").status.value == "failed"

    # the learning account counts the recognised credits apart, and an archive holding the
    # decision and its sources ties them together and verifies offline
    summary = client.get("/v1/learner/summary", headers=world["learner"]).json()
    assert summary["recognised"]["byUnit"] == [{"value": "4", "unit": "credit"},
                                               {"value": "24", "unit": "hour"}]
    made = client.get("/v1/learner/archive", headers=world["learner"])
    assert made.status_code == 200, made.text
    held = made.json()["credentialSubject"]
    assert held["credbankTotals"]["recognised"]["byUnit"] == summary["recognised"]["byUnit"]
    assert len(held["association"]) == 2
    assert archive.check(made.json(), evidence=evidence).verified

    # and credbank-verify says the same from files alone
    files = {"decision": decision, "a": sources[0], "b": sources[1],
             "rules": world["rules"], "bundle": bundle}
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content, ensure_ascii=False))
    capsys.readouterr()
    code = cli.main([str(tmp_path / "decision.json"), "--source", str(tmp_path / "a.json"),
                     "--source", str(tmp_path / "b.json"), "--rules",
                     str(tmp_path / "rules.json"), "--trust", str(tmp_path / "bundle.json"),
                     "--pin", str(pin)])
    assert code == 0, capsys.readouterr().out


def test_a_source_counts_once_per_destination(service: Service, client: TestClient,
                                              governor: dict[str, str], university: Tenant,
                                              world: dict[str, Any]) -> None:
    decision_id = _decided(client, service, governor, world)["decision"]["credential"]
    again = client.post("/v1/learner/recognition/applications",
                        json=_ask(world, ids=[world["ids"][0]]), headers=world["learner"])
    assert again.status_code == 409 and decision_id in again.json()["detail"]

    # toward the programme it may still count once: the university decides that
    toward = client.post("/v1/learner/recognition/applications",
                         json=_ask(world, "programme", [world["ids"][0]]),
                         headers=world["learner"])
    assert toward.status_code == 201, toward.text
    application = toward.json()["id"]
    assert client.get(f"/v1/admin/recognition/applications/{application}",
                      headers=governor).status_code == 404
    queue = client.get("/v1/recognition/applications", headers=university.headers).json()
    assert [a["id"] for a in queue] == [application]
    assert all(s["verified"] for s in queue[0]["sources"])
    decided = client.post(f"/v1/recognition/applications/{application}/decision",
                          json={"decision": "approve"}, headers=university.headers)
    assert decided.status_code == 200, decided.text
    twice = client.post(f"/v1/recognition/applications/{application}/decision",
                        json={"decision": "refuse", "reason": "重复"},
                        headers=university.headers)
    assert twice.status_code == 409


def test_revoking_a_source_marks_the_decision(service: Service, client: TestClient,
                                              governor: dict[str, str], college: Tenant,
                                              bank: Tenant, world: dict[str, Any]) -> None:
    decided = _decided(client, service, governor, world)
    revoked = client.post(f"/v1/credentials/{world['ids'][0]}/revoke", json={"reason": 1},
                          headers=college.headers)
    assert revoked.status_code == 200, revoked.text
    seen = client.get(f"/v1/learner/recognition/applications/{decided['id']}",
                      headers=world["learner"]).json()
    assert seen["sourcesRevoked"] == [world["ids"][0]]
    assert seen["decision"]["sourceRevoked"] is True
    # the deciding side revokes the decision in turn
    decision_id = decided["decision"]["credential"]
    assert client.post(f"/v1/credentials/{decision_id}/revoke", json={"reason": 1},
                       headers=bank.headers).status_code == 200
    seen = client.get(f"/v1/learner/recognition/applications/{decided['id']}",
                      headers=world["learner"]).json()
    assert seen["decision"]["status"] == "revoked"


def test_refusals_and_partial_approval(service: Service, client: TestClient,
                                       governor: dict[str, str], world: dict[str, Any]
                                       ) -> None:
    learner = world["learner"]
    unknown = _ask(world)
    unknown["ruleSet"]["version"] = "9"
    assert client.post("/v1/learner/recognition/dry-run", json=unknown,
                       headers=learner).status_code == 404
    twice = _ask(world, ids=[world["ids"][0], world["ids"][0]])
    assert client.post("/v1/learner/recognition/applications", json=twice,
                       headers=learner).status_code == 422
    assert client.get("/v1/learner/recognition/applications",
                      headers=learner).json() == []

    applied = client.post("/v1/learner/recognition/applications", json=_ask(world),
                          headers=learner).json()
    path = f"/v1/admin/recognition/applications/{applied['id']}/decision"
    no_reason = client.post(path, json={"decision": "refuse"}, headers=governor)
    assert no_reason.status_code == 422
    part = client.post(path, json={"decision": "approve", "exclude": [
        {"credential": world["ids"][1], "reason": "学时证明不完整"}]}, headers=governor)
    assert part.status_code == 200, part.text
    assert part.json()["excluded"] == {world["ids"][1]: "学时证明不完整"}
    Anchorer(service).run_once()
    decision = _own(client, world, part.json()["decision"]["credential"])
    assert decision["credentialSubject"]["recognition"]["partial"] is True
    # the excluded source is free to count later
    later = client.post("/v1/learner/recognition/applications",
                        json=_ask(world, ids=[world["ids"][1]]), headers=learner)
    assert later.status_code == 201, later.text
    withdrawn = client.post(f"/v1/learner/recognition/applications/{later.json()['id']}"
                            "/withdraw", headers=learner)
    assert withdrawn.json()["state"] == "withdrawn"
