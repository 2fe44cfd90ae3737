"""In a real browser, the credit bank's pages: a learner signs in, asks for a dry run on the
recognition page and applies toward the programme; the programme's registrar signs in on the
staff page with the institution's API key, sees the application in the queue with its
sources verified, and approves; the learner sees the decision credential; the learning
archive downloads. Each page is photographed at 1280 and 390 px and must not scroll
sideways on the phone (test_browser.shoot).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from api.service.context import Service
from api.service.worker import Anchorer

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_browser import browser, served, shoot, sign_in_page  # noqa: F401
from .test_recognition import bank, world  # noqa: F401


def test_recognition_from_application_to_decision_in_the_browser(
        served: str, browser, client: TestClient, service: Service,  # noqa: F811
        university: Tenant, world: dict[str, Any]):  # noqa: F811
    learner = browser.new_context(accept_downloads=True)
    page = learner.new_page()
    sign_in_page(page, served)
    shoot(page, "credit-account")

    page.goto(f"{served}/account/recognition?lang=zh")
    for credential in world["ids"]:
        page.check(f"input[name=credential][value='{credential}']")
    page.check("input[name=destination][value=programme]")
    page.click("#dry-run")
    page.wait_for_selector("#dry-run-result")
    assert page.locator("#grants tr.grant").count() >= 1
    assert "已验证" in page.inner_text("#dry-run-result")
    shoot(page, "credit-dry-run")
    page.click("#apply")
    page.wait_for_url(re.compile(r".*/account/applications/[0-9a-f-]{36}$"))
    application = page.url.rsplit("/", 1)[-1]
    assert page.get_attribute("#application", "data-state") == "submitted"
    shoot(page, "credit-application")
    page.goto(f"{served}/account/applications?lang=en")
    shoot(page, "credit-applications")

    registrar = browser.new_context()
    staff = registrar.new_page()
    staff.goto(f"{served}/staff/login?lang=zh")
    shoot(staff, "staff-sign-in")
    staff.fill("input[name=api_key]", university.headers["Authorization"][len("Bearer "):])
    staff.click("form[action='/staff/login'] button[type=submit]")
    staff.wait_for_url(f"{served}/staff")
    queue = staff.inner_text("#queue")
    assert "已验证" in queue
    shoot(staff, "staff-queue")
    staff.click(f"a[href='/staff/applications/{application}']")
    staff.wait_for_selector("#decide")
    assert staff.locator("#sources .source-verdict").count() == len(world["ids"])
    shoot(staff, "staff-review")
    staff.click("#approve")
    staff.wait_for_selector("#application[data-state=approved]")
    shoot(staff, "staff-decided")
    staff.goto(f"{served}/staff/registry?lang=en")
    assert world["hash"] in staff.inner_text("#rule-sets")
    shoot(staff, "staff-registry")
    rules = world["rules"]
    staff.goto(f"{served}/staff/registry/rule-sets/{rules['id']}/{rules['version']}?lang=zh")
    assert staff.locator("#rules li").count() == len(rules["rules"])
    shoot(staff, "staff-rule-set")

    Anchorer(service).run_once()
    page.goto(f"{served}/account/applications/{application}?lang=en")
    assert page.get_attribute("#application", "data-state") == "approved"
    page.click("#decision-link")
    page.wait_for_url(re.compile(r".*/account/credentials/.+"))
    shoot(page, "credit-decision")

    page.goto(f"{served}/account/archive?lang=en")
    shoot(page, "credit-archive")
    with page.expect_download() as download:
        page.click("#download-archive")
    archive = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert "proof" in archive
    registrar.close()
    learner.close()
