"""Rows of the authorization matrix (test_authz) for learning points and anchored
attendance, and the points part of its world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from api.service import points_rules, thresholds
from api.service.context import Service
from api.service.models import Credential
from api.service.points_models import PointsEntry, PointsRuleSet
from verifier import timefmt

POINTS_ID = "authz-points"
POINTS_RULES = {"type": "CredbankPointsRules", "id": POINTS_ID, "validFrom": "2020-01-01",
                "attendance": [{"sector": "venue", "pointsPerHour": "2"}], "credentials": []}
THRESHOLD = {"sector": "venue", "measure": "points", "amount": "100",
             "name": {"zh": "场馆学习百分", "en": "100 venue points"},
             "description": {"zh": "场馆学习积分满 100。", "en": "100 points of venue learning."}}


def learning_routes(route: Callable[..., Any], unique: Callable[[Any, str], str]
                    ) -> dict[tuple[str, str], Any]:
    """The rows, made with test_authz's ``Route``; ``unique`` makes a fresh name."""
    Route = route  # noqa: N806  (reads like the rows of test_authz)
    return {
        # learning points: a draft of the authority's (no chain: publishing is 503), a
        # published version, an entry of learner A's and a threshold, written directly
        ("GET", "/v1/admin/points-rules"): Route("governor"),
        ("POST", "/v1/admin/points-rules"): Route(
            "governor", body=lambda w: {**POINTS_RULES, "version": unique(w, "v")}),
        ("GET", "/v1/admin/points-rules/{rules_id}/{version}"): Route(
            "governor", path=lambda w: f"/v1/admin/points-rules/{POINTS_ID}/draft"),
        ("PUT", "/v1/admin/points-rules/{rules_id}/{version}"): Route(
            "governor", path=lambda w: f"/v1/admin/points-rules/{POINTS_ID}/draft",
            body=lambda w: {**POINTS_RULES, "version": "draft"}),
        ("POST", "/v1/admin/points-rules/{rules_id}/{version}/publish"): Route(
            "governor", granted="503",
            path=lambda w: f"/v1/admin/points-rules/{POINTS_ID}/draft/publish"),
        ("GET", "/v1/registry/points-rules"): Route("public"),
        ("GET", "/v1/registry/points-rules/{rules_id}/{version}"): Route(
            "public", path=lambda w: f"/v1/registry/points-rules/{POINTS_ID}/1"),
        ("GET", "/v1/admin/points-thresholds"): Route("governor"),
        ("POST", "/v1/admin/points-thresholds"): Route("governor", body=lambda w: THRESHOLD),
        ("POST", "/v1/admin/points-thresholds/{threshold_id}/retire"): Route(
            "governor", path=lambda w: f"/v1/admin/points-thresholds/"
            f"{(w.points or {})['threshold']}/retire"),
        ("GET", "/v1/admin/learners/{login}/points"): Route(
            "governor", path=lambda w: "/v1/admin/learners/zhangwei/points"),
        ("POST", "/v1/admin/points-entries/{entry_id}/reversal"): Route(
            "governor", body=lambda w: {"reason": "测试"},
            path=lambda w: f"/v1/admin/points-entries/{(w.points or {})['entry']}/reversal"),
        ("GET", "/v1/learner/points"): Route("learner"),
            # anchored attendance (the world has no chain: anchoring answers 503)
        ("GET", "/v1/admin/attendance"): Route("governor"),
        ("POST", "/v1/admin/attendance/{venue}/{day}/anchor"): Route(
            "governor", granted="503",
            path=lambda w: "/v1/admin/attendance/authz-library/2026-01-05/anchor"),
        ("GET", "/v1/learner/attendance"): Route("learner"),
        ("GET", "/v1/learner/attendance/{checkin_id}"): Route(
            "learner", owned=True, path=lambda w: f"/v1/learner/attendance/{w.checkin_a}"),
    }


def points_world(service: Service, credential_a: str) -> dict[str, int]:
    """A draft and a published version of points rules, an entry of learner A's (written
    directly: publishing needs a chain) and a threshold."""
    points_rules.create_rules(service, {**POINTS_RULES, "version": "draft"})
    points_rules.create_rules(service, {**POINTS_RULES, "version": "1"})
    threshold = thresholds.create(service, thresholds.NewThreshold(
        sector="venue", measure="points", amount="100", name_zh="名", name_en="name",
        description_zh="述", description_en="description"))
    with service.db.session() as session:
        row = session.scalars(select(PointsRuleSet).where(PointsRuleSet.version == "1")).one()
        row.state, row.published_at = "published", timefmt.now()
        credential = session.get_one(Credential, credential_a)
        entry = PointsEntry(
            learner_key=credential.learner_key, source_key=f"credential:{credential_a}",
            kind="credential", credential_id=credential_a, rules_id=row.rules_id,
            rules_version=row.version, rules_hash=row.hash, sector="degree", unit="credit",
            quantity_micro=4_000_000, points_micro=8_000_000, day="2026-01-01",
            at=timefmt.now())
        session.add(entry)
        session.flush()
        return {"entry": entry.id, "threshold": threshold["id"]}
