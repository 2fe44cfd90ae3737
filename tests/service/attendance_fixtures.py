"""Rows for tests of anchored attendance that need a check-in and nothing else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from api.service.context import Service
from api.service.models import Activity, CheckIn, Learner, Venue
from verifier import timefmt


def checkin_of(service: Service, login: str) -> str:
    """A venue, an activity and the learner's check-in on 2026-01-05, written directly
    (check-ins are made through their own routes; here only their rows matter)."""
    at = datetime(2026, 1, 5, 9, tzinfo=timefmt.CHINA)
    with service.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).one()
        venue = Venue(slug="authz-library", name="图书馆", kind="library", created_at=at,
                      retired_at=None)
        session.add(venue)
        session.flush()
        activity = Activity(id="00000000-0000-4000-8000-0000000000a1", venue_id=venue.id,
                            kind="session", title="讲座", sector="venue", hours=1.0,
                            starts_at=at, ends_at=at, created_at=at)
        session.add(activity)
        session.add(CheckIn(id="00000000-0000-4000-8000-0000000000c1", activity_id=activity.id,
                            venue_id=venue.id, learner_id=learner.id, method="learner_scan",
                            day="2026-01-05", checked_in_at=at, recorded_at=at))
    return "00000000-0000-4000-8000-0000000000c1"
