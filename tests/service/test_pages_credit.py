"""The credit bank's pages: a learner's recognition (dry run, application, withdrawal), the
list of applications, the archive download; the staff sign-in with an API key (a signed,
expiring session cookie that a forged, expired or revoked-key cookie cannot pass), the
review queue and the decision form, the registry's read pages; CSRF refusals; another
learner's or another decider's application is not found."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.models import ApiKey, RecognitionApplication
from api.web.pages.staff_session import STAFF_COOKIE, cookie_value
from verifier import timefmt

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_learner import open_other
from .test_pages import csrf_of, page_sign_in
from .test_recognition import bank, world  # noqa: F401

APPLICATION = re.compile(r"/account/applications/([0-9a-f-]{36})")


def ask(world: dict[str, Any], csrf: str, action: str = "dry-run",  # noqa: F811
        destination: str = "bank") -> dict[str, Any]:
    rules = world["rules"]
    return {"csrf": csrf, "credential": world["ids"], "destination": destination,
            "rule_set": f"{rules['id']}|{rules['version']}", "action": action}


def applications(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(RecognitionApplication)) or 0


def apply(client: TestClient, world: dict[str, Any], csrf: str) -> str:  # noqa: F811
    answer = client.post("/account/recognition", data=ask(world, csrf, "apply"),
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    found = APPLICATION.fullmatch(answer.headers["location"])
    assert found
    return found.group(1)


def staff_sign_in(client: TestClient, headers: dict[str, str]) -> str:
    """Sign in on the staff page with the API key of these headers; the staff CSRF token."""
    form = client.get("/staff/login")
    assert form.status_code == 200
    key = headers["Authorization"].removeprefix("Bearer ")
    answer = client.post("/staff/login", data={"api_key": key, "csrf": csrf_of(form.text)},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff" in cookie
    assert key not in cookie  # the key itself never goes into the cookie
    return csrf_of(client.get("/staff").text)


def test_a_learner_sees_the_dry_run_applies_and_withdraws(
        client: TestClient, service: Service, world: dict[str, Any]):  # noqa: F811
    csrf = page_sign_in(client)
    for lang, words in (("zh", "试算可转换的成果"), ("en", "Show what would convert")):
        page = client.get(f"/account/recognition?lang={lang}")
        assert page.status_code == 200 and words in page.text
        assert world["rules"]["id"] in page.text
    dry = client.post("/account/recognition?lang=en", data=ask(world, csrf))
    assert dry.status_code == 200, dry.text
    assert 'id="grants"' in dry.text and "electrician-4-bank" in dry.text
    assert "community-hours" in dry.text and "Verified" in dry.text
    assert 'id="apply"' in dry.text
    # toward the programme: what cannot count is said in words
    programme = client.post("/account/recognition?lang=en",
                            data=ask(world, csrf, destination="programme"))
    assert programme.status_code == 200 and 'id="refused"' in programme.text, programme.text
    assert applications(service) == 0

    application = apply(client, world, csrf)
    listed = client.get("/account/applications?lang=zh")
    assert application in listed.text and "待决定" in listed.text
    shown = client.get(f"/account/applications/{application}?lang=en")
    assert shown.status_code == 200 and "awaiting a decision" in shown.text
    assert 'id="withdraw"' in shown.text
    withdrawn = client.post(f"/account/applications/{application}/withdraw",
                            data={"csrf": csrf}, follow_redirects=False)
    assert withdrawn.status_code == 303
    assert "withdrawn" in client.get(f"/account/applications/{application}?lang=en").text


def test_learner_forms_refuse_a_wrong_csrf_token(
        client: TestClient, service: Service, world: dict[str, Any]):  # noqa: F811
    csrf = page_sign_in(client)
    refused = client.post("/account/recognition", data=ask(world, "forged", "apply"))
    assert refused.status_code == 403 and applications(service) == 0
    application = apply(client, world, csrf)
    assert client.post(f"/account/applications/{application}/withdraw",
                       data={"csrf": "forged"}).status_code == 403
    assert client.post("/account/archive", data={"csrf": "forged"}).status_code == 403


def test_another_learners_application_is_not_found(
        client: TestClient, service: Service, world: dict[str, Any]):  # noqa: F811
    application = apply(client, world, page_sign_in(client))
    client.cookies.clear()
    other = open_other(service)
    csrf = page_sign_in(client, other["login"], other["password"])
    assert client.get(f"/account/applications/{application}").status_code == 404
    assert client.post(f"/account/applications/{application}/withdraw",
                       data={"csrf": csrf}).status_code == 404
    assert application not in client.get("/account/applications").text


def test_the_archive_downloads_as_json(client: TestClient, world: dict[str, Any]):  # noqa: F811
    csrf = page_sign_in(client)
    assert client.get("/account/archive?lang=en").status_code == 200
    answer = client.post("/account/archive", data={"csrf": csrf, "form": "json",
                                                   "credential": world["ids"][:1]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment;")
    document = json.loads(answer.content)
    assert "proof" in document and world["ids"][0] in answer.text
    pdf = client.post("/account/archive", data={"csrf": csrf, "form": "pdf", "language": "en"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert pdf.headers["content-disposition"].endswith('-en.pdf"')


def test_the_authority_approves_in_part_and_the_learner_sees_the_decision(
        client: TestClient, service: Service, governor: dict[str, str],
        university: Tenant, college: Tenant, world: dict[str, Any]):  # noqa: F811
    application = apply(client, world, page_sign_in(client))
    learner_cookies = dict(client.cookies)
    client.cookies.clear()
    # the university decides programme applications only: the bank's is not its
    staff_sign_in(client, university.headers)
    assert application not in client.get("/staff").text
    assert client.get(f"/staff/applications/{application}").status_code == 404
    client.cookies.clear()

    csrf = staff_sign_in(client, governor)
    queue = client.get("/staff?lang=zh")
    assert application in queue.text and "已验证" in queue.text
    review = client.get(f"/staff/applications/{application}?lang=en")
    assert review.status_code == 200 and "electrician-4-bank" in review.text
    assert client.post(f"/staff/applications/{application}/decision",
                       data={"csrf": "forged", "decision": "approve"}).status_code == 403
    refusal = client.post(f"/staff/applications/{application}/decision",
                          data={"csrf": csrf, "decision": "refuse"})
    assert refusal.status_code == 422  # a refusal says why
    unexplained = client.post(f"/staff/applications/{application}/decision",
                              data={"csrf": csrf, "decision": "approve", "source": world["ids"],
                                    "exclude": world["ids"][1], "exclude_reason": ["", ""]})
    assert unexplained.status_code == 422  # an excluded source needs its reason
    decided = client.post(f"/staff/applications/{application}/decision",
                          data={"csrf": csrf, "decision": "approve", "source": world["ids"],
                                "exclude": world["ids"][1],
                                "exclude_reason": ["", "不属于本次认定范围"]},
                          follow_redirects=False)
    assert decided.status_code == 303, decided.text
    shown = client.get(f"/staff/applications/{application}?lang=en").text
    assert "approved" in shown and "不属于本次认定范围" in shown

    client.cookies.clear()
    client.cookies.update(learner_cookies)
    seen = client.get(f"/account/applications/{application}?lang=en")
    assert 'id="decision-link"' in seen.text and "approved" in seen.text
    assert 'id="source-revoked"' not in seen.text
    # a source revoked afterwards is marked on the application and in the list
    assert client.post(f"/v1/credentials/{world['ids'][0]}/revoke", json={"reason": 1},
                       headers=college.headers).status_code == 200
    seen = client.get(f"/account/applications/{application}?lang=zh")
    assert 'id="source-revoked"' in seen.text and "来源已撤销" in seen.text
    assert "source-revoked" in client.get("/account/applications").text


def test_the_registry_pages_read_the_registry(client: TestClient, governor: dict[str, str],
                                              world: dict[str, Any]):  # noqa: F811
    staff_sign_in(client, governor)
    page = client.get("/staff/registry?lang=en")
    assert page.status_code == 200 and world["hash"] in page.text
    assert "Electrician, skill level 4" in page.text and 'href="/docs"' in page.text
    rules = world["rules"]
    detail = client.get(f"/staff/registry/rule-sets/{rules['id']}/{rules['version']}?lang=zh")
    assert detail.status_code == 200 and "electrician-4-bank" in detail.text
    assert "学习成果标准" in detail.text
    assert client.get("/staff/registry/rule-sets/nope/1").status_code == 404


def _key_row(service: Service) -> ApiKey:
    with service.db.session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.role == "governor")).first()
        assert key is not None
        session.expunge(key)
        return key


def test_a_forged_expired_or_revoked_staff_session_is_refused(
        client: TestClient, service: Service, governor: dict[str, str]):
    assert client.get("/staff", follow_redirects=False).headers["location"] == "/staff/login"
    form = client.get("/staff/login")
    wrong = client.post("/staff/login", data={"api_key": "cb_0123456789abcdef_nope",
                                              "csrf": csrf_of(form.text)})
    assert wrong.status_code == 401
    no_csrf = client.post("/staff/login", data={"api_key": governor["Authorization"][7:],
                                                "csrf": "forged"})
    assert no_csrf.status_code == 403 and STAFF_COOKIE not in client.cookies

    key = _key_row(service)
    live = cookie_value(service, "governor", key.id, int(time.time()) + 600)
    expired = cookie_value(service, "governor", key.id, int(time.time()) - 1)
    role, key_id, expiry, mac = live.split(".")
    forged = [f"{role}.{key_id}.{int(expiry) + 9999}.{mac}",  # a longer life
              f"institution.{key_id}.{expiry}.{mac}",  # another role
              f"{role}.{key_id}.{expiry}.{'0' * 64}", expired, "garbage"]
    for value in forged:
        client.cookies.clear()
        client.cookies.set(STAFF_COOKIE, value, path="/staff")
        assert client.get("/staff", follow_redirects=False).status_code == 303, value
    client.cookies.clear()
    client.cookies.set(STAFF_COOKIE, live, path="/staff")
    assert client.get("/staff").status_code == 200
    with service.db.session() as session:
        row = session.get(ApiKey, key.id)
        assert row is not None
        row.revoked_at = timefmt.now()
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_staff_sign_out_clears_the_session(client: TestClient, governor: dict[str, str]):
    csrf = staff_sign_in(client, governor)
    assert client.post("/staff/logout", data={"csrf": "forged"}).status_code == 403
    out = client.post("/staff/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and STAFF_COOKIE not in client.cookies
    assert client.get("/staff", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_sign_in_renders_in_both_languages(client: TestClient, lang: str):
    page = client.get(f"/staff/login?lang={lang}")
    assert page.status_code == 200 and ("API 密钥" if lang == "zh" else "API key") in page.text
