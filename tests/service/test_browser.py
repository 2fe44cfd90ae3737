"""In a real browser: a learner signs in, shares a credential revealing chosen fields, and
the link opens as a verified credential showing only those fields.

Drives the system's Chromium (``apt-get install chromium``) through Playwright against the
service served by uvicorn on loopback. A missing browser fails the test: it is the
acceptance test of the pages, and skipping it would hide that they were never opened.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service.context import Service
from api.service.models import ShareLink
from api.service.worker import Anchorer
from api.web.app import create_app
from verifier import timefmt

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_learner import PASSWORD, issue
from .test_links import DESCRIPTION, NAME

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CREDITS = "/credentialSubject/creditsEarned"


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


def test_a_shared_link_opens_verified_with_only_the_chosen_fields(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, service_chain: ServiceChain):  # noqa: F811
    # verified needs every check made: anchored on the chain, whose evidence shows status
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)

    learner_view = browser.new_context()
    page = learner_view.new_page()
    page.goto(f"{served}/login?lang=zh")
    page.fill("input[name=login]", learner["login"])
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{served}/account")
    assert "数据结构" in page.inner_text("#credentials")
    assert page.inner_text("#total-credits") == "4"

    page.click(f"a[href='/account/credentials/{credential_id}']")
    page.check(f"input[data-pointer='{NAME}']")
    page.check(f"input[data-pointer='{CREDITS}']")
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
    assert "已验证" in shared.inner_text("#verdict")
    revealed = shared.inner_text("#revealed")
    assert "张伟" in revealed and "4" in revealed
    assert shared.locator("#revealed tr").count() == 2  # the two chosen fields, no more
    body = shared.inner_text("body")
    assert "数据结构" in body and DESCRIPTION not in body
    for check in ("integrity", "disclosure", "issuer_signature", "issuer_trusted",
                  "batch_inclusion"):
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
    checker.close()

    shared.click("#lang-switch")
    assert "Verified" in shared.inner_text("#verdict")

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


def test_the_verify_page_checks_a_pasted_link_in_english(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    token = client.post("/v1/learner/session", json=learner).json()["token"]
    client.cookies.clear()
    link = client.post("/v1/learner/links", headers={"Authorization": f"Bearer {token}"},
                       json={"credentialId": credential_id, "reveal": [NAME],
                             "expiresInDays": 1}).json()
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{served}/verify")
    assert page.get_attribute("html", "lang") == "en"
    page.fill("input[name=link]", link["url"])
    page.click("#verify-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert page.get_attribute("#verdict", "data-verdict") == "verified"
    assert "Verified" in page.inner_text("#verdict")
    assert page.locator("#checks tr").count() == 10
    context.close()
