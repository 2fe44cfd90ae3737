"""Anchored attendance (docs/format.md, "Attendance records"): a venue's check-ins of a day
closed into a Merkle tree whose manifest the authority publishes on chain, and the
learner's attendance record that ``credbank-verify`` checks offline.

Closing a venue-day writes its manifest and entries (each with the salt of its learner
commitment) in one transaction, state ``pending``; publishing then records the venue
register (document kind 7, when the chain does not have that version yet) and the manifest
(kind 6) with the service's governor key, one transaction each, and marks the day
``anchored``. A crash between the two leaves a pending day that the background pass
(:func:`run_once`) publishes later: a hash already on chain is recorded, not sent again.
Check-ins that reach the service after their day was closed form the day's next part.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger import ChainError
from ledger.errors import InputError
from verifier import CredentialFormatError, canonical, timefmt
from verifier import attendance as fmt
from verifier.registry_layout import DocumentKind

from .attendance_models import AttendanceDay, AttendanceEntry, VenueRegister
from .attendance_record import build_record
from .context import Service
from .errors import Conflict, InvalidInput, NotFound, chain_failure
from .governing import governor_client
from .models import Activity, CheckIn, Learner, Venue

MAX_LISTED = 500


def _day(text: str) -> str:
    """A calendar day YYYY-MM-DD that exists; InvalidInput otherwise."""
    if not isinstance(text, str) or not fmt.DAY.fullmatch(text):
        raise InvalidInput("day must be YYYY-MM-DD")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text} is not a calendar day") from None
    return text


def day_of(moment: datetime) -> str:
    """The calendar day of a moment in China's time, as check-ins count days."""
    return moment.astimezone(timefmt.CHINA).date().isoformat()


def last_closable_day(now: datetime, delay: timedelta) -> str:
    """The latest day that ended at least ``delay`` before ``now``."""
    return (date.fromisoformat(day_of(now - delay)) - timedelta(days=1)).isoformat()


# ---- the venue register ----------------------------------------------------------------------


def _register_venues(session: Session) -> list[dict[str, Any]]:
    """Every venue the authority registered, as register items; ``retired`` is the day
    after its retirement (check-ins earlier that day were accepted)."""
    venues = []
    for venue in session.scalars(select(Venue).order_by(Venue.slug)):
        item = {"slug": venue.slug, "name": venue.name, "kind": venue.kind,
                "since": day_of(venue.created_at)}
        if venue.retired_at is not None:
            item["retired"] = (date.fromisoformat(day_of(venue.retired_at))
                               + timedelta(days=1)).isoformat()
        venues.append(fmt.venue_item(item))
    return venues


def _register_row(session: Session) -> VenueRegister:
    """The register version in force now: its hash is its tree's manifest's; the row keeps
    every item, to give venues' paths later."""
    venues = _register_venues(session)
    digest = fmt.document_hash(fmt.RegisterTree.of(venues).manifest())
    row = session.scalars(select(VenueRegister).where(VenueRegister.document_hash == digest)
                          ).first()
    if row is None:
        row = VenueRegister(document_hash=digest,
                            document=canonical.dumps({"venues": venues}).decode(),
                            created_at=timefmt.now())
        session.add(row)
        session.flush()
    return row


# ---- closing a venue-day ---------------------------------------------------------------------


def _entry(checkin: CheckIn, activity: Activity, venue: Venue, learner_key: str,
           salt: bytes) -> dict[str, Any]:
    return fmt.entry(
        checkin_id=checkin.id, venue=venue.slug, day=checkin.day,
        activity={"id": activity.id, "kind": activity.kind, "title": activity.title,
                  "sector": activity.sector, "hours": activity.hours,
                  "needsCheckOut": activity.needs_checkout},
        checked_in_at=timefmt.format(checkin.checked_in_at),
        checked_out_at=(timefmt.format(checkin.checked_out_at)
                        if checkin.checked_out_at is not None else None),
        method=checkin.method, learner=fmt.commitment(learner_key, salt))


