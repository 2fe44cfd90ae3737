"""Learning venues and their activities (15分钟社区学习圈).

The authority registers venues and retires them; a retired venue is no longer registered:
nothing is checked in there any more. Activities are made at a venue by its operators (an
API key of role ``operator`` bound to the venue) or by the authority. An operator sees and
acts on its own venue only: another venue's activity answers as if it did not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from verifier import timefmt
from verifier.credit import Sector

from . import points
from .context import Service
from .errors import Conflict, InvalidInput, NotFound
from .models import Activity, Venue

VENUE_KINDS = ("community_school", "library", "museum", "elderly_university",
               "training_centre")
ACTIVITY_KINDS = ("session", "course_meeting", "exhibition_visit")
MAX_ACTIVITY_DAYS = 366  # an activity longer than this is a mistake in its dates


def register_venue(svc: Service, slug: str, name: str, kind: str, district: str = "",
                   address: str = "", *, now: datetime | None = None) -> Venue:
    """``now``: when it counts as registered (default the present; the demo's history
    passes an earlier one, before its check-ins)."""
    if kind not in VENUE_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(VENUE_KINDS)}")
    try:
        with svc.db.session() as session:
            if session.scalars(select(Venue.id).where(Venue.slug == slug)).first():
                raise Conflict(f"a venue {slug!r} is already registered")
            venue = Venue(slug=slug, name=name, kind=kind, district=district,
                          address=address, created_at=now or timefmt.now())
            session.add(venue)
            session.flush()
            session.expunge(venue)
    except IntegrityError:  # registered at the same moment by another request
        raise Conflict(f"a venue {slug!r} is already registered") from None
    return venue


def list_venues(svc: Service) -> list[Venue]:
    with svc.db.session() as session:
        venues = list(session.scalars(select(Venue).order_by(Venue.slug)))
        session.expunge_all()
        return venues


def retire_venue(svc: Service, slug: str) -> Venue:
    with svc.db.session() as session:
        venue = session.scalars(select(Venue).where(Venue.slug == slug)).first()
        if venue is None:
            raise NotFound(f"no venue {slug!r}")
        if venue.retired_at is None:
            venue.retired_at = timefmt.now()
        session.flush()
        session.expunge(venue)
        return venue


def venue_by_slug(session: Session, slug: str, acting_venue: int | None) -> Venue:
    """A venue the caller may act for: the authority (``acting_venue`` None) any, an
    operator its own; another's is not found."""
    venue = session.scalars(select(Venue).where(Venue.slug == slug)).first()
    if venue is None or (acting_venue is not None and venue.id != acting_venue):
        raise NotFound(f"no venue {slug!r} of yours")
    return venue


def registered(venue: Venue) -> None:
    if venue.retired_at is not None:
        raise Conflict(f"the venue {venue.slug!r} is not registered any more (retired)")


@dataclass(frozen=True)
class NewActivity:
    kind: str
    title: str
    sector: str
    hours: float
    starts_at: datetime
    ends_at: datetime
    needs_checkout: bool = False


def create_activity(svc: Service, venue_slug: str, acting_venue: int | None,
                    new: NewActivity) -> tuple[Activity, Venue]:
    if new.kind not in ACTIVITY_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(ACTIVITY_KINDS)}")
    if new.sector not in {s.value for s in Sector}:
        raise InvalidInput(f"sector: one of {', '.join(s.value for s in Sector)}")
    if not new.ends_at > new.starts_at:
        raise InvalidInput("endsAt: must be after startsAt")
    if (new.ends_at - new.starts_at).days > MAX_ACTIVITY_DAYS:
        raise InvalidInput(f"an activity lasts at most {MAX_ACTIVITY_DAYS} days")
    with svc.db.session() as session:
        venue = venue_by_slug(session, venue_slug, acting_venue)
        registered(venue)
        activity = Activity(id=str(uuid.uuid4()), venue_id=venue.id, kind=new.kind,
                            title=new.title, sector=new.sector, hours=new.hours,
                            starts_at=new.starts_at, ends_at=new.ends_at,
                            needs_checkout=new.needs_checkout, created_at=timefmt.now())
        session.add(activity)
        session.flush()
        session.expunge_all()
        return activity, venue


def list_activities(svc: Service, acting_venue: int | None, venue_slug: str | None = None,
                    include_cancelled: bool = True) -> list[tuple[Activity, Venue]]:
    with svc.db.session() as session:
        query = select(Activity, Venue).join(Venue, Venue.id == Activity.venue_id)
        if venue_slug is not None:
            query = query.where(Venue.id == venue_by_slug(session, venue_slug,
                                                          acting_venue).id)
        elif acting_venue is not None:
            query = query.where(Venue.id == acting_venue)
        if not include_cancelled:
            query = query.where(Activity.cancelled_at.is_(None))
        rows = [(a, v) for a, v in session.execute(
            query.order_by(Activity.starts_at, Activity.id).limit(1000))]
        session.expunge_all()
        return rows


def activity_in(session: Session, activity_id: str, acting_venue: int | None
                ) -> tuple[Activity, Venue]:
    """An activity the caller may act on (the authority: any; an operator: its venue's)."""
    try:
        uuid.UUID(activity_id)
    except ValueError:
        raise NotFound("no such activity") from None
    activity = session.get(Activity, activity_id)
    if activity is None or (acting_venue is not None and activity.venue_id != acting_venue):
        raise NotFound("no such activity at your venue")
    return activity, session.get(Venue, activity.venue_id)


def get_activity(svc: Service, activity_id: str, acting_venue: int | None
                 ) -> tuple[Activity, Venue]:
    with svc.db.session() as session:
        found = activity_in(session, activity_id, acting_venue)
        session.expunge_all()
        return found


def cancel_activity(svc: Service, activity_id: str, acting_venue: int | None
                    ) -> tuple[Activity, Venue]:
    with svc.db.session() as session:
        activity, venue = activity_in(session, activity_id, acting_venue)
        if activity.cancelled_at is None:
            activity.cancelled_at = timefmt.now()
        session.flush()
        session.expunge_all()
        return activity, venue


def points_value(svc: Service, activity: Activity) -> str | None:
    """What the activity is worth under the points rules in force on its day (docs/points.md),
    as a decimal string; None when no published rules give its sector a rate."""
    with svc.db.session() as session:
        return points.value_of(activity, session)
