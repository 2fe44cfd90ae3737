"""The learning code as a whole, through the HTTP API on a real embedded chain.

The authority registers a venue, its operator and activities, publishes points rules and
sets a threshold; learners check in a hundred times both ways (scanning the venue's code;
the operator scanning their rotating codes and printed cards), and a replayed code, an
expired one and a duplicate are refused. The next day the authority anchors the venue-day;
a learner's attendance record verifies offline with ``credbank-verify`` and fails when an
entry is altered; the learner's points are what the published rule gives; the threshold
issues a credential that counts in the learner's totals.

The clock is the service's (``verifier.timefmt.now``): everything up to the check-ins
happens "yesterday", then the clock returns to now, when yesterday is over. One chain
serves the module.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import thresholds
from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.data_dir import GOVERNOR_KEY
from api.service.models import CheckIn, UsedCode
from api.service.points_models import PointsEntry
from api.service.settings import Settings
from api.web.app import create_app
from ledger import Web3RegistryClient, create_account_key
from ledger.bundle import export_pin
from ledger.node import DataDir
from tests.ledger.chains import start_embedded_node
from verifier import timefmt
from verifier.cli import main as verify_main

from . import checkin_fixtures as fx
from .conftest import bearer, make_tenant
from .points_fixtures import rate, rules

PASSWORD = "correct horse battery"
VENUE = "xuhui-school"
LEARNERS = 10
# five activities where learners scan the venue's code, five where the operator scans;
# (kind, sector, hours): two sectors and a kind with a rate of its own
BY_LEARNER = [("session", "community_elderly", 2.0), ("exhibition_visit",
                                                       "community_elderly", 1.5),
              ("session", "venue", 1.0), ("session", "community_elderly", 0.5),
              ("session", "venue", 2.5)]
BY_OPERATOR = [("session", "community_elderly", 1.0), ("session", "venue", 1.5),
               ("exhibition_visit", "community_elderly", 2.0),
               ("session", "community_elderly", 1.5), ("session", "venue", 0.5)]
THRESHOLD = {"sector": "community_elderly", "measure": "hours", "amount": "8",
             "name": {"zh": "社区学习 8 学时", "en": "8 hours of community learning"},
             "description": {"zh": "在社区学校累计学习满 8 学时。",
                             "en": "Eight hours of learning at community schools."}}
VERSIONS = itertools.count(1)  # the chain is shared: each test publishes its own version


@dataclass
class Chain:
    url: str
    registry: str
    governor_key: Path
    pin: Path


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    base = tmp_path_factory.mktemp("learning-code-chain")
    key = base / "governor.key"
    governor = create_account_key(key)
    node, server = start_embedded_node(base / "node")
    try:
        DataDir(base / "node").change_allowlist(add=[bytes.fromhex(governor.address[2:])])
        registry = Web3RegistryClient.deploy(server.url, governor, [governor.address]).registry
        pin = base / "pin.json"
        pin.write_text(json.dumps(export_pin(server.url, registry)))
        yield Chain(server.url, registry, key, pin)
    finally:
        server.stop()
        node.close()


@pytest.fixture
def svc(tmp_path: Path, database_url: str, chain: Chain) -> Iterator[Service]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        run_worker=False, rpc_url=chain.url, registry=chain.registry,
                        authority_name="上海市终身教育办公室", credit_bank="credit-bank")
    service = Service.open(settings)
    shutil.copyfile(chain.governor_key, service.settings.path(GOVERNOR_KEY))
    service.settings.path(GOVERNOR_KEY).chmod(0o600)
    yield service
    service.close()


class Clock:
    """The service's clock, set back to a moment of yesterday and running from there
    until :meth:`back_to_now`; :meth:`advance` moves it on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, start: datetime) -> None:
        self._real = timefmt.now
        self._offset = start - self._real()
        self._monkeypatch = monkeypatch
        monkeypatch.setattr(timefmt, "now", lambda: self._real() + self._offset)

    def advance(self, by: timedelta) -> None:
        self._offset += by

    def back_to_now(self) -> None:
        self._monkeypatch.setattr(timefmt, "now", self._real)


