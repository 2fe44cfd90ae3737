"""The operator's offline queue: scans signed and time-stamped on the device, sent later."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import checkins, learning_code
from api.service.context import Service
from api.service.models import CheckIn, Learner
from verifier import timefmt

from . import checkin_fixtures as fx


def _code(service: Service, login: str, made_at):
    with service.db.session() as session:
        learner_id = session.scalars(select(Learner.id).where(Learner.login == login)).one()
    return learning_code.issue_learner_code(service, learner_id, now=made_at)[0]


def test_a_batch_answers_each_scan_and_one_bad_scan_blocks_nothing(
        client: TestClient, service: Service, governor: dict[str, str]):
    world = fx.venues(client, service, governor, learners=0)
    for number in range(6):
        from api.service.accounts import open_learner_account

        open_learner_account(service, f"learner{number}", f"31010119900100{number:04d}",
                             fx.PASSWORD, f"学员{number}")
    now = timefmt.now()
    # the activity ran yesterday evening; the connection was down, scans waited in the queue
    starts = now - timedelta(hours=20)
    device_id, key = fx.device_at(service, world.operator, starts - timedelta(hours=1))
    activity_id = fx.activity(client, world.operator, starts=starts, hours=2)
    at = starts + timedelta(minutes=5)
    made = at - timedelta(seconds=10)  # each code was fresh when it was scanned
    good = fx.queued_scan(device_id, key, activity_id, _code(service, "learner0", made), at)
    forged = fx.queued_scan(device_id, key, activity_id, _code(service, "learner1", made), at)
    forged["signature"] = "0" * 64
    shifted = fx.queued_scan(device_id, key, activity_id, _code(service, "learner2", made), at)
    shifted["scannedAt"] += 60_000  # the time-stamp altered after signing
    stale = fx.queued_scan(device_id, key, activity_id,
                           _code(service, "learner3", made - timedelta(minutes=5)), at)
    replay = fx.queued_scan(device_id, key, activity_id, good["code"], at + timedelta(
        seconds=1))
    other_id, other_key = fx.device_at(service, world.operator_b, starts)
    stolen = fx.queued_scan(other_id, other_key, activity_id,
                            _code(service, "learner4", made), at)
    fine = fx.queued_scan(device_id, key, activity_id, _code(service, "learner5", made), at)
    answer = client.post("/v1/venue/scans/batch", headers=world.operator, json={"scans": [
        good, forged, shifted, stale, replay, stolen, fine]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["refused"]) == (2, 5)
    results = body["results"]
    assert [r["accepted"] for r in results] == [True, False, False, False, False, False, True]
    assert "signature" in results[1]["refused"] and "signature" in results[2]["refused"]
    assert "expired" in results[3]["refused"]
    assert "already used" in results[4]["refused"]
    assert "another operator" in results[5]["refused"]
    assert results[0]["checkin"]["checkedInAt"][:19] == timefmt.format(at)[:19]
    # the answer was lost; the page sends the same batch again: nothing twice
    again = client.post("/v1/venue/scans/batch", headers=world.operator,
                        json={"scans": [good, fine]}).json()
    assert [r["repeat"] for r in again["results"]] == [True, True]
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 2
        queued = session.scalars(select(CheckIn)).all()
        assert all(row.queued_signature and row.recorded_at > row.checked_in_at
                   for row in queued)


def test_a_scan_older_than_the_queue_allows_is_refused(client: TestClient, service: Service,
                                                       governor: dict[str, str]):
    world = fx.venues(client, service, governor, learners=0)
    from api.service.accounts import open_learner_account

    open_learner_account(service, "learner0", "310101199001000001", fx.PASSWORD, "学员")
    service.settings.scan_queue_max_hours = 1
    starts = timefmt.now() - timedelta(hours=3)
    device_id, key = fx.device_at(service, world.operator, starts)
    activity_id = fx.activity(client, world.operator, starts=starts, hours=2)
    at = starts + timedelta(minutes=1)
    scan = fx.queued_scan(device_id, key, activity_id, _code(service, "learner0", at), at)
    future = fx.queued_scan(device_id, key, activity_id, _code(service, "learner0", at),
                            timefmt.now() + timedelta(hours=1))
    code = _code(service, "learner0", at)
    beyond = {**scan, "code": code, "scannedAt": 2**53, "signature": checkins.sign_scan(
        key, device_id, activity_id, "in", 2**53, code)}
    results = client.post("/v1/venue/scans/batch", headers=world.operator,
                          json={"scans": [scan, future, beyond]}).json()["results"]
    assert "too old" in results[0]["refused"]
    assert "future" in results[1]["refused"]
    assert "out of range" in results[2]["refused"]
    empty = client.post("/v1/venue/scans/batch", headers=world.operator, json={"scans": []})
    assert empty.status_code == 422
