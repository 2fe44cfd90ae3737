"""A Verifiable Presentation answering an employer's request: made, checked, and each
named check failing where it should."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.credentials import LATER, RECORD, issue, make_issuer, trust_doc
from verifier import derive_copy, keys, parse_trust_list
from verifier.cli import main
from verifier.model import Status
from verifier.presentation import check, credential_check, make
from verifier.requirements import holder_name, name_pointer, parse_requirements, pointers

CHALLENGE = "c2hhbGxlbmdlLW9uZQ"
DOMAIN = "https://credits.example.gov.cn/v1/employers/acme"
HOLDER = keys.SigningKey.from_seed(bytes(range(32)))


def electrician(level: str = "3", credits: int = 12, field: str = "电气工程") -> dict[str, Any]:
    record = copy.deepcopy(RECORD)
    record["achievement"] = {"type": "Certificate", "name": {"zh": "电工（四级）"},
                             "description": {"zh": "电工职业技能等级。"},
                             "fieldOfStudy": field, "level": level, "code": "6-31-01-03"}
    record.update(creditsEarned=credits, creditUnit="credit", sector="vocational")
    return record


REQUIREMENTS = parse_requirements([
    {"id": "elec", "kind": "achievement", "name": "电工", "minLevel": "3"},
    {"id": "credits", "kind": "credits", "field": "电气", "unit": "credit", "min": 20},
    {"id": "any", "kind": "accredited", "minLevel": "2"},
])


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory):
    issuer = make_issuer(tmp_path_factory.mktemp("issuer"))
    first = issue(issuer, electrician("3", 12), index=1)
    second = issue(issuer, electrician("2", 10, "电气自动化"), index=2)
    return issuer, first, second


def derived(full: dict[str, Any], name: bool = True) -> dict[str, Any]:
    reveal = {p for r in REQUIREMENTS for p in pointers(r)}
    if name:
        reveal.add(name_pointer(full))
    return derive_copy(full, sorted(reveal))


def presentation(issued, **changes: Any) -> dict[str, Any]:
    _, first, second = issued
    args = {"challenge": CHALLENGE, "domain": DOMAIN, "created": "2026-12-01T00:00:00Z",
            "presentation_id": "urn:uuid:6d1b2f4e-0000-4000-8000-000000000001", **changes}
    return make([derived(first), derived(second)], HOLDER, **args)


def checked(issued, vp: dict[str, Any], challenge: str = CHALLENGE, domain: str = DOMAIN):
    issuer = issued[0]
    judge = credential_check(trust=parse_trust_list(trust_doc(issuer)), evidence=None,
                             accept={"status"}, now=LATER)
    return check(vp, challenge=challenge, domain=domain, check_credential=judge,
                 requirements=REQUIREMENTS)


def statuses(report) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks}


def test_a_presentation_bound_to_its_request_verifies_and_judges_each_requirement(issued):
    report = checked(issued, presentation(issued))
    assert report.verified, report.to_json()
    assert report.holder == HOLDER.did and report.names == ("张伟",)
    judged = {j.requirement.id: j for j in report.requirements}
    assert judged["elec"].met and judged["credits"].met and judged["any"].met
    assert judged["credits"].detail == "22 credit in 电气 (at least 20)"
    quoted = {(e.pointer, e.value) for e in judged["elec"].evidence}
    assert ("/credentialSubject/achievement/level", "3") in quoted
    assert report.to_json()["holderName"] == "张伟"


def test_requirements_not_met_are_named_with_why(issued):
    _, first, _ = issued
    vp = make([derived(first)], HOLDER, challenge=CHALLENGE, domain=DOMAIN,
              created="2026-12-01T00:00:00Z", presentation_id="urn:uuid:x")
    strict = parse_requirements([
        {"id": "senior", "kind": "achievement", "name": "电工", "minLevel": "4"},
        {"id": "credits", "kind": "credits", "field": "电气", "unit": "credit", "min": 20}])
    report = check(vp, challenge=CHALLENGE, domain=DOMAIN, requirements=strict,
                   check_credential=credential_check(
                       trust=parse_trust_list(trust_doc(issued[0])), evidence=None,
                       accept={"status"}, now=LATER))
    assert statuses(report)["presentation.requirements"] is Status.FAILED
    judged = {j.requirement.id: j for j in report.requirements}
    assert not judged["senior"].met and judged["senior"].detail == "level 3 is below 4"
    assert not judged["credits"].met and "12 credit" in judged["credits"].detail


def test_sent_to_another_request_fails_challenge_and_domain(issued):
    vp = presentation(issued)
    report = checked(issued, vp, challenge="another-challenge", domain="https://other.example")
    assert statuses(report)["presentation.challenge"] is Status.FAILED
    assert statuses(report)["presentation.domain"] is Status.FAILED
    assert statuses(report)["presentation.proof"] is Status.PASSED
    assert not report.verified


def test_a_rewritten_challenge_breaks_the_holders_proof(issued):
    vp = presentation(issued, challenge="old")
    vp["proof"]["challenge"] = CHALLENGE
    report = checked(issued, vp)
    assert statuses(report)["presentation.challenge"] is Status.PASSED
    assert statuses(report)["presentation.proof"] is Status.FAILED


def test_a_swapped_credential_fails_the_proof(issued):
    issuer, first, _ = issued
    vp = presentation(issued)
    other = issue(issuer, electrician("5", 40), index=3)
    vp["verifiableCredential"][1] = derived(other)
    report = checked(issued, vp)
    assert statuses(report)["presentation.proof"] is Status.FAILED
    assert statuses(report)["presentation.credentials"] is Status.PASSED
    assert report.failed == "presentation.proof"


def test_an_altered_credential_fails_credentials_and_counts_for_nothing(issued):
    _, first, second = issued
    forged = derived(second)
    forged["credentialSubject"]["creditsEarned"] = 100
    vp = make([derived(first), forged], HOLDER, challenge=CHALLENGE, domain=DOMAIN,
              created="2026-12-01T00:00:00Z", presentation_id="urn:uuid:x")
    report = checked(issued, vp)
    assert statuses(report)["presentation.proof"] is Status.PASSED  # the holder signed it
    assert statuses(report)["presentation.credentials"] is Status.FAILED
    assert "altered" in report.check("presentation.credentials").detail
    assert not {j.requirement.id: j for j in report.requirements}["credits"].met


def test_a_proof_by_someone_else_than_the_holder_fails(issued):
    vp = presentation(issued)
    vp["holder"] = keys.SigningKey.from_seed(bytes(32)).did
    assert statuses(checked(issued, vp))["presentation.proof"] is Status.FAILED


@pytest.mark.parametrize("mutate", [
    lambda vp: vp.pop("proof"),
    lambda vp: vp.update(type=["VerifiableCredential"]),
    lambda vp: vp.update(verifiableCredential=[]),
    lambda vp: vp.update(holder="did:web:example.com"),
    lambda vp: vp.update({"@context": ["https://example.com"]}),
])
def test_a_malformed_presentation_fails_form_and_skips_the_rest(issued, mutate):
    vp = presentation(issued)
    mutate(vp)
    report = checked(issued, vp)
    assert report.checks[0].id == "presentation.form"
    assert report.checks[0].status is Status.FAILED
    assert all(c.status is Status.SKIPPED for c in report.checks[1:])
    assert not report.verified


def test_the_name_is_revealed_only_when_disclosed(issued):
    _, first, _ = issued
    assert holder_name(derived(first, name=False)) is None
    assert holder_name(derived(first)) == "张伟"


def test_credbank_verify_checks_a_presentation_offline(issued, tmp_path: Path, capsys):
    vp_file, trust_file, wanted = (tmp_path / "vp.json", tmp_path / "trust.json",
                                   tmp_path / "request.json")
    vp_file.write_text(json.dumps(presentation(issued), ensure_ascii=False), encoding="utf-8")
    trust_file.write_text(json.dumps(trust_doc(issued[0])), encoding="utf-8")
    wanted.write_text(json.dumps({"requirements": [r.to_json() for r in REQUIREMENTS]},
                                 ensure_ascii=False), encoding="utf-8")
    common = [str(vp_file), "--trust", str(trust_file), "--no-status", "--at",
              "2027-01-01T00:00:00Z", "--requirements", str(wanted)]
    assert main([*common, "--challenge", CHALLENGE, "--domain", DOMAIN]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VERIFIED presentation") and "requirement credits: 22 credit" in out
    assert main([*common, "--challenge", "other", "--domain", DOMAIN, "--json"]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["verified"] is False and answer["failed"] == "presentation.challenge"
    # without the request's challenge and domain nothing is bound: not verified
    assert main([str(vp_file), "--trust", str(trust_file), "--no-status"]) == 1
    assert "presentation.challenge failed" in capsys.readouterr().out


def test_credbank_verify_refuses_a_malformed_requirements_file(issued, tmp_path: Path, capsys):
    bad = tmp_path / "request.json"
    bad.write_text('{"requirements": [{"id": "x", "kind": "salary"}]}', encoding="utf-8")
    vp_file = tmp_path / "vp.json"
    vp_file.write_text(json.dumps(presentation(issued)), encoding="utf-8")
    assert main([str(vp_file), "--requirements", str(bad)]) == 2
    assert "kind must be one of" in capsys.readouterr().err


def test_an_accepted_unknown_issuer_never_counts_as_accredited(issued):
    vp = presentation(issued)
    lenient = credential_check(trust=None, evidence=None, accept={"issuer", "status"},
                               now=LATER)
    report = check(vp, challenge=CHALLENGE, domain=DOMAIN, check_credential=lenient,
                   requirements=REQUIREMENTS)
    assert statuses(report)["presentation.credentials"] is Status.PASSED  # gaps accepted
    judged = {j.requirement.id: j for j in report.requirements}
    assert judged["elec"].met and judged["credits"].met
    assert not judged["any"].met
    assert judged["any"].detail == \
        "no verified credential from an accredited issuer was presented"
