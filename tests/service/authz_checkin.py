"""The authorization matrix's rows for venues, activities and check-in (test_authz.ROUTES),
and what the world needs for them: venue A with its operator, venue B with its, an
activity at A for each use, a card for each learner, a device of A's operator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from api.service import checkins, learning_code, venues
from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.models import ApiKey, Learner
from verifier import timefmt

from .conftest import bearer

VENUE_STAFF = "operator|governor"  # the venue's operators or the authority


def _activity(service: Service, slug: str, title: str) -> str:
    starts = timefmt.now() - timedelta(minutes=10)
    activity, _ = venues.create_activity(service, slug, None, venues.NewActivity(
        kind="session", title=title, sector="community_elderly", hours=2, starts_at=starts,
        ends_at=starts + timedelta(hours=2)))
    return activity.id


def setup(service: Service) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """(the operators' headers, what the rows need)."""
    for slug, kind in (("venue-a", "library"), ("venue-b", "museum"),
                       ("spare-venue", "training_centre")):
        venues.register_venue(service, slug, slug, kind)
    operator = create_api_key(service, "operator", None, "a", venue_slug="venue-a")
    operator_b = create_api_key(service, "operator", None, "b", venue_slug="venue-b")
    with service.db.session() as session:
        key_row = session.scalars(select(ApiKey.id).where(
            ApiKey.key_id == operator.split("_")[1])).one()
        learner_a = session.scalars(select(Learner.id).where(
            Learner.login == "zhangwei")).one()
        learner_ids = list(session.scalars(select(Learner.id)))
    for learner_id in learner_ids:  # each learner may revoke their card
        learning_code.replace_card(service, learner_id)
    device_id, device_key, _ = checkins.issue_device(service, key_row)
    activity = _activity(service, "venue-a", "讲座")
    scanned = _activity(service, "venue-a", "课程")  # the operator scans learner A in
    queued = _activity(service, "venue-a", "参观")  # learner A, from the offline queue

    def queued_scan() -> dict[str, Any]:
        code, _ = learning_code.issue_learner_code(service, learner_a)
        at = int(timefmt.now().timestamp() * 1000)
        return {"activity": queued, "code": code, "scannedAt": at, "deviceId": device_id,
                "signature": checkins.sign_scan(device_key, device_id, queued, "in", at,
                                                code)}

    return ({"operator": bearer(operator), "operator_b": bearer(operator_b)}, {
        "activity": activity, "scanned": scanned,
        "spare_activity": _activity(service, "venue-a", "取消"),
        "learner_code": lambda: learning_code.issue_learner_code(service, learner_a)[0],
        "venue_code": lambda: learning_code.issue_venue_code(service, activity)[0],
        "queued_scan": queued_scan})


def _new_activity(world: Any) -> dict[str, Any]:
    return {"venue": "venue-a", "kind": "course_meeting", "title": "书法", "sector": "venue",
            "hours": 1.5, "startsAt": "2026-12-01T09:00:00+08:00",
            "endsAt": "2026-12-01T10:30:00+08:00", "needsCheckout": True}


def _activity_path(suffix: str = "", key: str = "activity"):
    return lambda w: f"/v1/venue/activities/{w.checkin[key]}{suffix}"


# (METHOD, OpenAPI path) → the keyword arguments of test_authz.Route
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/admin/venues"): dict(
        audience="governor", body=lambda w: {"slug": f"venue-{w.counter()}", "name": "图书馆",
                                             "kind": "library"}),
    ("GET", "/v1/admin/venues"): dict(audience="governor"),
    ("POST", "/v1/admin/venues/{slug}/retire"): dict(
        audience="governor", path=lambda w: "/v1/admin/venues/spare-venue/retire"),
    ("POST", "/v1/venue/activities"): dict(audience=VENUE_STAFF, owned=True,
                                           body=_new_activity),
    ("GET", "/v1/venue/activities"): dict(audience=VENUE_STAFF),
    ("GET", "/v1/venue/activities/{activity_id}"): dict(
        audience=VENUE_STAFF, owned=True, path=_activity_path()),
    ("POST", "/v1/venue/activities/{activity_id}/cancel"): dict(
        audience=VENUE_STAFF, owned=True, path=_activity_path("/cancel", "spare_activity")),
    ("GET", "/v1/venue/activities/{activity_id}/code"): dict(
        audience=VENUE_STAFF, owned=True, path=_activity_path("/code")),
    ("GET", "/v1/venue/activities/{activity_id}/checkins"): dict(
        audience=VENUE_STAFF, owned=True, path=_activity_path("/checkins")),
    ("POST", "/v1/venue/activities/{activity_id}/scans"): dict(
        audience="operator", owned=True, path=_activity_path("/scans", "scanned"),
        body=lambda w: {"code": w.checkin["learner_code"]()}),
    ("POST", "/v1/venue/devices"): dict(audience="operator"),
    # another venue's operator gets an answer too: its scan is refused inside it
    ("POST", "/v1/venue/scans/batch"): dict(
        audience="operator", body=lambda w: {"scans": [w.checkin["queued_scan"]()]}),
    ("GET", "/v1/learner/code"): dict(audience="learner"),
    ("GET", "/v1/learner/card"): dict(audience="learner"),
    ("POST", "/v1/learner/card"): dict(audience="learner"),
    ("DELETE", "/v1/learner/card"): dict(audience="learner"),
    ("POST", "/v1/learner/checkins"): dict(
        audience="learner", body=lambda w: {"code": w.checkin["venue_code"]()}),
    ("GET", "/v1/learner/checkins"): dict(audience="learner"),
}
