"""Conversion rule sets: strict reading, the normalized form, canonical bytes and hash."""

from __future__ import annotations

import copy
import json
import random
import re
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.verifier.credit.examples import (
    AUTHORITY,
    COMMUNITY_COLLEGE,
    OPEN_UNIVERSITY,
    RULE_SET,
    VOCATIONAL_CENTRE,
    rule_set,
)
from tests.verifier.credit.strategies import respelled, rule_set_docs
from verifier import canonical
from verifier.credit import (
    CreditDataError,
    Destination,
    MaxAge,
    MinResult,
    OwnerKind,
    Sector,
    TargetKind,
    Unit,
    parse_rule_set,
)

HEX32 = re.compile(r"^0x[0-9a-f]{64}$")


def test_the_example_reads_into_rules_in_their_order():
    rules = parse_rule_set(RULE_SET)
    assert (rules.id, rules.version, rules.owner.kind, rules.owner.id) == (
        RULE_SET["id"], "2027.1", OwnerKind.AUTHORITY, AUTHORITY)
    assert rules.in_force(date(2027, 1, 1)) and rules.in_force(date(2027, 12, 31))
    assert not rules.in_force(date(2026, 12, 31)) and not rules.in_force(date(2028, 1, 1))
    assert [r.id for r in rules.rules] == [r["id"] for r in RULE_SET["rules"]]
    exempt, bank, practice, hours = rules.rules
    assert exempt.grant.kind is TargetKind.EXEMPTION and exempt.grant.course == "EA105"
    assert exempt.grant.destination is Destination.PROGRAMME
    assert exempt.match.issuers == (VOCATIONAL_CENTRE,)
    assert exempt.match.min_result == MinResult(grade="合格",
                                                scale=("不合格", "合格", "良好", "优秀"))
    assert bank.grant.destination is Destination.BANK
    assert (bank.grant.value, bank.grant.unit, bank.grant.sector) == (
        4, Unit.CREDIT, Sector.VOCATIONAL)
    assert practice.match.issuers == (COMMUNITY_COLLEGE,)
    assert (practice.grant.rate.each, practice.grant.rate.gives) == (18, 1)
    assert hours.grant.rate.apply(Fraction(49, 2)) == 24  # whole hours only
    assert rules.programme.course("GE110").credits == 2
    assert rules.programme.caps.credits == 20 and rules.programme.caps.exemptions == 4


def test_the_hash_is_sha256_of_the_canonical_bytes():
    rules = parse_rule_set(RULE_SET)
    assert HEX32.match(rules.hash())
    assert rules.canonical() == canonical.dumps(rules.to_json())
    assert parse_rule_set(rules.to_json()) == rules
    assert parse_rule_set(rules.canonical()) == rules
    assert parse_rule_set(json.dumps(RULE_SET)).hash() == rules.hash()


@settings(max_examples=150, deadline=None)
@given(rule_set_docs(), st.randoms(use_true_random=False))
def test_the_canonical_form_ignores_member_order_whitespace_and_number_spelling(doc, rnd):
    rules = parse_rule_set(doc)
    again = parse_rule_set(respelled(doc, rnd))
    assert again == rules
    assert again.canonical() == rules.canonical()
    assert again.hash() == rules.hash()


def test_the_example_is_canonical_whatever_its_spelling():
    rnd = random.Random(7)
    hashes = {parse_rule_set(respelled(RULE_SET, rnd)).hash() for _ in range(50)}
    assert hashes == {parse_rule_set(RULE_SET).hash()}


def test_what_changes_the_meaning_changes_the_hash():
    base = parse_rule_set(RULE_SET).hash()
    reordered = rule_set(rules=list(reversed(RULE_SET["rules"])))
    assert parse_rule_set(reordered).hash() != base  # the first matching rule wins
    cheaper = copy.deepcopy(RULE_SET)
    cheaper["rules"][1]["grant"]["value"] = "3.5"
    assert parse_rule_set(cheaper).hash() != base
    later = rule_set(version="2027.2")
    assert parse_rule_set(later).hash() != base


def test_a_programme_may_own_its_rules_but_grants_no_bank_credits():
    owner = {"type": "programme", "id": OPEN_UNIVERSITY, "programme": "EA-2027"}
    programme_rules = [r for r in RULE_SET["rules"] if r["grant"]["type"] != "bankCredits"]
    rules = parse_rule_set(rule_set(owner=owner, rules=programme_rules))
    assert rules.owner.programme == "EA-2027"
    with pytest.raises(CreditDataError, match="only the authority's rule sets grant bank"):
        parse_rule_set(rule_set(owner=owner))
    with pytest.raises(CreditDataError, match="an owning programme must be"):
        parse_rule_set(rule_set(owner={**owner, "programme": "OTHER"}, rules=programme_rules))


