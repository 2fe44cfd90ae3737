"""What the points tests share: rules to publish (with the chain call stubbed), venues,
activities and check-ins made directly with the models."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.service import credit_registry
from api.service.context import Service
from api.service.models import Activity, CheckIn, Learner, Venue
from verifier import timefmt
from verifier.credit import decision_date

TX = "0x" + "cd" * 32

RULES: dict[str, Any] = {
    "type": "CredbankPointsRules", "id": "urn:example:points", "version": "2026.1",
    "validFrom": "2020-01-01",
    "attendance": [
        {"sector": "community_elderly", "pointsPerHour": "10"},
        {"sector": "community_elderly", "activityKind": "exhibition_visit",
         "pointsPerHour": "4"},
        {"sector": "venue", "pointsPerHour": "2.5"},
    ],
    "credentials": [
        {"sector": "degree", "unit": "credit", "pointsPerUnit": "5"},
        {"sector": "community_elderly", "unit": "hour", "pointsPerUnit": "3"},
    ],
}


def rules(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(RULES), **changes}


def rate(doc: dict[str, Any], sector: str, kind: str | None = None) -> Fraction:
    """A rate read straight from the document (not through the core)."""
    for item in doc["attendance"]:
        if item["sector"] == sector and item.get("activityKind") == kind:
            return Fraction(item["pointsPerHour"])
    raise KeyError((sector, kind))


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The chain call, stubbed: the hashes published and their kinds, in order."""
    sent: list[tuple[str, str]] = []

    def publish(svc: Service, document_hash: str, kind: str,
                issuer_id: int | None = None) -> credit_registry.OnChain:
        sent.append((document_hash, kind))
        return credit_registry.OnChain(TX, 100 + len(sent))

    monkeypatch.setattr(credit_registry, "record_on_chain", publish)
    return sent


def publish(client: TestClient, governor: dict[str, str], doc: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    doc = doc or rules()
    created = client.post("/v1/admin/points-rules", json=doc, headers=governor)
    assert created.status_code == 201, created.text
    answer = client.post(f"/v1/admin/points-rules/{doc['id']}/{doc['version']}/publish",
                         headers=governor)
    assert answer.status_code == 200, answer.text
    return answer.json()


def venue(service: Service, slug: str = "xuhui-library") -> int:
    with service.db.session() as session:
        row = Venue(slug=slug, name="徐汇区图书馆", kind="library", created_at=timefmt.now())
        session.add(row)
        session.flush()
        return row.id


def activity(service: Service, venue_id: int, *, sector: str = "community_elderly",
             kind: str = "session", hours: float = 1.5, needs_checkout: bool = False,
             title: str = "智能手机课") -> str:
    now = timefmt.now()
    with service.db.session() as session:
        row = Activity(id=str(uuid.uuid4()), venue_id=venue_id, kind=kind, title=title,
                       sector=sector, hours=hours, starts_at=now, ends_at=now + timedelta(
                           hours=3), needs_checkout=needs_checkout, created_at=now)
        session.add(row)
        return row.id


def learner_id(service: Service, login: str = "zhangwei") -> int:
    with service.db.session() as session:
        return session.query(Learner).filter_by(login=login).one().id


def check_in(service: Service, activity_id: str, learner: int, *,
             at: datetime | None = None, out: datetime | None = None) -> str:
    """A check-in row as the check-in code writes it, credited in the same transaction."""
    from api.service import points

    at = at or timefmt.now()
    with service.db.session() as session:
        act = session.get(Activity, activity_id)
        assert act is not None
        row = CheckIn(id=str(uuid.uuid4()), activity_id=activity_id, venue_id=act.venue_id,
                      learner_id=learner, method="learner_scan",
                      day=decision_date(at).isoformat(), checked_in_at=at, checked_out_at=None,
                      recorded_at=at)
        session.add(row)
        session.flush()
        points.credit_checkin(session, row)
        if out is not None:
            row.checked_out_at = out
            session.flush()
            points.credit_checkin(session, row)
        return row.id
