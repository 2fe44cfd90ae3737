"""In a real browser, on a real chain: a visitor builds a verification request, a learner
opens its link, sees who asks and what each requirement needs, consents with the name; the
visitor's page shows the presentation verified with the name as revealed; the learner
withdraws it and the visitor's page says so. Screenshots of each page at 1280 and 390 px."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.service.context import Service
from api.service.worker import Anchorer

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_browser import browser, served, shoot, sign_in_page  # noqa: F401
from .test_learner import issue
from .test_presentations import certificate


def test_the_learners_consent_flow_in_the_browser(
        served: str, browser, client: TestClient, service: Service,  # noqa: F811
        college: Tenant, learner, service_chain: ServiceChain):  # noqa: F811
    first = issue(client, college, **certificate("电工（四级）", "电气工程", "3", 12))
    second = issue(client, college, **certificate("电气自动化", "电气自动化", "2", 10))
    Anchorer(service).run_once(force=True)

    employer = browser.new_context(locale="zh-CN").new_page()
    employer.goto(f"{served}/employer/requests/new?lang=zh")
    shoot(employer, "request-builder")
    employer.fill("#visitor-name", "小王餐馆")
    employer.fill("input[name=title]", "维修电工")
    employer.fill("#achievement", "电工")
    employer.fill("input[name=achievement_level]", "3")
    employer.fill("#field", "电气")
    employer.fill("input[name=minimum]", "20")
    employer.check("#ask-name")
    employer.click("#create-request")
    employer.wait_for_selector("#request-link")
    results = employer.url
    link = employer.inner_text("#request-link")
    assert employer.locator(".qr svg").count() == 1
    assert employer.locator("#no-answers").count() == 1
    shoot(employer, "request-results-empty")

    page = browser.new_context(locale="zh-CN").new_page()
    sign_in_page(page, served, learner["login"])
    page.goto(link)
    assert "自称名称" in page.inner_text("#employer-self-declared")
    assert "小王餐馆" in page.inner_text("#employer")
    needs = page.inner_text("#requirement-credits")
    assert "获得学分" in needs or "学分" in needs
    assert page.is_checked(f"#requirement-achievement input[value='achievement|{first}']")
    assert page.is_checked(f"#requirement-credits input[value='credits|{second}']")
    shoot(page, "consent")
    page.check("#name-consent input")
    page.click("#consent-button")
    page.wait_for_url(f"{served}/account/presentations")
    assert page.get_attribute("#presentations tbody tr", "data-state") == "presented"
    shoot(page, "presentations")

    employer.goto(results)
    answer = employer.locator(".answer")
    assert answer.get_attribute("data-verified") == "yes"
    assert employer.inner_text(".holder-name") == "张伟"
    for check in ("presentation.proof", "presentation.challenge", "presentation.domain",
                  "presentation.credentials", "presentation.requirements"):
        assert employer.get_attribute(f"li[data-check='{check}']", "data-status") == "passed"
    assert employer.get_attribute("li[data-requirement='credits']", "data-met") == "yes"
    shoot(employer, "request-results")

    page.click("#presentations button[type=submit]")
    page.wait_for_url(f"{served}/account/presentations")
    assert page.get_attribute("#presentations tbody tr", "data-state") == "withdrawn"
    employer.goto(results)
    assert employer.get_attribute(".answer", "data-state") == "withdrawn"
    assert employer.locator(".holder-name").count() == 0