@pytest.mark.parametrize("issued, age, last", [
    (date(2024, 2, 29), "P5Y", date(2029, 2, 28)),
    (date(2026, 8, 31), "P18M", date(2028, 2, 29)),
    (date(2026, 12, 10), "P90D", date(2027, 3, 10)),
    (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
])
def test_a_maximum_age_ends_on_a_calendar_day(issued, age, last):
    doc = copy.deepcopy(RULE_SET)
    doc["rules"][0]["match"]["maxAge"] = age
    max_age = parse_rule_set(doc).rules[0].match.max_age
    assert isinstance(max_age, MaxAge) and str(max_age) == age
    assert max_age.last_day(issued) == last


def test_results_compare_as_scores_or_on_an_ordered_scale():
    score = MinResult(score=Fraction(60))
    assert score.met_by(["A", "60"]) and score.met_by([" 87.5 "])
    assert not score.met_by(["59.9", "合格", "60分"]) and not score.met_by([])
    grade = MinResult(grade="良好", scale=("不合格", "合格", "良好", "优秀"))
    assert grade.met_by(["优秀"]) and grade.met_by(["合格", "良好"])
    assert not grade.met_by(["合格", "90", "Excellent"])


def _mutated(path, value):
    doc = copy.deepcopy(RULE_SET)
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


DELETE = KeyError
BROKEN = [
    (("extra",), 1, "rule set: unknown member 'extra'"),
    (("type",), "CredbankRules", "type must be 'CredbankRuleSet'"),
    (("rules",), [], "rule set.rules must not be empty"),
    (("validUntil",), "2026-12-31", "rule set.validUntil is before validFrom"),
    (("validFrom",), "2027-02-30", "rule set.validFrom is not a valid date"),
    (("owner", "type"), "school", "owner.type must be one of authority, programme"),
    (("owner", "id"), "creditbank", "owner.id must be a DID"),
    (("programme", "sector"), "school", "programme.sector must be one of"),
    (("programme", "courses", 1, "code"), "EA105", "course 'EA105' appears twice"),
    (("programme", "caps", "exemptions"), -1, "caps.exemptions must be a whole number"),
    (("programme", "caps", "hours"), 3, "programme.caps: unknown member 'hours'"),
    (("rules", 1, "id"), "electrician-4-exempts-EA105", "rules[1].id 'electrician-4-exempts"),
    (("rules", 0, "when"), 1, "rules[0]: unknown member 'when'"),
    (("rules", 1, "match"), {"maxAge": "P5Y"}, "name a standard, an achievementType or"),
    (("rules", 0, "match", "maxAge"), "5 years", "maxAge must be P<n>Y"),
    (("rules", 0, "match", "maxAge"), "P0Y", "maxAge must be P<n>Y"),
    (("rules", 0, "match", "issuers"), [VOCATIONAL_CENTRE] * 2, "an issuer appears twice"),
    (("rules", 0, "match", "issuers"), [], "issuers must not be empty"),
    (("rules", 0, "match", "minResult"), {"grade": "A", "scale": ["B", "A", "B"]},
     "a grade appears twice"),
    (("rules", 0, "match", "minResult"), {"grade": "A+", "scale": ["B", "A"]},
     "grade 'A+' is not on the scale"),
    (("rules", 0, "match", "minResult"), {"score": "60", "grade": "A"},
     "minResult: unknown member 'grade'"),
    (("rules", 0, "grant", "course"), "XX1", "'XX1' is not a course of the programme"),
    (("rules", 0, "grant", "type"), "credits", "grant.type must be one of exemption"),
    (("rules", 1, "grant", "value"), DELETE, "give either a value or a rate"),
    (("rules", 1, "grant", "rate"), {"from": "hour", "each": 1, "gives": 1},
     "give either a value or a rate"),
    (("rules", 1, "grant", "value"), "0", "grant.value must be above zero"),
    (("rules", 1, "grant", "value"), True, "grant.value must be a number"),
    (("rules", 1, "grant", "value"), "4.0000001", "more than 6 decimal places"),
    (("rules", 1, "grant", "value"), "1e9", "must be a decimal number"),
    (("rules", 1, "grant", "value"), 10**10, "must be at most 1000000000"),
    (("rules", 1, "grant", "sector"), DELETE, "rules[1].grant: sector is required"),
    (("rules", 2, "grant", "rate", "from"), "day", "rate.from must be one of credit"),
    (("rules", 2, "grant"), {"type": "courseCredits", "course": "GE110", "value": "2.5"},
     "grant.value is more than course GE110's credits"),
]


@pytest.mark.parametrize("path, value, message", BROKEN)
def test_malformed_rule_sets_are_refused_in_one_line(path, value, message):
    with pytest.raises(CreditDataError) as caught:
        parse_rule_set(_mutated(path, value))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rules_that_target_courses_need_a_programme():
    doc = rule_set()
    del doc["programme"]
    with pytest.raises(CreditDataError, match=r"rules\[0\].grant.course: the rule set has no"):
        parse_rule_set(doc)
    bank_only = rule_set(rules=[RULE_SET["rules"][1], RULE_SET["rules"][3]])
    del bank_only["programme"]
    assert parse_rule_set(bank_only).programme is None


def test_json_text_is_read_strictly():
    text = json.dumps(RULE_SET)
    with pytest.raises(CreditDataError, match="duplicate JSON member name 'id'"):
        parse_rule_set(text[:-1] + ', "id": "again"}')
    with pytest.raises(CreditDataError, match="is not valid JSON"):
        parse_rule_set(text.replace('"4"', "NaN", 1))
    with pytest.raises(CreditDataError, match="must be a JSON object"):
        parse_rule_set("[]")
