"""The learning archive: built, signed by the credit bank, and checked with every
credential it holds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.credentials import ISSUED_AT, issue, make_issuer, trust_doc
from verifier import archive, cli, derive_copy, parse_trust_list, timefmt
from verifier.errors import CredentialFormatError
from verifier.model import Status


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("archive")
    university = make_issuer(root / "u", "上海开放大学 Shanghai Open University")
    college = make_issuer(root / "c", "上海电子信息职业技术学院")
    bank = make_issuer(root / "b", "上海终身教育学分银行")
    first = issue(university)
    second = issue(college, index=1)
    return {"university": university, "college": college, "bank": bank,
            "credentials": [first, second],
            "trust": parse_trust_list(trust_doc(university, college, bank))}


def _signed(world: dict[str, Any], credentials: list[dict[str, Any]] | None = None,
            **changes: Any) -> dict[str, Any]:
    bank = world["bank"]
    key = bank.signing_key(ISSUED_AT)
    document = archive.build(
        archive_id="urn:uuid:00000000-0000-4000-8000-000000000001",
        institution_did=bank.did, institution_name=bank.name, signing_did=key.did,
        name="终身学习档案 Lifelong learning archive",
        identifiers=world["credentials"][0]["credentialSubject"]["identifier"],
        credentials=world["credentials"] if credentials is None else credentials,
        issued_at=ISSUED_AT)
    for path, value in changes.items():
        document["credentialSubject"][path] = value
    return archive.sign(document, key, timefmt.format(ISSUED_AT))


def _status(report: archive.ArchiveReport) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks}


def test_an_archive_checks_its_signer_and_every_credential(world: dict[str, Any]) -> None:
    report = archive.check(_signed(world), trust=world["trust"])
    status = _status(report)
    assert status["archive_form"] is Status.PASSED
    assert status["archive_signature"] is Status.PASSED
    assert status["archive_issuer"] is Status.PASSED
    assert status["archive_totals"] is Status.PASSED
    # a trust list cannot show the anchoring: each credential has that gap, and so does
    # the archive, which is therefore not verified (fail closed)
    assert status["archive_credentials"] is Status.SKIPPED
    assert not report.verified
    assert [i for i, _ in report.credentials] == [c["id"] for c in world["credentials"]]
    assert all(r.check("issuer_signature").status is Status.PASSED
               for _, r in report.credentials)


def test_totals_never_add_untyped_figures(world: dict[str, Any]) -> None:
    document = _signed(world)
    totals = document["credentialSubject"]["credbankTotals"]
    assert totals["earned"] == {"byUnit": [], "byUnitAndSector": []}
    assert [u["value"] for u in totals["untyped"]] == ["4", "4"]


def test_an_altered_archive_fails_its_signature(world: dict[str, Any]) -> None:
    document = _signed(world)
    document["credentialSubject"]["credbankTotals"]["untyped"][0]["value"] = "40"
    status = _status(archive.check(document, trust=world["trust"]))
    assert status["archive_signature"] is Status.FAILED
    assert status["archive_totals"] is Status.FAILED


def test_totals_that_do_not_follow_from_the_credentials_fail(world: dict[str, Any]) -> None:
    raised = {"earned": {"byUnit": [{"value": "8", "unit": "credit"}], "byUnitAndSector": []}}
    status = _status(archive.check(_signed(world, credbankTotals=raised),
                                   trust=world["trust"]))
    assert status["archive_signature"] is Status.PASSED  # the bank signed what it wrote
    assert status["archive_totals"] is Status.FAILED


def test_an_altered_credential_inside_fails(world: dict[str, Any]) -> None:
    altered = copy.deepcopy(world["credentials"])
    altered[1]["credentialSubject"]["creditsEarned"] = 40
    report = archive.check(_signed(world, altered), trust=world["trust"])
    status = _status(report)
    assert status["archive_signature"] is Status.PASSED
    assert status["archive_credentials"] is Status.FAILED
    assert altered[1]["id"] in report.checks[3].detail


def test_derived_copies_are_held_as_they_are(world: dict[str, Any]) -> None:
    first, second = world["credentials"]
    derived = derive_copy(first, ["/credentialSubject/achievement/name"])
    report = archive.check(_signed(world, [derived, second]), trust=world["trust"])
    status = _status(report)
    assert status["archive_credentials"] is Status.SKIPPED
    assert status["archive_totals"] is Status.PASSED


def test_a_signer_outside_the_trust_list_fails(world: dict[str, Any]) -> None:
    trust = parse_trust_list(trust_doc(world["university"], world["college"]))
    status = _status(archive.check(_signed(world), trust=trust))
    assert status["archive_issuer"] is Status.FAILED


def test_an_unknown_member_is_refused(world: dict[str, Any]) -> None:
    document = _signed(world)
    document["extra"] = 1
    report = archive.check(document, trust=world["trust"])
    assert [c.id for c in report.checks] == ["archive_form"]
    assert report.checks[0].status is Status.FAILED
    assert "extra" in report.checks[0].detail


def test_build_refuses_an_empty_or_repeated_selection(world: dict[str, Any]) -> None:
    first = world["credentials"][0]
    with pytest.raises(CredentialFormatError, match="at least one"):
        _signed(world, [])
    with pytest.raises(CredentialFormatError, match="once"):
        _signed(world, [first, first])


def test_credbank_verify_reads_an_archive(world: dict[str, Any], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(trust_doc(world["university"], world["college"],
                                          world["bank"])))
    good, bad = tmp_path / "archive.json", tmp_path / "altered.json"
    document = _signed(world)
    good.write_text(json.dumps(document, ensure_ascii=False))
    document["name"] = "another name"
    bad.write_text(json.dumps(document, ensure_ascii=False))

    assert cli.main([str(good), "--trust", str(trust)]) == 1
    out = capsys.readouterr().out
    # signed by a trusted key, but a trust list cannot show the credentials anchored
    assert "✓ archive_signature" in out and "✓ archive_issuer" in out
    assert all(c["id"] in out for c in world["credentials"])
    assert "NOT VERIFIED archive" in out

    assert cli.main([str(bad), "--trust", str(trust), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["reason"] == "bad_signature" and report["verified"] is False
