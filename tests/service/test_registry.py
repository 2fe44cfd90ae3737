"""The credit bank's registry through the API: frameworks, outcome standards and rule sets,
drafts and publishing (the chain call stubbed where a test needs it to succeed)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service import credit_registry
from api.service.accounts import register_issuer
from api.service.context import Service
from api.service.models import Issuer
from verifier.credit import parse_rule_set

from . import registry_fixtures as reg
from .conftest import Tenant

FW = "urn:example:qf"
TX = "0x" + "ab" * 32


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int | None]]:
    """The chain calls, stubbed: what was published or withdrawn ("withdraw"), by whom
    (None: the authority, else the issuer's id), in order."""
    sent: list[tuple[str, str, int | None]] = []

    def publish(svc: Service, document_hash: str, kind: str,
                issuer_id: int | None = None) -> credit_registry.OnChain:
        sent.append((document_hash, kind, issuer_id))
        return credit_registry.OnChain(TX, 41 + len(sent))

    def withdraw(svc: Service, document_hash: str,
                 issuer_id: int | None = None) -> credit_registry.OnChain:
        return publish(svc, document_hash, "withdraw", issuer_id)

    monkeypatch.setattr(credit_registry, "record_on_chain", publish)
    monkeypatch.setattr(credit_registry, "withdraw_on_chain", withdraw)
    return sent


def activate_framework(client: TestClient, governor: dict[str, str], version: str = "2024"
                       ) -> dict:
    assert client.post("/v1/admin/frameworks", json=reg.framework(version),
                       headers=governor).status_code == 201
    answer = client.post(f"/v1/admin/frameworks/{FW}/{version}/publish", headers=governor)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_framework_is_drafted_published_on_chain_and_then_immutable(
        client: TestClient, governor: dict[str, str], chain):
    created = client.post("/v1/admin/frameworks", json=reg.framework(), headers=governor)
    assert created.status_code == 201 and created.json()["state"] == "draft"
    renamed = reg.framework(name={"zh": "新名称", "en": "New name"})
    edited = client.put(f"/v1/admin/frameworks/{FW}/2024", json=renamed, headers=governor)
    assert edited.status_code == 200 and edited.json()["document"]["name"]["zh"] == "新名称"
    published = client.post(f"/v1/admin/frameworks/{FW}/2024/publish", headers=governor).json()
    assert published["state"] == "active"
    assert chain == [(published["hash"], "framework", None)]
    assert published["publication"]["transactionHash"] == TX
    assert published["publication"]["blockNumber"] == 42
    assert published["publication"]["documentHash"] == published["hash"]
    again = client.put(f"/v1/admin/frameworks/{FW}/2024", json=reg.framework(),
                       headers=governor)
    assert again.status_code == 409 and "draft" in again.json()["detail"]
    assert client.get("/v1/registry/framework").json()["hash"] == published["hash"]
    # a newer version supersedes it
    activate_framework(client, governor, "2025")
    states = {f["version"]: f["state"] for f in
              client.get("/v1/admin/frameworks", headers=governor).json()}
    assert states == {"2024": "superseded", "2025": "active"}
    withdrawn = client.post(f"/v1/admin/frameworks/{FW}/2025/withdraw", headers=governor)
    assert withdrawn.json()["state"] == "withdrawn"
    assert chain[-1] == (withdrawn.json()["hash"], "withdraw", None)
    assert client.get("/v1/registry/framework").status_code == 404


def test_bad_documents_change_nothing(client: TestClient, governor: dict[str, str],
                                      university: Tenant):
    broken = reg.framework()
    broken["levels"][1]["rank"] = 1
    answer = client.post("/v1/admin/frameworks", json=broken, headers=governor)
    assert answer.status_code == 422 and "rank" in answer.json()["detail"]
    assert client.get("/v1/admin/frameworks", headers=governor).json() == []
    # one bad standard refuses the whole import
    catalogue = reg.standards()
    catalogue["standards"][1]["unit"] = "furlong"
    answer = client.post("/v1/admin/standards", json=catalogue, headers=governor)
    assert answer.status_code == 422 and "unit" in answer.json()["detail"]
    assert client.get("/v1/admin/standards", headers=governor).json() == []
    answer = client.post("/v1/admin/standards/csv", content=b"code,nope\r\n1,2\r\n",
                         headers=governor)
    assert answer.status_code == 422 and "nope" in answer.json()["detail"]
    answer = client.post("/v1/rule-sets", json=reg.rule_set(), headers=university.headers)
    assert answer.status_code == 422 and "programme" in answer.json()["detail"]
    assert client.get("/v1/rule-sets", headers=university.headers).json() == []


def test_publishing_without_a_chain_is_503_and_changes_nothing(
        client: TestClient, governor: dict[str, str]):
    client.post("/v1/admin/frameworks", json=reg.framework(), headers=governor)
    answer = client.post(f"/v1/admin/frameworks/{FW}/2024/publish", headers=governor)
    assert answer.status_code == 503
    assert client.get(f"/v1/admin/frameworks/{FW}/2024",
                      headers=governor).json()["state"] == "draft"


def test_standards_import_as_json_and_csv_and_publish_as_one_catalogue(
        client: TestClient, governor: dict[str, str], chain):
    activate_framework(client, governor)
    imported = client.post("/v1/admin/standards/csv", content=reg.STANDARDS_CSV.encode(),
                           headers=governor)
    assert imported.status_code == 201, imported.text
    assert [s["code"] for s in imported.json()] == ["6-31-01-03-3", "6-31-01-03-4"]
    assert {s["state"] for s in imported.json()} == {"draft"}
    twice = client.post("/v1/admin/standards", json=reg.standards(), headers=governor)
    assert twice.status_code == 409 and "exists" in twice.json()["detail"]
    overlapping = reg.standards("6-31-01-03-4", version="2025", validFrom="2026-01-01")
    answer = client.post("/v1/admin/standards", json=overlapping, headers=governor)
    assert answer.status_code == 422 and "overlap" in answer.json()["detail"]
    unknown_level = reg.standards("X-1", level="99")
    answer = client.post("/v1/admin/standards", json=unknown_level, headers=governor)
    assert answer.status_code == 422 and "99" in answer.json()["detail"]
    assert client.get("/v1/registry/standards").json()["standards"] == []
    published = client.post("/v1/admin/standards/publish", headers=governor)
    assert published.status_code == 200, published.text
    assert chain[-1] == (published.json()["documentHash"], "standards", None)
    catalogue = client.get("/v1/registry/standards").json()
    assert catalogue["framework"] == FW and len(catalogue["standards"]) == 2
    again = client.post("/v1/admin/standards/publish", headers=governor)
    assert again.status_code == 409
    edit = client.put("/v1/admin/standards/6-31-01-03-3/2024",
                      json=reg.standards()["standards"][1], headers=governor)
    assert edit.status_code == 409  # published: immutable
    withdrawn = client.post("/v1/admin/standards/6-31-01-03-3/2024/withdraw",
                            headers=governor)
    assert withdrawn.json()["state"] == "withdrawn"
    assert client.post("/v1/admin/standards/publish", headers=governor).status_code == 200
    assert len(client.get("/v1/registry/standards").json()["standards"]) == 1


def test_rule_sets_belong_to_their_owner_and_keep_their_hash(
        client: TestClient, governor: dict[str, str], university: Tenant, college: Tenant,
        chain):
    ours = reg.programme_rule_set(university.did)
    created = client.post("/v1/rule-sets", json=ours, headers=university.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["hash"] == parse_rule_set(ours).hash() and body["owner"] == "programme"
    assert client.get("/v1/rule-sets/rules-programme/1",
                      headers=college.headers).status_code == 404
    theirs = reg.programme_rule_set(university.did, "other")
    answer = client.post("/v1/rule-sets", json=theirs, headers=college.headers)
    assert answer.status_code == 422 and college.did in answer.json()["detail"]
    # the authority reads it, but changes only its own
    assert client.get("/v1/admin/rule-sets/rules-programme/1",
                      headers=governor).status_code == 200
    assert client.post("/v1/admin/rule-sets/rules-programme/1/withdraw",
                       headers=governor).status_code == 403
    assert client.post("/v1/admin/rule-sets", json=reg.rule_set(),
                       headers=governor).status_code == 201
    twice = client.post("/v1/admin/rule-sets", json=reg.rule_set(), headers=governor)
    assert twice.status_code == 409
    published = client.post("/v1/rule-sets/rules-programme/1/publish",
                            headers=university.headers)
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert chain[-1][:2] == (body["hash"], "rule_set")
    assert chain[-1][2] is not None  # by the institution's own account
    assert client.put("/v1/rule-sets/rules-programme/1", json=ours,
                      headers=university.headers).status_code == 409
    public = client.get("/v1/registry/rule-sets").json()
    assert [r["id"] for r in public] == ["rules-programme"]
    assert client.post("/v1/rule-sets/rules-programme/1/withdraw",
                       headers=university.headers).json()["state"] == "withdrawn"
    assert chain[-1][:2] == (body["hash"], "withdraw")
    assert client.get("/v1/registry/rule-sets").json() == []


RULES = (
    "id,name_zh,name_en,standard,issuers,min_grade,grade_scale,max_age,grant,course,value,"
    "unit,grant_sector,rate_from,rate_each,rate_gives,sector\r\n"
    "e4,电工四级免修,Electrician exempts EA105,6-31-01-03-4,did:web:vc.example,合格,"
    "不合格|合格|良好,P5Y,exemption,EA105,,,,,,,\r\n"
    "bank,,,6-31-01-03-4,,,,,bankCredits,,4,credit,vocational,,,,\r\n"
    "hours,,,,,,,,bankCredits,,,hour,community_elderly,hour,1,1,community_elderly\r\n")


def test_a_rule_table_replaces_a_drafts_rules(client: TestClient, governor: dict[str, str]):
    client.post("/v1/admin/rule-sets", json=reg.rule_set(), headers=governor)
    answer = client.put("/v1/admin/rule-sets/rules-authority/1/rules.csv",
                        content=RULES.encode(), headers=governor)
    assert answer.status_code == 200, answer.text
    rules = answer.json()["document"]["rules"]
    assert [r["id"] for r in rules] == ["e4", "bank", "hours"]
    assert rules[0]["match"]["minResult"] == {"grade": "合格", "scale": ["不合格", "合格", "良好"]}
    assert rules[2]["grant"]["rate"] == {"from": "hour", "each": "1", "gives": "1"}
    before = answer.json()["hash"]
    bad = RULES.replace("exemption,EA105", "exemption,XX999")
    answer = client.put("/v1/admin/rule-sets/rules-authority/1/rules.csv",
                        content=bad.encode(), headers=governor)
    assert answer.status_code == 422 and "XX999" in answer.json()["detail"]
    assert client.get("/v1/admin/rule-sets/rules-authority/1",
                      headers=governor).json()["hash"] == before
    answer = client.put("/v1/admin/rule-sets/rules-authority/1/rules.csv",
                        content=b"id,colour\r\n", headers=governor)
    assert answer.status_code == 422 and "colour" in answer.json()["detail"]


def test_the_chain_call_sends_the_hash_bytes_and_kind(service: Service,
                                                      monkeypatch: pytest.MonkeyPatch):
    from dataclasses import dataclass

    from api.service.errors import ChainUnavailable

    sent: list[tuple[bytes, int]] = []

    @dataclass
    class Result:
        transaction_hash: str
        block_number: int

    class Client:
        def publish_document(self, doc_hash: bytes, kind: int) -> Result:
            sent.append((doc_hash, kind))
            return Result(TX, 7)

    monkeypatch.setattr(credit_registry, "governor_client", lambda svc: (None, Client()))
    done = credit_registry.record_on_chain(service, "0x" + "01" * 32, "rule_set")
    assert done == credit_registry.OnChain(TX, 7) and sent == [(b"\x01" * 32, 3)]
    register_issuer(service, "unconnected", "未接链机构")
    with service.db.session() as session:
        issuer_id = session.scalars(select(Issuer.id)).one()
    with pytest.raises(ChainUnavailable, match="not connected"):
        credit_registry.record_on_chain(service, "0x" + "01" * 32, "rule_set", issuer_id)
