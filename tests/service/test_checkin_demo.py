"""The learning code's demo data: venues, published points rules and a threshold, a day of
check-ins both ways credited with points, the day anchored on a real chain and an
attendance record that verifies offline, an operator key; a second run adds nothing."""

from __future__ import annotations

import re
import shlex
from fractions import Fraction

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.cli import demo_checkin
from api.cli.demo_checkin import create_checkin_demo
from api.cli.demo_summary import learning_code_lines
from api.service import attendance, points, thresholds
from api.service.accounts import open_learner_account
from api.service.attendance_models import AttendanceDay
from api.service.context import Service
from api.service.data_dir import PIN_FILE
from api.service.models import CheckIn, Credential, Learner
from api.service.points_models import PointsEntry, PointsRuleSet, PointsThreshold
from ledger.bundle import export_pin
from ledger.bundle import write_json as write_pin
from tests.service.test_admin_chain import Chain, chain  # noqa: F401
from verifier.cli import main as verify_main

from .conftest import bearer, make_tenant


def _counts(service: Service) -> tuple[int, ...]:
    with service.db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (
            CheckIn, PointsEntry, PointsRuleSet, PointsThreshold, AttendanceDay))


def test_the_demo_makes_a_day_of_check_ins_with_points_anchored_once(
        client: TestClient, service: Service, chain: Chain, capsys):  # noqa: F811
    service.settings.credit_bank = "credit-bank"
    make_tenant(service, "credit-bank", "上海市终身教育学分银行")
    write_pin(export_pin(chain.url, chain.registry), service.settings.path(PIN_FILE))
    logins = []
    for number in range(4):
        open_learner_account(service, f"demo{number}", f"31010119900101{number:04d}",
                             "correct horse battery", f"学员{number}")
        logins.append(f"demo{number}")
    first = create_checkin_demo(service, logins)
    assert first.checkins == 12
    with service.db.session() as session:
        rows = list(session.scalars(select(CheckIn)))
        learner = session.scalars(select(Learner).where(Learner.login == "demo0")).one()
    assert {row.method for row in rows} == {"learner_scan", "operator_scan"}
    [day] = {row.day for row in rows}  # yesterday, the venue's day
    assert sum(row.checked_out_at is not None for row in rows) == 4

    # points: each check-in credited under the demo's rules as it was made
    rate = {item["sector"]: Fraction(item["pointsPerHour"])
            for item in demo_checkin.RULES["attendance"]}
    expected = sum(Fraction(str(hours)) * rate[sector]
                   for *_, sector, _, hours, _ in demo_checkin.YESTERDAY)
    ledger = points.learner_ledger(service, learner.id)
    attended = [e for e in ledger["entries"] if e["kind"] == "checkin"]
    assert len(attended) == 3
    assert sum(Fraction(e["points"]) for e in attended) == expected
    assert {e["rules"]["hash"] for e in attended} == {first.rules_hash}

    # yesterday anchored at both venues; the record the summary names verifies offline
    assert first.anchored == (f"pudong-library {day}", f"xuhui-community-school {day}")
    days = attendance.list_days(service)["days"]
    assert sorted((d["venue"], d["day"], d["state"], d["count"]) for d in days) == [
        ("pudong-library", day, "anchored", 4), ("xuhui-community-school", day, "anchored", 8)]
    printed = "\n".join(learning_code_lines("http://127.0.0.1:8000", service.settings.data_dir,
                                            first))
    command = re.search(r"^\s+(credbank-verify .+)$", printed, re.M)
    assert command, printed
    capsys.readouterr()
    assert verify_main(shlex.split(command.group(1))[1:]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VERIFIED attendance") and "5.5 hours" in out, out
    assert first.operator_key in printed and first.today_activity in printed

    # a second run adds nothing (but a new operator key, printed once)
    before = _counts(service)
    again = create_checkin_demo(service, logins)
    assert _counts(service) == before == (12, 12, 1, 1, 2)
    assert again.checkins == 12 and again.operator_key != first.operator_key
    assert again.today_activity == first.today_activity and again.anchored == first.anchored
    listed = client.get("/v1/venue/activities", headers=bearer(again.operator_key))
    assert first.today_activity in {a["id"] for a in listed.json()}

    # today's activity brings a learner to the threshold: the award is issued
    assert thresholds.settle(service) == 0
    session = client.post("/v1/learner/session", json={"login": "demo0",
                                                       "password": "correct horse battery"})
    me = bearer(session.json()["token"])
    client.cookies.clear()
    shown = client.get(f"/v1/venue/activities/{again.today_activity}/code",
                       headers=bearer(again.operator_key)).json()["code"]
    assert client.post("/v1/learner/checkins", headers=me,
                       json={"code": shown}).status_code == 201
    assert thresholds.settle(service) == 1
    with service.db.session() as session:
        award = session.scalars(select(Credential).where(
            Credential.learner_key == learner.learner_key,
            Credential.credit_unit == "hour")).one()
        assert (award.credits, award.credit_sector) == (6, "community_elderly")
