"""The learner's check-in history page: each check-in proven on chain or pending, and the
attendance record downloaded with the page's own session cookie."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service import attendance
from api.service.accounts import open_learner_account
from api.service.attendance_models import AttendanceDay
from api.service.context import Service
from api.service.models import Activity, CheckIn, Learner, Venue
from verifier import attendance as fmt
from verifier import timefmt

PASSWORD = "a long enough password"


def _checkins(service: Service) -> tuple[str, str]:
    """Two check-ins of 张伟 at one library, on two past days (written directly: only the
    rows matter here)."""
    created = datetime(2026, 1, 1, 9, tzinfo=timefmt.CHINA)
    ids = []
    with service.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == "zhangwei")).one()
        venue = Venue(slug="city-library", name="市图书馆", kind="library", created_at=created,
                      retired_at=None)
        session.add(venue)
        session.flush()
        for n, title in ((5, "讲座"), (6, "读书会")):
            at = datetime(2026, 1, n, 9, tzinfo=timefmt.CHINA)
            activity = Activity(id=f"00000000-0000-4000-8000-00000000000{n}",
                                venue_id=venue.id, kind="session", title=title,
                                sector="venue", hours=1.5, starts_at=at, ends_at=at,
                                created_at=at)
            session.add(activity)
            ids.append(f"00000000-0000-4000-8000-0000000000c{n}")
            session.add(CheckIn(id=ids[-1], activity_id=activity.id, venue_id=venue.id,
                                learner_id=learner.id, method="learner_scan",
                                day=f"2026-01-0{n}", checked_in_at=at, recorded_at=at))
    return ids[0], ids[1]


def _signed_in(client: TestClient, service: Service) -> None:
    open_learner_account(service, "zhangwei", "310101199001011234", PASSWORD, "张伟")
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"login": "zhangwei", "password": PASSWORD,
                                       "csrf": csrf}, follow_redirects=False).status_code == 303


def _states(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-checkin="([^"]+)" data-anchored="(yes|no)"', html))


def test_the_history_offers_the_record_and_says_which_days_are_anchored(
        client: TestClient, service: Service):
    _signed_in(client, service)
    assert "attendance-download" not in client.get("/account/code").text  # nothing to show
    first, second = _checkins(service)
    page = client.get("/account/code?lang=en").text
    assert _states(page) == {first: "no", second: "no"}
    assert ('href="/v1/learner/attendance" download="attendance-record.json"' in page
            and "credbank-verify attendance-record.json" in page and "pending" in page)
    # the link opens with the page's cookie: nothing anchored yet, both listed as pending
    record = client.get("/v1/learner/attendance")
    assert record.status_code == 200, record.text
    assert record.json()["type"] == fmt.RECORD_TYPE and record.json()["entries"] == []
    assert len(record.json()["pending"]) == 2
    # the first day closed and published (what the background pass does with a chain)
    closed = attendance.close_day(service, "city-library", "2026-01-05")
    assert closed is not None
    assert _states(client.get("/account/code").text) == {first: "no", second: "no"}
    with service.db.session() as session:
        session.get(AttendanceDay, closed.id).state = "anchored"
    page = client.get("/account/code?lang=zh").text
    assert _states(page) == {first: "yes", second: "no"}
    assert "已上链证明" in page and "待上链" in page and "下载我的签到记录" in page
    # signed out, the record is not given
    client.cookies.clear()
    assert client.get("/v1/learner/attendance").status_code == 401
