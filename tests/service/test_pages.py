"""Server-rendered pages: both languages, sign-in, CSRF refusals, the share and verify pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.models import Credential, LearnerSession, ShareLink
from api.service.worker import Anchorer
from verifier import timefmt

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_learner import PASSWORD, anchor, certificate, issue, open_other, sign_in
from .test_links import DESCRIPTION, NAME, make_link, path_of

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def page_sign_in(client: TestClient, login: str = "zhangwei", password: str = PASSWORD) -> str:
    """Sign in through the form; the client then holds the session cookie. Returns the
    CSRF token of the signed-in pages."""
    form = client.get("/login")
    answer = client.post("/login", data={"login": login, "password": password,
                                         "csrf": csrf_of(form.text)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    return csrf_of(client.get("/account").text)


def count(service: Service, model: type) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("path", ["/login", "/verify"])
def test_public_pages_render_in_both_languages(client: TestClient, path: str):
    chinese = client.get(path)
    assert chinese.status_code == 200 and chinese.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in chinese.text and "学分银行" in chinese.text
    assert f'href="{path}?lang=en"' in chinese.text  # the switcher
    english = client.get(f"{path}?lang=en")
    assert '<html lang="en">' in english.text and "Credit Bank" in english.text
    assert "学分银行" not in english.text
    # the choice is remembered
    assert '<html lang="en">' in client.get(path).text
    client.cookies.clear()
    negotiated = client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert '<html lang="en">' in negotiated.text
    preferred = client.get(path, headers={"Accept-Language": "en;q=0.4, zh-CN;q=0.8"})
    assert '<html lang="zh-CN">' in preferred.text
    assert '<html lang="zh-CN">' in client.get(path, headers={"Accept-Language": "fr"}).text


def test_pages_send_a_strict_policy(client: TestClient):
    answer = client.get("/verify")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert client.get("/static/credbank.css").status_code == 200


def test_sign_in_through_the_form(client: TestClient, service: Service, learner):
    page_sign_in(client)
    assert count(service, LearnerSession) == 1
    account = client.get("/account")
    assert "张伟" in account.text and "退出" in account.text


def test_sign_in_without_the_forms_token_is_refused(client: TestClient, service: Service,
                                                   learner):
    client.get("/login")
    answer = client.post("/login", data={**learner, "csrf": "forged"})
    assert answer.status_code == 403 and "表单已过期" in answer.text
    client.cookies.clear()
    answer = client.post("/login", data={**learner, "csrf": "forged"})
    assert answer.status_code == 403
    assert count(service, LearnerSession) == 0


def test_a_wrong_password_says_so_in_the_page_language(client: TestClient, learner):
    form = client.get("/login?lang=en")
    answer = client.post("/login", data={"login": "zhangwei", "password": "nope",
                                         "csrf": csrf_of(form.text)})
    assert answer.status_code == 401 and "Wrong login or password." in answer.text
    assert "nope" not in answer.text


def test_account_pages_need_a_session(client: TestClient, university: Tenant,
                                      governor: dict[str, str]):
    for path in ("/account", "/account/links", "/account/credentials/urn:uuid:x"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        # an API key in the cookie is not a learner's session
        client.cookies.set("credbank_session", university.headers["Authorization"][7:])
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        client.cookies.clear()


def test_the_learning_account_shows_every_issuer_and_credits(
        client: TestClient, service: Service, university: Tenant, college: Tenant, learner):
    issue(client, university)
    issue(client, college, achievement=certificate("电工证", "电气工程"), creditsEarned=3)
    issue(client, university, "310101199202022343",
          achievement=certificate("别人的证书", "历史学"))
    page_sign_in(client)
    page = client.get("/account").text
    assert "数据结构" in page and "电工证" in page and "别人的证书" not in page
    assert "城市职业技能培训中心" in page and "上海开放大学" in page
    assert '<span id="total-credits">7</span>' in page
    assert "计算机科学与技术" in page and "电气工程" in page
    english = client.get("/account?lang=en").text
    assert "Active credits in total" in english


def test_the_credential_page_offers_the_optional_fields(client: TestClient, service: Service,
                                                        university: Tenant, learner):
    credential_id = issue(client, university)
    theirs = issue(client, university, "310101199202022343")
    page_sign_in(client)
    page = client.get(f"/account/credentials/{credential_id}").text
    assert f'name="reveal" value="{NAME}"' in page
    assert 'name="reveal" value="/credentialSubject/creditsEarned"' in page
    # mandatory claims are listed as always revealed, never as a choice
    assert 'value="/issuer"' not in page and "<code>/issuer</code>" in page
    answer = client.get(f"/account/credentials/{theirs}")
    assert answer.status_code == 404 and "您的学习账户中没有这份证书" in answer.text
    assert "数据结构" not in answer.text


def test_creating_a_link_needs_the_csrf_token(client: TestClient, service: Service,
                                              university: Tenant, learner):
    credential_id = issue(client, university)
    csrf = page_sign_in(client)
    form = {"credential_id": credential_id, "reveal": [NAME], "expires_in_days": "7"}
    assert client.post("/account/links", data=form).status_code == 403
    assert client.post("/account/links", data={**form, "csrf": "x" * 64}).status_code == 403
    assert count(service, ShareLink) == 0
    made = client.post("/account/links", data={**form, "csrf": csrf})
    assert made.status_code == 201
    url = re.search(r'id="share-url" href="([^"]+)"', made.text).group(1)
    assert url.startswith("http://127.0.0.1:8600/s/") and "<svg" in made.text
    assert count(service, ShareLink) == 1
    with service.db.session() as session:
        assert session.scalars(select(ShareLink)).one().reveal == [NAME]


def test_a_bad_link_form_is_refused_with_a_reason(client: TestClient, service: Service,
                                                  university: Tenant, learner):
    credential_id = issue(client, university)
    csrf = page_sign_in(client)
    for form, reason in (({"reveal": ["/nothing/here"]}, "names nothing"),
                         ({"expires_in_days": "0"}, "1 to 365 days"),
                         ({"max_views": "many"}, "whole numbers")):
        answer = client.post("/account/links", data={
            "credential_id": credential_id, "csrf": csrf, "expires_in_days": "7", **form})
        assert answer.status_code == 422 and reason in answer.text
    assert count(service, ShareLink) == 0


def test_the_share_page_shows_a_verified_credential_with_only_the_chosen_fields(
        client: TestClient, service: Service, university: Tenant, learner,
        service_chain: ServiceChain):  # noqa: F811
    # verified needs every check made: the chain's evidence for the status checks
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    link = make_link(client, sign_in(client), credential_id)
    page = client.get(path_of(link["url"]))
    assert page.status_code == 200
    assert 'data-verdict="verified"' in page.text and "已验证" in page.text
    assert "张伟" in page.text and "数据结构" in page.text
    assert DESCRIPTION not in page.text and "获得学分" not in page.text
    # the hidden identifier before the revealed one stands as null in the copy: not shown
    assert re.findall(r'<tr data-pointer="([^"]+)"', page.text) == [NAME]
    assert 'data-check="integrity"' in page.text and 'id="download-copy"' in page.text
    assert "data:application/json;base64," in page.text
    english = client.get(path_of(link["url"]) + "?lang=en").text
    assert "Verified" in english and "Learner&#39;s name" in english
    with service.db.session() as session:
        assert session.scalars(select(ShareLink)).one().views == 2


def test_without_a_chain_the_share_page_does_not_say_verified(
        client: TestClient, service: Service, university: Tenant, learner):
    # The service runs without a chain: nothing can show the credential is not revoked, so
    # the page fails closed like every other verdict (docs/format.md §9.2).
    credential_id = issue(client, university)
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="not_verified"' in page and 'data-verdict="verified"' not in page
    assert 'class="skipped" data-check="not_revoked"' in page


def test_a_pending_credential_says_not_yet_anchored(client: TestClient, university: Tenant,
                                                    learner):
    credential_id = issue(client, university)
    link = make_link(client, sign_in(client), credential_id)
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="not_anchored"' in page and "尚未上链锚定" in page


def test_a_revoked_credential_is_not_shown_as_verified(client: TestClient, service: Service,
                                                       university: Tenant, learner):
    credential_id = issue(client, university)
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    with service.db.session() as session:
        session.get(Credential, credential_id).status = "revoked"  # type: ignore[union-attr]
    page = client.get(path_of(link["url"]) + "?lang=en").text
    assert 'data-verdict="revoked"' in page and "The issuer has revoked" in page


def test_gone_share_pages_say_why(client: TestClient, service: Service, university: Tenant,
                                  learner):
    credential_id = issue(client, university)
    headers = sign_in(client)
    expired, revoked, used = (make_link(client, headers, credential_id, maxViews=1)
                              for _ in range(3))
    with service.db.session() as session:
        row = session.get(ShareLink, expired["id"])
        row.expires_at = timefmt.now() - timedelta(minutes=1)  # type: ignore[union-attr]
    client.delete(f"/v1/learner/links/{revoked['id']}", headers=headers)
    assert client.get(path_of(used["url"])).status_code == 200
    for link, state, words in ((expired, "expired", "此分享链接已过期"),
                               (revoked, "revoked", "已被持有人撤销"),
                               (used, "used_up", "查看次数已用完")):
        page = client.get(path_of(link["url"]))
        assert page.status_code == 410
        assert f'data-state="{state}"' in page.text and words in page.text
    assert "This share link has expired." in client.get(
        path_of(expired["url"]) + "?lang=en").text
    assert client.get("/s/" + "B" * 43).status_code == 404


def test_the_links_page_lists_and_revokes_with_csrf(client: TestClient, service: Service,
                                                    university: Tenant, learner):
    credential_id = issue(client, university)
    link = make_link(client, sign_in(client), credential_id, label="<script>x</script>")
    client.get(path_of(link["url"]) + ".json")
    csrf = page_sign_in(client)
    page = client.get("/account/links").text
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page
    assert 'data-state="active"' in page and "1 / ∞" in page
    target = f"/account/links/{link['id']}/revoke"
    assert client.post(target, data={"csrf": "forged"}).status_code == 403
    assert client.get(path_of(link["url"]) + ".json").status_code == 200
    answer = client.post(target, data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert 'data-state="revoked"' in client.get("/account/links").text
    assert client.get(path_of(link["url"]) + ".json").status_code == 410


def test_another_learner_cannot_revoke_through_the_page(client: TestClient, service: Service,
                                                        university: Tenant, learner):
    credential_id = issue(client, university)
    link = make_link(client, sign_in(client), credential_id)
    other = open_other(service)
    csrf = page_sign_in(client, other["login"], other["password"])
    assert "data-link" not in client.get("/account/links").text
    answer = client.post(f"/account/links/{link['id']}/revoke", data={"csrf": csrf})
    assert answer.status_code == 404
    assert client.get(path_of(link["url"]) + ".json").status_code == 200


def test_signing_out_needs_the_csrf_token(client: TestClient, learner):
    csrf = page_sign_in(client)
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/account", follow_redirects=False).status_code == 200
    client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_the_verify_page_checks_a_file(client: TestClient, service: Service,
                                       university: Tenant, learner,
                                       service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    link = make_link(client, sign_in(client), credential_id)
    derived = client.get(path_of(link["url"]) + ".json").content
    answer = client.post("/verify?lang=en", files={"file": ("c.json", derived,
                                                            "application/json")})
    assert answer.status_code == 200
    assert 'data-verdict="verified"' in answer.text
    for check in ("format", "integrity", "disclosure", "issuer_signature", "issuer_trusted",
                  "batch_inclusion", "anchored", "not_revoked", "not_suspended", "not_expired"):
        assert f'data-check="{check}"' in answer.text
    tampered = derived.replace("张伟".encode(), "李四".encode())
    answer = client.post("/verify", files={"file": ("c.json", tampered, "application/json")})
    assert 'data-verdict="not_verified"' in answer.text
    assert re.search(r'class="failed" data-check="integrity"', answer.text)
    garbage = client.post("/verify", files={"file": ("c.json", b"{not json", "text/plain")})
    assert 'data-verdict="not_verified"' in garbage.text
    assert re.search(r'class="failed" data-check="format"', garbage.text)


def test_the_verify_page_checks_a_pasted_link(client: TestClient, service: Service,
                                              university: Tenant, learner,
                                              service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    link = make_link(client, sign_in(client), credential_id)
    answer = client.post("/verify", data={"link": f"  {link['url']}  "})
    assert answer.status_code == 200 and 'data-verdict="verified"' in answer.text
    assert DESCRIPTION not in answer.text
    for text, status in (("https://example.com/elsewhere", 422), ("", 422),
                         ("http://127.0.0.1:8600/s/" + "C" * 43, 404)):
        assert client.post("/verify", data={"link": text}).status_code == status
    client.delete(f"/v1/learner/links/{link['id']}", headers=sign_in(client))
    gone = client.post("/verify", data={"link": link["url"]})
    assert gone.status_code == 410 and "已被持有人撤销" in gone.text


def test_on_a_real_chain_the_share_page_proves_anchor_and_status(
        client: TestClient, service: Service, university: Tenant, learner,
        service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    link = make_link(client, sign_in(client), credential_id)
    assert 'data-verdict="not_anchored"' in client.get(path_of(link["url"])).text
    Anchorer(service).run_once(force=True)
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="verified"' in page
    for check in ("issuer_trusted", "batch_inclusion", "anchored", "not_revoked",
                  "not_suspended"):
        assert f'class="passed" data-check="{check}"' in page
    # the institution revokes it on chain: the same link now says so, from the chain itself
    revoked = client.post(f"/v1/credentials/{credential_id}/revoke", json={"reason": 1},
                          headers=university.headers)
    assert revoked.status_code == 200, revoked.text
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="revoked"' in page and "签发机构已撤销此证书" in page
    assert 'class="failed" data-check="not_revoked"' in page
