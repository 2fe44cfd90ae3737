"""Check-in (学习打卡): the learner scans the venue's code, or the operator scans the
learner's code or card, live or later from the scanning page's offline queue.

The rules (docs/learningcode.md): one check-in per learner per activity; a check-out only
where the activity asks for one, only after a check-in, once; the venue must still be
registered and the activity not cancelled, and the moment of the scan must fall in the
activity's window widened by ``checkin_grace_minutes`` on each side. ``day`` is the venue's
calendar day of the check-in in the service's time zone (``time_zone``). Every refusal
changes nothing: a scan is one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from verifier import timefmt

from . import learning_code, points, venues
from .context import Service
from .errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from .models import Activity, CheckIn, Learner, Venue

ACTIONS = ("in", "out")
MAX_BATCH = 500
DEVICE_PREFIX = "d1."
FUTURE_SKEW = timedelta(minutes=5)  # a device clock this far ahead is still believed


@dataclass(frozen=True)
class Recorded:
    """A check-in as stored, with what it was at; ``repeat``: a queued scan sent again."""

    checkin: CheckIn
    activity: Activity
    venue: Venue
    action: str
    repeat: bool = False


def venue_day(svc: Service, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(svc.settings.time_zone)).date().isoformat()


def _store(session: Session, row: CheckIn) -> None:
    """The one place a check-in or a check-out is written; its learning points are credited
    in the same transaction (nothing for a check-in whose activity waits for the check-out)."""
    session.add(row)
    session.flush()
    points.credit_checkin(session, row)


def _record(svc: Service, session: Session, activity: Activity, venue: Venue,
            learner_id: int, action: str, at: datetime, now: datetime, *, method: str,
            key_id: int | None = None, signature: str | None = None) -> Recorded:
    venues.registered(venue)
    if activity.cancelled_at is not None:
        raise Conflict("this activity was cancelled")
    grace = timedelta(minutes=svc.settings.checkin_grace_minutes)
    if at < activity.starts_at - grace:
        raise Conflict(f"check-in opens {svc.settings.checkin_grace_minutes} minutes before "
                       f"the activity starts ({timefmt.format(activity.starts_at)})")
    if at > activity.ends_at + grace:
        raise Conflict("this activity is over: check-in closed "
                       f"{svc.settings.checkin_grace_minutes} minutes after it ended")
    row = session.scalars(select(CheckIn).where(CheckIn.learner_id == learner_id,
                                                CheckIn.activity_id == activity.id)).first()
    if action == "in":
        if row is not None:
            raise Conflict("already checked in to this activity at "
                           f"{timefmt.format(row.checked_in_at)}")
        row = CheckIn(id=str(uuid.uuid4()), activity_id=activity.id, venue_id=venue.id,
                      learner_id=learner_id, method=method, operator_key_id=key_id,
                      day=venue_day(svc, at), checked_in_at=at, recorded_at=now,
                      queued_signature=signature)
    else:
        if not activity.needs_checkout:
            raise Conflict("this activity takes no check-out")
        if row is None:
            raise Conflict("not checked in to this activity: check in first")
        if row.checked_out_at is not None:
            raise Conflict("already checked out at " + timefmt.format(row.checked_out_at))
        if at < row.checked_in_at:
            raise Conflict("a check-out cannot come before its check-in")
        row.checked_out_at = at
    _store(session, row)
    return Recorded(row, activity, venue, action)


def _transaction(svc: Service, work) -> Recorded:
    """Run one scan in its own transaction; a race lost on a unique key (the same code, or
    the same learner and activity, at the same moment) is the conflict it means."""
    try:
        with svc.db.session() as session:
            done = work(session)
            session.expunge_all()
            return done
    except IntegrityError:
        raise Conflict("already checked in, or this code was already used") from None


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise InvalidInput("action: 'in' or 'out'")
    return action


# ---- the learner scans the venue's code -----------------------------------------------------

def learner_scan(svc: Service, learner_id: int, code: str, action: str = "in",
                 now: datetime | None = None) -> Recorded:
    now = now or timefmt.now()
    _action(action)
    shown = learning_code.read_venue_code(svc, code, now)

    def work(session: Session) -> Recorded:
        activity = session.get(Activity, shown.activity_id)
        if activity is None:
            raise NotFound("no such activity")
        venue = session.get(Venue, activity.venue_id)
        return _record(svc, session, activity, venue, learner_id, action, now, now,
                       method="learner_scan")

    return _transaction(svc, work)


# ---- the operator scans the learner's code or card -----------------------------------------

def operator_scan(svc: Service, key_id: int, venue_id: int, activity_id: str, code: str,
                  action: str = "in", now: datetime | None = None) -> Recorded:
    now = now or timefmt.now()
    _action(action)

    def work(session: Session) -> Recorded:
        activity, venue = venues.activity_in(session, activity_id, venue_id)
        venues.registered(venue)
        learner_id = learning_code.learner_of(svc, session, code, now)
        return _record(svc, session, activity, venue, learner_id, action, now, now,
                       method="operator_scan", key_id=key_id)

    return _transaction(svc, work)


# ---- the offline queue: scans signed and time-stamped on the device ---------------------------

def _device_key(svc: Service, device_id: str) -> bytes:
    return hmac.new(svc.secret, b"credbank-scan-device\0" + device_id.encode(),
                    hashlib.sha256).digest()


def issue_device(svc: Service, key_id: int, now: datetime | None = None
                 ) -> tuple[str, bytes, datetime]:
    """A device id and its HMAC-SHA256 key for an operator's scanning page, bound to the
    operator's API key (revoking the key ends the device) and good for ``device_key_days``.
    The key is derived from the server secret, so the service stores nothing."""
    now = now or timefmt.now()
    device_id = f"{DEVICE_PREFIX}{key_id}.{int(now.timestamp())}.{secrets.token_hex(8)}"
    expires = now + timedelta(days=svc.settings.device_key_days)
    return device_id, _device_key(svc, device_id), expires


def scan_message(device_id: str, activity_id: str, action: str, scanned_at_ms: int,
                 code: str) -> bytes:
    """What a device signs for one queued scan (docs/learningcode.md, "Offline queue")."""
    return "\n".join(("credbank-scan-v1", device_id, activity_id, action, str(scanned_at_ms),
                      code)).encode()


def sign_scan(key: bytes, device_id: str, activity_id: str, action: str, scanned_at_ms: int,
              code: str) -> str:
    """The device's signature (hex HMAC-SHA256): what the scanning page computes with
    WebCrypto; here for clients of the API and tests."""
    return hmac.new(key, scan_message(device_id, activity_id, action, scanned_at_ms, code),
                    hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class QueuedScan:
    activity_id: str
    code: str
    action: str
    scanned_at_ms: int
    device_id: str
    signature: str


def _check_device(svc: Service, scan: QueuedScan, key_id: int, now: datetime) -> datetime:
    """The scan's signed moment, once its device and signature hold."""
    parts = scan.device_id.removeprefix(DEVICE_PREFIX).split(".")
    if not scan.device_id.startswith(DEVICE_PREFIX) or len(parts) != 3 \
            or not parts[0].isdigit() or not parts[1].isdigit():
        raise InvalidInput("not a device id this service issued")
    if int(parts[0]) != key_id:
        raise Forbidden("this device was issued to another operator key")
    issued, at = _moment(int(parts[1]) * 1000), _moment(scan.scanned_at_ms)
    expected = sign_scan(_device_key(svc, scan.device_id), scan.device_id, scan.activity_id,
                         scan.action, scan.scanned_at_ms, scan.code)
    if not hmac.compare_digest(expected, scan.signature.lower()):
        raise Forbidden("the scan's signature does not verify")
    if at > now + FUTURE_SKEW:
        raise InvalidInput("the scan is time-stamped in the future")
    if at > issued + timedelta(days=svc.settings.device_key_days) or at < issued - FUTURE_SKEW:
        raise Forbidden("the device's key was not valid at the scan's time")
    if now - at > timedelta(hours=svc.settings.scan_queue_max_hours):
        raise Conflict(f"the scan is older than {svc.settings.scan_queue_max_hours:g} hours: "
                       "too old to accept")
    return at