def _venue(session: Session, slug: str) -> Venue:
    venue = session.scalars(select(Venue).where(Venue.slug == slug)).first()
    if venue is None:
        raise NotFound(f"no venue {slug!r}")
    return venue


def _unclosed(session: Session, venue_id: int, day: str) -> list[tuple[CheckIn, Activity, str]]:
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(CheckIn, Activity, Learner.learner_key)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .join(Learner, Learner.id == CheckIn.learner_id)
        .outerjoin(AttendanceEntry, AttendanceEntry.checkin_id == CheckIn.id)
        .where(CheckIn.venue_id == venue_id, CheckIn.day == day,
               AttendanceEntry.checkin_id.is_(None))
        .order_by(CheckIn.id)).all()]


def _write_day(session: Session, venue: Venue, day: str, part: int,
               found: list[tuple[CheckIn, Activity, str]], now: datetime) -> AttendanceDay:
    salts = [secrets.token_bytes(32) for _ in found]
    try:
        entries = [_entry(c, a, venue, key, s)
                   for (c, a, key), s in zip(found, salts, strict=True)]
    except CredentialFormatError as exc:  # an activity's hours no entry can state
        raise InvalidInput(f"{venue.slug} {day}: {exc}") from None
    tree = fmt.DayTree.of(entries)
    register = _register_row(session)
    manifest = fmt.manifest(venue=venue.slug, day=day, part=part, tree=tree,
                            register=register.document_hash, closed_at=timefmt.format(now))
    row = AttendanceDay(venue_id=venue.id, day=day, part=part, count=len(entries),
                        root=tree.root, register_id=register.id,
                        manifest=canonical.dumps(manifest).decode(),
                        manifest_hash=fmt.document_hash(manifest), state="pending",
                        closed_at=now)
    session.add(row)
    session.flush()
    for (checkin, _, _), salt, data in zip(found, salts, entries, strict=True):
        session.add(AttendanceEntry(checkin_id=checkin.id, day_id=row.id,
                                    learner_id=checkin.learner_id, salt="0x" + salt.hex(),
                                    entry=canonical.dumps(data).decode()))
    session.flush()
    return row


def close_day(svc: Service, slug: str, day: str, *, force: bool = False
              ) -> AttendanceDay | None:
    """Close the venue-day's check-ins not yet in a tree into a new part (state
    ``pending``); None when every check-in of the day is in a tree already. Refuses a day
    without check-ins, and a day not yet over unless ``force``."""
    day = _day(day)
    now = timefmt.now()
    with svc.db.session() as session:
        venue = _venue(session, slug)
        if day > day_of(now) or (day == day_of(now) and not force):
            raise Conflict(f"{day} is not over yet at {slug}; anchor it after midnight "
                           "(China time), or force it")
        found = _unclosed(session, venue.id, day)
        parts = session.scalar(select(func.max(AttendanceDay.part)).where(
            AttendanceDay.venue_id == venue.id, AttendanceDay.day == day)) or 0
        if not found:
            if parts:
                return None
            raise Conflict(f"{slug} has no check-ins on {day}: nothing to anchor")
        try:  # a concurrent close of the same day takes the same part, check-ins or register
            row = _write_day(session, venue, day, parts + 1, found, now)
        except IntegrityError:
            raise Conflict(f"{slug} {day} is being anchored by another request") from None
        session.expunge(row)
        return row


# ---- publishing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Published:
    transaction_hash: str | None
    block_number: int


def _publish(client: Any, digest: str, kind: DocumentKind) -> _Published:
    """Publish a hash, or record the publication already on chain (a retry after a crash,
    or a register version another day published)."""
    try:
        fact = client.document(digest)
        if fact.published:
            if fact.kind != kind or fact.owner_issuer_number != 0:
                raise Conflict(f"document {digest} is on chain as another kind or owner")
            return _Published(None, fact.block_number)
        result = client.publish_document(digest, kind)
    except (ChainError, InputError, OSError) as exc:
        raise chain_failure(exc) from None
    return _Published(result.transaction_hash, result.block_number)