def _activity(http: TestClient, governor: dict[str, str], kind: str, sector: str,
              hours: float, starts: datetime, title: str) -> str:
    answer = http.post("/v1/venue/activities", headers=governor, json={
        "venue": VENUE, "kind": kind, "title": title, "sector": sector, "hours": hours,
        "startsAt": timefmt.format(starts),
        "endsAt": timefmt.format(starts + timedelta(hours=hours))})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _sign_in(http: TestClient, login: str) -> dict[str, str]:
    answer = http.post("/v1/learner/session", json={"login": login, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    http.cookies.clear()  # callers use their headers only
    return bearer(answer.json()["token"])


def _count(svc: Service, model: Any) -> int:
    with svc.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _verify(tmp_path: Path, name: str, record: dict[str, Any], chain: Chain,
            capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / name
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    code = verify_main([str(path), "--pin", str(chain.pin)])
    return code, capsys.readouterr().out


def test_the_learning_code_from_venue_to_verified_attendance_points_and_award(
        svc: Service, chain: Chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    yesterday = (datetime.now(UTC).astimezone(timefmt.CHINA) - timedelta(days=1)).date()
    clock = Clock(monkeypatch, datetime.combine(yesterday, time(8, 0), timefmt.CHINA))
    make_tenant(svc, "credit-bank", "上海市终身教育学分银行")
    governor = bearer(create_api_key(svc, "governor", None, "acceptance"))
    logins = [f"learner{n}" for n in range(LEARNERS)]
    for n, login in enumerate(logins):
        open_learner_account(svc, login, f"3101011990010{n:05d}", PASSWORD, f"学员{n}")

    with TestClient(create_app(service=svc)) as http:
        # the authority: a venue, its operator's key, points rules, a threshold, activities
        fx.register_venue(http, governor, VENUE)
        key = http.post("/v1/admin/api-keys", headers=governor,
                        json={"role": "operator", "venue": VENUE, "label": "desk"})
        assert key.status_code == 201, key.text
        operator = bearer(key.json()["apiKey"])
        doc = rules(version=f"2026.{next(VERSIONS)}")
        assert http.post("/v1/admin/points-rules", json=doc,
                         headers=governor).status_code == 201
        published = http.post(f"/v1/admin/points-rules/{doc['id']}/{doc['version']}/publish",
                              headers=governor)
        assert published.status_code == 200, published.text
        assert published.json()["publication"]["blockNumber"] > 0  # on the chain
        # the service's trust bundle still exports, without the points rules (no offline
        # check reads them)
        bundle = http.get("/v1/trust-bundle")
        assert bundle.status_code == 200, bundle.text
        assert published.json()["hash"] not in bundle.text
        threshold = http.post("/v1/admin/points-thresholds", json=THRESHOLD,
                              headers=governor)
        assert threshold.status_code == 201, threshold.text
        clock.advance(timedelta(minutes=50))  # 08:50: the activities open
        starts = timefmt.now() + timedelta(minutes=10)
        by_learner = [_activity(http, governor, *spec, starts, f"讲座 {n}")
                      for n, spec in enumerate(BY_LEARNER)]
        by_operator = [_activity(http, governor, *spec, starts, f"课程 {n}")
                       for n, spec in enumerate(BY_OPERATOR)]

        # a hundred check-ins both ways
        learners = [_sign_in(http, login) for login in logins]
        cards = {}
        for number, learner in enumerate(learners[5:], start=5):
            card = http.post("/v1/learner/card", headers=learner)
            assert card.status_code == 201, card.text
            cards[number] = card.json()["text"]
        for activity_id in by_learner:
            shown = fx.venue_code(http, operator, activity_id)
            for learner in learners:
                done = http.post("/v1/learner/checkins", headers=learner,
                                 json={"code": shown})
                assert done.status_code == 201, done.text
                assert done.json()["method"] == "learner_scan"
        for activity_id in by_operator:
            for number, learner in enumerate(learners):
                # half show the rotating code on their phone, half their printed card
                code = cards.get(number) or fx.learner_code(http, learner)
                done = http.post(f"/v1/venue/activities/{activity_id}/scans",
                                 headers=operator, json={"code": code})
                assert done.status_code == 201, done.text
                assert done.json()["method"] == "operator_scan"
        assert _count(svc, CheckIn) == 100

        # refused, writing nothing: a replayed code, a duplicate, an expired code
        spent = fx.learner_code(http, learners[0])
        late = _activity(http, governor, "session", "community_elderly", 1.0,
                         timefmt.now(), "晚到的课")
        first = http.post(f"/v1/venue/activities/{late}/scans", headers=operator,
                          json={"code": spent})
        assert first.status_code == 201, first.text
        replay = http.post(f"/v1/venue/activities/{by_operator[0]}/scans", headers=operator,
                           json={"code": spent})
        assert replay.status_code == 409 and "already used" in replay.json()["detail"]
        duplicate = http.post("/v1/learner/checkins", headers=learners[1],
                              json={"code": fx.venue_code(http, operator, by_learner[0])})
        assert duplicate.status_code == 409
        assert "already checked in" in duplicate.json()["detail"]
        stale_learner = fx.learner_code(http, learners[2])
        stale_venue = fx.venue_code(http, operator, late)
        clock.advance(timedelta(minutes=10))  # both codes have expired
        for answer in (http.post(f"/v1/venue/activities/{late}/scans", headers=operator,
                                 json={"code": stale_learner}),
                       http.post("/v1/learner/checkins", headers=learners[3],
                                 json={"code": stale_venue})):
            assert answer.status_code == 410 and "expired" in answer.json()["detail"]
        assert _count(svc, CheckIn) == 101
        assert _count(svc, PointsEntry) == 101  # each credited in its own transaction
        with svc.db.session() as session:
            assert {day for day, in session.execute(select(CheckIn.day))} == {
                yesterday.isoformat()}
            assert session.scalar(select(func.count()).select_from(UsedCode)) == 26

        # the next day: yesterday is over and the authority anchors it
        clock.back_to_now()
        path = f"/v1/admin/attendance/{VENUE}/{yesterday.isoformat()}/anchor"
        anchored = http.post(path, headers=governor)
        assert anchored.status_code == 200, anchored.text
        [part] = anchored.json()["parts"]
        assert (part["state"], part["count"], part["part"]) == ("anchored", 101, 1)
        assert part["blockNumber"] > 0
        assert http.post(path, headers=governor).json()["parts"] == [part]  # no change

        # a learner's attendance record, checked offline, and altered
        me = _sign_in(http, logins[4])  # yesterday's session has expired
        record = http.get("/v1/learner/attendance", headers=me)
        assert record.status_code == 200, record.text
        record = record.json()
        hours = sum(Decimal(str(h)) for *_, h in BY_LEARNER + BY_OPERATOR)
        assert len(record["entries"]) == 10 and record["pending"] == []
        assert Decimal(record["totals"]["hours"]) == hours
        code, out = _verify(tmp_path, "attendance.json", record, chain, capsys)
        assert code == 0, out
        assert out.startswith("VERIFIED attendance") and "attendance.day_anchored" in out
        altered = json.loads(json.dumps(record))
        altered["entries"][3]["entry"]["activity"]["hours"] = "9"
        code, out = _verify(tmp_path, "altered.json", altered, chain, capsys)
        assert code == 1, out
        assert "✗ attendance.inclusion" in out

        # the points: what the published rule gives for these check-ins
        expected = sum((Fraction(str(h)) * rate(doc, sector,
                                                kind if kind != "session" else None)
                        for kind, sector, h in BY_LEARNER + BY_OPERATOR), Fraction(0))
        mine = http.get("/v1/learner/points", headers=me)
        assert mine.status_code == 200, mine.text
        assert Fraction(mine.json()["totals"]["points"]) == expected
        assert len(mine.json()["entries"]) == 10
        assert {e["rules"]["hash"] for e in mine.json()["entries"]} == {
            published.json()["hash"]}

        # the threshold: 8 hours of community learning reached by every learner, awarded
        # once each; the award is among the learner's credentials and in the totals
        community = sum(h for _, sector, h in BY_LEARNER + BY_OPERATOR
                        if sector == "community_elderly")
        assert community >= 8
        assert thresholds.settle(svc) == LEARNERS
        assert thresholds.settle(svc) == 0
        awards = [c for c in http.get("/v1/learner/credentials", headers=me).json()
                  if c["achievementType"] == "Award"]
        assert [a["achievementName"] for a in awards] == ["社区学习 8 学时"]
        summary = http.get("/v1/learner/summary", headers=me).json()
        assert {"value": "8", "unit": "hour", "sector": "community_elderly"} in \
            summary["totals"]["byUnitAndSector"]
        listed = http.get("/v1/admin/points-thresholds", headers=governor).json()
        assert [t["awarded"] for t in listed] == [LEARNERS]
