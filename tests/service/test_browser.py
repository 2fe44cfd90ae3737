"""In a real browser: a learner signs in, shares a credential revealing chosen fields, and
the link opens as a verified credential showing only those fields; every verdict a page
gives, on the share page and on the verify page; the verify page's ways in (a file, pasted
JSON, a pasted link); the learner's pages on a 390 px phone; /docs with no network.

Drives the system's Chromium (``apt-get install chromium``) through Playwright against the
service served by uvicorn on loopback. A missing browser fails the test: it is the
acceptance test of the pages, and skipping it would hide that they were never opened.

Screenshots of every page at 1280 and 390 px wide go to ``test-output/screenshots/`` (or
``$CREDBANK_TEST_OUTPUT/screenshots/``), for a person to look at; they are not committed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service import sharing
from api.service.accounts import create_api_key, register_issuer
from api.service.context import Service
from api.service.models import Credential, Learner, ShareLink, StatusChange
from api.service.worker import Anchorer
from api.web.app import create_app
from verifier import timefmt

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, bearer
from .test_learner import PASSWORD, anchor, issue
from .test_links import DESCRIPTION, NAME

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CREDITS = "/credentialSubject/creditsEarned"
RESULT = "/credentialSubject/result"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CREDBANK_TEST_OUTPUT") or ROOT / "test-output") / "screenshots"
WIDTHS = (1280, 390)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(service: Service) -> Iterator[str]:
    """The service on 127.0.0.1 at a free port; its share links point there."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service.settings.public_url = base
    server = uvicorn.Server(uvicorn.Config(create_app(service=service), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    ready = threading.Event()
    while not server.started and thread.is_alive():
        ready.wait(0.05)
    if not server.started:
        pytest.fail("uvicorn did not start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install it (apt-get install -y chromium) to run "
                    "the browser tests; they are not skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def overflow(page) -> int:
    """How far the page is wider than its viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def shoot(page, name: str) -> None:
    """Screenshots of the page at each width; at 390 px nothing may scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 390:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 390, f"{name}: {wide} px wide at 390 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in_page(page, served: str, login: str = "zhangwei", password: str = PASSWORD) -> None:
    page.goto(f"{served}/login?lang=zh")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{served}/account")


def api_link(client: TestClient, learner: dict[str, str], credential_id: str,
             reveal: list[str]) -> str:
    token = client.post("/v1/learner/session", json=learner).json()["token"]
    client.cookies.clear()
    answer = client.post("/v1/learner/links", headers={"Authorization": f"Bearer {token}"},
                         json={"credentialId": credential_id, "reveal": reveal,
                               "expiresInDays": 7})
    assert answer.status_code == 201, answer.text
    return answer.json()["url"]


def test_a_shared_link_opens_verified_with_only_the_chosen_fields(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)

    learner_view = browser.new_context()
    page = learner_view.new_page()
    sign_in_page(page, served, learner["login"])
    assert "数据结构" in page.inner_text("#credentials")
    assert page.inner_text("#total-credit") == "4"

    page.click(f"#credentials a[href='/account/credentials/{credential_id}'] >> nth=0")
    assert page.is_checked(f"input[data-pointer='{NAME}']")  # the name, unless unticked
    page.check(f"input[data-pointer='{CREDITS}']")
    preview = page.inner_text("#preview")
    assert "张伟" in preview and "4" in preview and "持有人姓名未公开" not in preview
    page.fill("input[name=expires_in_days]", "7")
    page.click("#share-form button[type=submit]")
    url = page.get_attribute("#share-url", "href")
    assert url and url.startswith(f"{served}/s/")
    assert page.locator(".qr svg").count() == 1

    # someone else (an employer) opens the link with no session at all
    employer = browser.new_context(locale="zh-CN")
    shared = employer.new_page()
    response = shared.goto(url)
    assert response is not None and response.status == 200
    assert shared.get_attribute("#verdict", "data-verdict") == "verified"
    assert "已验证" in shared.inner_text("#headline")
    assert "张伟" in shared.inner_text("#holder")
    assert "北京时间" in shared.inner_text("#checked-at")
    assert "区块 #" in shared.inner_text("#checked-at")
    assert shared.locator("#holder-notice").count() == 0
    assert shared.locator("#cert-stamp").count() == 0
    certificate = shared.inner_text("#certificate")
    assert "张伟" in certificate and "数据结构" in certificate and "课程" in certificate
    assert shared.locator("#revealed tr").count() == 1  # the credits (the name is above)
    assert "4" in shared.inner_text("#revealed")
    body = shared.inner_text("body")
    assert DESCRIPTION not in body
    assert "身份证号（加盐哈希）" in shared.inner_text("#hidden-list")
    # the ten checks are technical details, behind an expander
    assert not shared.is_visible("#checks")
    shared.click("#technical summary")
    for check in ("integrity", "disclosure", "issuer_signature", "issuer_trusted",
                  "batch_inclusion", "anchored", "not_revoked", "not_suspended"):
        assert shared.get_attribute(f"tr[data-check='{check}']", "class") == "passed"
    # the copy downloads as a file, and that file checks out on the verify page
    with shared.expect_download() as downloading:
        shared.click("#download-copy")
    saved = downloading.value.path()
    copy = json.loads(saved.read_text(encoding="utf-8"))
    assert copy["credentialSubject"]["identifier"][1]["identityHash"] == "张伟"
    assert DESCRIPTION not in saved.read_text(encoding="utf-8")
    checker = employer.new_page()
    checker.goto(f"{served}/verify?lang=en")
    checker.set_input_files("input[name=file]", str(saved))
    checker.click("#verify-form button[type=submit]")
    checker.wait_for_selector("#verdict")
    assert checker.get_attribute("#verdict", "data-verdict") == "verified"
    assert "Data Structures" in checker.inner_text("#certificate")  # the English name
    assert "Course" in checker.inner_text("#certificate")
    checker.close()

    shared.click("#lang-switch")
    assert "Verified" in shared.inner_text("#verdict")
    assert "Beijing time" in shared.inner_text("#checked-at")

    # the learner sees the opens in the link list
    page.goto(f"{served}/account/links")
    assert page.inner_text("#links td.num").startswith("2 /")

    # once expired, the same link says so
    with service.db.session() as session:
        session.scalars(select(ShareLink)).one().expires_at = (
            timefmt.now() - timedelta(seconds=1))
    response = shared.goto(url + "?lang=zh")
    assert response is not None and response.status == 410
    assert "此分享链接已过期" in shared.inner_text("body")
    employer.close()
    learner_view.close()


# ---- every verdict, on the share page and the verify page ------------------------------

@dataclass
class Case:
    name: str
    url: str  # its share link
    copy: bytes  # the copy to upload on the verify page
    verdict: str
    zh: str  # what the headline says
    en: str


def _derived(client: TestClient, url: str) -> bytes:
    answer = client.get(re.sub(r"^https?://[^/]+", "", url) + ".json")
    assert answer.status_code == 200, answer.text
    return answer.content


def _tamper(copy: bytes) -> bytes:
    """The copy with its credits raised to 50 and its grade to A+."""
    document = json.loads(copy)
    document["credentialSubject"]["creditsEarned"] = 50
    document["credentialSubject"]["result"][0]["value"] = "A+"
    return json.dumps(document, ensure_ascii=False).encode()


def _tamper_stored(service: Service, credential_id: str) -> None:
    with service.db.session() as session:
        row = session.get(Credential, credential_id)
        assert row is not None
        row.document = _tamper(row.document.encode()).decode()


@pytest.fixture
def cases(client: TestClient, service: Service, university: Tenant, learner,
          service_chain: ServiceChain) -> list[Case]:  # noqa: F811
    """A credential for each verdict, each shared by a link that reveals the name, the
    credits and the grade."""
    ids = {name: issue(client, university, **extra) for name, extra in (
        ("altered", {}), ("revoked", {}), ("suspended", {}),
        ("expired", {"validFrom": "2020-01-01T00:00:00Z",
                     "validUntil": "2021-01-01T00:00:00Z"}))}
    Anchorer(service).run_once(force=True)
    # an institution the service knows but the chain never accredited
    stranger = register_issuer(service, "unaccredited", "未认可培训机构")
    key = create_api_key(service, "institution", stranger.slug)
    ids["not_accredited"] = issue(client, Tenant(stranger.slug, stranger.did, bearer(key)))
    anchor(service, ids["not_accredited"])
    for name, action, reason in (("revoked", "revoke", 1), ("suspended", "suspend", 7)):
        changed = client.post(f"/v1/credentials/{ids[name]}/{action}", json={"reason": reason},
                              headers=university.headers)
        assert changed.status_code == 200, changed.text
    urls = {name: api_link(client, learner, cid, [NAME, CREDITS, RESULT])
            for name, cid in ids.items()}
    copies = {name: _derived(client, url) for name, url in urls.items()}
    copies["altered"] = _tamper(copies["altered"])
    _tamper_stored(service, ids["altered"])
    with service.db.session() as session:
        blocks = {c.action: c.block_number for c in session.scalars(select(StatusChange))}
    assert blocks["revoke"] and blocks["suspend"]
    return [
        Case("altered", urls["altered"], copies["altered"], "altered", "内容被篡改",
             "Content altered"),
        Case("not-accredited", urls["not_accredited"], copies["not_accredited"],
             "not_accredited", "签发机构未获认可", "Issuer not accredited"),
        Case("revoked", urls["revoked"], copies["revoked"], "revoked",
             "撤销（原因：误发）", "(reason: issued in error)"),
        Case("suspended", urls["suspended"], copies["suspended"], "suspended",
             "暂停（原因：审查中）", "(reason: under review)"),
        Case("expired", urls["expired"], copies["expired"], "expired", "已过期", "Expired"),
    ]


def test_every_verdict_reads_the_same_on_the_share_and_verify_pages(
        served: str, browser, cases: list[Case], tmp_path: Path):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    for case in cases:
        page.goto(case.url + "?lang=zh")
        assert page.get_attribute("#verdict", "data-verdict") == case.verdict, case.name
        assert case.zh in page.inner_text("#headline"), case.name
        if case.verdict in ("revoked", "suspended"):
            assert re.search(r"已于 \d{4}-\d{2}-\d{2} ", page.inner_text("#headline"))
            assert "区块 #" in page.inner_text("#status-change")
            assert "原因代码" in page.inner_text("#status-change")
        if case.verdict == "altered":
            # the claimed values are not facts: only under unverified content, struck through
            assert page.locator("#certificate").count() == 0
            assert page.locator("#revealed").count() == 0
            unverified = page.inner_text("#unverified")
            assert "50" in unverified and "A+" in unverified
            assert page.locator("#unverified del", has_text="A+").count() == 1
            assert "50" not in page.inner_text("#tiles")
            page.click("#technical summary")
            for check in ("issuer_signature", "issuer_trusted", "anchored", "not_revoked",
                          "not_expired"):
                assert page.get_attribute(f"tr[data-check='{check}']", "class") == \
                    "not_checked"
                assert "未核验" in page.inner_text(f"tr[data-check='{check}']")
        else:
            # the certificate, stamped with what is wrong with it
            assert page.locator("#certificate").count() == 1
            assert case.zh.split("（")[0][-2:] in page.inner_text("#cert-stamp")
        shoot(page, f"share-{case.name}")
        page.goto(case.url + "?lang=en")
        assert case.en in page.inner_text("#headline"), case.name

        # the same copy, uploaded on the verify page, says the same
        copy = tmp_path / f"{case.name}.json"
        copy.write_bytes(case.copy)
        page.goto("about:blank")
        page.goto(case.url.split("/s/")[0] + "/verify?lang=zh")
        page.set_input_files("input[name=file]", str(copy))
        page.click("#verify-form button[type=submit]")
        page.wait_for_selector("#verdict")
        assert page.get_attribute("#verdict", "data-verdict") == case.verdict, case.name
        assert case.zh in page.inner_text("#headline"), case.name
        if case.verdict in ("revoked", "suspended"):
            assert "区块 #" in page.inner_text("#status-change")
        if case.verdict == "altered":
            assert "A+" in page.inner_text("#unverified")
            assert page.locator("#certificate").count() == 0
        shoot(page, f"verify-{case.name}")
    context.close()


def test_status_unknown_without_a_chain_on_both_pages(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, tmp_path: Path):
    credential_id = issue(client, university)
    anchor(service, credential_id)  # anchored, but the service has no chain to ask
    url = api_link(client, learner, credential_id, [NAME, CREDITS])
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(url)
    assert page.get_attribute("#verdict", "data-verdict") == "status_unknown"
    assert "无法核验状态" in page.inner_text("#headline")
    assert page.get_attribute("[data-tile=status]", "data-state") == "unknown"
    shoot(page, "share-status-unknown")
    # pasted JSON
    page.goto(f"{served}/verify")
    page.fill("textarea[name=pasted]", _derived(client, url).decode())
    page.click("#verify-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert page.get_attribute("#verdict", "data-verdict") == "status_unknown"
    assert "无法核验状态" in page.inner_text("#headline")
    shoot(page, "verify-status-unknown")
    context.close()


def test_the_holder_notice_when_the_name_is_not_revealed(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    with service.db.session() as session:
        owner = session.scalars(select(Learner)).one()
        new = sharing.create_link(session, owner, credential_id, [CREDITS],
                                  expires_at=timefmt.now() + timedelta(days=1),
                                  reveal_name=False)
    url = sharing.link_url(service, new.token)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(url)
    assert page.get_attribute("#verdict", "data-verdict") == "verified"
    assert "持有人姓名未公开" in page.inner_text("#holder-notice")
    assert page.locator("#holder").count() == 0
    assert "姓名未公开" in page.inner_text("#cert-holder")
    hidden = page.inner_text("#hidden-list")
    assert "姓名" in hidden and "身份证号" in hidden and "/credentialSubject" not in hidden
    shoot(page, "share-name-hidden")
    context.close()


def test_the_verify_page_checks_a_pasted_link_in_english(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    url = api_link(client, learner, credential_id, [NAME])
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{served}/verify")
    assert page.get_attribute("html", "lang") == "en"
    shoot(page, "verify-empty")
    page.fill("input[name=link]", url)
    page.click("#verify-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert page.get_attribute("#verdict", "data-verdict") == "verified"
    assert "Verified" in page.inner_text("#verdict")
    assert page.locator("#checks tr").count() == 10
    shoot(page, "verify-verified")
    context.close()


def test_a_file_too_large_for_the_verify_page_answers_a_page(
        served: str, browser, tmp_path: Path):
    big = tmp_path / "big.json"
    big.write_bytes(b"{" + b" " * (6 * 1024 * 1024) + b"}")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{served}/verify")
    page.set_input_files("input[name=file]", str(big))
    with page.expect_response(f"{served}/verify") as answered:
        page.click("#verify-form button[type=submit]")
    assert answered.value.status == 413
    assert answered.value.headers["content-type"].startswith("text/html")
    assert "内容过大" in page.inner_text("h1")
    context.close()


# ---- the learner's pages on a phone ----------------------------------------------------

def test_the_learners_pages_fit_a_phone(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        college: Tenant, learner):
    from .test_learner import certificate

    credential_id = issue(client, university)
    issue(client, college, achievement=certificate("电工证（中级）电气设备安装与调试", "电气工程"),
          creditsEarned=3)
    anchor(service, credential_id)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{served}/login")
    shoot(page, "sign-in")
    sign_in_page(page, served)
    shoot(page, "account")
    page.goto(f"{served}/account/credentials/{credential_id}")
    shoot(page, "credential")
    # the presets tick the fields, and the preview follows
    page.click("button[data-preset=job]")
    assert page.is_checked(f"input[data-pointer='{CREDITS}']")
    assert "4" in page.inner_text("#preview")
    page.click("button[data-preset=holding]")
    assert not page.is_checked(f"input[data-pointer='{CREDITS}']")
    assert page.is_checked(f"input[data-pointer='{NAME}']")
    page.uncheck(f"input[data-pointer='{NAME}']")
    assert page.is_visible("#preview-name-hidden")
    page.check(f"input[data-pointer='{NAME}']")
    page.click("#share-form button[type=submit]")
    page.wait_for_selector("#share-url")
    shoot(page, "link-created")
    page.goto(f"{served}/account/links")
    shoot(page, "links")
    page.goto(f"{served}/account/password")
    shoot(page, "password")
    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=new]", "a brand new password")
    page.fill("input[name=again]", "a brand new password")
    page.click("#password-form button[type=submit]")
    assert page.get_attribute("[data-state]", "data-state") == "password-changed"
    shoot(page, "password-changed")
    context.close()


# ---- /docs with no network --------------------------------------------------------------

def test_the_api_docs_load_with_no_network(served: str, browser):
    context = browser.new_context()
    outside: list[str] = []

    def only_the_service(route) -> None:
        if route.request.url.startswith(served):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_service)
    page = context.new_page()
    page.goto(f"{served}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "credbank" in page.inner_text(".swagger-ui .info .title")
    # Swagger UI draws only the operations near the screen; the spec it loaded has them all
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 5
    loaded = page.evaluate("Object.keys(ui.specSelectors.specJson().toJS().paths).length")
    assert loaded == len(httpx.get(f"{served}/openapi.json").json()["paths"]) > 100
    assert outside == []
    context.close()


# ---- a QR code through the camera -------------------------------------------------------

def qr_video(text: str, path: Path, scale: int = 8) -> Path:
    """A one-frame Y4M video of ``text`` as a QR code, for Chromium's fake camera."""
    import segno

    rows = [list(row) for row in segno.make(text, error="m", micro=False).matrix_iter(
        scale=scale, border=4)]
    height, width = len(rows) + len(rows) % 2, len(rows[0]) + len(rows[0]) % 2
    luma = bytearray(b"\xff" * (width * height))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[y * width + x] = 0
    chroma = b"\x80" * ((width // 2) * (height // 2))
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
                     + b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


def test_a_qr_code_scanned_with_the_camera_fills_the_link(
        served: str, client: TestClient, service: Service, university: Tenant, learner,
        tmp_path: Path):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    credential_id = issue(client, university)
    anchor(service, credential_id)
    url = api_link(client, learner, credential_id, [NAME])
    video = qr_video(url, tmp_path / "qr.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=CHROMIUM_ARGS + camera)
        try:
            context = chromium.new_context(locale="zh-CN")
            context.grant_permissions(["camera"], origin=served)
            page = context.new_page()
            page.goto(f"{served}/verify")
            page.click("#scan")
            for _ in range(150):  # the page forbids eval, so poll from here
                if page.input_value("#link"):
                    break
                page.wait_for_timeout(100)
            assert page.input_value("#link") == url
            assert page.is_hidden("#camera")
            page.click("#verify-form button[type=submit]")
            page.wait_for_selector("#verdict")
            assert page.get_attribute("#verdict", "data-verdict") == "status_unknown"
        finally:
            chromium.close()
