"""Learning accounts: sign-in, every credential from every issuer, credits, and nobody else's."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service.accounts import open_learner_account
from api.service.context import Service
from api.service.models import Credential, Learner, LearnerSession
from ledger.issuance.signing import single_batch
from verifier import timefmt, verify

from .conftest import LEARNER_ID, Tenant, record

OTHER_ID = "310101199202022343"
PASSWORD = "correct horse battery"


def sign_in(client: TestClient, login: str = "zhangwei", password: str = PASSWORD
            ) -> dict[str, str]:
    """Bearer headers for a learner session (the cookie the answer set is dropped, so each
    request says who it is)."""
    answer = client.post("/v1/learner/session", json={"login": login, "password": password})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def issue(client: TestClient, tenant: Tenant, learner_id: str = LEARNER_ID,
          **changes: object) -> str:
    answer = client.post("/v1/credentials", json=record(learner_id, **changes),
                         headers=tenant.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def anchor(service: Service, credential_id: str) -> None:
    """What the anchoring worker does for a batch of one: attach the anchor and mark the
    credential anchored (the chain itself is not needed: checks without chain evidence
    skip the on-chain part)."""
    with service.db.session() as session:
        row = session.get(Credential, credential_id)
        assert row is not None
        full = json.loads(row.document)
        full = single_batch(full, bytes.fromhex(row.claims_root[2:]))
        row.document = json.dumps(full, ensure_ascii=False)
        row.state = "anchored"
        row.anchored_at = timefmt.now()


def certificate(name: str, field: str) -> dict[str, str]:
    return {"type": "Certificate", "name": name, "description": f"{name}考核合格。",
            "fieldOfStudy": field}


def open_other(service: Service) -> dict[str, str]:
    open_learner_account(service, "lisi", OTHER_ID, "another long password", "李四")
    return {"login": "lisi", "password": "another long password"}


def test_sign_in_gives_a_token_and_an_httponly_cookie(client: TestClient, learner):
    answer = client.post("/v1/learner/session", json=learner)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token"] and body["expiresAt"].endswith("Z")
    cookie = answer.headers["set-cookie"]
    assert "credbank_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie
    # the cookie alone signs the learner in
    assert client.get("/v1/learner/credentials").status_code == 200


def test_session_cookie_is_secure_behind_https(client: TestClient, service: Service, learner):
    service.settings.public_url = "https://credits.example.gov.cn"
    answer = client.post("/v1/learner/session", json=learner)
    assert "Secure" in answer.headers["set-cookie"]


def test_wrong_password_is_refused_without_a_session(client: TestClient, service: Service,
                                                     learner):
    answer = client.post("/v1/learner/session",
                         json={"login": learner["login"], "password": "wrong password"})
    assert answer.status_code == 401
    assert answer.json() == {"detail": "wrong login or password"}
    assert "set-cookie" not in answer.headers
    unknown = client.post("/v1/learner/session", json={"login": "nobody", "password": "x"})
    assert unknown.status_code == 401 and unknown.json() == answer.json()
    with service.db.session() as session:
        assert session.scalars(select(LearnerSession)).all() == []


def test_sign_out_ends_the_session(client: TestClient, learner):
    headers = sign_in(client)
    assert client.delete("/v1/learner/session", headers=headers).status_code == 204
    answer = client.get("/v1/learner/credentials", headers=headers)
    assert answer.status_code == 401


def test_an_expired_session_is_refused(client: TestClient, service: Service, learner):
    headers = sign_in(client)
    with service.db.session() as session:
        for row in session.scalars(select(LearnerSession)):
            row.expires_at = timefmt.now()
    answer = client.get("/v1/learner/credentials", headers=headers)
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_a_learner_sees_credentials_from_every_issuer(client: TestClient, service: Service,
                                                      university: Tenant, college: Tenant,
                                                      learner):
    # issued before and after the account existed: both join by the learner key
    first = issue(client, university)
    second = issue(client, college, achievement=certificate("电工证", "电气工程"))
    issue(client, university, OTHER_ID)
    headers = sign_in(client)
    listed = client.get("/v1/learner/credentials", headers=headers).json()
    assert {c["id"] for c in listed} == {first, second}
    names = {c["issuerName"] for c in listed}
    assert names == {"上海开放大学 Shanghai Open University", "城市职业技能培训中心"}
    one = next(c for c in listed if c["id"] == first)
    assert one["state"] == "pending" and one["status"] == "active"
    assert one["issuer"] == university.did
    assert LEARNER_ID not in json.dumps(listed)


def test_the_full_copy_downloads_and_verifies(client: TestClient, service: Service,
                                              university: Tenant, learner):
    credential_id = issue(client, university)
    anchor(service, credential_id)
    answer = client.get(f"/v1/learner/credentials/{credential_id}", headers=sign_in(client))
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    full = answer.json()
    assert full["id"] == credential_id
    ledger = [p for p in full["proof"] if p["type"] == "CredbankLedgerProof"][0]
    assert "saltKey" in ledger and "anchor" in ledger
    assert verify(full).check("batch_inclusion").status == "passed"


def test_another_learners_credential_is_not_found(client: TestClient, service: Service,
                                                  university: Tenant, learner):
    theirs = issue(client, university, OTHER_ID)
    mine = issue(client, university)
    headers = sign_in(client)
    answer = client.get(f"/v1/learner/credentials/{theirs}", headers=headers)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no such credential in this learning account"
    missing = client.get("/v1/learner/credentials/urn:uuid:nope", headers=headers)
    assert missing.json() == answer.json()
    other = sign_in(client, **open_other(service))
    assert [c["id"] for c in client.get("/v1/learner/credentials", headers=other).json()] == [
        theirs]
    assert client.get(f"/v1/learner/credentials/{mine}", headers=other).status_code == 404


@pytest.mark.parametrize("path", ["/v1/learner/credentials", "/v1/learner/summary",
                                  "/v1/learner/links"])
def test_institutions_and_governors_cannot_use_learner_routes(
        client: TestClient, university: Tenant, governor: dict[str, str], path: str):
    assert client.get(path).status_code == 401
    for headers in (university.headers, governor):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403
        assert "learner" in answer.json()["detail"]
    bogus = client.get(path, headers={"Authorization": "Bearer not-a-session"})
    assert bogus.status_code == 401


def test_a_learner_session_cannot_issue(client: TestClient, learner):
    answer = client.post("/v1/credentials", json=record(), headers=sign_in(client))
    assert answer.status_code == 403


def test_summary_totals_active_credits_by_unit_and_never_adds_untyped_ones(
        client: TestClient, service: Service, university: Tenant, college: Tenant, learner):
    degree = {"creditUnit": "credit", "sector": "degree"}
    issue(client, university, **degree)  # 4 credits
    issue(client, university, creditsEarned=2.5, **degree)
    issue(client, college, achievement=certificate("电工证", "电气工程"),
          creditsEarned=30, creditUnit="hour", sector="vocational")
    legacy = issue(client, college, achievement=certificate("钳工证", "机械工程"),
                   creditsEarned=3, creditUnit=None, sector=None)  # listed, never added
    revoked = issue(client, college, achievement=certificate("焊工证", "电气工程"),
                    creditsEarned=9, **degree)
    issue(client, university, OTHER_ID, creditsEarned=100, **degree)
    with service.db.session() as session:
        session.get(Credential, revoked).status = "revoked"  # type: ignore[union-attr]
    summary = client.get("/v1/learner/summary", headers=sign_in(client)).json()
    assert summary["totals"] == {
        "byUnit": [{"value": "6.5", "unit": "credit"}, {"value": "30", "unit": "hour"}],
        "byUnitAndSector": [{"value": "6.5", "unit": "credit", "sector": "degree"},
                            {"value": "30", "unit": "hour", "sector": "vocational"}]}
    assert summary["untypedCredits"] == [{"credential": legacy, "achievementName": "钳工证",
                                          "fieldOfStudy": "机械工程", "credits": 3}]
    assert summary["countsByType"] == {"Certificate": 2, "Course": 2}
    assert summary["countsByStatus"] == {"active": 4, "revoked": 1}
    assert summary["total"] == 5 and summary["pending"] == 4


def test_sign_in_input_is_checked(client: TestClient, learner):
    answer = client.post("/v1/learner/session", json={"login": "zhangwei"})
    assert answer.status_code == 422 and answer.json()["detail"].startswith("password")


class CitySso:
    """A stand-in for a single-sign-on bridge: it vouches for one login by a ticket."""

    def authenticate(self, session, login: str, password: str):
        from api.service.models import Learner

        if password != "ticket-from-the-city-idp":
            return None
        return session.scalars(select(Learner).where(Learner.login == login)).first()


def test_the_sign_in_check_is_a_seam_a_deployment_replaces(client: TestClient, learner):
    client.app.state.learner_authenticator = CitySso()
    refused = client.post("/v1/learner/session", json=learner)  # the local password
    assert refused.status_code == 401
    answer = client.post("/v1/learner/session", json={
        "login": learner["login"], "password": "ticket-from-the-city-idp"})
    assert answer.status_code == 200
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    assert client.get("/v1/learner/credentials", headers=headers).status_code == 200


# ---- passwords ----------------------------------------------------------------------------

def test_the_authority_resets_a_password_and_the_learners_sessions_end(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    first, second = sign_in(client), sign_in(client)
    answer = client.post("/v1/admin/learners/zhangwei/password", headers=governor)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["login"] == "zhangwei" and body["sessionsEnded"] == 2
    new = body["password"]
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", new)
    for headers in (first, second):
        assert client.get("/v1/learner/credentials", headers=headers).status_code == 401
    assert client.post("/v1/learner/session", json=learner).status_code == 401
    client.cookies.clear()
    sign_in(client, password=new)
    with service.db.session() as session:
        stored = session.scalars(select(Learner)).one().password_hash
    assert new not in (stored or "")
    missing = client.post("/v1/admin/learners/nobody/password", headers=governor)
    assert missing.status_code == 404
    for headers in ({}, sign_in(client, password=new)):
        refused = client.post("/v1/admin/learners/zhangwei/password", headers=headers)
        assert refused.status_code in (401, 403)


def test_a_learner_changes_the_password_with_the_current_one(client: TestClient,
                                                             service: Service, learner):
    other, mine = sign_in(client), sign_in(client)
    body = {"currentPassword": PASSWORD, "newPassword": "another good password"}
    wrong = client.post("/v1/learner/password", headers=mine,
                        json={**body, "currentPassword": "not it"})
    assert wrong.status_code == 403 and "currentPassword" in wrong.json()["detail"]
    short = client.post("/v1/learner/password", headers=mine,
                        json={**body, "newPassword": "short"})
    assert short.status_code == 422
    changed = client.post("/v1/learner/password", headers=mine, json=body)
    assert changed.status_code == 200 and changed.json() == {"sessionsEnded": 1}
    # this session goes on, the other one has ended, and only the new password signs in
    assert client.get("/v1/learner/credentials", headers=mine).status_code == 200
    assert client.get("/v1/learner/credentials", headers=other).status_code == 401
    assert client.post("/v1/learner/session", json=learner).status_code == 401
    client.cookies.clear()
    sign_in(client, password="another good password")
    assert client.post("/v1/learner/password", json=body).status_code == 401
