"""The learning-code part of the demo: two venues; published points rules (counted from the
start of yesterday) and a threshold; yesterday's activities with a day of check-ins made
both ways (through the same service functions the API calls, at the moments they
happened), each credited with points as it is made; yesterday's venue-days anchored on
chain and the first demo learner's attendance record written to
``DATA_DIR/demo-learning-code/attendance.json`` for ``credbank-verify``; today's activity
open all day to try (its two hours reach the threshold); an operator key of the first
venue, printed once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from api.service import attendance, checkins, learning_code, points_rules, thresholds, venues
from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.errors import NotFound
from api.service.models import ApiKey, CheckIn, Learner, Venue
from api.service.points_models import PointsThreshold
from ledger.files import write_atomic
from verifier import timefmt

VENUES = (("xuhui-community-school", "徐汇区社区学校 Xuhui Community School",
           "community_school", "徐汇区"),
          ("pudong-library", "浦东图书馆 Pudong Library", "library", "浦东新区"))
# yesterday's activities: (venue, kind, title, sector, local start hour, hours, check-out)
YESTERDAY = (
    (0, "session", "智能手机使用 Using a smartphone", "community_elderly", 9, 2, False),
    (0, "course_meeting", "书法 Calligraphy", "community_elderly", 14, 2, True),  # scanned
    (1, "exhibition_visit", "上海城市史展 City history exhibition", "venue", 10, 1.5, False),
)
TODAY_TITLE = "读书会 Reading circle"
RULES = {
    "type": "CredbankPointsRules", "id": "urn:credbank:demo:points", "version": "1",
    "validFrom": "2020-01-01",
    "attendance": [{"sector": "community_elderly", "pointsPerHour": "10"},
                   {"sector": "venue", "pointsPerHour": "5"}],
    "credentials": [{"sector": "degree", "unit": "credit", "pointsPerUnit": "5"},
                    {"sector": "vocational", "unit": "credit", "pointsPerUnit": "2"}],
}
# yesterday gives each demo learner 4 hours of community learning; today's activity 2 more
THRESHOLD = thresholds.NewThreshold(
    sector="community_elderly", measure="hours", amount="6",
    name_zh="社区学习 6 学时", name_en="6 hours of community learning",
    description_zh="在社区学校累计学习满 6 学时。",
    description_en="Six hours of learning at community schools.")
FILES_DIR = "demo-learning-code"
RECORD_FILE = "attendance.json"


@dataclass
class CheckinDemo:
    operator_key: str
    venue: str
    today_activity: str
    checkins: int
    rules_hash: str = ""
    anchored: tuple[str, ...] = ()  # "venue day" of each venue-day anchored
    record: Path | None = None  # the first learner's attendance record


def create_checkin_demo(svc: Service, logins: list[str]) -> CheckinDemo:
    """Made once (found again by later runs); the operator key is new on every run."""
    zone = ZoneInfo(svc.settings.time_zone)
    today = timefmt.now().astimezone(zone).date()
    with svc.db.session() as session:
        made = session.scalars(select(Venue).where(Venue.slug == VENUES[0][0])).first()
    yesterday = today - timedelta(days=1)
    history = datetime.combine(yesterday, time(0, 0), zone)  # where the demo's days begin
    if made is None:
        for slug, name, kind, district in VENUES:
            venues.register_venue(svc, slug, name, kind, district, now=history)
        _today(svc, zone, today)
    key = create_api_key(svc, "operator", None, "demo", venue_slug=VENUES[0][0])
    with svc.db.session() as session:
        key_row = session.scalars(select(ApiKey.id).where(
            ApiKey.key_id == key.split("_")[1])).one()
        learners = [session.scalars(select(Learner.id).where(Learner.login == login)).one()
                    for login in logins]
    # the rules count from the start of yesterday, so yesterday's check-ins earn points
    rules_hash = _points(svc, history)
    if made is None:
        _yesterday(svc, zone, yesterday, learners, key_row)
    today_id = next(a.id for a, _ in venues.list_activities(svc, None, VENUES[0][0])
                    if a.title == TODAY_TITLE)
    with svc.db.session() as session:
        count = session.scalar(select(func.count()).select_from(CheckIn)) or 0
    anchored = _anchor(svc, today)
    return CheckinDemo(key, VENUES[0][0], today_id, count, rules_hash, anchored,
                       _write_record(svc, learners[0]))


def _points(svc: Service, published_at: datetime) -> str:
    """The demo's points rules, published (as of ``published_at``), and its threshold;
    the rules' hash."""
    try:
        found = points_rules.rules(svc, RULES["id"], RULES["version"])
    except NotFound:
        found = points_rules.create_rules(svc, RULES)
    if found["state"] == "draft":
        found = points_rules.publish_rules(svc, RULES["id"], RULES["version"],
                                           now=published_at)
    with svc.db.session() as session:
        exists = session.scalars(select(PointsThreshold.id).where(
            PointsThreshold.name_zh == THRESHOLD.name_zh)).first()
    if exists is None:
        thresholds.create(svc, THRESHOLD)
    return found["hash"]


def _anchor(svc: Service, today: date) -> tuple[str, ...]:
    """Anchor the demo venues' finished days (a day anchored already: no change)."""
    with svc.db.session() as session:
        days = session.execute(select(Venue.slug, CheckIn.day).join(
            Venue, Venue.id == CheckIn.venue_id).where(
            Venue.slug.in_([slug for slug, *_ in VENUES]), CheckIn.day < today.isoformat())
            .distinct().order_by(CheckIn.day, Venue.slug)).all()
    for slug, day in days:
        attendance.anchor_day(svc, slug, day)
    return tuple(f"{slug} {day}" for slug, day in days)


def _write_record(svc: Service, learner_id: int) -> Path:
    path = svc.settings.path(FILES_DIR) / RECORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(attendance.record(svc, learner_id), ensure_ascii=False,
                                  indent=1) + "\n")
    return path


def _today(svc: Service, zone: ZoneInfo, today: date) -> None:
    venues.create_activity(svc, VENUES[0][0], None, venues.NewActivity(
        kind="session", title=TODAY_TITLE, sector="community_elderly", hours=2,
        starts_at=datetime.combine(today, time(0, 0), zone),
        ends_at=datetime.combine(today, time(23, 59), zone)))


def _yesterday(svc: Service, zone: ZoneInfo, day: date, learners: list[int],
               operator_key: int) -> None:
    """Each learner at each of yesterday's activities: at the course meeting the operator
    scans the learners' codes, in and out; elsewhere the learners scan the venue's code."""
    for venue, kind, title, sector, hour, hours, checkout in YESTERDAY:
        starts = datetime.combine(day, time(hour, 0), zone)
        activity, row = venues.create_activity(svc, VENUES[venue][0], None, venues.NewActivity(
            kind=kind, title=title, sector=sector, hours=hours, starts_at=starts,
            ends_at=starts + timedelta(hours=hours), needs_checkout=checkout))
        for position, learner in enumerate(learners):
            at = starts + timedelta(minutes=2 + 3 * position)
            if not checkout:
                code, _ = learning_code.issue_venue_code(svc, activity.id, now=at)
                checkins.learner_scan(svc, learner, code, now=at)
                continue
            for action, moment in (("in", at), ("out", at + timedelta(hours=hours))):
                code, _ = learning_code.issue_learner_code(svc, learner, now=moment)
                checkins.operator_scan(svc, operator_key, row.id, activity.id, code, action,
                                       now=moment)
