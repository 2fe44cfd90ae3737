"""A venue with its operator, another venue, learners and activities, through the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from api.service import checkins
from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from verifier import timefmt

from .conftest import bearer

PASSWORD = "correct horse battery"


@dataclass
class Venues:
    operator: dict[str, str]  # venue A's operator
    operator_b: dict[str, str]  # venue B's
    governor: dict[str, str]
    learners: list[dict[str, str]] = field(default_factory=list)  # session headers


def register_venue(client: TestClient, governor: dict[str, str], slug: str,
                   kind: str = "community_school") -> None:
    answer = client.post("/v1/admin/venues", headers=governor,
                         json={"slug": slug, "name": f"{slug} 社区学校", "kind": kind,
                               "district": "徐汇区"})
    assert answer.status_code == 201, answer.text


def venues(client: TestClient, service: Service, governor: dict[str, str],
           learners: int = 0) -> Venues:
    register_venue(client, governor, "xuhui-school")
    register_venue(client, governor, "city-library", "library")
    world = Venues(
        operator=bearer(create_api_key(service, "operator", None, "desk",
                                       venue_slug="xuhui-school")),
        operator_b=bearer(create_api_key(service, "operator", None, "desk",
                                         venue_slug="city-library")),
        governor=governor)
    for number in range(learners):
        login = f"learner{number}"
        open_learner_account(service, login, f"3101011990010{number:05d}", PASSWORD,
                             f"学员{number}")
        answer = client.post("/v1/learner/session", json={"login": login,
                                                          "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        world.learners.append(bearer(answer.json()["token"]))
    client.cookies.clear()  # callers use their headers only
    return world


def activity(client: TestClient, headers: dict[str, str], *, starts: datetime | None = None,
             hours: float = 2, needs_checkout: bool = False, title: str = "智能手机课",
             venue: str | None = None) -> str:
    starts = starts or timefmt.now() - timedelta(minutes=10)
    body = {"kind": "session", "title": title, "sector": "community_elderly", "hours": hours,
            "startsAt": timefmt.format(starts),
            "endsAt": timefmt.format(starts + timedelta(hours=hours)),
            "needsCheckout": needs_checkout}
    if venue:
        body["venue"] = venue
    answer = client.post("/v1/venue/activities", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def venue_code(client: TestClient, headers: dict[str, str], activity_id: str) -> str:
    answer = client.get(f"/v1/venue/activities/{activity_id}/code", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["code"]


def learner_code(client: TestClient, learner: dict[str, str]) -> str:
    answer = client.get("/v1/learner/code", headers=learner)
    assert answer.status_code == 200, answer.text
    return answer.json()["code"]


def device(client: TestClient, operator: dict[str, str]) -> tuple[str, bytes]:
    import base64

    answer = client.post("/v1/venue/devices", headers=operator)
    assert answer.status_code == 201, answer.text
    return answer.json()["deviceId"], base64.b64decode(answer.json()["key"])


def queued_scan(device_id: str, key: bytes, activity_id: str, code: str,
                scanned_at: datetime, action: str = "in") -> dict[str, object]:
    at_ms = int(scanned_at.timestamp() * 1000)
    return {"activity": activity_id, "code": code, "action": action, "scannedAt": at_ms,
            "deviceId": device_id,
            "signature": checkins.sign_scan(key, device_id, activity_id, action, at_ms, code)}


def device_at(service: Service, operator: dict[str, str], issued: datetime
              ) -> tuple[str, bytes]:
    """A device key issued at ``issued`` (the page signed in before the connection went)."""
    from sqlalchemy import select

    from api.service.models import ApiKey

    key_id = operator["Authorization"].split("_")[1]
    with service.db.session() as session:
        row = session.scalars(select(ApiKey.id).where(ApiKey.key_id == key_id)).one()
    device_id, key, _ = checkins.issue_device(service, row, now=issued)
    return device_id, key