def publish(svc: Service, day_id: int) -> AttendanceDay:
    """Publish a pending day (and the register it cites) on chain; anchored days are
    returned unchanged."""
    client = governor_client(svc)[1]
    with svc.db.session() as session:
        row = session.get(AttendanceDay, day_id)
        if row is None:
            raise NotFound(f"no attendance day {day_id}")
        if row.state == "anchored":
            session.expunge(row)
            return row
        register = session.get(VenueRegister, row.register_id)
        assert register is not None
        register_hash, manifest_hash = register.document_hash, row.manifest_hash
        register_done = register.published_at is not None
    if not register_done:
        on_chain = _publish(client, register_hash, DocumentKind.VENUE_REGISTER)
        with svc.db.session() as session:
            register = session.get(VenueRegister, row.register_id)
            assert register is not None
            if register.published_at is None:
                register.transaction_hash = on_chain.transaction_hash
                register.block_number = on_chain.block_number
                register.published_at = timefmt.now()
    on_chain = _publish(client, manifest_hash, DocumentKind.ATTENDANCE_DAY)
    with svc.db.session() as session:
        row = session.get(AttendanceDay, day_id)
        assert row is not None
        if row.state != "anchored":
            row.state = "anchored"
            row.transaction_hash = on_chain.transaction_hash
            row.block_number = on_chain.block_number
            row.anchored_at = timefmt.now()
        session.flush()
        session.expunge(row)
        return row


def anchor_day(svc: Service, slug: str, day: str, *, force: bool = False) -> dict[str, Any]:
    """Close and anchor a venue-day now: its new part, or, when nothing is new, the day
    as it stands (no change). Needs the chain and the governor key before anything is
    written; a publication that fails after closing is retried by the background pass."""
    governor_client(svc)
    closed = close_day(svc, slug, day, force=force)
    if closed is not None:
        publish(svc, closed.id)
    for pending in _days(svc, slug, day, state="pending"):
        publish(svc, pending["id"])
    return {"venue": slug, "day": day, "parts": _days(svc, slug, day)}


def run_once(svc: Service, candidates: int = 20) -> bool:
    """One round of the background pass: publish one pending day, else close and publish
    one finished venue-day with check-ins not yet anchored. Whether it did anything.

    A venue-day that cannot be closed (an activity whose hours no entry can state) does
    not hold up the others: the next is tried, and the refusal raised at the end, for the
    loop to log."""
    with svc.db.session() as session:
        pending = session.scalar(select(AttendanceDay.id).where(
            AttendanceDay.state == "pending").order_by(AttendanceDay.id).limit(1))
        if pending is None:
            last = last_closable_day(timefmt.now(),
                                     timedelta(minutes=svc.settings.attendance_delay_minutes))
            found = session.execute(
                select(Venue.slug, CheckIn.day)
                .join(Venue, Venue.id == CheckIn.venue_id)
                .outerjoin(AttendanceEntry, AttendanceEntry.checkin_id == CheckIn.id)
                .where(AttendanceEntry.checkin_id.is_(None), CheckIn.day <= last)
                .group_by(CheckIn.day, Venue.slug)
                .order_by(CheckIn.day, Venue.slug).limit(candidates)).all()
    if pending is not None:
        publish(svc, pending)
        return True
    refused: InvalidInput | None = None
    for slug, day in found:
        try:
            closed = close_day(svc, slug, day)
        except InvalidInput as exc:
            refused = refused or exc
            continue
        if closed is not None:
            publish(svc, closed.id)
        return True
    if refused is not None:
        raise refused
    return False


# ---- reading ---------------------------------------------------------------------------------


