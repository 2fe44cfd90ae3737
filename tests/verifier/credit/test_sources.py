"""Sources from credentials of the current format: what is read, what the figure is typed
as, and that the credentials themselves are untouched."""

from __future__ import annotations

import copy
from datetime import date
from fractions import Fraction

import pytest

from tests.credentials import RECORD, issue, make_issuer, trust_doc
from tests.verifier.credit.examples import ELECTRICIAN_4, FRAMEWORK, RULE_SET, STANDARDS
from verifier import derive_copy, parse_trust_list, verify
from verifier.credential import parse
from verifier.credit import (
    CreditDataError,
    Credits,
    Sector,
    Unit,
    evaluate,
    parse_framework,
    parse_rule_set,
    parse_standards,
    source_from_credential,
)
from verifier.verdict import explain

ELECTRICIAN_RECORD = {
    "learner": {"id": "310101199001011234", "name": "张伟"},
    "achievement": {"type": "Certificate",
                    "name": {"zh": "电工职业技能等级证书（四级）",
                             "en": "Electrician Skills Certificate, Level 4"},
                    "description": {"zh": "电工四级。", "en": "Electrician, level 4."},
                    "level": "3"},
    "creditsEarned": 4,
    "results": [{"value": "合格", "description": "总评"}],
    "validFrom": "2026-06-20T01:00:00Z",
}


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    return make_issuer(tmp_path_factory.mktemp("issuer") / "centre", "城市职业技能培训中心")


@pytest.fixture(scope="module")
def course(issuer):
    return issue(issuer)


@pytest.fixture(scope="module")
def electrician(issuer):
    return issue(issuer, ELECTRICIAN_RECORD, index=1)


def test_a_source_reads_the_current_format(course, issuer):
    source = source_from_credential(parse(course))
    assert source.credential_id == course["id"]
    assert source.issuer == course["credentialStatus"]["statusIssuer"] == issuer.did
    assert source.achievement_type == "Course"
    assert source.issued == date(2026, 9, 1)  # validFrom 2026-09-01T08:00:00Z
    assert source.valid_until == date(2031, 9, 1)
    (ledger,) = [p for p in course["proof"] if p["type"] == "CredbankLedgerProof"]
    assert source.claims_root == ledger["claimsRoot"]
    assert source.level == "本科 undergraduate"  # free text today, kept as written
    assert source.results == ("A", "92")
    assert source.standard is None
    assert source_from_credential(course) == source  # the document itself will do


def test_existing_credits_stay_untyped_unless_the_caller_says_how(course):
    source = source_from_credential(course)
    assert source.credits is None and source.sector is None
    assert source.untyped_credits == 4
    assert source.to_json()["untypedCredits"] == "4"
    typed = source_from_credential(course, unit=Unit.CREDIT, sector=Sector.DEGREE)
    assert typed.credits == Credits(4, Unit.CREDIT, Sector.DEGREE)
    assert typed.untyped_credits is None
    assert source_from_credential(course, sector=Sector.DEGREE).credits is None


def test_a_cited_standard_types_the_figure(electrician):
    catalog = parse_standards(STANDARDS, framework=parse_framework(FRAMEWORK))
    source = source_from_credential(electrician)
    standard = catalog.find(ELECTRICIAN_4, source.issued)
    assert standard.check(credits=source.untyped_credits, level=source.level,
                          on=source.issued) == ()
    cited = source_from_credential(electrician, standard=standard)
    assert cited.standard == ELECTRICIAN_4
    assert cited.credits == Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    assert source_from_credential(electrician, standard=ELECTRICIAN_4).credits is None
    hours = source_from_credential(electrician, standard=standard, unit=Unit.HOUR)
    assert hours.credits == Credits(4, Unit.HOUR, Sector.VOCATIONAL)


def test_the_example_rules_take_a_real_credential(electrician, issuer):
    doc = copy.deepcopy(RULE_SET)
    doc["rules"][0]["match"]["issuers"] = [issuer.did]
    catalog = parse_standards(STANDARDS)
    source = source_from_credential(electrician, standard=catalog.get(ELECTRICIAN_4, "2024"))
    (outcome,) = evaluate(parse_rule_set(doc), [source], as_of=date(2027, 3, 1)).outcomes
    assert outcome.programme.grant.course == "EA105"
    assert outcome.bank.grant.credits == Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    untyped = source_from_credential(electrician)  # no standard cited: no rule is about it
    (outcome,) = evaluate(parse_rule_set(doc), [untyped], as_of=date(2027, 3, 1)).outcomes
    assert not outcome.programme.counted and not outcome.bank.counted


def test_a_derived_copy_gives_what_it_discloses(course):
    hidden = derive_copy(course, [])
    source = source_from_credential(hidden, unit=Unit.CREDIT, sector=Sector.DEGREE)
    assert source.credits is None and source.untyped_credits is None
    assert source.results == () and source.level is None
    assert source.sector is Sector.DEGREE
    assert source.claims_root == source_from_credential(course).claims_root
    shown = derive_copy(course, ["/credentialSubject/creditsEarned",
                                 "/credentialSubject/result/1"])
    source = source_from_credential(shown)
    assert source.untyped_credits == 4 and source.results == ("92",)


def test_decimal_credits_are_read_exactly(issuer):
    record = copy.deepcopy(RECORD)
    record["creditsEarned"] = 0.1
    source = source_from_credential(issue(issuer, record, index=2))
    assert source.untyped_credits == Fraction(1, 10)


def test_credentials_keep_verifying(course, issuer):
    result = verify(course, trust=parse_trust_list(trust_doc(issuer)))
    assert explain(result, accept={"status"}).verified  # offline: no chain evidence here


def test_a_malformed_subject_is_a_credential_format_error(course):
    broken = copy.deepcopy(course)
    broken["credentialSubject"]["creditsEarned"] = "4"
    with pytest.raises(CreditDataError, match="creditsEarned must be a number"):
        source_from_credential(broken)
    broken["credentialSubject"]["creditsEarned"] = -1
    with pytest.raises(CreditDataError, match="must not be negative"):
        source_from_credential(broken)
    del broken["credentialSubject"]["achievement"]["achievementType"]
    broken["credentialSubject"]["creditsEarned"] = 1
    with pytest.raises(CreditDataError, match="achievementType"):
        source_from_credential(broken)


def test_a_typed_figure_and_a_cited_standard_are_read_from_the_document(issuer):
    record = {**copy.deepcopy(ELECTRICIAN_RECORD), "creditUnit": "credit",
              "sector": "vocational", "standard": ELECTRICIAN_4}
    credential = issue(issuer, record)
    source = source_from_credential(credential)
    assert source.credits == Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    assert source.untyped_credits is None and source.standard == ELECTRICIAN_4
    # the explicit arguments still win
    hours = source_from_credential(credential, unit=Unit.HOUR, sector=Sector.VENUE,
                                   standard="other")
    assert hours.credits == Credits(4, Unit.HOUR, Sector.VENUE) and hours.standard == "other"
    # and the credential verifies as before
    report = verify(credential, trust=parse_trust_list(trust_doc(issuer)))
    assert explain(report, accept={"status"}).verified


def test_a_document_unit_that_is_not_a_unit_is_refused(issuer):
    credential = copy.deepcopy(issue(issuer, {**copy.deepcopy(ELECTRICIAN_RECORD),
                                              "creditUnit": "credit", "sector": "degree"}))
    credential["credentialSubject"]["achievement"]["creditUnit"] = "furlong"
    with pytest.raises(CreditDataError, match="creditUnit"):
        source_from_credential(credential)
