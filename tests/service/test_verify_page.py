"""The verify page: a file, pasted JSON, a PDF or a pasted link, checked as an employer sees it."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service.context import Service
from api.service.models import StatusChange
from api.service.worker import Anchorer

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant
from .test_learner import anchor, issue, sign_in
from .test_links import DESCRIPTION, NAME, make_link, path_of
from .test_pages import CREDITS


def _tampered(copy: bytes) -> bytes:
    document = json.loads(copy)
    document["credentialSubject"]["creditsEarned"] = 50
    document["credentialSubject"]["result"][0]["value"] = "A+"
    return json.dumps(document, ensure_ascii=False).encode()


def test_the_verify_page_checks_a_file(client: TestClient, service: Service,
                                       university: Tenant, learner,
                                       service_chain: ServiceChain):  # noqa: F811
    credential_id = issue(client, university)
    Anchorer(service).run_once(force=True)
    link = make_link(client, sign_in(client), credential_id,
                     reveal=[NAME, CREDITS, "/credentialSubject/result"])
    derived = client.get(path_of(link["url"]) + ".json").content
    answer = client.post("/verify?lang=en", files={"file": ("c.json", derived,
                                                            "application/json")})
    assert answer.status_code == 200
    assert 'data-verdict="verified"' in answer.text
    for check in ("format", "integrity", "disclosure", "issuer_signature", "issuer_trusted",
                  "batch_inclusion", "anchored", "not_revoked", "not_suspended", "not_expired"):
        assert f'class="passed" data-check="{check}"' in answer.text
    # credits changed to 50 and the grade to A+: altered, and the claims are no facts
    answer = client.post("/verify?lang=zh", files={"file": ("c.json", _tampered(derived),
                                                            "application/json")})
    text = answer.text
    assert 'data-verdict="altered"' in text and "内容被篡改" in text
    assert re.search(r'class="failed" data-check="integrity"', text)
    for check in ("issuer_signature", "issuer_trusted", "batch_inclusion", "anchored",
                  "not_revoked", "not_suspended", "not_expired"):
        assert f'class="not_checked" data-check="{check}"' in text
    assert text.count('class="passed"') <= 2  # format and disclosure at most
    unverified = re.search(r'id="unverified">(.*?)</section>', text, re.S).group(1)
    assert "<del>50</del>" in unverified and "<del>A+</del>" in unverified
    assert 'id="certificate"' not in text and 'id="revealed"' not in text
    before = text[:text.index('id="unverified"')]
    assert "50" not in re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?", "", before)
    assert "A+" not in before
    garbage = client.post("/verify", files={"file": ("c.json", b"{not json", "text/plain")})
    assert 'data-verdict="unreadable"' in garbage.text and 'id="tiles"' not in garbage.text
    assert re.search(r'class="failed" data-check="format"', garbage.text)


def test_the_verify_page_checks_pasted_json(client: TestClient, service: Service,
                                            university: Tenant, learner):
    credential_id = issue(client, university)
    anchor(service, credential_id)
    link = make_link(client, sign_in(client), credential_id)
    derived = client.get(path_of(link["url"]) + ".json").text
    answer = client.post("/verify", data={"pasted": f"\n {derived} \n"})
    assert answer.status_code == 200 and 'data-verdict="status_unknown"' in answer.text
    assert 'id="certificate"' in answer.text
    too_big = client.post("/verify", data={"pasted": "x" * (1024 * 1024 + 10)})
    assert too_big.status_code in (400, 413)
    assert too_big.headers["content-type"].startswith("text/html")


def test_a_pdf_with_no_credential_in_it_answers_a_page(client: TestClient):
    for name, content in (("c.pdf", b"%PDF-1.7 not really"), ("c.pdf", b"plain text")):
        answer = client.post("/verify", files={"file": (name, content, "application/pdf")})
        assert answer.status_code == 422 and "PDF" in answer.text
        assert answer.headers["content-type"].startswith("text/html")


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
    with service.db.session() as session:
        block = session.scalars(select(StatusChange)).one().block_number
    assert 'data-verdict="revoked"' in page and "撤销（原因：误发）" in page
    assert f"已记录在区块 #{block}" in page
    assert 'class="failed" data-check="not_revoked"' in page
