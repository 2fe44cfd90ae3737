"""The learning points ledger (积分, docs/points.md §2-3): one append-only ledger per
learner, known by ``learner_key`` as credentials know them, so credentials issued before
the account was opened count too.

Every entry cites its source (a check-in or a credential), the points rules it was
computed under (id, version, hash) and its figures. Nothing updates or deletes an entry
(the database refuses it too: migration 0007); the authority corrects one by a reversal,
a new entry with the figures negated and a reason, once per entry.

Check-ins are credited by :func:`credit_checkin`, called by the check-in code in its own
transaction. Credentials are credited by :func:`settle_credentials` (the background loop;
and for one learner when their ledger is read), under the rules in force when the
credential was issued; a revoked credential's entry is reversed there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, object_session

from verifier import timefmt
from verifier.credit import Sector, Unit, decision_date, value_text
from verifier.credit import value_of as credit_value
from verifier.credit.decision import ACHIEVEMENT_TYPE as DECISION_TYPE
from verifier.credit.points import counted_hours

from . import points_rules
from .context import Service
from .errors import Conflict, InvalidInput, NotFound
from .models import Activity, CheckIn, Credential, Learner, StatusChange, Venue
from .points_models import MICRO, PointsAward, PointsEntry, PointsRuleSet

MAX_REASON = 500
MAX_ENTRIES_SHOWN = 1000
REVOKED = "the credential was revoked"


def micro(value: Fraction) -> int:
    return int(value * MICRO)


def decimal_text(value_micro: int) -> str:
    """A figure in millionths as exact decimal text, signed ("-12.5")."""
    sign = "-" if value_micro < 0 else ""
    return sign + value_text(Fraction(abs(value_micro), MICRO))


def _exact(number: float) -> Fraction:
    return credit_value(Decimal(repr(number)))


def _add(session: Session, entry: PointsEntry) -> PointsEntry:
    """Insert an entry in a savepoint: if its source was credited meanwhile (the unique
    ``source_key``), the caller's transaction goes on and the existing entry is returned."""
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        return session.scalars(select(PointsEntry).where(
            PointsEntry.source_key == entry.source_key)).one()
    return entry


def _existing(session: Session, source_key: str) -> PointsEntry | None:
    return session.scalars(select(PointsEntry).where(
        PointsEntry.source_key == source_key)).first()


# ---- check-ins ---------------------------------------------------------------------------

def credit_checkin(session: Session, checkin: CheckIn) -> PointsEntry | None:
    """Credit a check-in, in the caller's transaction. Called right after a check-in, and
    again after the check-out of an activity that ``needs_checkout``.

    Hours: an activity without check-out counts its own ``hours``; one with check-out
    counts the measured duration (check-out minus check-in), rounded down to hundredths
    of an hour and capped at its ``hours``, and nothing before the check-out. Rules: those
    in force at ``checked_in_at`` (points_rules.in_force). Points: hours × the rate of the
    activity's sector (and kind), rounded down to hundredths, held to the rules' daily cap
    (attendance points of the learner on the check-in's ``day``). A check-in is credited
    once: calling again returns the entry it has (no change). Returns None, and writes
    nothing, when nothing is due: a cancelled activity, no check-out yet, no rules in
    force, no rate for the sector."""
    source_key = f"checkin:{checkin.id}"
    found = _existing(session, source_key)
    if found is not None:
        return found
    activity = session.get(Activity, checkin.activity_id)
    learner = session.get(Learner, checkin.learner_id)
    if activity is None or learner is None or activity.cancelled_at is not None:
        return None
    hours = counted_hours(_exact(activity.hours), activity.needs_checkout,
                          checkin.checked_in_at, checkin.checked_out_at)
    applying = points_rules.in_force(session, checkin.checked_in_at)
    if hours is None or applying is None or activity.sector not in Sector._value2member_map_:
        return None
    row, rules = applying
    if rules.daily_cap is not None:  # two check-ins of one learner at once: one cap
        session.execute(select(Learner.id).where(Learner.id == learner.id).with_for_update())
    earned_today = session.scalar(select(func.coalesce(func.sum(PointsEntry.points_micro), 0))
                                  .where(PointsEntry.learner_key == learner.learner_key,
                                         PointsEntry.day == checkin.day,
                                         PointsEntry.checkin_id.is_not(None)))
    points = rules.attendance_points(Sector(activity.sector), activity.kind, hours,
                                     Fraction(int(earned_today or 0), MICRO))
    if points is None:
        return None
    return _add(session, PointsEntry(
        learner_key=learner.learner_key, source_key=source_key, kind="checkin",
        checkin_id=checkin.id, rules_id=row.rules_id, rules_version=row.version,
        rules_hash=row.hash, sector=activity.sector, unit=Unit.HOUR.value,
        quantity_micro=micro(hours), points_micro=micro(points), day=checkin.day,
        at=timefmt.now()))


