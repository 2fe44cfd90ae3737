"""Institutions issue, read and list their own credentials, and nobody else's."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.models import Credential
from verifier import verify

from .conftest import Tenant, record


def test_issue_one_is_accepted_pending_and_signed(client: TestClient, university: Tenant):
    answer = client.post("/v1/credentials", json=record(), headers=university.headers)
    assert answer.status_code == 201, answer.text
    accepted = answer.json()
    assert accepted["state"] == "pending"
    assert answer.headers["Location"] == f"/v1/credentials/{accepted['id']}"

    detail = client.get(answer.headers["Location"], headers=university.headers).json()
    credential = detail["credential"]
    assert credential["id"] == accepted["id"]
    assert credential["credentialStatus"]["statusIssuer"] == university.did
    assert credential["credentialStatus"]["statusIndex"] == str(accepted["statusIndex"])
    assert "310101199001011234" not in answer.text + str(detail)
    result = verify(credential)
    assert result.check("integrity").status == "passed"
    assert result.check("issuer_signature").status == "passed"


def test_status_indices_are_fresh_per_issuer(client: TestClient, university: Tenant,
                                             college: Tenant):
    indices = [client.post("/v1/credentials", json=record(), headers=t.headers).json()
               ["statusIndex"] for t in (university, university, college)]
    assert indices == [0, 1, 0]


def test_an_issuer_sees_only_its_own(client: TestClient, university: Tenant, college: Tenant):
    mine = client.post("/v1/credentials", json=record(), headers=university.headers).json()
    assert client.get(f"/v1/credentials/{mine['id']}", headers=college.headers).status_code == 404
    assert client.get("/v1/credentials", headers=college.headers).json()["total"] == 0


def test_list_filters_and_pages(client: TestClient, university: Tenant):
    for kind in ("Course", "Course", "Certificate", "Course"):
        body = record()
        body["achievement"]["type"] = kind  # type: ignore[index]
        client.post("/v1/credentials", json=body, headers=university.headers)
    page = client.get("/v1/credentials?type=Course&limit=2", headers=university.headers).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["next"]
    rest = client.get(f"/v1/credentials?type=Course&limit=2&after={page['next']}",
                      headers=university.headers).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    ids = {i["id"] for i in page["items"]} | {i["id"] for i in rest["items"]}
    assert len(ids) == 3


def test_bad_input_is_refused_and_writes_nothing(client: TestClient, university: Tenant,
                                                 service: Service):
    bad = [
        record(creditsEarned=-1),
        record(learner={"name": "no id"}),
        record(validFrom="2026-09-01T00:00:00Z", validUntil="2026-01-01T00:00:00Z"),
        {"learner": "x"},
    ]
    for body in bad:
        answer = client.post("/v1/credentials", json=body, headers=university.headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"]
    answer = client.post("/v1/credentials", content=b"{not json",
                         headers={**university.headers, "Content-Type": "application/json"})
    assert answer.status_code == 422
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 0


def test_identity_numbers_and_dates_are_checked_naming_the_field(
        client: TestClient, university: Tenant, service: Service):
    refused = [
        (record(learner_id="310101199001011235"), "learner: id: the identity number's check "
         "digit is wrong"),
        (record(learner_id="310101199002301234"), "the birth date in the identity number "
         "does not exist"),
        (record(learner_id="S1234567"), "give idType for another kind of number"),
        (record(activityStartDate="2026-07-10", activityEndDate="2026-03-01"),
         "activityEndDate must not be before activityStartDate"),
    ]
    for body, reason in refused:
        answer = client.post("/v1/credentials", json=body, headers=university.headers)
        assert answer.status_code == 422, answer.text
        assert reason in answer.json()["detail"]
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Credential)) == 0
    other = record(learner={"id": "S1234567", "idType": "studentId", "name": "林"})
    lower = record(learner_id="11010519491231002x")
    for body in (other, lower):
        answer = client.post("/v1/credentials", json=body, headers=university.headers)
        assert answer.status_code == 201, answer.text


def test_keys_are_checked(client: TestClient, university: Tenant, governor: dict[str, str]):
    assert client.post("/v1/credentials", json=record()).status_code == 401
    forged = {"Authorization": university.headers["Authorization"][:-2] + "xx"}
    assert client.post("/v1/credentials", json=record(), headers=forged).status_code == 401
    answer = client.post("/v1/credentials", json=record(), headers=governor)
    assert answer.status_code == 403
    key_id = university.headers["Authorization"].split("_")[1]
    assert client.delete(f"/v1/admin/api-keys/{key_id}", headers=governor).status_code == 200
    answer = client.post("/v1/credentials", json=record(), headers=university.headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
