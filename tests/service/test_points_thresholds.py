"""Thresholds: a total reached issues one credential of the credit bank, which counts in
the credit bank like any other."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import points, thresholds
from api.service.context import Service
from api.service.models import Credential
from api.service.points_models import PointsAward, PointsEntry

from .conftest import Tenant, make_tenant
from .points_fixtures import (
    activity,
    chain,  # noqa: F401
    check_in,
    learner_id,
    publish,
    venue,
)
from .test_learner import sign_in

pytestmark = pytest.mark.usefixtures("chain")

THIRTY_HOURS: dict[str, Any] = {
    "sector": "community_elderly", "measure": "hours", "amount": "3",
    "name": {"zh": "社区学习 3 学时", "en": "3 hours of community learning"},
    "description": {"zh": "在社区学校累计学习满 3 学时。",
                    "en": "Three hours of learning at community schools."}}


@pytest.fixture
def bank(service: Service) -> Tenant:
    service.settings.credit_bank = "credit-bank"
    return make_tenant(service, "credit-bank", "上海市终身教育学分银行")


def test_a_threshold_reached_issues_exactly_one_credential_that_counts_in_the_bank(
        client: TestClient, service: Service, governor: dict[str, str], bank: Tenant,
        learner):
    publish(client, governor)
    created = client.post("/v1/admin/points-thresholds", json=THIRTY_HOURS, headers=governor)
    assert created.status_code == 201, created.text
    threshold = created.json()
    assert threshold["amount"] == "3" and threshold["awarded"] == 0
    place, me = venue(service), learner_id(service)
    check_in(service, activity(service, place, hours=2), me)
    assert thresholds.settle(service) == 0  # 2 hours: not yet
    check_in(service, activity(service, place, hours=1.5), me)
    assert thresholds.settle(service) == 1  # 3.5 hours: reached
    assert thresholds.settle(service) == 0  # once per learner per threshold
    check_in(service, activity(service, place, hours=1), me)
    assert thresholds.settle(service) == 0
    headers = sign_in(client)
    awarded = [c for c in client.get("/v1/learner/credentials", headers=headers).json()
               if c["achievementType"] == "Award"]
    assert len(awarded) == 1
    assert awarded[0]["achievementName"] == "社区学习 3 学时"
    with service.db.session() as session:
        award = session.get_one(Credential, awarded[0]["id"])
        assert award.issuer.slug == "credit-bank"
        assert (award.credits, award.credit_unit, award.credit_sector) == (
            3, "hour", "community_elderly")
    summary = client.get("/v1/learner/summary", headers=headers).json()
    assert {"value": "3", "unit": "hour", "sector": "community_elderly"} in \
        summary["totals"]["byUnitAndSector"]
    # the award restates hours already counted: it earns no points itself (the rules give
    # 3 points an hour-credential of community learning)
    assert points.settle_credentials(service) == 0
    with service.db.session() as session:
        assert session.scalar(select(func.count(PointsEntry.id)).where(
            PointsEntry.credential_id == award.id)) == 0
        assert session.scalar(select(func.count(PointsAward.id))) == 1
    listed = client.get("/v1/admin/points-thresholds", headers=governor).json()
    assert listed[0]["awarded"] == 1


def test_a_points_threshold_and_a_retired_one(
        client: TestClient, service: Service, governor: dict[str, str], bank: Tenant,
        learner):
    publish(client, governor)
    by_points = client.post("/v1/admin/points-thresholds", headers=governor, json={
        **THIRTY_HOURS, "measure": "points", "amount": "25"}).json()
    retired = client.post("/v1/admin/points-thresholds", headers=governor,
                          json=THIRTY_HOURS).json()
    path = f"/v1/admin/points-thresholds/{retired['id']}/retire"
    assert client.post(path, headers=governor).json()["retiredAt"] is not None
    assert client.post(path, headers=governor).status_code == 409
    place, me = venue(service), learner_id(service)
    for _ in range(2):
        check_in(service, activity(service, place, hours=1.5), me)  # 15 points each
    assert thresholds.settle(service) == 1
    with service.db.session() as session:
        award = session.scalars(select(PointsAward)).one()
        assert award.threshold_id == by_points["id"]
        credential = session.get_one(Credential, award.credential_id)
        assert (credential.credits, credential.credit_unit) == (25, "point")


def test_bad_thresholds_are_refused_and_change_nothing(client: TestClient,
                                                       governor: dict[str, str]):
    for change in ({"amount": "0"}, {"amount": "1.234"}, {"amount": "-3"},
                   {"measure": "credits"}, {"sector": "moon"}, {"name": {"zh": "名"}},
                   {"name": {"zh": "", "en": "x"}}, {"name": {"zh": " ", "en": "x"}}):
        answer = client.post("/v1/admin/points-thresholds", json={**THIRTY_HOURS, **change},
                             headers=governor)
        assert answer.status_code == 422, (change, answer.text)
        assert set(answer.json()) <= {"detail", "errors"}
    # what the award would be refused for later is refused now: a level outside the
    # active framework
    from . import registry_fixtures as reg

    assert client.post("/v1/admin/frameworks", json=reg.framework("2024"),
                       headers=governor).status_code == 201
    assert client.post(f"/v1/admin/frameworks/{reg.framework()['id']}/2024/publish",
                       headers=governor).status_code == 200
    answer = client.post("/v1/admin/points-thresholds", json={**THIRTY_HOURS, "level": "L99"},
                         headers=governor)
    assert answer.status_code == 422 and "not a level of framework" in answer.json()["detail"]
    assert client.get("/v1/admin/points-thresholds", headers=governor).json() == []


def test_the_background_loop_credits_credentials_awards_and_reverses_revoked_ones(
        client: TestClient, service: Service, governor: dict[str, str], bank: Tenant,
        university: Tenant, learner):
    from api.service.background import points_loop
    from api.service.models import StatusChange
    from verifier import timefmt

    from .test_learner import issue

    publish(client, governor)  # 5 points a degree credit
    assert client.post("/v1/admin/points-thresholds", headers=governor, json={
        **THIRTY_HOURS, "sector": "degree", "measure": "points", "amount": "20"}
    ).status_code == 201
    loop = points_loop(service)
    loop.start()
    try:
        loop.wait_idle(120)
        credential = issue(client, university)  # 4 degree credits: 20 points
        loop.wait_idle(120)
        with service.db.session() as session:
            entry = session.scalars(select(PointsEntry).where(
                PointsEntry.credential_id == credential)).one()
            assert entry.points_micro == 20_000_000
            award = session.scalars(select(PointsAward)).one()
            row = session.get_one(Credential, credential)
            row.status = "revoked"
            session.add(StatusChange(credential_id=credential, action="revoke", reason=1,
                                     note="", at=timefmt.now()))
        loop.wait_idle(120)
    finally:
        loop.stop()
    assert loop.failures == 0
    with service.db.session() as session:
        reversal = session.scalars(select(PointsEntry).where(
            PointsEntry.reverses_id == entry.id)).one()
        assert reversal.points_micro == -20_000_000 and reversal.reason == points.REVOKED
        # the award stays: once per learner per threshold, whatever reversals do later
        assert session.scalars(select(PointsAward)).one().id == award.id
