"""Venues, activities and check-in through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import learning_code
from api.service.context import Service
from api.service.models import CheckIn, Learner, UsedCode
from verifier import timefmt

from . import checkin_fixtures as fx


def _learner_id(service: Service, login: str) -> int:
    with service.db.session() as session:
        return session.scalars(select(Learner.id).where(Learner.login == login)).one()


def test_a_hundred_check_ins_both_ways_and_the_refusals(client: TestClient, service: Service,
                                                        governor: dict[str, str]):
    world = fx.venues(client, service, governor, learners=10)
    listed = client.get("/v1/admin/venues", headers=governor).json()
    assert [v["slug"] for v in listed] == ["city-library", "xuhui-school"]
    # five activities where learners scan the venue's code, five where the operator scans
    by_learner = [fx.activity(client, world.operator, title=f"讲座 {n}") for n in range(5)]
    by_operator = [fx.activity(client, world.governor, venue="xuhui-school",
                               title=f"课程 {n}") for n in range(5)]
    cards = {}
    for number, learner in enumerate(world.learners[5:], start=5):
        card = client.post("/v1/learner/card", headers=learner)
        assert card.status_code == 201, card.text
        cards[number] = card.json()
    for activity_id in by_learner:
        code = fx.venue_code(client, world.operator, activity_id)
        for learner in world.learners:
            done = client.post("/v1/learner/checkins", headers=learner, json={"code": code})
            assert done.status_code == 201, done.text
            assert done.json()["method"] == "learner_scan"
    for activity_id in by_operator:
        for number, learner in enumerate(world.learners):
            # half show the rotating code on their phone, half their printed card (typed in)
            code = cards[number]["text"].lower() if number in cards \
                else fx.learner_code(client, learner)
            done = client.post(f"/v1/venue/activities/{activity_id}/scans",
                               headers=world.operator, json={"code": code})
            assert done.status_code == 201, done.text
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 100
        assert session.scalar(select(func.count()).select_from(UsedCode)) == 25
    history = client.get("/v1/learner/checkins", headers=world.learners[0]).json()
    assert len(history) == 10 and {h["venue"] for h in history} == {"xuhui-school"}
    today = timefmt.now().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert {h["day"] for h in history} == {today.date().isoformat()}

    activity_id, learner = by_operator[0], world.learners[0]
    code = fx.learner_code(client, learner)
    fresh = fx.activity(client, world.operator)
    scan = f"/v1/venue/activities/{fresh}/scans"
    assert client.post(scan, headers=world.operator, json={"code": code}).status_code == 201
    # the same code again (a replay), even at another activity
    replay = client.post(f"/v1/venue/activities/{activity_id}/scans", headers=world.operator,
                         json={"code": code})
    assert replay.status_code == 409 and "already used" in replay.json()["detail"]
    # a duplicate: a fresh code, but the learner is checked in already
    duplicate = client.post(scan, headers=world.operator,
                            json={"code": fx.learner_code(client, learner)})
    assert duplicate.status_code == 409 and "already checked in" in duplicate.json()["detail"]
    again = client.post("/v1/learner/checkins", headers=world.learners[1],
                        json={"code": fx.venue_code(client, world.operator, by_learner[0])})
    assert again.status_code == 409 and "already checked in" in again.json()["detail"]
    # an expired code: made a few minutes ago
    old, _ = learning_code.issue_learner_code(
        service, _learner_id(service, "learner1"), now=timefmt.now() - timedelta(minutes=5))
    expired = client.post(scan, headers=world.operator, json={"code": old})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    old_venue, _ = learning_code.issue_venue_code(service, fresh,
                                                  now=timefmt.now() - timedelta(minutes=5))
    expired = client.post("/v1/learner/checkins", headers=world.learners[1],
                          json={"code": old_venue})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    # a forged or altered code
    altered = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    assert client.post(scan, headers=world.operator,
                       json={"code": altered}).status_code == 422
    # a venue that is no longer registered
    venue_shown = fx.venue_code(client, world.operator, fresh)
    assert client.post("/v1/admin/venues/xuhui-school/retire",
                       headers=governor).status_code == 200
    for answer in (
            client.post(scan, headers=world.operator,
                        json={"code": fx.learner_code(client, world.learners[2])}),
            client.post("/v1/learner/checkins", headers=world.learners[3],
                        json={"code": venue_shown})):
        assert answer.status_code == 409 and "not registered" in answer.json()["detail"]
    with service.db.session() as session:  # none of the refusals wrote anything
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 101


def test_the_code_reveals_nothing_and_the_card_is_revocable(client: TestClient,
                                                            service: Service,
                                                            governor: dict[str, str]):
    world = fx.venues(client, service, governor, learners=1)
    learner = world.learners[0]
    code = fx.learner_code(client, learner)
    assert code != fx.learner_code(client, learner)  # rotating: a new one each time
    raw = base64.urlsafe_b64decode(code[3:] + "==")
    learner_id = _learner_id(service, "learner0")
    for secret in ("learner0", "学员0", "310101199001000000"):
        assert secret.encode() not in raw
    assert learner_id.to_bytes(8, "big") not in raw  # sealed: not even the row id
    assert client.get("/v1/learner/card", headers=learner).json() == {"active": False,
                                                                      "createdAt": None}
    first = client.post("/v1/learner/card", headers=learner).json()
    assert learning_code.normalise_card(first["text"]) == first["card"]
    activity_id = fx.activity(client, world.operator)
    scan = f"/v1/venue/activities/{activity_id}/scans"
    second = client.post("/v1/learner/card", headers=learner).json()  # replaced: first ends
    refused = client.post(scan, headers=world.operator, json={"code": first["card"]})
    assert refused.status_code == 410 and "revoked" in refused.json()["detail"]
    assert client.delete("/v1/learner/card", headers=learner).status_code == 204
    refused = client.post(scan, headers=world.operator, json={"code": second["text"]})
    assert refused.status_code == 410
    assert client.delete("/v1/learner/card", headers=learner).status_code == 404
    assert client.get("/v1/learner/card", headers=learner).json()["active"] is False


def test_an_operator_acts_on_its_own_venue_only(client: TestClient, service: Service,
                                                governor: dict[str, str]):
    world = fx.venues(client, service, governor, learners=1)
    mine = fx.activity(client, world.operator)
    theirs = fx.activity(client, world.operator_b)
    listed = client.get("/v1/venue/activities", headers=world.operator).json()
    assert [a["id"] for a in listed] == [mine]
    assert len(client.get("/v1/venue/activities", headers=governor).json()) == 2
    code = fx.learner_code(client, world.learners[0])
    for answer in (
            client.get(f"/v1/venue/activities/{theirs}", headers=world.operator),
            client.get(f"/v1/venue/activities/{theirs}/code", headers=world.operator),
            client.post(f"/v1/venue/activities/{theirs}/cancel", headers=world.operator),
            client.post(f"/v1/venue/activities/{theirs}/scans", headers=world.operator,
                        json={"code": code}),
            client.post("/v1/venue/activities", headers=world.operator, json={
                "venue": "city-library", "kind": "session", "title": "x",
                "sector": "venue", "hours": 1, "startsAt": "2026-01-01T10:00:00Z",
                "endsAt": "2026-01-01T11:00:00Z"})):
        assert answer.status_code == 404, answer.text
    # the learner's code was not spent by the refused scan
    done = client.post(f"/v1/venue/activities/{mine}/scans", headers=world.operator,
                       json={"code": code})
    assert done.status_code == 201, done.text
    assert client.post("/v1/admin/venues", headers=governor, json={
        "slug": "xuhui-school", "name": "again", "kind": "museum"}).status_code == 409
    bad = client.post("/v1/venue/activities", headers=world.operator, json={
        "kind": "session", "title": "x", "sector": "venue", "hours": 1,
        "startsAt": "2026-01-01T10:00:00Z", "endsAt": "2026-01-01T09:00:00Z"})
    assert bad.status_code == 422 and "endsAt" in bad.json()["detail"]


def test_check_out_window_and_cancelled(client: TestClient, service: Service,
                                        governor: dict[str, str]):
    world = fx.venues(client, service, governor, learners=2)
    learner = world.learners[0]
    course = fx.activity(client, world.operator, needs_checkout=True)
    code = fx.venue_code(client, world.operator, course)
    out = client.post("/v1/learner/checkins", headers=learner,
                      json={"code": code, "action": "out"})
    assert out.status_code == 409 and "check in first" in out.json()["detail"]
    assert client.post("/v1/learner/checkins", headers=learner,
                       json={"code": code}).status_code == 201
    out = client.post("/v1/learner/checkins", headers=learner,
                      json={"code": code, "action": "out"})
    assert out.status_code == 201, out.text
    assert out.json()["checkedOutAt"] and out.json()["minutes"] == 0
    twice = client.post("/v1/learner/checkins", headers=learner,
                        json={"code": code, "action": "out"})
    assert twice.status_code == 409 and "already checked out" in twice.json()["detail"]
    # no check-out where the activity takes none
    talk = fx.activity(client, world.operator)
    shown = fx.venue_code(client, world.operator, talk)
    client.post("/v1/learner/checkins", headers=learner, json={"code": shown})
    out = client.post("/v1/learner/checkins", headers=learner,
                      json={"code": shown, "action": "out"})
    assert out.status_code == 409 and "no check-out" in out.json()["detail"]
    # outside the window (with its grace) and cancelled
    later = fx.activity(client, world.operator, starts=timefmt.now() + timedelta(hours=3))
    early = client.post("/v1/learner/checkins", headers=learner,
                        json={"code": fx.venue_code(client, world.operator, later)})
    assert early.status_code == 409 and "opens 30 minutes before" in early.json()["detail"]
    past = fx.activity(client, world.operator, starts=timefmt.now() - timedelta(hours=5))
    over = client.post("/v1/learner/checkins", headers=learner,
                       json={"code": fx.venue_code(client, world.operator, past)})
    assert over.status_code == 409 and "over" in over.json()["detail"]
    shown = fx.venue_code(client, world.operator, talk)
    assert client.post(f"/v1/venue/activities/{talk}/cancel",
                       headers=world.operator).json()["cancelledAt"]
    cancelled = client.post("/v1/learner/checkins", headers=world.learners[1],
                            json={"code": shown})
    assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["detail"]
    sheet = client.get(f"/v1/venue/activities/{course}/checkins", headers=world.operator)
    assert [row["learner"] for row in sheet.json()] == ["学**"]
