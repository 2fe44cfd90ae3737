"""Publishing points rules on the embedded chain: the canonical hash is a registry document
of kind 4, owned by the authority, at the block the service recorded."""

from __future__ import annotations

from fastapi.testclient import TestClient

from verifier.credit.points import parse_points_rules
from verifier.registry_layout import DocumentKind

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .points_fixtures import rules


def test_published_points_rules_are_a_kind_4_document_on_chain(
        client: TestClient, governor: dict[str, str],
        service_chain: ServiceChain):  # noqa: F811
    doc = rules()
    assert client.post("/v1/admin/points-rules", json=doc, headers=governor).status_code == 201
    answer = client.post(f"/v1/admin/points-rules/{doc['id']}/{doc['version']}/publish",
                         headers=governor)
    assert answer.status_code == 200, answer.text
    published = answer.json()
    assert published["hash"] == parse_points_rules(doc).hash()
    fact = service_chain.reader().document(bytes.fromhex(published["hash"][2:]))
    assert fact.published and not fact.withdrawn
    assert fact.kind == DocumentKind.POINTS_RULES == 4
    assert fact.owner_issuer_number == 0  # the authority
    assert fact.block_number == published["publication"]["blockNumber"]
    other = parse_points_rules(rules(version="2026.2")).hash()
    assert not service_chain.reader().document(bytes.fromhex(other[2:])).published
