"""Issuance against the registry: levels of the active framework, cited outcome standards
in force and agreeing with the record, and typed credits in the credential."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from api.service.context import Service
from api.service.models import Credential
from verifier.credit import Credits, Sector, Unit, source_from_credential

from . import registry_fixtures as reg
from .conftest import Tenant, record
from .test_registry import activate_framework, chain  # noqa: F401 (a fixture)

ELECTRICIAN = "6-31-01-03-4"  # level 3, 4 credits, vocational, 2024-01-01 to 2028-12-31


def certificate(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "achievement": {"type": "Certificate", "name": "电工（四级）",
                        "description": "电工职业技能等级认定合格。", "level": "3"},
        "creditsEarned": 4, "creditUnit": "credit", "sector": "vocational",
        "standard": ELECTRICIAN, "validFrom": "2026-06-20T00:00:00+08:00"}
    body.update(changes)
    out = record(**body)
    return {k: v for k, v in out.items() if v is not None}


def with_standards(client: TestClient, governor: dict[str, str]) -> None:
    activate_framework(client, governor)
    assert client.post("/v1/admin/standards", json=reg.standards(),
                       headers=governor).status_code == 201
    assert client.post("/v1/admin/standards/publish", headers=governor).status_code == 200


def test_without_a_framework_levels_are_free_text_and_figures_may_be_untyped(
        client: TestClient, university: Tenant):
    answer = client.post("/v1/credentials", json=record(
        achievement={"type": "Course", "name": "数据结构", "description": "课程",
                     "level": "本科二年级"}), headers=university.headers)
    assert answer.status_code == 201, answer.text


def test_a_level_outside_the_active_framework_is_refused_by_name(
        client: TestClient, governor: dict[str, str], university: Tenant, chain):  # noqa: F811
    activate_framework(client, governor)
    answer = client.post("/v1/credentials", json=record(
        achievement={"type": "Course", "name": "数据结构", "description": "课程",
                     "level": "9"}), headers=university.headers)
    assert answer.status_code == 422 and "level '9'" in answer.json()["detail"]
    legacy = record()
    del legacy["creditUnit"], legacy["sector"]
    untyped = client.post("/v1/credentials", json=legacy, headers=university.headers)
    assert untyped.status_code == 422 and "creditUnit" in untyped.json()["detail"]
    fine = record(achievement={"type": "Course", "name": "数据结构", "description": "课程",
                               "level": "4"})
    assert client.post("/v1/credentials", json=fine,
                       headers=university.headers).status_code == 201


def test_a_cited_standard_is_written_as_an_alignment_and_read_back(
        client: TestClient, service: Service, governor: dict[str, str], college: Tenant,
        chain):  # noqa: F811
    with_standards(client, governor)
    answer = client.post("/v1/credentials", json=certificate(), headers=college.headers)
    assert answer.status_code == 201, answer.text
    with service.db.session() as session:
        row = session.get(Credential, answer.json()["id"])
        document = json.loads(row.document)  # type: ignore[union-attr]
        assert (row.credit_unit, row.credit_sector) == ("credit", "vocational")  # type: ignore
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["creditUnit"] == "credit" and achievement["sector"] == "vocational"
    assert achievement["alignment"] == [{
        "type": ["Alignment"], "targetType": "ext:OutcomeStandard",
        "targetCode": ELECTRICIAN, "targetName": "电工（四级/中级工）",
        "targetUrl": f"urn:credbank:standard:{ELECTRICIAN}:2024"}]
    source = source_from_credential(document)
    assert source.standard == ELECTRICIAN and source.level == "3"
    assert source.credits == Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    # a record that gives no unit takes the standard's
    bare = certificate(creditUnit=None, sector=None)
    answer = client.post("/v1/credentials", json=bare, headers=college.headers)
    assert answer.status_code == 201, answer.text


def test_a_record_that_disagrees_with_its_standard_is_refused_naming_how(
        client: TestClient, governor: dict[str, str], college: Tenant, chain):  # noqa: F811
    with_standards(client, governor)
    cases = [
        (certificate(standard="nope"), "'nope' is not a published standard"),
        (certificate(validFrom="2029-06-01T00:00:00+08:00"), "not a published standard in "
                                                             "force on 2029-06-01"),
        (certificate(creditsEarned=5), "5 claimed, 4 standard"),
        (certificate(creditUnit="hour"), "hours claimed, credits standard"),
        (certificate(sector="degree"), "degree claimed, vocational standard"),
        (certificate(achievement={"type": "Certificate", "name": "电工", "description": "x",
                                  "level": "4"}), "level '4' claimed, '3' standard"),
    ]
    for body, reason in cases:
        answer = client.post("/v1/credentials", json=body, headers=college.headers)
        assert answer.status_code == 422, answer.text
        assert reason in answer.json()["detail"], answer.json()["detail"]
    assert client.get("/v1/credentials", headers=college.headers).json()["total"] == 0
    # a withdrawn standard is cited no more
    client.post(f"/v1/admin/standards/{ELECTRICIAN}/2024/withdraw", headers=governor)
    answer = client.post("/v1/credentials", json=certificate(), headers=college.headers)
    assert answer.status_code == 422


def test_a_job_row_that_disagrees_with_its_standard_is_refused_before_anything_is_stored(
        client: TestClient, governor: dict[str, str], college: Tenant, chain):  # noqa: F811
    with_standards(client, governor)
    answer = client.post("/v1/jobs", json=[certificate(), certificate(creditsEarned=5)],
                         headers=college.headers)
    assert answer.status_code == 422 and "row 2" in answer.json()["detail"]
    assert client.get("/v1/jobs", headers=college.headers).json()["total"] == 0
