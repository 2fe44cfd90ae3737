"""Share links: a learner shares one credential revealing chosen fields, for a while."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.models import ShareLink, ShareLinkView
from verifier import timefmt, verdict, verify

from .conftest import Tenant
from .test_learner import anchor, issue, open_other, sign_in

NAME = "/credentialSubject/identifier/1"  # the learner's name, 张伟
HASH = "/credentialSubject/identifier/0"  # the salted identity-number hash
EN_NAME = "/credentialSubject/achievement/translations/en/name"  # every link shows it
DESCRIPTION = "完成数据结构课程并通过考核。"


@pytest.fixture
def shared(client: TestClient, service: Service, university: Tenant, learner):
    """An anchored credential of the learner, and the learner's headers."""
    credential_id = issue(client, university)
    anchor(service, credential_id)
    return credential_id, sign_in(client)


def make_link(client: TestClient, headers: dict[str, str], credential_id: str,
              **changes: object) -> dict[str, object]:
    body: dict[str, object] = {"credentialId": credential_id, "reveal": [NAME],
                               "expiresInDays": 7}
    body.update(changes)
    answer = client.post("/v1/learner/links", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def path_of(url: object) -> str:
    return urlsplit(str(url)).path


def count_links(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(ShareLink)) or 0


def test_a_link_has_a_url_qr_codes_and_an_expiry(client: TestClient, service: Service,
                                                 shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id, label="给招聘单位")
    token = str(link["url"]).rsplit("/", 1)[1]
    assert link["url"] == f"http://127.0.0.1:8600/s/{token}"
    assert link["qrPng"] == f"{link['url']}/qr.png" and link["qrSvg"] == f"{link['url']}/qr.svg"
    expires = timefmt.parse(link["expiresAt"], "expiresAt")
    assert timedelta(days=6, hours=23) < expires - timefmt.now() <= timedelta(days=7)
    with service.db.session() as session:
        row = session.scalars(select(ShareLink)).one()
        # only the token's hash is kept
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps([row.reveal, row.label, row.token_hash])
        assert row.reveal == [EN_NAME, NAME] and row.label == "给招聘单位"


def test_the_json_copy_reveals_only_the_chosen_fields(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    answer = client.get(path_of(link["url"]) + ".json")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert DESCRIPTION not in answer.text  # hidden: description and criteria
    derived = answer.json()
    subject = derived["credentialSubject"]
    assert "creditsEarned" not in subject and "result" not in subject
    assert subject["identifier"][1]["identityHash"] == "张伟"
    assert subject["achievement"]["name"] == "数据结构"  # mandatory
    ledger = derived["proof"][0]
    assert "saltKey" not in ledger and ledger["disclosure"]["hiddenDigests"]
    result = verify(derived)
    # no trust source or chain here: nothing failed, with both gaps accepted
    assert verdict.explain(result, accept={"issuer", "status"}).verified, result.to_json()
    assert result.check("disclosure").status == "passed"


def test_revealing_a_subtree_shows_all_of_it(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id,
                     reveal=["/credentialSubject/creditsEarned", "/credentialSubject/result"])
    derived = client.get(path_of(link["url"]) + ".json").json()
    assert derived["credentialSubject"]["creditsEarned"] == 4
    assert derived["credentialSubject"]["result"][0]["value"] == "A"


def test_a_link_reveals_the_name_and_the_name_in_english_by_default(client: TestClient,
                                                                   shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id, reveal=[])
    derived = client.get(path_of(link["url"]) + ".json").json()
    subject = derived["credentialSubject"]
    assert subject["identifier"][1]["identityHash"] == "张伟"
    assert subject["achievement"]["translations"] == {"en": {"name": "Data Structures"}}
    assert DESCRIPTION not in json.dumps(derived, ensure_ascii=False)
    # the learner may leave it out (the page's form does when the name is unticked)
    nameless = make_link(client, headers, credential_id, reveal=[], revealName=False)
    copy = client.get(path_of(nameless["url"]) + ".json").json()
    assert "张伟" not in json.dumps(copy, ensure_ascii=False)
    listed = client.get("/v1/learner/links", headers=headers).json()
    assert [one["reveal"] for one in listed] == [[EN_NAME], [EN_NAME, NAME]]


@pytest.mark.parametrize("reveal", [[HASH], [HASH + "/salt"], [HASH + "/identityHash"],
                                    ["/credentialSubject/identifier"], ["/credentialSubject"],
                                    [""]])
def test_the_identity_number_hash_is_never_revealed(client: TestClient, service: Service,
                                                    shared, reveal: list[str]):
    credential_id, headers = shared
    answer = client.post("/v1/learner/links", headers=headers, json={
        "credentialId": credential_id, "reveal": reveal, "expiresInDays": 7})
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert HASH in detail and "salted hash" in detail
    assert count_links(service) == 0


@pytest.mark.parametrize("change, reason", [
    ({"reveal": ["credentialSubject"]}, "is not a JSON pointer"),
    ({"reveal": ["/credentialSubject/nickname"]}, "names nothing in the credential"),
    ({"expiresInDays": 0}, "expiresInDays"),
    ({"expiresInDays": 400}, "expiresInDays"),
    ({"expiresAt": "2020-01-01T00:00:00Z", "expiresInDays": None}, "in the future"),
    ({"expiresAt": "2099-01-01T00:00:00Z"}, "not both"),
    ({"expiresInDays": None}, "expiresInDays or expiresAt"),
    ({"expiresAt": "2099-01-01T00:00:00", "expiresInDays": None}, "expiresAt"),
    ({"maxViews": 0}, "maxViews"),
    ({"label": "x" * 201}, "label"),
])
def test_bad_link_requests_are_refused_and_write_nothing(
        client: TestClient, service: Service, shared, change: dict[str, object], reason: str):
    credential_id, headers = shared
    body: dict[str, object] = {"credentialId": credential_id, "reveal": [NAME],
                               "expiresInDays": 7, **change}
    body = {k: v for k, v in body.items() if v is not None}
    answer = client.post("/v1/learner/links", json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert reason in answer.json()["detail"]
    assert count_links(service) == 0


def test_every_open_is_counted_and_listed(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    assert client.get(path_of(link["qrSvg"])).status_code == 200  # QR codes are not views
    for _ in range(2):
        assert client.get(path_of(link["url"]) + ".json").status_code == 200
    listed = client.get("/v1/learner/links", headers=headers).json()
    assert len(listed) == 1
    one = listed[0]
    assert one["id"] == link["id"] and one["views"] == 2 and one["state"] == "active"
    assert one["credentialId"] == credential_id and one["achievementName"] == "数据结构"
    assert one["reveal"] == [EN_NAME, NAME] and one["lastOpenedAt"].endswith("Z")
    views = client.get(f"/v1/learner/links/{link['id']}/views", headers=headers).json()
    assert views["views"] == 2 and len(views["openedAt"]) == 2
    assert views["openedAt"][-1] == one["lastOpenedAt"]


def test_a_view_limit_answers_410_once_reached(client: TestClient, service: Service, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id, maxViews=2)
    target = path_of(link["url"]) + ".json"
    assert [client.get(target).status_code for _ in range(2)] == [200, 200]
    answer = client.get(target)
    assert answer.status_code == 410
    assert answer.json() == {
        "detail": "this share link has been opened as many times as its owner allowed",
        "state": "used_up"}
    assert client.get(path_of(link["qrPng"])).status_code == 410
    with service.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ShareLinkView)) == 2
    listed = client.get("/v1/learner/links", headers=headers).json()
    assert listed[0]["state"] == "used_up" and listed[0]["views"] == 2


def test_an_expired_link_answers_410(client: TestClient, service: Service, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    with service.db.session() as session:
        session.scalars(select(ShareLink)).one().expires_at = timefmt.now() - timedelta(seconds=1)
    answer = client.get(path_of(link["url"]) + ".json")
    assert answer.status_code == 410
    assert answer.json() == {"detail": "this share link has expired", "state": "expired"}
    assert client.get("/v1/learner/links", headers=headers).json()[0]["state"] == "expired"


def test_a_revoked_link_answers_410(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    answer = client.delete(f"/v1/learner/links/{link['id']}", headers=headers)
    assert answer.status_code == 200
    assert answer.json()["state"] == "revoked" and answer.json()["revokedAt"]
    gone = client.get(path_of(link["url"]) + ".json")
    assert gone.status_code == 410 and gone.json()["state"] == "revoked"
    assert client.get(path_of(link["qrSvg"])).status_code == 410
    again = client.delete(f"/v1/learner/links/{link['id']}", headers=headers)
    assert again.json()["revokedAt"] == answer.json()["revokedAt"]


def test_unknown_tokens_are_not_found(client: TestClient):
    answer = client.get(f"/s/{'A' * 43}.json")
    assert answer.status_code == 404 and answer.json()["detail"] == "no such share link"
    for token in ("short", "not a token!"):
        answer = client.get(f"/s/{token}.json")
        assert answer.status_code == 422 and answer.json()["detail"].startswith("path.token:")


def test_qr_codes_are_a_png_and_a_well_formed_svg_of_the_url(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    png = client.get(path_of(link["qrPng"]))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png.content[:16]
    svg = client.get(path_of(link["qrSvg"]))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text == link["url"]
    assert root.find("{http://www.w3.org/2000/svg}path") is not None


def test_another_learner_cannot_see_or_touch_my_links(client: TestClient, service: Service,
                                                      university: Tenant, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    other = sign_in(client, **open_other(service))
    assert client.get("/v1/learner/links", headers=other).json() == []
    for method, path in (("GET", f"/v1/learner/links/{link['id']}/views"),
                         ("DELETE", f"/v1/learner/links/{link['id']}")):
        answer = client.request(method, path, headers=other)
        assert answer.status_code == 404
        assert answer.json()["detail"] == "no such share link in this learning account"
    # nor share my credential
    answer = client.post("/v1/learner/links", headers=other,
                         json={"credentialId": credential_id, "expiresInDays": 1})
    assert answer.status_code == 404
    assert count_links(service) == 1
    assert client.get(path_of(link["url"]) + ".json").status_code == 200  # still active


def test_institutions_and_governors_cannot_manage_links(
        client: TestClient, university: Tenant, governor: dict[str, str], shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    for who in (university.headers, governor):
        assert client.post("/v1/learner/links", headers=who, json={
            "credentialId": credential_id, "expiresInDays": 1}).status_code == 403
        assert client.delete(f"/v1/learner/links/{link['id']}", headers=who).status_code == 403
        assert client.get(f"/v1/learner/links/{link['id']}/views",
                          headers=who).status_code == 403
    assert client.delete(f"/v1/learner/links/{link['id']}").status_code == 401


def test_a_pending_credential_can_be_shared_and_shows_its_anchor_later(
        client: TestClient, service: Service, university: Tenant, learner):
    credential_id = issue(client, university)
    headers = sign_in(client)
    link = make_link(client, headers, credential_id)
    before = client.get(path_of(link["url"]) + ".json").json()
    assert "anchor" not in before["proof"][0]
    anchor(service, credential_id)
    after = client.get(path_of(link["url"]) + ".json").json()
    assert "anchor" in after["proof"][0]
    assert verdict.explain(verify(after), accept={"issuer", "status"}).verified


def test_a_cross_site_form_cannot_make_a_link_with_the_cookie(client: TestClient,
                                                             service: Service, shared, learner):
    credential_id, _ = shared
    client.post("/v1/learner/session", json=learner)  # the browser now holds the cookie
    body = json.dumps({"credentialId": credential_id, "expiresInDays": 1})
    # what an HTML form on another site can send: no JSON content type
    answer = client.post("/v1/learner/links", content=body,
                         headers={"Content-Type": "text/plain"})
    assert answer.status_code == 422
    assert count_links(service) == 0
    made = client.post("/v1/learner/links", content=body,
                       headers={"Content-Type": "application/json"})
    assert made.status_code == 201


@pytest.mark.parametrize("link_id", [0, -1, 2**63, 10**30])
def test_a_link_id_out_of_range_is_not_found(client: TestClient, shared, link_id: int):
    _, headers = shared
    for method, path in (("DELETE", f"/v1/learner/links/{link_id}"),
                         ("GET", f"/v1/learner/links/{link_id}/views")):
        assert client.request(method, path, headers=headers).status_code == 404
