"""The learning-code part of the demo: two venues, yesterday's activities with a day of
check-ins made both ways (through the same service functions the API calls, at the
moments they happened), today's activity open all day to try, and an operator key of the
first venue, printed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from api.service import checkins, learning_code, venues
from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.models import ApiKey, CheckIn, Learner, Venue
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


@dataclass
class CheckinDemo:
    operator_key: str
    venue: str
    today_activity: str
    checkins: int


def create_checkin_demo(svc: Service, logins: list[str]) -> CheckinDemo:
    """Made once (found again by later runs); the operator key is new on every run."""
    zone = ZoneInfo(svc.settings.time_zone)
    today = timefmt.now().astimezone(zone).date()
    with svc.db.session() as session:
        made = session.scalars(select(Venue).where(Venue.slug == VENUES[0][0])).first()
    if made is None:
        for slug, name, kind, district in VENUES:
            venues.register_venue(svc, slug, name, kind, district)
        _today(svc, zone, today)
    key = create_api_key(svc, "operator", None, "demo", venue_slug=VENUES[0][0])
    with svc.db.session() as session:
        key_row = session.scalars(select(ApiKey.id).where(
            ApiKey.key_id == key.split("_")[1])).one()
        learners = [session.scalars(select(Learner.id).where(Learner.login == login)).one()
                    for login in logins]
    if made is None:
        _yesterday(svc, zone, today - timedelta(days=1), learners, key_row)
    today_id = next(a.id for a, _ in venues.list_activities(svc, None, VENUES[0][0])
                    if a.title == TODAY_TITLE)
    with svc.db.session() as session:
        count = session.scalar(select(func.count()).select_from(CheckIn)) or 0
    return CheckinDemo(key, VENUES[0][0], today_id, count)


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
