"""credbank-verify with --source and --rules: a decision credential's verdict, then its
decision checks (docs/creditbank.md §9.5)."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.credentials import trust_doc
from verifier.cli import main

from .decisions import (
    COMMUNITY_RECORD,
    CST,
    ELECTRICIAN_RECORD,
    Issuers,
    decide,
    issue,
    read_sources,
)
from .examples import RULE_SET


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("decision")
    issuers = Issuers.create(directory / "issuers")
    electrician = issue(issuers.vocational, ELECTRICIAN_RECORD)
    community = issue(issuers.elderly, COMMUNITY_RECORD,
                      at=datetime(2026, 12, 10, 10, tzinfo=CST))
    decision = decide(issuers.university, read_sources(electrician, community))
    raised = copy.deepcopy(decision["credentialSubject"]["recognition"])
    raised["grants"][0]["credits"]["value"] = "30"
    forged = decide(issuers.university, [], member=raised, index=1)
    out = {}
    for name, doc in (("electrician", electrician), ("community", community),
                      ("decision", decision), ("forged", forged), ("rules", RULE_SET),
                      ("trust", trust_doc(*issuers.all()))):
        out[name] = directory / f"{name}.json"
        out[name].write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return out


def run(files: dict[str, Path], decision: str, *extra: str) -> list[str]:
    return [str(files[decision]), "--source", str(files["electrician"]), "--source",
            str(files["community"]), "--rules", str(files["rules"]), "--trust",
            str(files["trust"]), "--at", "2027-06-01T00:00:00Z", *extra]


def test_a_decision_verifies_with_its_checks_shown(files, capsys) -> None:
    assert main(run(files, "decision", "--no-status")) == 0
    out = capsys.readouterr().out
    assert "DECISION VERIFIED, except that the rule set's publication" in out
    for check in ("decision.form", "decision.sources", "decision.rule_set", "decision.grant"):
        assert check in out
    assert "verified as of the decision" in out


def test_gaps_are_not_verified_unless_accepted(files, capsys) -> None:
    # without chain evidence, neither the sources' status nor the rule set's publication
    # was checked: not verified, the first gap named
    assert main(run(files, "decision")) == 1
    out = capsys.readouterr().out
    assert "DECISION NOT VERIFIED: a source credential is missing, not the one cited, or " \
        "does not verify (source urn:uuid:" in out
    assert "status could not be checked" in out


def test_raised_credits_exit_1_naming_the_grant(files, capsys) -> None:
    assert main(run(files, "forged", "--no-status")) == 1
    out = capsys.readouterr().out
    assert "DECISION NOT VERIFIED: the credits granted differ" in out
    assert "✗ decision.grant" in out


def test_json_carries_the_decision_report(files, capsys) -> None:
    assert main(run(files, "decision", "--no-status", "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] is True
    decision = report["decision"]
    assert decision["verified"] is True and decision["notChecked"] == ["rule_set_unchecked"]
    assert [c["id"] for c in decision["checks"]] == [
        "decision.form", "decision.sources", "decision.rule_set", "decision.grant"]
    assert all(s["given"] for s in decision["sources"])


def test_bad_input_is_one_line_and_exit_2(files, tmp_path, capsys) -> None:
    broken = tmp_path / "rules.json"
    broken.write_text(json.dumps({**RULE_SET, "rules": []}), encoding="utf-8")
    args = run(files, "decision")
    args[args.index("--rules") + 1] = str(broken)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("credbank-verify: --rules ") and err.count("\n") == 1
    args = run(files, "decision")
    args[args.index("--source") + 1] = str(tmp_path / "missing.json")
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("credbank-verify: --source ")
    with pytest.raises(SystemExit) as exited:
        main([str(files["decision"]), "--source", str(files["electrician"])])
    assert exited.value.code == 2
    assert "--rules and at least one --source" in capsys.readouterr().err
