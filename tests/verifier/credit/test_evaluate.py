"""evaluate(): the worked example, every reason, caps, order, and properties over random
rule sets and accounts."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.verifier.credit.examples import (
    AS_OF,
    COMMUNITY,
    COMMUNITY_COLLEGE,
    ELECTRICIAN,
    RULE_SET,
    rule_set,
)
from tests.verifier.credit.strategies import accounts, days, rule_set_docs
from verifier.credit import (
    Credits,
    Destination,
    Evaluation,
    ReasonCode,
    Sector,
    TargetKind,
    Unit,
    evaluate,
    parse_rule_set,
)

RULES = parse_rule_set(RULE_SET)


def codes(outcome):
    return [(r.code.value, r.rule, r.cap) if r.cap else (r.code.value, r.rule)
            for r in outcome.reasons]


def replace(source, **changes):
    return dataclasses.replace(source, **changes)


def test_the_worked_example():
    result = evaluate(RULES, [COMMUNITY, ELECTRICIAN], as_of=AS_OF)
    assert result.in_force and result.rule_set_hash == RULES.hash()
    electrician, community = result.outcomes  # issued first, counted first
    assert electrician.source is ELECTRICIAN
    exemption = electrician.programme.grant
    assert (exemption.rule, exemption.kind, exemption.course) == (
        "electrician-4-exempts-EA105", TargetKind.EXEMPTION, "EA105")
    assert exemption.credits == Credits(3, Unit.CREDIT, Sector.DEGREE)
    assert electrician.bank.grant.credits == Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    assert community.programme.grant is None
    assert codes(community.programme) == [("issuer_not_listed", "community-practice-GE110")]
    assert community.bank.grant.rule == "community-hours"
    assert community.bank.grant.credits == Credits(24, Unit.HOUR, Sector.COMMUNITY_ELDERLY)
    assert result.exemptions == ("EA105",)
    assert {u: q.value for u, q in result.bank_totals.by_unit().items()} == {
        Unit.CREDIT: 4, Unit.HOUR: 24}
    assert result.programme_totals.value(Unit.CREDIT, Sector.DEGREE) == 3
    assert [(c.cap, c.limit, c.used) for c in result.caps] == [
        ("credits", 20, 3), ("exemptions", 4, 1)]
    assert {rule: [s.credential_id for s, _ in grants]
            for rule, grants in result.by_rule().items()} == {
        "electrician-4-exempts-EA105": [ELECTRICIAN.credential_id],
        "electrician-4-bank": [ELECTRICIAN.credential_id],
        "community-practice-GE110": [],
        "community-hours": [COMMUNITY.credential_id]}
    document = result.to_json()
    assert document["ruleSet"]["hash"] == RULES.hash()
    assert document["totals"]["bank"]["byUnit"] == [
        {"value": "4", "unit": "credit"}, {"value": "24", "unit": "hour"}]
    assert document["sources"][1]["programme"] == {
        "granted": None,
        "reasons": [{"code": "issuer_not_listed", "rule": "community-practice-GE110"}]}
    assert json.loads(json.dumps(document)) == document


def test_the_decision_day_is_a_day_in_china_standard_time():
    new_year = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Shanghai
    assert evaluate(RULES, [ELECTRICIAN], as_of=new_year).as_of == date(2027, 1, 1)
    assert evaluate(RULES, [ELECTRICIAN], as_of=new_year).in_force
    with pytest.raises(ValueError, match="time zone"):
        evaluate(RULES, [ELECTRICIAN], as_of=datetime(2027, 3, 1))


def test_nothing_counts_outside_the_rule_sets_validity():
    result = evaluate(RULES, [ELECTRICIAN, COMMUNITY], as_of=date(2026, 12, 31))
    assert not result.in_force and not result.grants()
    for outcome in result.outcomes:
        assert codes(outcome.programme) == codes(outcome.bank) == [
            ("rule_set_not_in_force", None)]


@pytest.mark.parametrize("changes, reason", [
    ({"issued": date(2027, 3, 2)}, "not_yet_valid"),
    ({"valid_until": date(2027, 2, 28)}, "expired"),
])
def test_a_source_not_valid_on_the_day_counts_nowhere(changes, reason):
    result = evaluate(RULES, [replace(ELECTRICIAN, **changes)], as_of=AS_OF)
    (outcome,) = result.outcomes
    assert codes(outcome.programme) == codes(outcome.bank) == [(reason, None)]
    assert evaluate(RULES, [replace(ELECTRICIAN, valid_until=AS_OF)], as_of=AS_OF).grants()


def test_the_same_credential_counts_once():
    result = evaluate(RULES, [ELECTRICIAN, ELECTRICIAN], as_of=AS_OF)
    first, second = result.outcomes
    assert first.programme.counted and first.bank.counted
    assert codes(second.programme) == codes(second.bank) == [("duplicate", None)]
    assert result.bank_totals.value(Unit.CREDIT) == 4


def test_a_source_older_than_the_rules_allow_is_refused():
    old = replace(ELECTRICIAN, issued=date(2022, 2, 28))  # P5Y ends 2027-02-28
    (outcome,) = evaluate(RULES, [old], as_of=AS_OF).outcomes
    assert codes(outcome.programme) == [("too_old", "electrician-4-exempts-EA105")]
    assert codes(outcome.bank) == [("too_old", "electrician-4-bank")]
    (outcome,) = evaluate(RULES, [replace(old, issued=date(2022, 3, 1))], as_of=AS_OF).outcomes
    assert outcome.programme.counted and outcome.bank.counted


def test_every_unmet_condition_of_a_rule_is_named():
    weak = replace(ELECTRICIAN, results=("不合格",), issuer=COMMUNITY_COLLEGE)
    (outcome,) = evaluate(RULES, [weak], as_of=AS_OF).outcomes
    assert codes(outcome.programme) == [
        ("issuer_not_listed", "electrician-4-exempts-EA105"),
        ("result_too_low", "electrician-4-exempts-EA105")]
    assert outcome.bank.grant.rule == "electrician-4-bank"  # no minimum there
    hidden = replace(ELECTRICIAN, results=())  # a copy that does not disclose its result
    (outcome,) = evaluate(RULES, [hidden], as_of=AS_OF).outcomes
    assert codes(outcome.programme) == [("result_too_low", "electrician-4-exempts-EA105")]


def test_a_source_no_rule_is_about_counts_nowhere():
    other = replace(ELECTRICIAN, standard="6-31-01-03-3")
    (outcome,) = evaluate(RULES, [other], as_of=AS_OF).outcomes
    assert codes(outcome.programme) == codes(outcome.bank) == [("no_rule", None)]
    assert ReasonCode.NO_RULE.zh == "没有适用的规则"
    assert all(code.zh and code.en for code in ReasonCode)


def test_rates_need_a_typed_figure_in_their_unit():
    untyped = replace(COMMUNITY, credits=None, untyped_credits=Fraction(24),
                      sector=Sector.COMMUNITY_ELDERLY)
    points = replace(COMMUNITY, credits=Credits(24, Unit.POINT, Sector.COMMUNITY_ELDERLY),
                     credential_id="urn:example:points")
    result = evaluate(RULES, [untyped, points], as_of=AS_OF)
    assert codes(result.outcomes[1].bank) == [("credits_unknown", "community-hours")]
    assert codes(result.outcomes[0].bank) == [("credits_unit", "community-hours")]


@pytest.mark.parametrize("hours, granted, capped, reasons", [
    (10, None, (), [("below_rate", "community-practice-GE110")]),
    (40, 2, (), []),
    (60, 2, ("course",), []),
])
def test_a_rate_counts_whole_steps_and_never_more_than_the_course(hours, granted, capped,
                                                                  reasons):
    source = replace(COMMUNITY, issuer=COMMUNITY_COLLEGE,
                     credits=Credits(hours, Unit.HOUR, Sector.COMMUNITY_ELDERLY))
    (outcome,) = evaluate(RULES, [source], as_of=AS_OF).outcomes
    assert codes(outcome.programme) == reasons
    grant = outcome.programme.grant
    assert (grant.credits.value if grant else None) == granted
    if grant:
        assert grant.capped_by == capped
        assert grant.requested.value == hours // 18
    assert outcome.bank.grant.credits.value == hours  # and the hours count in the bank


def _electricians(n):
    return [replace(ELECTRICIAN, credential_id=f"urn:example:electrician:{i}",
                    issued=date(2026, 6, 20 + i)) for i in range(n)]


def test_a_course_is_granted_once_and_a_later_rule_may_still_count():
    doc = copy.deepcopy(RULE_SET)
    doc["rules"].insert(1, {"id": "electrician-4-practice",
                            "match": {"standard": "6-31-01-03-4"},
                            "grant": {"type": "courseCredits", "course": "GE110",
                                      "value": "1"}})
    first, second, third = evaluate(parse_rule_set(doc), _electricians(3),
                                    as_of=AS_OF).outcomes
    assert first.programme.grant.rule == "electrician-4-exempts-EA105"
    assert second.programme.grant.rule == "electrician-4-practice"
    assert codes(second.programme) == [("course_taken", "electrician-4-exempts-EA105")]
    assert third.programme.grant is None
    assert codes(third.programme) == [("course_taken", "electrician-4-exempts-EA105"),
                                      ("course_taken", "electrician-4-practice")]
    assert [o.bank.grant.credits.value for o in (first, second, third)] == [4, 4, 4]


def test_caps_trim_credits_and_refuse_what_does_not_fit():
    doc = copy.deepcopy(RULE_SET)
    doc["programme"]["caps"] = {"credits": "4", "exemptions": 1}
    doc["rules"].insert(1, {"id": "electrician-4-practice",
                            "match": {"standard": "6-31-01-03-4"},
                            "grant": {"type": "courseCredits", "course": "GE110",
                                      "value": "2"}})
    doc["programme"]["courses"].append(
        {"code": "EA106", "name": {"zh": "电机", "en": "Machines"}, "credits": "1"})
    doc["rules"].insert(0, {"id": "electrician-4-exempts-EA106",
                            "match": {"standard": "6-31-01-03-4"},
                            "grant": {"type": "exemption", "course": "EA106"}})
    result = evaluate(parse_rule_set(doc), _electricians(4), as_of=AS_OF)
    first, second, third, fourth = result.outcomes
    assert first.programme.grant.course == "EA106"
    # the exemptions cap is used up; the practice credits are trimmed to the credits cap
    assert codes(second.programme) == [
        ("course_taken", "electrician-4-exempts-EA106"),
        ("capped", "electrician-4-exempts-EA105", "exemptions")]
    assert second.programme.grant.rule == "electrician-4-practice"
    assert second.programme.grant.credits.value == 2
    assert not second.programme.grant.capped_by
    assert third.programme.grant is None
    assert ("capped", "electrician-4-exempts-EA105", "exemptions") in codes(third.programme)
    assert [(c.cap, c.used) for c in result.caps] == [("credits", 3), ("exemptions", 1)]
    assert fourth.bank.counted

    doc["programme"]["caps"] = {"credits": "2.5"}
    result = evaluate(parse_rule_set(doc), _electricians(3), as_of=AS_OF)
    first, second, third = result.outcomes
    assert first.programme.grant.course == "EA106"  # 1 of 2.5
    assert codes(second.programme) == [("course_taken", "electrician-4-exempts-EA106"),
                                       ("capped", "electrician-4-exempts-EA105", "credits")]
    trimmed = second.programme.grant
    assert (trimmed.credits.value, trimmed.requested.value, trimmed.capped_by) == (
        Fraction(3, 2), 2, ("credits",))
    assert trimmed.to_json()["cappedBy"] == ["credits"]
    assert ("capped", "electrician-4-exempts-EA105", "credits") in codes(third.programme)
    assert result.caps[0].used == Fraction(5, 2)


def test_the_first_matching_rule_in_the_rule_sets_order_wins():
    doc = rule_set()
    doc["rules"].insert(1, {"id": "electrician-4-bank-6",
                            "match": {"standard": "6-31-01-03-4"},
                            "grant": {"type": "bankCredits", "value": "6", "unit": "credit",
                                      "sector": "vocational"}})
    (outcome,) = evaluate(parse_rule_set(doc), [ELECTRICIAN], as_of=AS_OF).outcomes
    assert outcome.bank.grant.rule == "electrician-4-bank-6"
    doc["rules"][1], doc["rules"][2] = doc["rules"][2], doc["rules"][1]
    (outcome,) = evaluate(parse_rule_set(doc), [ELECTRICIAN], as_of=AS_OF).outcomes
    assert outcome.bank.grant.rule == "electrician-4-bank"


# ---- properties -----------------------------------------------------------------------------

def _check_invariants(rules, result: Evaluation) -> None:
    programme = rules.programme
    granted = [g for _, g in result.grants(Destination.PROGRAMME)]
    used = sum((g.credits.value for g in granted), Fraction(0))
    caps = programme.caps
    if caps.credits is not None:
        assert used <= caps.credits
    if caps.exemptions is not None:
        assert sum(g.kind is TargetKind.EXEMPTION for g in granted) <= caps.exemptions
    courses = Counter(g.course for g in granted)
    assert all(n == 1 for n in courses.values())
    for grant in granted:
        assert grant.credits.value <= programme.course(grant.course).credits
        assert grant.credits.value <= grant.requested.value
        assert grant.credits.value > 0
    for destination in Destination:
        counted = Counter(s.credential_id for s, _ in result.grants(destination))
        assert all(n == 1 for n in counted.values())
    for totals, destination in ((result.programme_totals, Destination.PROGRAMME),
                                (result.bank_totals, Destination.BANK)):
        per_unit: dict[Unit, Fraction] = defaultdict(Fraction)
        for _, grant in result.grants(destination):
            per_unit[grant.credits.unit] += grant.credits.value
        assert {u: q.value for u, q in totals.by_unit().items()} == per_unit
        for (unit, sector), figure in totals.by_unit_sector().items():
            assert (figure.unit, figure.sector) == (unit, sector)
    for use in result.caps:
        if use.cap == "credits":
            assert use.used == used <= use.limit


@st.composite
def scenarios(draw):
    doc = draw(rule_set_docs())
    return doc, draw(accounts(doc))


@settings(max_examples=200, deadline=None)
@given(scenarios(), days, st.randoms(use_true_random=False))
def test_grants_respect_caps_keep_units_apart_and_ignore_the_order_of_sources(
        scenario, day, rnd):
    doc, account = scenario
    rules = parse_rule_set(doc)
    result = evaluate(rules, account, as_of=day)
    _check_invariants(rules, result)
    shuffled = list(account)
    rnd.shuffle(shuffled)
    again = evaluate(rules, shuffled, as_of=day)
    assert again == result
    assert again.to_json() == result.to_json()
    assert evaluate(rules, reversed(account), as_of=day) == result
