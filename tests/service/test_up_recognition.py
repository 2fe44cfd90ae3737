"""The credit bank part of `credbank up --demo`, made through the service on the embedded
chain: the registry and rule set published (hashes on chain), a decided application whose
decision credential is anchored and verifies offline as the summary says, the credit_bank
setting kept in credbank.toml, and a second run that adds nothing."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from api.cli import demo
from api.cli import main as credbank
from api.cli.demo_recognition import (
    BANK,
    FRAMEWORK,
    RULE_SET_ID,
    RULE_SET_VERSION,
    STANDARDS,
    persist_credit_bank,
)
from api.cli.demo_summary import recognition_lines
from api.service import credit_registry, rule_sets, trust
from api.service.context import Service
from api.service.data_dir import CONFIG_FILE
from api.service.models import Credential, CreditStandard, Issuer, RecognitionApplication
from tests.service.test_admin_chain import Chain, chain, database_url  # noqa: F401
from verifier import cli


def _counts(service: Service) -> tuple[int, int, int]:
    with service.db.session() as session:
        return (session.query(Issuer).count(), session.query(Credential).count(),
                session.query(RecognitionApplication).count())


def test_the_demo_decides_an_application_under_a_published_rule_set(
        service: Service, chain: Chain, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    access = demo.create_demo(service)
    shown = access.recognition
    assert shown is not None and shown.skipped is None

    # the setting is in force now and kept for the next start
    assert service.settings.credit_bank == BANK[0]
    kept = tomllib.loads(service.settings.path(CONFIG_FILE).read_text(encoding="utf-8"))
    assert kept["credit_bank"] == BANK[0]

    # the registry: the framework in force, the standards and the rule set published
    framework = credit_registry.current_framework(service)
    assert (framework["id"], framework["version"]) == (FRAMEWORK["id"], FRAMEWORK["version"])
    with service.db.session() as session:
        standards = {(r.code, r.version, r.state) for r in session.query(CreditStandard)}
    assert standards == {(s["code"], s["version"], "published")
                         for s in STANDARDS["standards"]}
    published = rule_sets.published_rule_sets(service)
    assert [(r["id"], r["version"]) for r in published] == [(RULE_SET_ID, RULE_SET_VERSION)]
    rules = published[0]
    assert rules["hash"] == shown.rule_set_hash
    reader = chain.reader()
    for digest in (rules["hash"], framework["hash"]):
        fact = reader.document(bytes.fromhex(digest.removeprefix("0x")))
        assert fact.published and not fact.withdrawn
    assert len(shown.standards) == len(STANDARDS["standards"])

    # the application is approved; the decision is anchored and cites the rule set's hash
    with service.db.session() as session:
        application = session.get(RecognitionApplication, shown.application)
        assert application.state == "approved"
        assert application.decision_credential_id == shown.decision
        decision = session.get(Credential, shown.decision)
        assert decision.state == "anchored"
        document = json.loads(decision.document)
    assert document["credentialSubject"]["recognition"]["ruleSet"]["hash"] == rules["hash"]

    # ... and verifies offline as the summary tells, with a trust bundle and a pin
    files = shown.files
    assert files is not None
    (tmp_path / "trust.json").write_text(json.dumps(trust.trust_bundle(service)))
    pin = tmp_path / "pin.json"
    assert credbank(["trust", "pin", "--rpc", chain.url, "--registry", chain.registry,
                     "--out", str(pin)]) == 0
    printed = "\n".join(recognition_lines("http://127.0.0.1:8600", service.settings.data_dir,
                                          shown))
    assert f"/v1/learner/recognition/applications/{shown.application}" in printed
    assert "/v1/registry/rule-sets" in printed and "cb_" not in printed
    capsys.readouterr()
    code = cli.main([str(files / "decision.json"), "--source", str(files / "source-1.json"),
                     "--source", str(files / "source-2.json"), "--rules",
                     str(files / "rules.json"), "--trust", str(tmp_path / "trust.json"),
                     "--pin", str(pin)])
    assert code == 0, capsys.readouterr().out

    # a second run finds everything and adds nothing
    before = _counts(service)
    again = demo.recognition_demo(service)
    assert (again.application, again.decision) == (shown.application, shown.decision)
    assert _counts(service) == before == (3, 32 + 2 + 1, 1)
    assert service.settings.path(CONFIG_FILE).read_text(encoding="utf-8").count(
        "credit_bank") == 1


def test_a_credit_bank_named_otherwise_is_left_alone(service: Service) -> None:
    service.settings.credit_bank = "city-bank"
    assert persist_credit_bank(service, BANK[0]) == "city-bank"
    assert not service.settings.path(CONFIG_FILE).exists()


def test_a_demo_made_before_the_credit_bank_part_gets_it_once(
        service: Service, chain: Chain, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from api.cli import stack
    from api.cli.demo_recognition import RecognitionDemo

    with monkeypatch.context() as patch:  # the demo as it was before
        patch.setattr(demo, "recognition_demo", lambda svc: RecognitionDemo())
        demo.create_demo(service)
    assert _counts(service) == (2, 32, 0)
    said: list[str] = []
    access = stack._prepare(service.settings, True, said.append)
    assert access.demo is None and access.recognition is not None
    assert access.recognition.skipped is None and access.recognition.decision
    assert _counts(service) == (3, 35, 1)
    again = stack._prepare(service.settings, True, said.append)
    assert again.recognition.decision == access.recognition.decision
    assert _counts(service) == (3, 35, 1)
    assert said == ["demo data: made by an earlier run; nothing added"] * 2
