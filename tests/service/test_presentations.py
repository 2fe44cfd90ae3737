"""Job-seeking verification: an employer's request, a learner's consent and presentation,
verified on arrival and on reading; replays, swaps, revocation, other learners, visitors and
withdrawal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service import presentations
from api.service.context import Service
from api.service.employer_models import Presentation
from api.service.models import Credential, Employer
from verifier import derive_copy
from verifier.cli import main as credbank_verify

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, bearer
from .test_learner import anchor, issue, open_other, sign_in

REQUIREMENTS = [
    {"id": "elec", "kind": "achievement", "name": "电工", "minLevel": "3"},
    {"id": "credits", "kind": "credits", "field": "电气", "unit": "credit", "min": 20},
    {"id": "any", "kind": "accredited", "minLevel": "4"},
]


def certificate(name: str, field: str, level: str, credits: int) -> dict[str, Any]:
    return {"achievement": {"type": "Certificate", "name": name, "description": f"{name}合格。",
                            "fieldOfStudy": field, "level": level},
            "creditsEarned": credits, "creditUnit": "credit", "sector": "vocational"}


def employer_key(client: TestClient, governor: dict[str, str], slug: str) -> dict[str, str]:
    made = client.post("/v1/admin/employers", json={"slug": slug, "name": f"{slug} 有限公司"},
                       headers=governor)
    assert made.status_code == 201, made.text
    key = client.post("/v1/admin/api-keys", json={"role": "employer", "employer": slug},
                      headers=governor)
    assert key.status_code == 201, key.text
    return bearer(key.json()["apiKey"])


@pytest.fixture
def scene(client: TestClient, service: Service, college: Tenant, governor, learner):
    first = issue(client, college, **certificate("电工（四级）", "电气工程", "3", 12))
    second = issue(client, college, **certificate("电气自动化", "电气自动化", "2", 10))
    anchor(service, first)
    anchor(service, second)
    acme = employer_key(client, governor, "acme")
    made = client.post("/v1/employer/requests", headers=acme, json={
        "title": "维修电工", "requirements": REQUIREMENTS, "askName": True,
        "accept": ["status"]})
    assert made.status_code == 201, made.text
    return {"first": first, "second": second, "acme": acme, "request": made.json(),
            "learner": sign_in(client)}


def consent(client: TestClient, scene: dict[str, Any], request_id: str | None = None,
            reveal_name: bool = True, headers: dict[str, str] | None = None):
    choices = {"elec": [scene["first"]], "credits": [scene["first"], scene["second"]],
               "any": [scene["first"]]}
    return client.post(f"/v1/learner/requests/{request_id or scene['request']['id']}"
                       "/presentation", headers=headers or scene["learner"],
                       json={"choices": choices, "revealName": reveal_name})


def test_a_presentation_answers_the_request_and_each_requirement_is_judged(
        client: TestClient, service: Service, scene, tmp_path: Path, capsys):
    request = scene["request"]
    assert request["employer"] == {"name": "acme 有限公司", "registered": True, "id": "acme"}
    assert request["domain"].endswith("/v1/employers/acme") and len(request["challenge"]) >= 32
    # the domain names the employer: anyone can look it up
    profile = client.get("/v1/employers/acme").json()
    assert profile["name"] == "acme 有限公司" and profile["retiredAt"] is None
    assert request["requirements"][1]["disclose"] == [
        "/credentialSubject/achievement/name", "/credentialSubject/achievement/fieldOfStudy",
        "/credentialSubject/achievement/creditUnit", "/credentialSubject/creditsEarned"]
    seen = client.get(f"/v1/learner/requests/{request['id']}", headers=scene["learner"]).json()
    suggested = {rid: {c["credential"] for c in found if c["suggested"]}
                 for rid, found in seen["candidates"].items()}
    assert suggested == {"elec": {scene["first"]},
                         "credits": {scene["first"], scene["second"]}, "any": set()}
    answer = consent(client, scene)
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiedOnArrival"] is False  # "any" (level ≥ 4) is not met
    assert answer.json()["nameRevealed"] is True
    read = client.get(f"/v1/employer/requests/{request['id']}", headers=scene["acme"]).json()
    [response] = read["responses"]
    result = response["result"]
    assert result["holderName"] == "张伟"
    assert [c["id"] for c in result["checks"] if c["status"] != "passed"] == [
        "presentation.requirements"]
    judged = {j["requirement"]: j for j in result["requirements"]}
    assert judged["elec"]["met"] and judged["credits"]["met"] and not judged["any"]["met"]
    assert judged["credits"]["detail"] == "22 credit in 电气 (at least 20)"
    assert {"credential": scene["first"], "pointer": "/credentialSubject/achievement/level",
            "value": "3"} in judged["elec"]["evidence"]
    # exactly the needed fields: no results, no identity hash, no dates of activity
    document = client.get(f"/v1/employer/requests/{request['id']}/responses/{response['id']}"
                          "/presentation", headers=scene["acme"]).json()
    subject = document["verifiableCredential"][0]["credentialSubject"]
    assert "result" not in subject and len(subject["identifier"]) == 2
    assert subject["identifier"][0] is None  # the hashed identity number stays hidden
    assert document["proof"]["proofPurpose"] == "authentication"
    # and offline, with the service's trust list
    trust = tmp_path / "trust.json"
    trust.write_text(client.get("/v1/trust-list").text, encoding="utf-8")
    vp_file = tmp_path / "vp.json"
    vp_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert credbank_verify([str(vp_file), "--trust", str(trust), "--no-status", "--challenge",
                            request["challenge"], "--domain", request["domain"]]) == 0
    assert "VERIFIED presentation" in capsys.readouterr().out


def test_the_name_is_not_revealed_without_consent(client: TestClient, scene):
    answer = consent(client, scene, reveal_name=False)
    assert answer.status_code == 201 and answer.json()["nameRevealed"] is False
    request = scene["request"]
    read = client.get(f"/v1/employer/requests/{request['id']}", headers=scene["acme"]).json()
    assert read["responses"][0]["result"]["holderName"] is None
    assert "张伟" not in json.dumps(read, ensure_ascii=False)


def test_the_presentation_sent_to_another_request_fails_challenge_and_domain(
        client: TestClient, service: Service, scene, governor):
    other = employer_key(client, governor, "globex")
    second = client.post("/v1/employer/requests", headers=other,
                         json={"requirements": REQUIREMENTS[:1], "accept": ["status"]}).json()
    answer = consent(client, scene)
    document = client.get(f"/v1/learner/presentations/{answer.json()['id']}",
                          headers=scene["learner"]).json()["presentation"]
    replayed = client.post(f"/v1/exchanges/{second['id']}", headers=scene["learner"],
                           json={"verifiablePresentation": document})
    # another employer: another domain, so another holder key too
    assert replayed.status_code == 403
    assert replayed.json()["detail"] == "the presentation's holder is not this learner"
    same_employer = client.post("/v1/employer/requests", headers=scene["acme"], json={
        "requirements": REQUIREMENTS[:1], "accept": ["status"]}).json()
    replayed = client.post(f"/v1/exchanges/{same_employer['id']}", headers=scene["learner"],
                           json={"verifiablePresentation": document})
    assert replayed.status_code == 422
    assert replayed.json()["detail"].startswith("presentation.challenge:")
    # and the offline checks name both
    row = presentations.public_request(service, second["id"])
    report = presentations.check(service, row, document)
    failed = {c.id for c in report.checks if c.status != "passed"}
    assert {"presentation.challenge", "presentation.domain"} <= failed


def test_a_swapped_credential_fails_the_holders_proof(client: TestClient, service: Service,
                                                      scene, college: Tenant):
    request = scene["request"]
    exchange = client.post(f"/v1/exchanges/{request['id']}", json={}).json()
    query = exchange["verifiablePresentationRequest"]
    assert query["challenge"] == request["challenge"] and query["domain"] == request["domain"]
    assert query["query"][0]["type"] == "QueryByExample"
    answer = consent(client, scene)
    document = client.get(f"/v1/learner/presentations/{answer.json()['id']}",
                          headers=scene["learner"]).json()["presentation"]
    third = issue(client, college, **certificate("高级电工", "电气工程", "5", 30))
    anchor(service, third)
    with service.db.session() as session:
        full = json.loads(session.get(Credential, third).document)
    swapped = copy.deepcopy(document)
    swapped["verifiableCredential"][1] = derive_copy(full, [
        "/credentialSubject/creditsEarned", "/credentialSubject/achievement/fieldOfStudy"])
    refused = client.post(f"/v1/exchanges/{request['id']}", headers=scene["learner"],
                          json={"verifiablePresentation": swapped})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("presentation.proof:")
    report = presentations.check(service, presentations.public_request(service, request["id"]),
                                 swapped)
    assert report.check("presentation.proof").status == "failed"


def test_a_revoked_credential_fails_presentation_credentials(client: TestClient,
                                                             service: Service, scene):
    answer = consent(client, scene)
    assert answer.status_code == 201, answer.text
    with service.db.session() as session:  # what the service records once revoked on chain
        session.get(Credential, scene["second"]).status = "revoked"
    request = scene["request"]
    read = client.get(f"/v1/employer/requests/{request['id']}/responses/{answer.json()['id']}",
                      headers=scene["acme"]).json()
    assert read["verifiedOnArrival"] is False
    credentials = next(c for c in read["result"]["checks"]
                       if c["id"] == "presentation.credentials")
    assert credentials["status"] == "failed"
    assert credentials["detail"] == f"{scene['second']}: revoked"
    judged = {j["requirement"]: j for j in read["result"]["requirements"]}
    assert not judged["credits"]["met"]  # the revoked credential's 10 credits do not count


def test_another_learner_cannot_answer_as_someone_else_nor_read_their_answers(
        client: TestClient, service: Service, scene):
    answer = consent(client, scene).json()
    open_other(service)
    other = sign_in(client, "lisi", "another long password")
    # lisi names zhangwei's credentials: not in lisi's account
    refused = consent(client, scene, headers=other)
    assert refused.status_code == 404
    assert refused.json()["detail"] == "no such credential in this learning account"
    document = client.get(f"/v1/learner/presentations/{answer['id']}",
                          headers=scene["learner"]).json()["presentation"]
    stolen = client.post(f"/v1/exchanges/{scene['request']['id']}", headers=other,
                         json={"verifiablePresentation": document})
    assert stolen.status_code == 403
    assert client.get(f"/v1/learner/presentations/{answer['id']}",
                      headers=other).status_code == 404
    assert client.get("/v1/learner/presentations", headers=other).json() == []
    assert client.post(f"/v1/learner/presentations/{answer['id']}/withdraw",
                       headers=other).status_code == 404
    # an employer reads only its own requests; a learner cannot answer twice
    with service.db.session() as session:
        assert len(session.scalars(select(Presentation)).all()) == 1
    again = consent(client, scene)
    assert again.status_code == 409


def test_employers_see_only_their_own_requests(client: TestClient, scene, governor):
    other = employer_key(client, governor, "globex")
    request_id = scene["request"]["id"]
    assert client.get(f"/v1/employer/requests/{request_id}", headers=other).status_code == 404
    assert client.get("/v1/employer/requests", headers=other).json() == []
    assert [r["id"] for r in client.get("/v1/employer/requests",
                                        headers=scene["acme"]).json()] == [request_id]


def test_a_visitor_request_is_answered_and_read_with_its_manage_token(
        client: TestClient, service: Service, scene):
    made = client.post("/v1/requests", json={
        "visitorName": "小王餐馆", "requirements": REQUIREMENTS[:2], "askName": False,
        "accept": ["status"]})
    assert made.status_code == 201, made.text
    visitor = made.json()
    assert visitor["employer"] == {"name": "小王餐馆", "registered": False, "id": None}
    assert visitor["domain"] == visitor["link"]  # the request's own URL is the identity
    token = visitor["manageToken"]
    with service.db.session() as session:  # only the token's hash is stored
        assert token not in json.dumps([r.manage_token_hash for r in session.query(
            presentations.PresentationRequest)])
    answer = consent(client, scene, request_id=visitor["id"])
    assert answer.status_code == 422  # "any" is not a requirement of this request
    answer = client.post(f"/v1/learner/requests/{visitor['id']}/presentation",
                         headers=scene["learner"], json={
                             "choices": {"elec": [scene["first"]],
                                         "credits": [scene["first"], scene["second"]]},
                             "revealName": True})
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiedOnArrival"] is True
    assert answer.json()["nameRevealed"] is False  # not asked: never revealed
    read = client.get(f"/v1/requests/manage/{token}").json()
    assert read["responses"][0]["result"]["verified"] is True
    assert client.get("/v1/requests/manage/" + "x" * 43).status_code == 404
    assert client.get(f"/v1/employer/requests/{visitor['id']}",
                      headers=scene["acme"]).status_code == 404


def test_withdrawal_ends_the_employers_access_and_is_recorded(client: TestClient, scene):
    answer = consent(client, scene).json()
    request_id = scene["request"]["id"]
    base = f"/v1/employer/requests/{request_id}/responses/{answer['id']}"
    assert client.get(base, headers=scene["acme"]).status_code == 200
    withdrawn = client.post(f"/v1/learner/presentations/{answer['id']}/withdraw",
                            headers=scene["learner"])
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["withdrawnAt"]
    for path in (base, base + "/presentation"):
        gone = client.get(path, headers=scene["acme"])
        assert gone.status_code == 410
        assert gone.json()["detail"] == "the learner withdrew this presentation"
    listed = client.get(f"/v1/employer/requests/{request_id}", headers=scene["acme"]).json()
    assert listed["responses"][0]["state"] == "withdrawn"
    assert "result" not in listed["responses"][0]
    mine = client.get("/v1/learner/presentations", headers=scene["learner"]).json()
    assert [(p["id"], p["state"]) for p in mine] == [(answer["id"], "withdrawn")]


def test_declining_is_recorded_and_discloses_nothing(client: TestClient, scene):
    declined = client.post(f"/v1/learner/requests/{scene['request']['id']}/decline",
                           headers=scene["learner"])
    assert declined.status_code == 201 and declined.json()["state"] == "declined"
    read = client.get(f"/v1/employer/requests/{scene['request']['id']}",
                      headers=scene["acme"]).json()
    assert [r["state"] for r in read["responses"]] == ["declined"]
    assert consent(client, scene).status_code == 409


@pytest.mark.parametrize(("body", "reason"), [
    ({"requirements": [{"id": "a", "kind": "salary"}]}, "kind must be one of"),
    ({"requirements": [{"id": "a", "kind": "accredited"}], "accept": ["chain"]}, "accept"),
    ({"requirements": []}, "requirements"),
])
def test_malformed_requests_are_refused(client: TestClient, service: Service, governor, body,
                                        reason):
    acme = employer_key(client, governor, "acme")
    answer = client.post("/v1/employer/requests", json=body, headers=acme)
    assert answer.status_code == 422 and reason in answer.json()["detail"]
    assert client.get("/v1/employer/requests", headers=acme).json() == []


def test_a_retired_employer_loses_its_keys_and_its_requests(client: TestClient, scene,
                                                             governor):
    retired = client.post("/v1/admin/employers/acme/retire", headers=governor)
    assert retired.status_code == 200 and retired.json()["retiredAt"]
    assert client.get("/v1/employer/requests", headers=scene["acme"]).status_code == 401
    answer = consent(client, scene)
    assert answer.status_code == 410
    listed = client.get("/v1/admin/employers", headers=governor).json()
    assert [e["id"] for e in listed] == ["acme"]


def test_holder_keys_differ_by_employer_and_are_not_stored(service: Service, learner):
    from api.service.models import Learner

    with service.db.session() as session:
        row = session.scalars(select(Learner)).one()
    one = presentations.holder_key(service, row, "https://a.example")
    assert one.did == presentations.holder_key(service, row, "https://a.example").did
    assert one.did != presentations.holder_key(service, row, "https://b.example").did


def test_responses_lists_each_answer_with_its_verdict(client: TestClient, service: Service,
                                                      scene):
    consent(client, scene)

    with service.db.session() as session:
        acme = session.scalars(select(Employer)).one().id
    [one] = presentations.responses(service, acme, scene["request"]["id"])
    assert one.presentation.state == "presented" and one.report is not None
    assert one.report.failed == "presentation.requirements"


def test_on_a_chain_a_credential_revoked_after_arrival_fails_on_the_next_read(
        client: TestClient, service: Service, college: Tenant, governor, learner,
        service_chain: ServiceChain):  # noqa: F811
    from api.service.worker import Anchorer

    first = issue(client, college, **certificate("电工（四级）", "电气工程", "3", 12))
    Anchorer(service).run_once(force=True)
    acme = employer_key(client, governor, "acme")
    made = client.post("/v1/employer/requests", headers=acme, json={
        "requirements": REQUIREMENTS[:1]}).json()  # no gap accepted: the chain decides
    answer = client.post(f"/v1/learner/requests/{made['id']}/presentation",
                         headers=sign_in(client),
                         json={"choices": {"elec": [first]}, "revealName": False})
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiedOnArrival"] is True
    revoked = client.post(f"/v1/credentials/{first}/revoke", json={"reason": 1},
                          headers=college.headers)
    assert revoked.status_code == 200, revoked.text
    read = client.get(f"/v1/employer/requests/{made['id']}/responses/{answer.json()['id']}",
                      headers=acme).json()
    assert read["verifiedOnArrival"] is True and read["result"]["verified"] is False
    assert read["result"]["failed"] == "presentation.credentials"
    [credential] = read["result"]["credentials"]
    assert credential["reason"] == "revoked"
    assert {"id": "not_revoked", "status": "failed"}.items() <= next(
        c for c in credential["checks"] if c["id"] == "not_revoked").items()
