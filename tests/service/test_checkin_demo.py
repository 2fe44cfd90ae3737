"""The learning code's demo data: venues, a day of check-ins both ways, an operator key."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cli.demo_checkin import create_checkin_demo
from api.service.accounts import open_learner_account
from api.service.context import Service
from api.service.models import CheckIn

from .conftest import bearer


def test_the_demo_makes_a_day_of_check_ins_once_and_a_new_operator_key_each_run(
        client: TestClient, service: Service):
    logins = []
    for number in range(4):
        open_learner_account(service, f"demo{number}", f"31010119900101{number:04d}",
                             "correct horse battery", f"学员{number}")
        logins.append(f"demo{number}")
    first = create_checkin_demo(service, logins)
    assert first.checkins == 12
    with service.db.session() as session:
        rows = list(session.scalars(select(CheckIn)))
    assert {row.method for row in rows} == {"learner_scan", "operator_scan"}
    assert len({row.day for row in rows}) == 1  # yesterday, the venue's day
    assert sum(row.checked_out_at is not None for row in rows) == 4
    again = create_checkin_demo(service, logins)
    assert again.checkins == 12 and again.operator_key != first.operator_key
    assert again.today_activity == first.today_activity
    listed = client.get("/v1/venue/activities", headers=bearer(again.operator_key))
    assert first.today_activity in {a["id"] for a in listed.json()}
