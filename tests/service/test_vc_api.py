"""The W3C VC API routes: verifying (POST /credentials/verify) and issuing
(POST /credentials/issue)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.service.context import Service
from verifier import verify

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401, F811
from .conftest import LEARNER_ID, Tenant, record
from .test_verify_api import _count, _self_anchored


def test_vc_api_verify_answers_200_with_the_checks_passed(client: TestClient, service: Service,
                                                           university: Tenant):
    credential = _self_anchored(client, service, university)
    # no chain: the chain checks were not made, which fails closed unless accepted
    refused = client.post("/credentials/verify",
                          json={"verifiableCredential": credential, "options": {}})
    assert refused.status_code == 400
    assert refused.json()["verified"] is False and refused.json()["warnings"] == []
    assert "not_revoked: not checked: no chain evidence" in refused.json()["errors"]
    assert refused.json()["detail"].startswith("not verified: Status could not be checked")
    answer = client.post("/credentials/verify?accept=status",
                         json={"verifiableCredential": credential, "options": {}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verified"] is True and body["errors"] == []
    assert {"integrity", "issuer_signature", "issuer_trusted"} <= set(body["checks"])
    # the accepted gap is a warning for each check not made
    assert any(w.startswith("not_revoked:") and w.endswith("(not checked; accepted)")
               for w in body["warnings"])


def test_vc_api_verify_answers_400_with_the_failing_checks(client: TestClient,
                                                            service: Service,
                                                            university: Tenant):
    credential = _self_anchored(client, service, university)
    credential["credentialSubject"]["achievement"]["name"] = "Forged"
    answer = client.post("/credentials/verify", json={"verifiableCredential": credential})
    assert answer.status_code == 400
    body = answer.json()
    assert body["verified"] is False
    assert any(e.startswith("integrity:") for e in body["errors"])
    assert "integrity" not in body["checks"]


@pytest.mark.parametrize(("body", "reason"), [
    ({"credential": {}}, "verifiableCredential"),
    ({"verifiableCredential": "text"}, "verifiableCredential"),
    ({"verifiableCredential": {}, "options": {"challenge": "x"}}, "options.challenge"),
    ({"verifiableCredential": {}, "extra": 1}, "extra"),
    ([], "verifiableCredential"),
])
def test_vc_api_verify_refuses_malformed_requests(client: TestClient, body: Any, reason: str):
    answer = client.post("/credentials/verify", json=body)
    assert answer.status_code == 400
    assert reason in answer.json()["detail"]
    assert answer.json()["errors"]


# ---- W3C VC API: issue ---------------------------------------------------------------------


def unsigned_badge(issuer: str | None = None, **subject_changes: Any) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "nationalIdentityNumber",
             "identityHash": LEARNER_ID, "hashed": False},
            {"type": "IdentityObject", "identityType": "name", "identityHash": "张伟",
             "hashed": False},
        ],
        "achievement": {
            "type": ["Achievement"], "achievementType": "Course", "name": "数据结构",
            "description": "完成数据结构课程并通过考核。",
            "criteria": {"narrative": "期末考试合格"}, "fieldOfStudy": "计算机科学与技术",
            "humanCode": "CS201",
            "translations": {"en": {"name": "Data Structures"}},
            "resultDescription": [{"id": "urn:x:grade", "type": ["ResultDescription"],
                                   "name": "总评", "resultType": "LetterGrade"}],
        },
        "creditsEarned": 4,
        "result": [{"type": ["Result"], "value": "A", "resultDescription": "urn:x:grade"}],
    }
    subject.update(subject_changes)
    badge: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": subject,
        "validUntil": "2031-09-01T00:00:00Z",
    }
    if issuer:
        badge["issuer"] = {"id": issuer, "type": ["Profile"]}
    return badge


def test_vc_api_issue_signs_an_unsigned_open_badge(client: TestClient, service: Service,
                                                   university: Tenant):
    answer = client.post("/credentials/issue",
                         json={"credential": unsigned_badge(university.did), "options": {}},
                         headers=university.headers)
    assert answer.status_code == 201, answer.text
    issued = answer.json()["verifiableCredential"]
    assert LEARNER_ID not in answer.text  # the identifier is only kept salted and hashed
    achievement = issued["credentialSubject"]["achievement"]
    assert achievement["name"] == "数据结构"
    assert achievement["translations"]["en"]["name"] == "Data Structures"
    assert achievement["humanCode"] == "CS201"
    assert issued["credentialSubject"]["result"][0]["value"] == "A"
    assert issued["validUntil"] == "2031-09-01T00:00:00Z"
    assert {p["type"] for p in issued["proof"]} >= {"DataIntegrityProof"}
    stored = client.get(answer.headers["Location"], headers=university.headers)
    assert stored.status_code == 200 and stored.json()["credential"] == issued
    result = verify(issued)
    assert result.check("integrity").status == "passed"
    assert result.check("issuer_signature").status == "passed"


def test_vc_api_issue_takes_the_services_learning_record(client: TestClient,
                                                         university: Tenant):
    answer = client.post("/credentials/issue", json={"credential": record()},
                         headers=university.headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["verifiableCredential"]["credentialSubject"]["creditsEarned"] == 4


@pytest.mark.parametrize(("change", "reason"), [
    (lambda b: b.update(id="urn:uuid:1"), "assigned by the service"),
    (lambda b: b.update(credentialStatus={}), "assigned by the service"),
    (lambda b: b.update(evidence=[]), "credential.evidence"),
    (lambda b: b["credentialSubject"].update(endorsement=[]), "credentialSubject.endorsement"),
    (lambda b: b["credentialSubject"]["identifier"][0].update(hashed=True), "unhashed"),
    (lambda b: b["credentialSubject"].update(identifier=[]), "identifier"),
    (lambda b: b.update(type=["VerifiableCredential"]), "OpenBadgeCredential"),
    (lambda b: b.update(issuer="did:key:z6MkSomeoneElse"), "not the issuer"),
    (lambda b: b["credentialSubject"]["achievement"].update(achievementType="Nap"),
     "achievement"),
    (lambda b: b["credentialSubject"].update(creditsEarned=-3), "creditsEarned"),
    (lambda b: b.update(validFrom="2031-09-02T00:00:00Z"), "validUntil"),
])
def test_vc_api_issue_refuses_what_it_cannot_carry_and_writes_nothing(
        client: TestClient, service: Service, university: Tenant, change: Any, reason: str):
    badge = unsigned_badge()
    change(badge)
    answer = client.post("/credentials/issue", json={"credential": badge},
                         headers=university.headers)
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["detail"]
    assert _count(service) == 0


def test_vc_api_issue_needs_an_institution_key(client: TestClient, governor: dict[str, str]):
    body = {"credential": unsigned_badge()}
    assert client.post("/credentials/issue", json=body).status_code == 401
    assert client.post("/credentials/issue", json=body, headers=governor).status_code == 403
