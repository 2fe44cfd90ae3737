"""The pages of job-seeking verification: a visitor builds a request, a learner consents on
its page, the visitor reads the verified answer, the learner withdraws it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.service.context import Service

from .conftest import Tenant
from .test_learner import anchor, issue
from .test_pages import csrf_of, page_sign_in
from .test_presentations import certificate


def build(client: TestClient, **changes: str) -> str:
    form = {"visitor_name": "小王餐馆", "title": "维修电工", "achievement": "电工",
            "achievement_level": "3", "field": "电气", "unit": "credit", "minimum": "20",
            "ask_name": "yes", "accept_status": "yes", "hours": "48", **changes}
    made = client.post("/employer/requests/new", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    return made.headers["location"]


def test_a_request_built_on_the_page_is_answered_on_the_consent_page(
        client: TestClient, service: Service, college: Tenant, learner):
    assert "电工" in client.get("/employer/requests/new?lang=zh").text
    first = issue(client, college, **certificate("电工（四级）", "电气工程", "3", 12))
    second = issue(client, college, **certificate("电气自动化", "电气自动化", "2", 10))
    anchor(service, first)
    anchor(service, second)
    results = build(client)
    page = client.get(results).text
    link = re.search(r'id="request-link">([^<]+)<', page).group(1)
    assert "<svg" in page and 'id="no-answers"' in page
    present = "/present/" + link.rsplit("/", 1)[1]
    # signed out: the request, and a way to sign in; nothing of the learner's
    outside = client.get(present + "?lang=en").text
    assert "Self-declared name" in outside and 'id="sign-in-to-answer"' in outside
    csrf = page_sign_in(client)
    inside = client.get(present).text
    assert 'id="employer-self-declared"' in inside and "小王餐馆" in inside
    assert "Level" in inside and "Credits earned" in inside  # the fields each one needs
    ticked = re.findall(r'name="choice" value="([^"]+)" checked', inside)
    assert sorted(ticked) == sorted([f"achievement|{first}", f"credits|{first}",
                                     f"credits|{second}"])
    assert client.post(present, data={"csrf": "x" * 64, "action": "consent"}).status_code == 403
    form = {"csrf": csrf, "action": "consent", "reveal_name": "yes", "choice": ticked}
    answered = client.post(present, data=form, follow_redirects=False)
    assert answered.status_code == 303, answered.text[-600:]
    assert answered.headers["location"] == \
        "/account/presentations"
    mine = client.get("/account/presentations").text
    assert 'data-state="presented"' in mine and "小王餐馆" in mine
    read = client.get(results).text
    assert 'data-verified="yes"' in read and 'class="holder-name">张伟<' in read
    assert 'data-requirement="credits" data-met="yes"' in read
    assert "/presentation\" download" in read
    # withdrawn from the learner's page: the employer's page says so, the download is gone
    presentation_id = re.search(r'data-presentation="([^"]+)"', mine).group(1)
    withdrawn = client.post(f"/account/presentations/{presentation_id}/withdraw",
                            data={"csrf": csrf_of(mine)}, follow_redirects=False)
    assert withdrawn.status_code == 303
    read = client.get(results).text
    assert 'data-state="withdrawn"' in read and "holder-name" not in read
    token = results.rsplit("/", 1)[1]
    assert client.get(f"/v1/requests/manage/{token}/responses/{presentation_id}"
                      "/presentation").status_code == 410


def test_a_request_without_requirements_is_refused_with_the_form_again(client: TestClient):
    answer = client.post("/employer/requests/new", data={"visitor_name": "某公司"})
    assert answer.status_code == 422 and 'id="builder"' in answer.text
    assert "requirements must be a list" in answer.text


def test_an_unknown_results_page_is_a_404_page(client: TestClient):
    answer = client.get("/employer/r/" + "x" * 43 + "?lang=en")
    assert answer.status_code == 404 and "There is no such request." in answer.text
    assert client.get("/present/nosuchrequest").status_code == 404