def _moment(unix_ms: int) -> datetime:
    """A device's time-stamp as a moment; one beyond any calendar is refused, not a 500."""
    try:
        return datetime.fromtimestamp(unix_ms / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        raise InvalidInput("the scan's time-stamp is out of range") from None


def _queued(svc: Service, key_id: int, venue_id: int, scan: QueuedScan, now: datetime
            ) -> Recorded:
    _action(scan.action)
    at = _check_device(svc, scan, key_id, now)
    stamp = f"{scan.device_id}:{scan.signature.lower()}"

    def work(session: Session) -> Recorded:
        activity, venue = venues.activity_in(session, scan.activity_id, venue_id)
        if scan.action == "in":
            # the same signed scan sent again (its answer was lost on the way): done already
            again = session.scalars(select(CheckIn).where(
                CheckIn.queued_signature == stamp)).first()
            if again is not None:
                return Recorded(again, activity, venue, "in", repeat=True)
        venues.registered(venue)
        learner_id = learning_code.learner_of(svc, session, scan.code, at)
        return _record(svc, session, activity, venue, learner_id, scan.action, at, now,
                       method="operator_scan", key_id=key_id, signature=stamp)

    return _transaction(svc, work)


@dataclass(frozen=True)
class ScanOutcome:
    index: int
    recorded: Recorded | None
    refused: str | None = None  # why, when refused
    error: ServiceError | None = None


def queued_scans(svc: Service, key_id: int, venue_id: int, scans: list[QueuedScan],
                 now: datetime | None = None) -> list[ScanOutcome]:
    """Each queued scan on its own: accepted, or refused with its reason; one refused scan
    leaves the others as they are."""
    if len(scans) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} scans a batch")
    now = now or timefmt.now()
    outcomes = []
    for index, scan in enumerate(scans):
        try:
            outcomes.append(ScanOutcome(index, _queued(svc, key_id, venue_id, scan, now)))
        except ServiceError as exc:
            outcomes.append(ScanOutcome(index, None, str(exc), exc))
    return outcomes