def value_of(activity: Activity, session: Session | None = None) -> str | None:
    """What an activity is worth in points (for activity lists): its hours × the rate of
    the rules in force on its start day as published now, rounded down to hundredths;
    no daily cap (that depends on the learner). None: no rules or no rate."""
    session = session or object_session(activity)
    if session is None:
        raise ValueError("the activity is not in a session; pass one")
    applying = points_rules.in_force(session, activity.starts_at, published_by=timefmt.now())
    if applying is None or activity.sector not in Sector._value2member_map_:
        return None
    points = applying[1].attendance_points(Sector(activity.sector), activity.kind,
                                           _exact(activity.hours))
    return None if points is None else value_text(points)


# ---- credentials -------------------------------------------------------------------------

def _creditable() -> Any:
    """Credentials that may earn points: active, with a typed figure, not a decision
    (it restates its sources) and not a threshold's award (it restates points)."""
    return select(Credential).where(
        Credential.status == "active", Credential.credits.is_not(None),
        Credential.credit_unit.is_not(None), Credential.credit_sector.is_not(None),
        Credential.achievement_type != DECISION_TYPE,
        ~select(PointsAward.id).where(PointsAward.credential_id == Credential.id).exists(),
        ~select(PointsEntry.id).where(PointsEntry.source_key
                                      == "credential:" + Credential.id).exists())


def _credit_credential(session: Session, credential: Credential) -> PointsEntry | None:
    applying = points_rules.in_force(session, credential.issued_at)
    if applying is None or credential.credits is None \
            or credential.credit_sector not in Sector._value2member_map_ \
            or credential.credit_unit not in Unit._value2member_map_:
        return None
    row, rules = applying
    quantity = _exact(credential.credits)
    points = rules.credential_points(Sector(credential.credit_sector),
                                     Unit(credential.credit_unit), quantity)
    if points is None:
        return None
    return _add(session, PointsEntry(
        learner_key=credential.learner_key, source_key=f"credential:{credential.id}",
        kind="credential", credential_id=credential.id, rules_id=row.rules_id,
        rules_version=row.version, rules_hash=row.hash, sector=credential.credit_sector,
        unit=credential.credit_unit, quantity_micro=micro(quantity),
        points_micro=micro(points), day=decision_date(credential.issued_at).isoformat(),
        at=timefmt.now()))


def settle_credentials(svc: Service, learner_key: str | None = None, *,
                       since: datetime | None = None, page: int = 500) -> int:
    """Credit the credentials not yet credited (of one learner, or all), and reverse the
    entries of credentials revoked since. ``since``: look only at credentials issued and
    status changes recorded from then on (the background loop's rounds after a full
    one). Returns how many entries were written."""
    written = 0
    with svc.db.session() as session:
        first = session.scalar(select(func.min(PointsRuleSet.published_at)).where(
            PointsRuleSet.state == "published"))
        if first is None:
            return 0
        after: tuple[datetime, str] | None = None
        while True:
            query = _creditable().where(Credential.issued_at >= max(first, since or first))
            if learner_key is not None:
                query = query.where(Credential.learner_key == learner_key)
            if after is not None:
                query = query.where((Credential.issued_at > after[0]) | (
                    (Credential.issued_at == after[0]) & (Credential.id > after[1])))
            batch = list(session.scalars(query.order_by(Credential.issued_at, Credential.id)
                                         .limit(page)))
            for credential in batch:
                written += _credit_credential(session, credential) is not None
            if len(batch) < page:
                break
            after = (batch[-1].issued_at, batch[-1].id)
        written += _reverse_revoked(session, learner_key, since)
    return written


def _reverse_revoked(session: Session, learner_key: str | None, since: datetime | None
                     ) -> int:
    reversal = aliased(PointsEntry)
    query = select(PointsEntry).join(Credential, Credential.id == PointsEntry.credential_id) \
        .where(PointsEntry.kind == "credential", Credential.status == "revoked",
               ~select(reversal.id).where(reversal.reverses_id == PointsEntry.id).exists())
    if learner_key is not None:
        query = query.where(PointsEntry.learner_key == learner_key)
    if since is not None:
        query = query.where(Credential.id.in_(select(StatusChange.credential_id).where(
            StatusChange.at >= since)))
    done = 0
    for entry in list(session.scalars(query)):
        new = _reversal_of(entry, REVOKED)
        done += _add(session, new) is new
    return done


# ---- reversals ---------------------------------------------------------------------------

def _reversal_of(entry: PointsEntry, reason: str) -> PointsEntry:
    return PointsEntry(
        learner_key=entry.learner_key, source_key=f"reversal:{entry.id}", kind="reversal",
        checkin_id=entry.checkin_id, credential_id=entry.credential_id, reverses_id=entry.id,
        rules_id=entry.rules_id, rules_version=entry.rules_version, rules_hash=entry.rules_hash,
        sector=entry.sector, unit=entry.unit, quantity_micro=-entry.quantity_micro,
        points_micro=-entry.points_micro, day=entry.day, reason=reason, at=timefmt.now())


