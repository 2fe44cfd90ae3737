"""Anchored attendance through the service: a venue-day closed and published on a real
embedded chain, the learner's attendance record downloaded and checked offline by
``credbank-verify`` with a pinned signer set, an altered entry failing.

One chain serves the whole module (the registry is deployed once; each test's service
gets a copy of the governor key): venue-days of different tests have different manifests.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import attendance
from api.service.accounts import create_api_key, open_learner_account
from api.service.attendance_models import AttendanceDay
from api.service.context import Service
from api.service.data_dir import GOVERNOR_KEY
from api.service.models import Activity, CheckIn, Venue
from api.service.settings import Settings
from api.web.app import create_app
from ledger import Web3RegistryClient, create_account_key
from ledger.bundle import export_pin
from ledger.node import DataDir
from tests.ledger.chains import start_embedded_node
from verifier import attendance_check, load_evidence, timefmt
from verifier.cli import main as verify_main
from verifier.evidence.bundle import parse_pin
from verifier.model import Status

from .conftest import bearer

PASSWORD = "correct horse battery"


@dataclass
class Chain:
    url: str
    registry: str
    governor_key: Path
    pin: Path


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    base = tmp_path_factory.mktemp("attendance-chain")
    key = base / "governor.key"
    governor = create_account_key(key)
    node, server = start_embedded_node(base / "node")
    try:
        DataDir(base / "node").change_allowlist(add=[bytes.fromhex(governor.address[2:])])
        client = Web3RegistryClient.deploy(server.url, governor, [governor.address])
        client.accredit("did:web:college.example", "某职业学院")  # history a record leaves out
        registry = client.registry
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
                        authority_name="上海市终身教育办公室")
    service = Service.open(settings)
    shutil.copyfile(chain.governor_key, service.settings.path(GOVERNOR_KEY))
    service.settings.path(GOVERNOR_KEY).chmod(0o600)
    yield service
    service.close()


def _day(days_ago: int) -> str:
    return attendance.day_of(timefmt.now() - timedelta(days=days_ago))


def _at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=timefmt.CHINA)


@dataclass
class Seeded:
    learners: dict[str, int]
    activities: dict[str, str]
    venue_id: int


def seed(service: Service, slug: str = "pudong-library") -> Seeded:
    learners = {login: open_learner_account(service, login, f"3101011990{n:08d}", PASSWORD,
                                            login).id
                for n, login in enumerate(("zhangwei", "lisi", "wangfang"))}
    now = timefmt.now()
    with service.db.session() as session:
        venue = Venue(slug=slug, name="浦东图书馆", kind="library", created_at=now -
                      timedelta(days=30), retired_at=None)
        session.add(venue)
        session.flush()
        activities = {}
        for name, sector, hours, checkout in (("talk", "community_elderly", 1.5, False),
                                              ("workshop", "venue", 2.0, True),
                                              ("reading", "venue", 1.0, False)):
            activity = Activity(id=str(uuid.uuid4()), venue_id=venue.id, kind="session",
                                title=f"{name} 讲座", sector=sector, hours=hours,
                                starts_at=now, ends_at=now, needs_checkout=checkout,
                                created_at=now)
            session.add(activity)
            activities[name] = activity.id
        return Seeded(learners, activities, venue.id)


def check_in(service: Service, seeded: Seeded, login: str, activity: str, day: str,
             checked_out: bool = False) -> str:
    ident = str(uuid.uuid4())
    with service.db.session() as session:
        session.add(CheckIn(
            id=ident, activity_id=seeded.activities[activity], venue_id=seeded.venue_id,
            learner_id=seeded.learners[login], method="operator_scan", day=day,
            checked_in_at=_at(day, 9), checked_out_at=_at(day, 11) if checked_out else None,
            recorded_at=_at(day, 9)))
    return ident


def _verify(tmp_path: Path, record: dict[str, Any], chain: Chain, capsys) -> tuple[int, str]:
    path = tmp_path / "attendance.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    code = verify_main([str(path), "--pin", str(chain.pin)])
    return code, capsys.readouterr().out


def test_a_day_anchored_and_the_learners_record_verifies_offline(
        svc: Service, chain: Chain, tmp_path: Path, capsys):
    seeded = seed(svc)
    day, today = _day(2), _day(0)
    mine = [check_in(svc, seeded, "zhangwei", "talk", day),
            check_in(svc, seeded, "zhangwei", "workshop", day, checked_out=True)]
    check_in(svc, seeded, "lisi", "talk", day)
    theirs = check_in(svc, seeded, "wangfang", "workshop", day)
    later = check_in(svc, seeded, "zhangwei", "reading", today)
    governor = bearer(create_api_key(svc, "governor", None, "attendance"))
    with TestClient(create_app(service=svc)) as http:
        anchored = http.post(f"/v1/admin/attendance/pudong-library/{day}/anchor",
                             headers=governor)
        assert anchored.status_code == 200, anchored.text
        [part] = anchored.json()["parts"]
        assert part["state"] == "anchored" and part["count"] == 4 and part["part"] == 1
        assert part["transactionHash"].startswith("0x") and part["blockNumber"] > 0
        again = http.post(f"/v1/admin/attendance/pudong-library/{day}/anchor",
                          headers=governor)
        assert again.json()["parts"] == [part]  # anchored again: no change
        refused = {
            f"/v1/admin/attendance/pudong-library/{today}/anchor": 409,  # not over
            f"/v1/admin/attendance/pudong-library/{_day(3)}/anchor": 409,  # empty
            f"/v1/admin/attendance/no-such-venue/{day}/anchor": 404,
            "/v1/admin/attendance/pudong-library/2026-02-30/anchor": 422}
        for path, status in refused.items():
            answer = http.post(path, headers=governor)
            assert answer.status_code == status, (path, answer.text)
            assert set(answer.json()) == {"detail"}
        listed = http.get("/v1/admin/attendance", headers=governor).json()
        assert [d["manifestHash"] for d in listed["days"]] == [part["manifestHash"]]
        assert listed["toAnchor"] == [{"venue": "pudong-library", "day": today,
                                       "checkIns": 1}]

        signed_in = http.post("/v1/learner/session",
                              json={"login": "zhangwei", "password": PASSWORD}).json()
        learner = bearer(signed_in["token"])
        record = http.get("/v1/learner/attendance", headers=learner).json()
        one = http.get(f"/v1/learner/attendance/{mine[0]}", headers=learner)
        someone_elses = http.get(f"/v1/learner/attendance/{theirs}", headers=learner)
    with svc.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AttendanceDay)) == 1

    assert sorted(e["entry"]["checkIn"] for e in record["entries"]) == sorted(mine)
    assert [p["checkIn"] for p in record["pending"]] == [later]
    assert record["totals"]["hours"] == "3.5"
    assert someone_elses.status_code == 404
    assert one.status_code == 200 and len(one.json()["entries"]) == 1
    # the published tree says nothing of who attended: no learner key in the leaves
    assert all(svc_key_absent(e["entry"], record["learner"]["key"])
               for e in record["entries"])

    # the evidence proves the cited documents only: no issuer's history rides along
    assert record["evidence"]["issuers"] == [] and "statusEvents" not in record["evidence"]
    assert len(json.dumps(record)) < 64 * 1024
    code, out = _verify(tmp_path, record, chain, capsys)
    assert code == 0, out
    assert out.startswith("VERIFIED attendance")
    assert "attendance.day_anchored" in out and "3.5 hours" in out

    # the same evidence given apart (--trust), and the record's own without a pin
    bundle, bare = tmp_path / "bundle.json", tmp_path / "bare.json"
    bundle.write_text(json.dumps(record["evidence"]))
    bare.write_text(json.dumps({k: v for k, v in record.items() if k != "evidence"}))
    assert verify_main([str(bare), "--trust", str(bundle), "--pin", str(chain.pin)]) == 0
    capsys.readouterr()
    unpinned = tmp_path / "unpinned.json"
    unpinned.write_text(json.dumps(record))
    assert verify_main([str(unpinned)]) == 1
    assert "not trusted (its signer set is not pinned: give --pin" in capsys.readouterr().out
    assert verify_main([str(unpinned), "--no-status"]) == 0
    assert "except that the chain's signer set was not pinned" in capsys.readouterr().out

    altered = json.loads(json.dumps(record))
    altered["entries"][0]["entry"]["activity"]["hours"] = "9"
    code, out = _verify(tmp_path, altered, chain, capsys)
    assert code == 1
    assert "NOT VERIFIED attendance: the record was altered" in out
    assert "✗ attendance.inclusion" in out


def svc_key_absent(entry: dict[str, Any], learner_key: str) -> bool:
    return learner_key not in json.dumps(entry)


def test_the_background_pass_anchors_finished_days_and_late_check_ins_as_a_new_part(
        svc: Service, chain: Chain):
    seeded = seed(svc, "elder-uni")
    day = _day(3)
    check_in(svc, seeded, "zhangwei", "talk", day)
    check_in(svc, seeded, "lisi", "talk", day)
    svc.settings.attendance_delay_minutes = 0
    # a day closed whose publication did not happen (a crash, the chain down): pending
    closed = attendance.close_day(svc, "elder-uni", day)
    assert closed is not None and closed.state == "pending"
    assert attendance.run_once(svc) is True  # publishes the pending day
    late = check_in(svc, seeded, "zhangwei", "workshop", day, checked_out=True)
    assert attendance.run_once(svc) is True  # the late check-in: part 2
    assert attendance.run_once(svc) is False
    parts = attendance.list_days(svc, venue="elder-uni")["days"]
    assert sorted((p["part"], p["count"], p["state"]) for p in parts) == [
        (1, 2, "anchored"), (2, 1, "anchored")]

    record = attendance.record(svc, seeded.learners["zhangwei"])
    assert {e["entry"]["checkIn"] for e in record["entries"]} >= {late}
    assert len(record["days"]) == 2 and len(record["registers"]) == 1
    evidence = load_evidence(record["evidence"], parse_pin(json.loads(chain.pin.read_text())))
    report = attendance_check.check(record, evidence)
    assert report.verified, report.checks
    assert report.check("attendance.venue_registered").status is Status.PASSED


def test_without_a_chain_anchoring_answers_503_and_writes_nothing(service: Service,
                                                                  client: TestClient):
    seeded = seed(service)
    day = _day(2)
    check_in(service, seeded, "zhangwei", "talk", day)
    governor = bearer(create_api_key(service, "governor", None, "attendance"))
    answer = client.post(f"/v1/admin/attendance/pudong-library/{day}/anchor",
                         headers=governor)
    assert answer.status_code == 503 and set(answer.json()) == {"detail"}
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AttendanceDay)) == 0
    assert attendance.list_days(service)["toAnchor"][0]["checkIns"] == 1


def test_the_service_runs_the_attendance_pass_behind_its_setting(svc: Service, chain: Chain):
    seeded = seed(svc, "jingan-museum")
    day = _day(1)
    check_in(svc, seeded, "zhangwei", "talk", day)
    svc.settings.run_worker = True
    svc.settings.attendance_delay_minutes = 0
    svc.settings.attendance_poll_seconds = 0.05
    svc.settings.attendance_anchoring = False
    with TestClient(create_app(service=svc)) as http:
        assert http.app.state.attendance is None
    assert attendance.list_days(svc)["days"] == []
    svc.settings.attendance_anchoring = True
    with TestClient(create_app(service=svc)) as http:
        http.app.state.attendance.wait_idle(timeout=60)
    [anchored] = attendance.list_days(svc)["days"]
    assert (anchored["venue"], anchored["day"], anchored["state"]) == (
        "jingan-museum", day, "anchored")


def test_an_activity_whose_hours_no_entry_can_state_is_refused_and_nothing_closed(
        service: Service):
    from api.service.errors import InvalidInput

    seeded = seed(service)
    day = _day(2)
    check_in(service, seeded, "zhangwei", "talk", day)
    with service.db.session() as session:
        session.get(Activity, seeded.activities["talk"]).hours = 123456.0
    with pytest.raises(InvalidInput, match="hours out of range"):
        attendance.close_day(service, "pudong-library", day)
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AttendanceDay)) == 0


def test_a_day_that_cannot_be_closed_does_not_hold_up_the_others(svc: Service):
    from api.service.errors import InvalidInput

    seeded = seed(svc, "xuhui-school")
    early, later = _day(5), _day(4)
    check_in(svc, seeded, "zhangwei", "talk", early)
    check_in(svc, seeded, "lisi", "reading", later)
    with svc.db.session() as session:
        session.get(Activity, seeded.activities["talk"]).hours = -1.0
    svc.settings.attendance_delay_minutes = 0
    assert attendance.run_once(svc) is True  # the later day, past the refused one
    with pytest.raises(InvalidInput, match="negative"):
        attendance.run_once(svc)
    assert [(d["day"], d["state"]) for d in attendance.list_days(svc)["days"]] == [
        (later, "anchored")]
