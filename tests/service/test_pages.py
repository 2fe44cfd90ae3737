"""Server-rendered pages: both languages, sign-in, CSRF refusals, the share form, the share
and verify pages (their verdicts, the certificate, what was revealed and hidden), the
password page, error pages and the offline API docs."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.models import Credential, LearnerSession, ShareLink, StatusChange
from api.service.worker import Anchorer
from api.web.app import SWAGGER_CSS, SWAGGER_JS
from api.web.pages import STATIC
from verifier import timefmt

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_learner import PASSWORD, anchor, certificate, issue, open_other, sign_in
from .test_links import DESCRIPTION, NAME, make_link, path_of

CREDITS = "/credentialSubject/creditsEarned"
HASH = "/credentialSubject/identifier/0"  # the salted identity-number hash
EN_NAME = "/credentialSubject/achievement/translations/en/name"  # every link shows it

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
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert answer.headers["referrer-policy"] == "no-referrer"
    # scripts only from the service's own files, never inline, never from elsewhere
    scripts = re.findall(r"<script([^>]*)>", answer.text)
    assert scripts and all(re.search(r'src="/static/', attrs) for attrs in scripts)
    for path in ("/static/credbank.css", "/static/verify.js", "/static/vendor/jsQR.js"):
        assert client.get(path).status_code == 200


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
    issue(client, university)  # 4 credits (学分) of degree education
    issue(client, college, achievement=certificate("电工证", "电气工程"), creditsEarned=3)
    hours = {"creditsEarned": 20, "creditUnit": "hour", "sector": "vocational"}
    issue(client, college, achievement=certificate("钳工证", "机械工程"), **hours)
    issue(client, university, "310101199202022343",
          achievement=certificate("别人的证书", "历史学"))
    page_sign_in(client)
    page = client.get("/account").text
    assert "数据结构" in page and "电工证" in page and "别人的证书" not in page
    assert "城市职业技能培训中心" in page and "上海开放大学" in page and "职业培训" in page
    assert '"total-credit">7</td>' in page and '"total-hour">20</td>' in page  # not added
    assert "vocational training" in client.get("/account?lang=en").text


def test_the_credential_page_offers_the_optional_fields_by_label(
        client: TestClient, service: Service, university: Tenant, learner):
    credential_id = issue(client, university)
    theirs = issue(client, university, "310101199202022343")
    page_sign_in(client)
    page = client.get(f"/account/credentials/{credential_id}").text
    # the name is offered and ticked; the learner may untick it
    assert re.search(rf'name="reveal" value="{NAME}" data-pointer="{NAME}" checked', page)
    assert f'name="reveal" value="{CREDITS}"' in page
    assert re.search(r'<span class="choice-label">获得学分</span>', page)
    # never the salted identity-number hash: it is listed as never shown
    assert f'value="{HASH}"' not in page
    assert re.search(r'id="never">\s*<li>身份证号（加盐哈希）', page)
    # mandatory claims are listed as always shown, by label, never as a choice or a pointer
    assert 'value="/issuer"' not in page and "<code>/" not in page
    assert re.search(r'id="always">\s*<li>证书编号</li>\s*<li>签发机构</li>', page)
    # the presets, the preview of what the person opening the link sees, the certificate
    assert "求职：姓名、证书、学分、等级" in page and "仅证明持有" in page
    job = re.search(r'data-preset="job" data-pointers="([^"]+)"', page).group(1).split()
    assert NAME in job and CREDITS in job and "/credentialSubject/result/0" in job
    assert HASH not in job
    assert 'id="preview"' in page and 'id="certificate"' in page
    assert f'href="/v1/learner/credentials/{credential_id}/certificate.pdf?lang=zh"' in page
    english = client.get(f"/account/credentials/{credential_id}?lang=en").text
    assert "For a job application: name, certificate, credits, level" in english
    assert "<h1>Data Structures</h1>" in english  # the English name the credential has
    answer = client.get(f"/account/credentials/{theirs}?lang=zh")
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
        assert session.scalars(select(ShareLink)).one().reveal == [EN_NAME, NAME]


def test_a_link_made_without_the_name_does_not_reveal_it(client: TestClient, service: Service,
                                                         university: Tenant, learner):
    credential_id = issue(client, university)
    csrf = page_sign_in(client)
    made = client.post("/account/links", data={"credential_id": credential_id, "csrf": csrf,
                                                "reveal": [CREDITS], "expires_in_days": "7"})
    assert made.status_code == 201 and 'id="name-hidden-note"' in made.text
    with service.db.session() as session:
        assert session.scalars(select(ShareLink)).one().reveal == [EN_NAME, CREDITS]


def test_a_bad_link_form_is_refused_with_a_reason(client: TestClient, service: Service,
                                                  university: Tenant, learner):
    credential_id = issue(client, university)
    csrf = page_sign_in(client)
    for form, reason in (({"reveal": ["/nothing/here"]}, "names nothing"),
                         ({"reveal": [HASH]}, HASH),
                         ({"reveal": ["/credentialSubject"]}, "salted hash"),
                         ({"expires_in_days": "0"}, "1 to 365 days"),
                         ({"max_views": "many"}, "whole numbers")):
        answer = client.post("/account/links", data={
            "credential_id": credential_id, "csrf": csrf, "expires_in_days": "7", **form})
        assert answer.status_code == 422 and reason in answer.text
    assert count(service, ShareLink) == 0


def test_the_share_page_shows_a_verified_credential_with_only_the_chosen_fields(
        client: TestClient, service: Service, university: Tenant, learner,
        service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    link = make_link(client, sign_in(client), credential_id, reveal=[CREDITS])
    page = client.get(path_of(link["url"]))
    assert page.status_code == 200
    text = page.text
    assert 'data-verdict="verified"' in text and "已验证" in text
    # whose: the name is revealed by default, and said first
    assert re.search(r'id="holder">持有人：<strong>张伟</strong>', text)
    assert 'id="holder-notice"' not in text
    # when, and as of which block, in Beijing time
    assert re.search(r"核验时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00（北京时间）", text)
    assert re.search(r"链上状态截至区块 #\d+", text) and " UTC" not in text
    # the tiles, the certificate, the fields revealed and the ones hidden (by label)
    for tile in ("content", "issuer", "chain", "status", "validity"):
        assert f'data-tile="{tile}" data-state="ok"' in text
    assert re.search(r'id="cert-holder">张伟<', text) and ">课程<" in text
    assert re.search(r'id="cert-credits">4<', text)
    assert re.findall(r'<tr data-pointer="([^"]+)"', text) == [CREDITS]
    hidden = re.search(r'id="hidden-list">([^<]+)<', text).group(1)
    assert "身份证号（加盐哈希）" in hidden and "课程/项目描述" in hidden and "成绩" in hidden
    assert "/credentialSubject" not in hidden
    assert DESCRIPTION not in text
    # the ten checks behind an expander; the copy and the PDF certificate to download
    assert re.search(r'<details class="card technical" id="technical">', text)
    assert 'class="passed" data-check="integrity"' in text and 'id="download-copy"' in text
    assert "data:application/json;base64," in text
    assert f'href="{path_of(link["url"])}/certificate.pdf?lang=zh"' in text
    english = client.get(path_of(link["url"]) + "?lang=en").text
    assert "Verified" in english and "Holder: <strong>张伟" in english
    assert "(Beijing time)" in english and "Course" in english
    assert "Data Structures" in english  # the credential's English name
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
    assert 'data-verdict="status_unknown"' in page and 'data-verdict="verified"' not in page
    assert 'class="skipped" data-check="not_revoked"' in page


def test_a_pending_credential_says_not_yet_anchored(client: TestClient, university: Tenant,
                                                    learner):
    credential_id = issue(client, university)
    link = make_link(client, sign_in(client), credential_id)
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="not_anchored"' in page and "未在区块链上登记" in page
    assert "还在等待上链锚定" in page
    assert 'data-tile="chain" data-state="wait"' in page


def test_without_a_chain_the_status_is_unknown_never_verified(
        client: TestClient, service: Service, university: Tenant, learner):
    credential_id = issue(client, university)
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="status_unknown"' in page and "无法核验状态" in page
    assert "已验证" not in re.search(r'id="headline">(.*?)</h1>', page, re.S).group(1)
    assert 'data-tile="status" data-state="unknown"' in page


def _record_change(service: Service, credential_id: str, status: str, action: str,
                   reason: int, block: int) -> None:
    with service.db.session() as session:
        row = session.get(Credential, credential_id)
        assert row is not None
        row.status = status
        session.add(StatusChange(credential_id=credential_id, action=action, reason=reason,
                                 note="", transaction_hash="0x" + "ab" * 32, block_number=block,
                                 at=timefmt.parse("2026-03-01T02:30:00Z", "at")))


@pytest.mark.parametrize("status, action, reason, zh, en", [
    ("revoked", "revoke", 1, "已于 2026-03-01 撤销（原因：误发）",
     "Revoked on 2026-03-01 (reason: issued in error)"),
    ("suspended", "suspend", 7, "已于 2026-03-01 暂停（原因：审查中）",
     "Suspended on 2026-03-01 (reason: under review)"),
])
def test_a_revoked_or_suspended_credential_says_when_and_why(
        client: TestClient, service: Service, university: Tenant, learner, status: str,
        action: str, reason: int, zh: str, en: str):
    credential_id = issue(client, university)
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    _record_change(service, credential_id, status, action, reason, 4242)
    page = client.get(path_of(link["url"])).text
    assert f'data-verdict="{status}"' in page and zh in page
    change = re.search(r'id="status-change">([^<]+)<', page).group(1)
    assert "已记录在区块 #4242" in change and "2026-03-01 10:30:00 +08:00" in change
    assert f"原因代码 {reason}" in change
    assert en in client.get(path_of(link["url"]) + "?lang=en").text
    # an uploaded copy of the same credential says the same
    copy = client.get(path_of(link["url"]) + ".json").content
    answer = client.post("/verify?lang=zh",
                         files={"file": ("c.json", copy, "application/json")})
    assert f'data-verdict="{status}"' in answer.text and zh in answer.text


def test_an_expired_credential_says_so(client: TestClient, service: Service,
                                       university: Tenant, learner):
    credential_id = issue(client, university, validFrom="2020-01-01T00:00:00Z",
                          validUntil="2021-01-01T00:00:00Z")
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    page = client.get(path_of(link["url"])).text
    assert 'data-verdict="expired"' in page and "已过期" in page
    assert "已于 2021-01-01 过期" in page


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


# ---- the learner's password ---------------------------------------------------------------

def test_a_learner_changes_the_password_on_the_page(client: TestClient, service: Service,
                                                    learner):
    other_session = sign_in(client)  # another device
    csrf = page_sign_in(client)
    assert client.get("/account").text.count('href="/account/password"') >= 1
    form = {"current": PASSWORD, "new": "a new long password", "again": "a new long password"}
    assert client.post("/account/password", data=form).status_code == 403  # no CSRF token
    wrong = client.post("/account/password", data={**form, "current": "nope", "csrf": csrf})
    assert wrong.status_code == 403 and "当前密码不正确" in wrong.text
    differ = client.post("/account/password", data={**form, "again": "other", "csrf": csrf})
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.text
    short = client.post("/account/password", data={**form, "new": "short", "again": "short",
                                                   "csrf": csrf})
    assert short.status_code == 422
    done = client.post("/account/password", data={**form, "csrf": csrf})
    assert done.status_code == 200 and 'data-state="password-changed"' in done.text
    # this session goes on; the other device is signed out; the new password works
    assert client.get("/account", follow_redirects=False).status_code == 200
    assert client.get("/v1/learner/credentials", headers=other_session).status_code == 401
    client.cookies.clear()
    page_sign_in(client, password="a new long password")


def test_the_password_page_needs_a_session(client: TestClient):
    answer = client.get("/account/password", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


# ---- errors answered as pages --------------------------------------------------------------

def test_a_6_mb_upload_on_the_verify_page_answers_a_page(client: TestClient):
    big = b"{" + b" " * (6 * 1024 * 1024) + b"}"
    answer = client.post("/verify", files={"file": ("c.json", big, "application/json")})
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "内容过大" in answer.text and 'data-state="error-413"' in answer.text
    # the API keeps its JSON answer
    api = client.post("/v1/verify", content=big, headers={"Content-Type": "application/json"})
    assert api.status_code == 413 and api.json()["detail"]


def test_a_file_over_a_credentials_size_answers_the_verify_page(client: TestClient):
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    answer = client.post("/verify?lang=en",
                         files={"file": ("c.json", big, "application/json")})
    assert answer.status_code == 413 and 'id="verify-form"' in answer.text
    assert "The file is too large" in answer.text


def test_a_form_that_cannot_be_read_answers_a_page(client: TestClient):
    answer = client.post("/login", data={"login": "x" * 100, "password": "y", "csrf": "z"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")


# ---- the API docs, from the service's own files -------------------------------------------

def test_the_api_docs_need_no_other_site(client: TestClient):
    page = client.get("/docs")
    assert page.status_code == 200
    assert f'src="{SWAGGER_JS}"' in page.text and f'href="{SWAGGER_CSS}"' in page.text
    assert not re.search(r'(src|href)="https?://', page.text)
    assert '"validatorUrl": null' in page.text
    for asset in (SWAGGER_JS, SWAGGER_CSS):
        assert client.get(asset).status_code == 200
    assert client.get("/docs/oauth2-redirect").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/docs", "/static", "/redoc")) for p in paths)


def test_the_vendored_files_are_the_ones_named_in_their_readme():
    """api/web/static/vendor/README.md lists each file's package, version and digest."""
    vendor = STATIC / "vendor"
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    listed = dict((name, digest) for digest, name in
                  re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M))
    assert set(listed) == {"jsQR.js", "swagger-ui-bundle.js", "swagger-ui.css"}
    for name, digest in listed.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    for licence in ("jsQR.LICENSE", "swagger-ui.LICENSE", "swagger-ui.NOTICE"):
        assert (vendor / licence).stat().st_size > 0


def test_the_certificate_links_give_pdfs_and_a_pdf_checks_on_the_verify_page(
        client: TestClient, service: Service, university: Tenant, learner):
    credential_id = issue(client, university)
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    share = client.get(path_of(link["url"]) + "?lang=en").text
    href = re.search(r'id="download-pdf" href="([^"]+)"', share).group(1)
    pdf = client.get(href)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # the PDF holds the credential: the verify page reads it and says what it comes to
    answer = client.post("/verify?lang=zh", files={"file": ("c.pdf", pdf.content,
                                                            "application/pdf")})
    assert answer.status_code == 200 and 'data-verdict="status_unknown"' in answer.text
    assert 'id="certificate"' in answer.text
    not_ours = client.post("/verify", files={"file": ("x.pdf", b"%PDF-1.4 nothing",
                                                      "application/pdf")})
    assert not_ours.status_code == 422 and 'id="verify-error"' in not_ours.text
    page_sign_in(client)
    mine = client.get(f"/account/credentials/{credential_id}").text
    href = re.search(r'href="([^"]+)" id="download-pdf"', mine).group(1)
    assert client.get(href).content.startswith(b"%PDF-")
