"""A bulk check report over the answers to one verification request: one row per answer,
its presentation's named checks and each requirement; withdrawn and declined answers are
rows saying so; only the employer who owns the request makes one."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.models import Credential
from ledger.issuance.inputs import check_character

from .conftest import Tenant
from .test_learner import anchor, issue, sign_in
from .test_presentations import certificate, employer_key

REQUIREMENTS = [
    {"id": "elec", "kind": "achievement", "name": "电工", "minLevel": "3"},
    {"id": "credits", "kind": "credits", "field": "电气", "unit": "credit", "min": 20},
]
PASSWORD = "a long enough password"
# login, identity number (with its check character), name
LEARNERS = [(login, f"31010119900101{n:03d}" + check_character(f"31010119900101{n:03d}"), name)
            for n, (login, name) in enumerate([("zhangsan", "张三"), ("lisi", "李四"),
                                               ("wangwu", "王五"), ("zhaoliu", "赵六"),
                                               ("sunqi", "孙七")], start=11)]


@pytest.fixture
def answered(client: TestClient, service: Service, college: Tenant, governor) -> dict[str, Any]:
    """acme's request answered by five learners: 张三 verified with the name, 李四 with a
    credential revoked since, 王五 withdrawn, 赵六 declined, 孙七 verified without the name."""
    acme = employer_key(client, governor, "acme")
    request = client.post("/v1/employer/requests", headers=acme, json={
        "title": "维修电工", "requirements": REQUIREMENTS, "askName": True,
        "accept": ["status"]}).json()
    out: dict[str, Any] = {"acme": acme, "request": request, "answers": {}}
    for login, identity, name in LEARNERS:
        open_learner_account(service, login, identity, PASSWORD, name)
        credential = issue(client, college, identity, learner={"id": identity, "name": name},
                           **certificate("电工（四级）", "电气工程", "3", 24))
        anchor(service, credential)
        headers = sign_in(client, login, PASSWORD)
        if login == "zhaoliu":
            answer = client.post(f"/v1/learner/requests/{request['id']}/decline",
                                 headers=headers)
        else:
            answer = client.post(f"/v1/learner/requests/{request['id']}/presentation",
                                 headers=headers, json={
                                     "choices": {"elec": [credential], "credits": [credential]},
                                     "revealName": login != "sunqi"})
        assert answer.status_code == 201, answer.text
        out["answers"][login] = answer.json()["id"]
        if login == "lisi":  # what the service records once revoked on chain
            with service.db.session() as session:
                session.get(Credential, credential).status = "revoked"
            out["revoked"] = credential
        if login == "wangwu":
            assert client.post(f"/v1/learner/presentations/{answer.json()['id']}/withdraw",
                               headers=headers).status_code == 200
    return out


def _report(client: TestClient, answered: dict[str, Any]) -> dict[str, Any]:
    made = client.post(f"/v1/employer/requests/{answered['request']['id']}/bulk-check",
                       headers=answered["acme"])
    assert made.status_code == 202, made.text
    assert made.json()["total"] == 5
    return client.get(made.headers["location"], headers=answered["acme"]).json()


def test_a_report_over_a_requests_answers_gives_each_its_verdict_and_reason(
        client: TestClient, answered):
    report = _report(client, answered)
    assert report["state"] == "done"
    rows = {r["number"]: r for r in report["rows"]}
    assert [r["source"] for r in report["rows"]] == ["response"] * 5
    answers = answered["answers"]
    # 张三: every named check passed, each requirement met, the name as revealed
    first = rows[1]
    assert (first["candidate"], first["holder"], first["verdict"], first["reason"]) == (
        "张三", "张三", "verified", "verified")
    assert {c["id"]: c["status"] for c in first["checks"]} == {
        "presentation.form": "passed", "presentation.proof": "passed",
        "presentation.challenge": "passed", "presentation.domain": "passed",
        "presentation.credentials": "passed", "presentation.requirements": "passed"}
    assert [(r["id"], r["met"]) for r in first["requirements"]] == [
        ("elec", True), ("credits", True)]
    assert first["requirements"][1]["detail"] == "24 credit in 电气 (at least 20)"
    # 李四: the credential revoked since fails presentation.credentials, and with it credits
    second = rows[2]
    assert (second["candidate"], second["verdict"], second["reason"], second["failedCheck"],
            second["status"]) == ("李四", "not_verified", "revoked",
                                  "presentation.credentials", "revoked")
    assert second["detail"] == f"{answered['revoked']}: revoked"
    assert {r["id"]: r["met"] for r in second["requirements"]} == {"elec": False,
                                                                  "credits": False}
    # 王五 withdrew: a row saying so, nothing of the presentation
    third = rows[3]
    assert (third["candidate"], third["verdict"], third["reason"], third["holder"],
            third["checks"]) == (f"#{answers['wangwu'][:8]}", "not_checked",
                                 "presentation_withdrawn", None, None)
    assert third["headline"]["en"] == "The learner withdrew the presentation"
    # 赵六 declined
    assert (rows[4]["candidate"], rows[4]["reason"]) == (f"#{answers['zhaoliu'][:8]}",
                                                         "presentation_declined")
    # 孙七 did not reveal the name: a reference to the answer, the same in every report
    fifth = rows[5]
    assert (fifth["candidate"], fifth["holder"], fifth["verdict"]) == (
        f"#{answers['sunqi'][:8]}", None, "verified")
    assert report["summary"]["byVerdict"] == {"verified": 2, "not_verified": 1,
                                              "not_checked": 2}
    again = _report(client, answered)
    assert [r["candidate"] for r in again["rows"]] == [r["candidate"] for r in report["rows"]]
    listed = client.get("/v1/employer/bulk-checks", headers=answered["acme"]).json()
    assert {report["id"], again["id"]} <= {r["id"] for r in listed}
    assert first["presentationId"] == answers["zhangsan"]
    # 张三 withdraws later: the reports keep only the withdrawal, as the presentation went
    assert client.post(f"/v1/learner/presentations/{answers['zhangsan']}/withdraw",
                       headers=sign_in(client, "zhangsan", PASSWORD)).status_code == 200
    listed = {r["id"]: r for r in client.get("/v1/employer/bulk-checks",
                                             headers=answered["acme"]).json()}
    assert listed[report["id"]]["summary"]["byVerdict"]["verified"] == 1
    later = client.get(f"/v1/employer/bulk-checks/{report['id']}", headers=answered["acme"])
    assert "张三" not in later.text
    row = later.json()["rows"][0]
    assert (row["candidate"], row["reason"], row["holder"], row["checks"]) == (
        f"#{answers['zhangsan'][:8]}", "presentation_withdrawn", None, None)
    assert [r["reason"] for r in later.json()["rows"][1:]] == [
        r["reason"] for r in report["rows"][1:]]


def test_the_csv_names_the_checks_and_the_requirements(client: TestClient, answered):
    report = _report(client, answered)
    body = client.get(f"/v1/employer/bulk-checks/{report['id']}/report.csv?lang=en",
                      headers=answered["acme"]).content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(body)))
    assert [r["reason"] for r in table] == ["verified", "revoked", "presentation_withdrawn",
                                            "presentation_declined", "verified"]
    assert table[1]["source"] == "request answer"
    assert "presentation.credentials: failed" in table[1]["presentation_checks"]
    assert table[1]["requirements"].startswith("elec: not met (")
    assert table[0]["requirements"].startswith("elec: met (")
    assert table[0]["requirements"].endswith("; credits: met (24 credit in 电气 (at least 20))")
    assert table[2]["presentation_checks"] == "" and table[2]["requirements"] == ""
    # the PDF: the same rows, the reasons in words (one language: the CJK font loads slowly)
    from pypdf import PdfReader

    pdf = client.get(f"/v1/employer/bulk-checks/{report['id']}/report.pdf?lang=zh",
                     headers=answered["acme"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text().replace("\x00", "")
                   for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "李四" in text and "求职者已撤回其出示" in text and "求职者拒绝了此请求" in text


def test_only_the_employer_who_owns_the_request_makes_the_report(
        client: TestClient, service: Service, answered, governor):
    request_id = answered["request"]["id"]
    other = employer_key(client, governor, "globex")
    for headers in (other, answered["acme"]):
        missing = client.post("/v1/employer/requests/nosuchrequest/bulk-check",
                              headers=headers)
        assert missing.status_code == 404
    foreign = client.post(f"/v1/employer/requests/{request_id}/bulk-check", headers=other)
    assert foreign.status_code == 404 and foreign.json() == {"detail": "no such request"}
    assert client.get("/v1/employer/bulk-checks", headers=other).json() == []
    # a request nobody answered has nothing to report
    quiet = client.post("/v1/employer/requests", headers=other,
                        json={"requirements": REQUIREMENTS[:1]}).json()
    empty = client.post(f"/v1/employer/requests/{quiet['id']}/bulk-check", headers=other)
    assert empty.status_code == 422 and "answered" in empty.json()["detail"]


def _sign_in_hr(client: TestClient, key: str) -> str:
    page = client.get("/hr/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/hr/login", data={"api_key": key, "csrf": csrf},
                       follow_redirects=False).status_code == 303
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/hr").text).group(1)


def test_the_bulk_page_makes_the_report_of_a_requests_answers(
        client: TestClient, service: Service, answered, governor):
    request_id = answered["request"]["id"]
    csrf = _sign_in_hr(client, create_api_key(service, "employer", None,
                                              employer_slug="acme"))
    page = client.get("/hr?lang=zh").text
    assert f'action="/hr/requests/{request_id}/check"' in page and "维修电工" in page
    assert client.post(f"/hr/requests/{request_id}/check",
                       data={"csrf": "forged"}).status_code == 403
    made = client.post(f"/hr/requests/{request_id}/check", data={"csrf": csrf},
                       follow_redirects=False)
    assert made.status_code == 303
    shown = client.get(made.headers["location"] + "?lang=zh").text
    assert "张三" in shown and "求职者已撤回其出示" in shown and "求职者拒绝了此请求" in shown
    assert 'data-check="presentation.credentials" data-status="failed"' in shown
    assert made.headers["location"] in client.get("/hr").text  # in the list of reports
    # another employer's request is not found from this session
    other = client.post("/v1/employer/requests", headers=employer_key(client, governor, "x1"),
                        json={"requirements": REQUIREMENTS[:1]}).json()
    foreign = client.post(f"/hr/requests/{other['id']}/check", data={"csrf": csrf})
    assert foreign.status_code == 404 and "no such request" in foreign.text