def reverse(svc: Service, entry_id: int, reason: str) -> dict[str, Any]:
    """The authority reverses an entry: a new entry with its figures negated and the
    reason. A reversal is not reversed, and an entry is reversed once."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"reason: say why, in 1 to {MAX_REASON} characters")
    with svc.db.session() as session:
        entry = session.get(PointsEntry, entry_id)
        if entry is None:
            raise NotFound(f"no points entry {entry_id}")
        if entry.kind == "reversal":
            raise Conflict(f"points entry {entry_id} is a reversal; it is not reversed")
        if _existing(session, f"reversal:{entry.id}") is not None:
            raise Conflict(f"points entry {entry_id} is reversed already")
        new = _reversal_of(entry, reason)
        if _add(session, new) is not new:
            raise Conflict(f"points entry {entry_id} was reversed meanwhile")
        return entry_json(session, new, set())


# ---- reading -----------------------------------------------------------------------------

def _source_json(session: Session, entry: PointsEntry) -> dict[str, Any]:
    if entry.checkin_id is not None:
        checkin = session.get(CheckIn, entry.checkin_id)
        activity = session.get(Activity, checkin.activity_id) if checkin else None
        venue = session.get(Venue, activity.venue_id) if activity else None
        return {"type": "checkin", "id": entry.checkin_id,
                "title": activity.title if activity else None,
                "venue": venue.name if venue else None}
    credential = session.get(Credential, entry.credential_id) if entry.credential_id else None
    return {"type": "credential", "id": entry.credential_id,
            "title": credential.achievement_name if credential else None, "venue": None}


def entry_json(session: Session, entry: PointsEntry, reversed_ids: set[int]
               ) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind, "source": _source_json(session, entry),
            "rules": {"id": entry.rules_id, "version": entry.rules_version,
                      "hash": entry.rules_hash},
            "sector": entry.sector, "unit": entry.unit,
            "quantity": decimal_text(entry.quantity_micro),
            "points": decimal_text(entry.points_micro), "day": entry.day,
            "reason": entry.reason, "reverses": entry.reverses_id,
            "reversed": entry.id in reversed_ids, "at": timefmt.format(entry.at)}


def totals(session: Session, learner_key: str) -> dict[str, Any]:
    """Points and hours by sector (reversals included), and the points in all."""
    rows = session.execute(
        select(PointsEntry.sector, func.sum(PointsEntry.points_micro),
               func.sum(PointsEntry.quantity_micro).filter(
                   PointsEntry.unit == Unit.HOUR.value))
        .where(PointsEntry.learner_key == learner_key).group_by(PointsEntry.sector)).all()
    by_sector = {sector: (int(points or 0), int(hours or 0)) for sector, points, hours in rows}
    ordered = [s.value for s in Sector if s.value in by_sector]
    return {"points": decimal_text(sum(p for p, _ in by_sector.values())),
            "bySector": [{"sector": s, "points": decimal_text(by_sector[s][0]),
                          "hours": decimal_text(by_sector[s][1])} for s in ordered]}


def ledger(svc: Service, learner_key: str) -> dict[str, Any]:
    """A learner's ledger: entries (newest first, the latest MAX_ENTRIES_SHOWN), totals by
    sector and every rules version cited. Their credentials are settled first."""
    settle_credentials(svc, learner_key)
    with svc.db.session() as session:
        entries = list(session.scalars(select(PointsEntry).where(
            PointsEntry.learner_key == learner_key)
            .order_by(PointsEntry.id.desc()).limit(MAX_ENTRIES_SHOWN)))
        reversed_ids = {e.reverses_id for e in entries if e.reverses_id is not None}
        reversed_ids |= set(session.scalars(select(PointsEntry.reverses_id).where(
            PointsEntry.reverses_id.in_([e.id for e in entries]))))
        cited = sorted({(e.rules_id, e.rules_version, e.rules_hash) for e in entries})
        return {"totals": totals(session, learner_key),
                "entries": [entry_json(session, e, reversed_ids) for e in entries],
                "rules": [{"id": i, "version": v, "hash": h} for i, v, h in cited]}


def learner_ledger(svc: Service, learner_id: int) -> dict[str, Any]:
    with svc.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None:
            raise NotFound("no such learning account")
        key = learner.learner_key
    return ledger(svc, key)


def ledger_by_login(svc: Service, login: str) -> dict[str, Any]:
    """One learner's ledger, for the authority."""
    with svc.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).first()
        if learner is None:
            raise NotFound(f"no learning account {login}")
        key = learner.learner_key
    return {"login": login, **ledger(svc, key)}