# ---- reading ---------------------------------------------------------------------------

def learner_checkins(svc: Service, learner_id: int, limit: int = 200
                     ) -> list[tuple[CheckIn, Activity, Venue]]:
    with svc.db.session() as session:
        rows = [tuple(r) for r in session.execute(
            select(CheckIn, Activity, Venue)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .join(Venue, Venue.id == CheckIn.venue_id)
            .where(CheckIn.learner_id == learner_id)
            .order_by(CheckIn.checked_in_at.desc(), CheckIn.id).limit(limit))]
        session.expunge_all()
        return rows


def activity_checkins(svc: Service, activity_id: str, acting_venue: int | None
                      ) -> list[tuple[CheckIn, str]]:
    """An activity's check-ins with each learner's name, masked but for its first
    character: the venue sees who came in the way a sign-in sheet would, no more."""
    with svc.db.session() as session:
        activity, _ = venues.activity_in(session, activity_id, acting_venue)
        rows = [(c, _masked(name)) for c, name in session.execute(
            select(CheckIn, Learner.display_name)
            .join(Learner, Learner.id == CheckIn.learner_id)
            .where(CheckIn.activity_id == activity.id)
            .order_by(CheckIn.checked_in_at, CheckIn.id).limit(5000))]
        session.expunge_all()
        return rows


def _masked(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else "*"


def minutes(row: CheckIn) -> int | None:
    if row.checked_out_at is None:
        return None
    return int((row.checked_out_at - row.checked_in_at).total_seconds() // 60)
