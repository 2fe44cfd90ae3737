"""Documents and accreditation scopes through the chain client, on the embedded node and
anvil; and a registry deployed by an earlier release, which has neither."""

# The chain fixtures are imported, so test parameters named after them shadow the import.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ledger import (
    AlreadyRecorded,
    ConfigurationError,
    InputError,
    IssuerNotActive,
    NotAuthorized,
    RegistryOutdated,
    RegistryRefused,
    Web3RegistryClient,
)
from ledger.transactions import Sender
from verifier.registry_layout import DocumentKind, ScopeFact

from .chains import ChainUnderTest, chain  # noqa: F401
from .test_client import DID, OTHER_DID, Roles, roles  # noqa: F401

RULES = hashlib.sha256(b"rule set of the programme").digest()
FRAMEWORK = "0x" + hashlib.sha256(b"framework").hexdigest()
OLD_BUILD = Path(__file__).parent / "data" / "credential_registry_before_documents.json"


def test_authority_and_issuer_publish_and_withdraw(roles: Roles) -> None:
    governor, issuer = roles.client, roles.issuer
    result = governor.publish_document(FRAMEWORK, DocumentKind.FRAMEWORK)
    fact = governor.document(FRAMEWORK)
    assert (fact.published, fact.kind, fact.owner_issuer_number) == (
        True, DocumentKind.FRAMEWORK, 0)
    assert fact.block_number == result.block_number

    issuer.publish_document(RULES, DocumentKind.RULE_SET)
    assert issuer.document(RULES).owner_issuer_number == governor.issuer(DID).issuer_number
    with pytest.raises(AlreadyRecorded) as caught:
        governor.publish_document(RULES, DocumentKind.RULE_SET)
    assert caught.value.name == "DocumentAlreadyPublished"
    with pytest.raises(NotAuthorized) as caught:
        governor.withdraw_document(RULES)
    assert caught.value.name == "NotDocumentOwner"
    issuer.withdraw_document(RULES)
    withdrawn = governor.document(RULES)
    assert withdrawn.withdrawn and withdrawn.withdrawn_at >= withdrawn.timestamp
    with pytest.raises(AlreadyRecorded):
        issuer.withdraw_document(RULES)
    never = hashlib.sha256(b"never").digest()
    assert not governor.document(never).published
    with pytest.raises(RegistryRefused) as caught:
        governor.withdraw_document(never)
    assert caught.value.name == "UnknownDocument"


def test_publishing_needs_a_role_and_an_active_issuer(roles: Roles, chain: ChainUnderTest
                                                      ) -> None:
    outsider = roles.client.with_account(roles.outsider)
    with pytest.raises(NotAuthorized) as caught:
        outsider.publish_document(RULES, DocumentKind.RULE_SET)
    assert caught.value.name == "NotAnchoringAccount"
    roles.client.suspend_issuer(DID)
    with pytest.raises(IssuerNotActive):
        roles.issuer.publish_document(RULES, DocumentKind.RULE_SET)
    for bad in (b"\x00" * 32, b"short", "0x1234"):
        with pytest.raises(InputError):
            roles.client.publish_document(bad, DocumentKind.RULE_SET)
    with pytest.raises(InputError):
        roles.client.publish_document(RULES, 0)  # type: ignore[arg-type]


def test_accreditation_scope(roles: Roles) -> None:
    client = roles.client
    assert client.accreditation_scope(DID) == ScopeFact(False, frozenset(), 0, 0)
    client.set_accreditation_scope(DID, ["vocational", "venue"], 5)
    scope = client.accreditation_scope(DID)
    assert scope.set and scope.sectors == {"vocational", "venue"}
    assert scope.max_level_rank == 5 and scope.since > 0
    assert scope.allows("venue", 5) and not scope.allows("venue", 6)
    assert not scope.allows("degree")
    client.set_accreditation_scope(DID, ["degree"], None)
    assert client.accreditation_scope(DID).max_level_rank == 0
    with pytest.raises(NotAuthorized):
        roles.issuer.set_accreditation_scope(DID, ["degree"], 1)
    with pytest.raises(InputError):
        client.set_accreditation_scope(DID, ["cooking"], 1)
    with pytest.raises(InputError):
        client.set_accreditation_scope(DID, [], 1)
    with pytest.raises(InputError):
        client.set_accreditation_scope(DID, ["degree"], 70_000)
    with pytest.raises(RegistryRefused) as caught:
        client.set_accreditation_scope(OTHER_DID, ["degree"], 1)
    assert caught.value.name == "UnknownIssuer"
    client.clear_accreditation_scope(DID)
    assert not client.accreditation_scope(DID).set
    with pytest.raises(RegistryRefused) as caught:
        client.clear_accreditation_scope(DID)
    assert caught.value.name == "NoAccreditationScope"


def test_a_registry_of_an_earlier_release_is_refused_clearly(chain: ChainUnderTest) -> None:
    governor = chain.new_account()
    client = Web3RegistryClient.deploy(chain.url, governor, [governor.address])
    old = json.loads(OLD_BUILD.read_text())
    factory = client.w3.eth.contract(abi=client._artifact.abi, bytecode=old["bytecode"])
    data = factory.constructor([governor.address]).data_in_transaction
    receipt = Sender(client.w3, governor, chain.url, 0, 0.1).send_and_wait(
        to=None, data=data, errors={}, timeout=60, poll_interval=0.05)
    legacy = Web3RegistryClient(chain.url, receipt["contractAddress"], governor)
    legacy.accredit(DID, "Open University")  # what it always did still works
    assert legacy.issuer(DID).accredited
    calls = [
        lambda: legacy.document(RULES),
        lambda: legacy.publish_document(RULES, DocumentKind.RULE_SET),
        lambda: legacy.withdraw_document(RULES),
        lambda: legacy.accreditation_scope(DID),
        lambda: legacy.set_accreditation_scope(DID, ["degree"], 3),
        lambda: legacy.clear_accreditation_scope(DID),
    ]
    for call in calls:
        with pytest.raises(RegistryOutdated, match="predates document publication") as caught:
            call()
        assert isinstance(caught.value, ConfigurationError)
    # the new registry on the same chain has them
    assert not client.document(RULES).published
