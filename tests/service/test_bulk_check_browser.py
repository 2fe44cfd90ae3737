"""In a real browser: an employer signs in with its API key, uploads a CSV of share links and
files (a learner's certificate PDF, a PDF without a credential), waits for the report and
reads it in Chinese and English, on a desktop and a 390 px phone, and downloads the CSV.
Chromium through Playwright, as test_browser.py."""

# The chain fixture is imported, so a test parameter named after it shadows the import.
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.worker import Anchorer

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .employer_fixtures import employer_key
from .test_browser import api_link, browser, served, shoot  # noqa: F401
from .test_learner import issue


def test_an_employer_checks_candidates_on_the_bulk_page(
        served: str, browser, client: TestClient, service: Service, university: Tenant,
        learner, service_chain: ServiceChain, tmp_path: Path):
    kept, revoked = issue(client, university), issue(client, university)
    Anchorer(service).run_once(force=True)
    links = [api_link(client, learner, c, []) for c in (kept, revoked)]
    assert client.post(f"/v1/credentials/{revoked}/revoke", json={"reason": 3},
                       headers=university.headers).status_code == 200
    employer_key(service, "browser-hr")
    key = create_api_key(service, "employer", None, employer_slug="browser-hr")
    table = tmp_path / "candidates.csv"
    table.write_text(f"姓名,链接\n张伟,{links[0]}\n李四,{links[1]}\n王五,不是链接\n",
                     encoding="utf-8")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\nno attachment here")
    certificate = tmp_path / "zhangwei.pdf"  # the learner's certificate, credential embedded
    answer = client.get(f"/s/{links[0].rsplit('/', 1)[1]}/certificate.pdf")
    assert answer.status_code == 200, answer.text
    certificate.write_bytes(answer.content)

    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{served}/hr")
    page.wait_for_url(f"{served}/hr/login")
    page.fill("input[name=api_key]", key)
    page.click("form[action='/hr/login'] button[type=submit]")
    page.wait_for_url(f"{served}/hr")
    shoot(page, "hr-upload")
    page.set_input_files("input[name=links]", str(table))
    page.set_input_files("input[name=files]", [str(certificate), str(scan)])
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("#summary", timeout=60_000)  # the page reloads while it runs
    rows = page.locator("#rows tbody tr")
    assert rows.count() == 5
    assert [rows.nth(i).get_attribute("data-reason") for i in range(5)] == [
        "verified", "revoked", "not_a_link", "verified", "no_credential_in_pdf"]
    assert "zhangwei.pdf" in rows.nth(3).inner_text()
    assert "已验证" in rows.nth(0).inner_text() and "上海开放大学" in rows.nth(0).inner_text()
    assert "已于" in rows.nth(1).inner_text() and "违规或舞弊" in rows.nth(1).inner_text()
    shoot(page, "hr-report-zh")
    with page.expect_download() as downloading:
        page.click("#download-csv")
    saved = downloading.value.path()
    assert Path(saved).read_bytes().startswith(b"\xef\xbb\xbf")
    page.click("#lang-switch")
    page.wait_for_selector("#summary")
    assert "Not a share link of this service" in rows.nth(2).inner_text()
    shoot(page, "hr-report-en")
    context.close()
