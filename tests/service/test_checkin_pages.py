"""The learning code's pages without a browser: the learner's code, card and scan form, the
operator's sign-in, activities, display and batch endpoint, with their CSRF checks."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import checkins, learning_code
from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.models import CheckIn, LearnerCard
from verifier import timefmt

from . import checkin_fixtures as fx


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _learner_pages(client: TestClient, service: Service) -> TestClient:
    open_learner_account(service, "zhangwei", "310101199001011234", fx.PASSWORD, "张伟")
    page = client.get("/login")
    answer = client.post("/login", data={"login": "zhangwei", "password": fx.PASSWORD,
                                         "csrf": _csrf(page.text)}, follow_redirects=False)
    assert answer.status_code == 303
    return client


def test_the_learner_sees_the_code_makes_and_revokes_a_card_and_scans(
        client: TestClient, service: Service, governor: dict[str, str]):
    world = fx.venues(client, service, governor)
    activity_id = fx.activity(client, world.operator)
    _learner_pages(client, service)
    page = client.get("/account/code?lang=en")
    assert page.status_code == 200 and "connect-src 'self'" in \
        page.headers["Content-Security-Policy"]
    assert 'src="data:image/svg+xml' in page.text and "No card is active." in page.text
    fresh = client.get("/account/code.json").json()
    assert fresh["qr"].startswith("data:image/svg+xml") and fresh["seconds"] == 60
    csrf = _csrf(page.text)
    assert client.post("/account/code/card", data={"csrf": "forged"}).status_code == 403
    card = client.post("/account/code/card", data={"csrf": csrf})
    text = re.search(r'id="card-text">([A-Z2-7-]{19})<', card.text).group(1)
    assert learning_code.normalise_card(text)
    assert "A card is active since" in client.get("/account/code?lang=en").text
    revoked = client.post("/account/code/card/revoke", data={"csrf": csrf})
    assert revoked.status_code == 200
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(LearnerCard).where(
            LearnerCard.revoked_at.is_(None))) == 0
    assert client.get("/account/scan").status_code == 200
    code = fx.venue_code(client, world.operator, activity_id)
    done = client.post("/account/scan", data={"csrf": csrf, "code": code, "action": "in"})
    assert done.status_code == 201 and 'data-result="accepted"' in done.text
    again = client.post("/account/scan", data={"csrf": csrf, "code": code, "action": "in"})
    assert again.status_code == 409 and "already checked in" in again.text
    assert "智能手机课" in client.get("/account/code").text  # in the history


def test_the_operator_signs_in_displays_the_code_and_sends_a_signed_batch(
        client: TestClient, service: Service, governor: dict[str, str]):
    fx.venues(client, service, governor)
    token = create_api_key(service, "operator", None, "desk", venue_slug="xuhui-school")
    activity_id = fx.activity(client, fx.bearer(token))
    theirs = fx.activity(client, governor, venue="city-library")
    assert client.get("/venue", follow_redirects=False).headers["location"] == "/venue/login"
    login = client.get("/venue/login")
    bad = client.post("/venue/login", data={"api_key": create_api_key(
        service, "governor", None, "x"), "csrf": _csrf(login.text)})
    assert bad.status_code == 401
    login = client.get("/venue/login")
    assert client.post("/venue/login", data={"api_key": token, "csrf": _csrf(login.text)},
                       follow_redirects=False).status_code == 303
    assert activity_id in client.get("/venue").text
    assert client.get(f"/venue/activities/{activity_id}/display").status_code == 200
    assert client.get(f"/venue/activities/{activity_id}/code.json").json()["qr"]
    assert client.get(f"/venue/activities/{theirs}/display").status_code == 404
    assert client.get(f"/venue/activities/{theirs}/code.json").status_code == 404
    scan_page = client.get(f"/venue/scan?activity={activity_id}").text
    box = dict(re.findall(r'data-(csrf|device|device-key)="([^"]+)"', scan_page))
    import base64

    open_learner_account(service, "zhangwei", "310101199001011234", fx.PASSWORD, "张伟")
    with service.db.session() as session:
        from api.service.models import Learner

        learner_id = session.scalars(select(Learner.id)).one()
    code, _ = learning_code.issue_learner_code(service, learner_id)
    at = int(timefmt.now().timestamp() * 1000)
    scan = {"activity": activity_id, "code": code, "action": "in", "scannedAt": at,
            "deviceId": box["device"], "signature": checkins.sign_scan(
                base64.b64decode(box["device-key"]), box["device"], activity_id, "in", at,
                code)}
    refused = client.post("/venue/scans", json={"scans": [scan]},
                          headers={"X-CSRF-Token": "forged"})
    assert refused.status_code == 403
    answer = client.post("/venue/scans", json={"scans": [scan]},
                         headers={"X-CSRF-Token": box["csrf"]})
    assert answer.status_code == 200 and answer.json()["results"][0]["accepted"], answer.text
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(CheckIn)) == 1
    # revoking the operator's key ends the page session at once
    key_id = token.split("_")[1]
    assert client.delete(f"/v1/admin/api-keys/{key_id}", headers=governor).status_code == 200
    assert client.get("/venue", follow_redirects=False).status_code == 303