def day_json(row: AttendanceDay, slug: str) -> dict[str, Any]:
    return {"id": row.id, "venue": slug, "day": row.day, "part": row.part, "count": row.count,
            "root": row.root, "manifestHash": row.manifest_hash, "state": row.state,
            "closedAt": timefmt.format(row.closed_at),
            "transactionHash": row.transaction_hash, "blockNumber": row.block_number,
            "anchoredAt": timefmt.format(row.anchored_at) if row.anchored_at else None}


def _days(svc: Service, slug: str | None = None, day: str | None = None,
          state: str | None = None, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
    query = select(AttendanceDay, Venue.slug).join(Venue, Venue.id == AttendanceDay.venue_id)
    if slug is not None:
        query = query.where(Venue.slug == slug)
    if day is not None:
        query = query.where(AttendanceDay.day == day)
    if state is not None:
        query = query.where(AttendanceDay.state == state)
    query = query.order_by(AttendanceDay.day.desc(), Venue.slug, AttendanceDay.part)
    with svc.db.session() as session:
        return [day_json(row, venue) for row, venue in session.execute(query.limit(limit))]


def list_days(svc: Service, *, venue: str | None = None, day: str | None = None,
              state: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Venue-days closed, newest first, and the venue-days of finished days with check-ins
    still to anchor."""
    if day is not None:
        _day(day)
    if venue is not None:
        with svc.db.session() as session:
            _venue(session, venue)
    unclosed_query = (select(Venue.slug, CheckIn.day, func.count())
                      .join(Venue, Venue.id == CheckIn.venue_id)
                      .outerjoin(AttendanceEntry, AttendanceEntry.checkin_id == CheckIn.id)
                      .where(AttendanceEntry.checkin_id.is_(None))
                      .group_by(Venue.slug, CheckIn.day)
                      .order_by(CheckIn.day.desc(), Venue.slug).limit(limit))
    if venue is not None:
        unclosed_query = unclosed_query.where(Venue.slug == venue)
    if day is not None:
        unclosed_query = unclosed_query.where(CheckIn.day == day)
    with svc.db.session() as session:
        unclosed = [{"venue": v, "day": d, "checkIns": n}
                    for v, d, n in session.execute(unclosed_query)]
    return {"days": _days(svc, venue, day, state, limit), "toAnchor": unclosed}


def record(svc: Service, learner_id: int | None, checkin_id: str | None = None
           ) -> dict[str, Any]:
    """The learner's attendance record (all anchored check-ins, or one): each entry with its
    salt and Merkle path, the manifests and registers they cite, the totals, and a trust
    bundle proving the manifests' and registers' words. Check-ins not yet anchored are
    listed under ``pending`` and prove nothing. Another learner's check-in is not found."""
    with svc.db.session() as session:
        learner = session.get(Learner, learner_id) if learner_id is not None else None
        if learner is None:
            raise NotFound("no learning account")
        mine = select(CheckIn).where(CheckIn.learner_id == learner.id)
        if checkin_id is not None:
            mine = mine.where(CheckIn.id == checkin_id)
        checkins = session.scalars(mine.order_by(CheckIn.checked_in_at)).all()
        if checkin_id is not None and not checkins:
            raise NotFound(f"no check-in {checkin_id}")
        return build_record(svc, session, learner.learner_key, [c.id for c in checkins])



def anchored_checkins(svc: Service, learner_id: int, checkin_ids: list[str]) -> set[str]:
    """Which of the learner's check-ins are in a venue-day published on chain (the others
    are pending: not closed yet, or closed and not yet on chain)."""
    if not checkin_ids:
        return set()
    with svc.db.session() as session:
        return set(session.scalars(
            select(AttendanceEntry.checkin_id)
            .join(AttendanceDay, AttendanceDay.id == AttendanceEntry.day_id)
            .where(AttendanceEntry.learner_id == learner_id,
                   AttendanceEntry.checkin_id.in_(checkin_ids),
                   AttendanceDay.state == "anchored")))
