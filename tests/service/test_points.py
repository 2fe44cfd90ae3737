"""Learning points: published rules, the ledger of check-ins and credentials, totals by
sector, reversals, and the database refusing to rewrite the ledger."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from api.service import points
from api.service.context import Service
from api.service.models import Activity, CheckIn, Credential
from api.service.points_models import PointsEntry
from verifier import timefmt
from verifier.credit.points import parse_points_rules

from .conftest import LEARNER_ID, Tenant, bearer
from .points_fixtures import (
    activity,
    chain,  # noqa: F401
    check_in,
    learner_id,
    publish,
    rate,
    rules,
    venue,
)
from .test_learner import OTHER_ID, issue, sign_in

pytestmark = pytest.mark.usefixtures("chain")


def _entries(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count(PointsEntry.id))) or 0


def test_rules_are_drafted_then_published_on_chain_as_kind_4_and_immutable(
        client: TestClient, governor: dict[str, str], chain: list[tuple[str, str]]):  # noqa: F811
    doc = rules()
    draft = client.post("/v1/admin/points-rules", json=doc, headers=governor).json()
    assert draft["state"] == "draft" and draft["hash"] == parse_points_rules(doc).hash()
    assert client.get("/v1/registry/points-rules").json() == []
    base = f"/v1/admin/points-rules/{doc['id']}/{doc['version']}"
    edited = rules(dailyCap="50")
    assert client.put(base, json=edited, headers=governor).json()["document"]["dailyCap"] == "50"
    published = client.post(f"{base}/publish", headers=governor).json()
    assert published["state"] == "published"
    assert chain == [(published["hash"], "points_rules")]
    assert published["publication"]["kind"] == "points_rules"
    assert published["publication"]["documentHash"] == parse_points_rules(edited).hash()
    # immutable: no edit, no second publication
    assert client.put(base, json=doc, headers=governor).status_code == 409
    assert client.post(f"{base}/publish", headers=governor).status_code == 409
    public = client.get(f"/v1/registry/points-rules/{doc['id']}/{doc['version']}").json()
    assert public["hash"] == published["hash"]
    assert [r["version"] for r in client.get("/v1/registry/points-rules").json()] == ["2026.1"]
    # bad documents change nothing
    bad = client.post("/v1/admin/points-rules", json=rules(version="2", attendance=[
        {"sector": "moon", "pointsPerHour": "1"}]), headers=governor)
    assert bad.status_code == 422 and "sector must be one of" in bad.json()["detail"]
    assert client.post("/v1/admin/points-rules", json=doc, headers=governor).status_code == 409
    assert len(client.get("/v1/admin/points-rules", headers=governor).json()) == 1


def test_a_learner_sees_the_points_their_check_ins_earn_under_the_rule(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    doc = rules()
    published = publish(client, governor, doc)
    place = venue(service)
    me = learner_id(service)
    class_ = activity(service, place, hours=1.5)
    visit = activity(service, place, kind="exhibition_visit", hours=2, title="博物馆参观")
    museum = activity(service, place, sector="venue", hours=2, needs_checkout=True,
                      title="展览导览")
    start = timefmt.now()
    first = check_in(service, class_, me, at=start)
    check_in(service, visit, me, at=start)
    check_in(service, museum, me, at=start, out=start + timedelta(minutes=50))
    # expected, from the document's figures: hours × rate, rounded down to hundredths
    measured = Fraction(int(Fraction(50, 60) * 100), 100)  # 0.83 of an hour
    community = Fraction("1.5") * rate(doc, "community_elderly") + 2 * rate(
        doc, "community_elderly", "exhibition_visit")
    venue_points = Fraction(int(measured * rate(doc, "venue") * 100), 100)
    mine = client.get("/v1/learner/points", headers=sign_in(client)).json()
    totals = {t["sector"]: t for t in mine["totals"]["bySector"]}
    assert Fraction(totals["community_elderly"]["points"]) == community == 23
    assert Fraction(totals["community_elderly"]["hours"]) == Fraction("3.5")
    assert Fraction(totals["venue"]["points"]) == venue_points
    assert Fraction(totals["venue"]["hours"]) == measured
    assert Fraction(mine["totals"]["points"]) == community + venue_points
    cited = {"id": doc["id"], "version": doc["version"], "hash": published["hash"]}
    assert mine["rules"] == [cited]
    assert all(e["rules"] == cited and e["kind"] == "checkin" for e in mine["entries"])
    assert {e["source"]["title"] for e in mine["entries"]} == {
        "智能手机课", "博物馆参观", "展览导览"}
    # crediting a check-in again changes nothing
    before = _entries(service)
    with service.db.session() as session:
        again = points.credit_checkin(session, session.get_one(CheckIn, first))
        assert again is not None and again.source_key == f"checkin:{first}"
    assert _entries(service) == before == 3


def test_nothing_is_credited_without_rules_or_before_check_out(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    place, me = venue(service), learner_id(service)
    check_in(service, activity(service, place), me)  # no rules published yet
    publish(client, governor)
    check_in(service, activity(service, place, needs_checkout=True), me)  # not checked out
    check_in(service, activity(service, place, sector="degree"), me)  # no rate for degree
    assert _entries(service) == 0
    two_hours, degree = activity(service, place, hours=2), activity(service, place,
                                                                   sector="degree")
    with service.db.session() as session:
        shown = points.value_of(session.get_one(Activity, two_hours))
        assert shown == "20"  # 2 h × 10 points an hour
        assert points.value_of(session.get_one(Activity, degree)) is None


def test_the_daily_cap_holds_attendance_points_of_a_day(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    publish(client, governor, rules(dailyCap="20"))
    place, me = venue(service), learner_id(service)
    at = timefmt.now()
    for _ in range(3):
        check_in(service, activity(service, place, hours=1.5), me, at=at)  # 15 points each
    mine = client.get("/v1/learner/points", headers=sign_in(client)).json()
    assert sorted(Fraction(e["points"]) for e in mine["entries"]) == [0, 5, 15]
    assert mine["totals"]["bySector"][0] == {"sector": "community_elderly", "points": "20",
                                            "hours": "4.5"}


def test_credentials_earn_points_under_the_rule_at_issuance_and_lose_them_when_revoked(
        client: TestClient, service: Service, governor: dict[str, str], university: Tenant,
        learner):
    before = issue(client, university)  # issued before any rules: earns nothing
    doc = rules()
    publish(client, governor, doc)
    credential = issue(client, university)  # 4 credits, degree
    issue(client, university, creditsEarned=2, creditUnit="credit", sector="vocational")
    issue(client, university, OTHER_ID)  # someone else's
    mine = client.get("/v1/learner/points", headers=sign_in(client)).json()
    assert [(e["source"]["id"], e["points"]) for e in mine["entries"]] == [
        (credential, str(4 * Fraction(doc["credentials"][0]["pointsPerUnit"])))]
    assert before not in {e["source"]["id"] for e in mine["entries"]}
    with service.db.session() as session:
        session.get(Credential, credential).status = "revoked"  # type: ignore[union-attr]
    assert points.settle_credentials(service) == 2  # the reversal, and the other's credit
    mine = client.get("/v1/learner/points", headers=sign_in(client)).json()
    reversal = mine["entries"][0]
    assert reversal["kind"] == "reversal" and reversal["points"] == "-20"
    assert reversal["reason"] == points.REVOKED
    assert mine["totals"]["points"] == "0"
    assert points.settle_credentials(service) == 0  # settled: nothing twice


def test_the_authority_reverses_an_entry_once_with_a_reason(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    publish(client, governor)
    place, me = venue(service), learner_id(service)
    check_in(service, activity(service, place, hours=2), me)
    check_in(service, activity(service, place, hours=1), me)
    ledger = client.get("/v1/admin/learners/zhangwei/points", headers=governor).json()
    assert ledger["login"] == "zhangwei" and ledger["totals"]["points"] == "30"
    target = next(e for e in ledger["entries"] if e["points"] == "20")
    path = f"/v1/admin/points-entries/{target['id']}/reversal"
    assert client.post(path, json={"reason": ""}, headers=governor).status_code == 422
    assert client.post(path, json={"reason": "   "}, headers=governor).status_code == 422
    done = client.post(path, json={"reason": "签到有误 wrong check-in"}, headers=governor)
    assert done.status_code == 201, done.text
    reversal = done.json()
    assert reversal["kind"] == "reversal" and reversal["reverses"] == target["id"]
    assert reversal["points"] == "-20" and reversal["quantity"] == "-2"
    again = client.post(path, json={"reason": "again"}, headers=governor)
    assert again.status_code == 409 and "reversed already" in again.json()["detail"]
    of_reversal = client.post(f"/v1/admin/points-entries/{reversal['id']}/reversal",
                              json={"reason": "undo"}, headers=governor)
    assert of_reversal.status_code == 409
    assert client.post("/v1/admin/points-entries/999999/reversal", json={"reason": "x"},
                       headers=governor).status_code == 404
    mine = client.get("/v1/learner/points", headers=sign_in(client)).json()
    assert mine["totals"]["points"] == "10"
    assert mine["totals"]["bySector"][0]["hours"] == "1"
    original = next(e for e in mine["entries"] if e["id"] == target["id"])
    assert original["reversed"] is True and original["points"] == "20"  # kept, not edited
    assert client.get("/v1/admin/learners/nobody/points", headers=governor).status_code == 404


def test_the_database_refuses_to_update_or_delete_ledger_entries(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    publish(client, governor)
    check_in(service, activity(service, venue(service)), learner_id(service))
    for statement in ("UPDATE points_entries SET points_micro = 999",
                      "DELETE FROM points_entries"):
        with pytest.raises(DBAPIError, match="append-only"), service.db.session() as session:
            session.execute(text(statement))
    with service.db.session() as session:
        assert session.scalars(select(PointsEntry.points_micro)).all() == [15_000_000]
    with service.db.session() as session:  # the ORM path is refused as well
        entry = session.scalars(select(PointsEntry)).one()
        session.delete(entry)
        with pytest.raises(DBAPIError, match="append-only"):
            session.flush()
        session.rollback()
    assert _entries(service) == 1


def test_a_learner_sees_only_their_own_ledger(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    from api.service.accounts import open_learner_account

    publish(client, governor)
    open_learner_account(service, "lina", OTHER_ID, "another long password", "李娜")
    check_in(service, activity(service, venue(service)), learner_id(service, "lina"))
    mine = client.get("/v1/learner/points", headers=sign_in(client)).json()
    assert mine == {"totals": {"points": "0", "bySector": []}, "entries": [], "rules": []}
    assert LEARNER_ID not in str(mine)


def test_the_points_page_shows_totals_entries_rules_and_reversals_in_both_languages(
        client: TestClient, service: Service, governor: dict[str, str], learner):
    from .test_pages import page_sign_in

    assert client.get("/account/points", follow_redirects=False).headers["location"] == \
        "/login"
    published = publish(client, governor)
    place, me = venue(service), learner_id(service)
    check_in(service, activity(service, place, hours=2, title="太极拳"), me)
    check_in(service, activity(service, place, hours=1, title="书法"), me)
    entry = next(e for e in client.get("/v1/admin/learners/zhangwei/points",
                                       headers=governor).json()["entries"]
                 if e["source"]["title"] == "书法")
    assert client.post(f"/v1/admin/points-entries/{entry['id']}/reversal",
                       json={"reason": "重复签到"}, headers=governor).status_code == 201
    page_sign_in(client)
    chinese = client.get("/account/points").text
    assert "学习积分" in chinese and 'id="points-total">20<' in chinese
    assert "社区与老年教育" in chinese and "太极拳" in chinese
    assert "冲正" in chinese and "重复签到" in chinese and "已冲正" in chinese
    assert published["hash"] in chinese
    english = client.get("/account/points?lang=en").text
    assert "Learning points" in english and "community and elderly education" in english
    assert "Reversal" in english and "Rules cited" in english


def test_the_authority_reads_points_rules_and_thresholds_on_a_staff_page(
        client: TestClient, service: Service, governor: dict[str, str], university: Tenant):
    from api.service import thresholds
    from api.service.accounts import create_api_key

    from .test_pages_credit import staff_sign_in

    assert client.get("/staff/points", follow_redirects=False).headers["location"] == \
        "/staff/login"
    published = publish(client, governor, rules(dailyCap="40"))
    thresholds.create(service, thresholds.NewThreshold(
        sector="venue", measure="hours", amount="12.5", name_zh="场馆学习达人",
        name_en="Venue learner", description_zh="场馆学习满 12.5 学时。",
        description_en="12.5 hours of venue learning."))
    staff_sign_in(client, bearer(create_api_key(service, "institution", university.slug,
                                                "registrar")))
    refused = client.get("/staff/points")
    assert refused.status_code == 403 and "只有学分银行管理机构" in refused.text
    client.cookies.clear()
    staff_sign_in(client, bearer(create_api_key(service, "governor", None, "staff")))
    page = client.get("/staff/points?lang=en").text
    assert published["hash"] in page and "Daily cap: 40" in page
    assert "an hour of attendance · exhibition_visit" in page
    assert "Venue learner" in page and "12.5 hours" in page
    assert "场馆学习达人" in client.get("/staff/points?lang=zh").text
