"""Points rules: strict reading, the normalized form, canonical bytes and hash, and the
arithmetic of attendance and credential points."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from verifier import canonical
from verifier.credit import CreditDataError, Sector, Unit
from verifier.credit.points import counted_hours, floor_hundredths, parse_points_rules

HEX32 = re.compile(r"^0x[0-9a-f]{64}$")

RULES: dict[str, Any] = {
    "type": "CredbankPointsRules", "id": "urn:example:points", "version": "2026.1",
    "validFrom": "2026-01-01", "validUntil": "2026-12-31",
    "attendance": [
        {"sector": "community_elderly", "pointsPerHour": "10"},
        {"sector": "community_elderly", "activityKind": "exhibition_visit",
         "pointsPerHour": 4},
        {"sector": "venue", "pointsPerHour": "2.5"},
    ],
    "credentials": [
        {"sector": "vocational", "unit": "credit", "pointsPerUnit": "20"},
        {"sector": "degree", "unit": "hour", "pointsPerUnit": "0.5"},
    ],
    "dailyCap": "30",
}


def test_reading_normalizes_order_and_spelling_so_the_hash_is_stable():
    rules = parse_points_rules(RULES)
    shuffled = copy.deepcopy(RULES)
    shuffled["attendance"].reverse()
    shuffled["credentials"].reverse()
    shuffled["attendance"][0]["pointsPerHour"] = "2.50"
    text = json.dumps(shuffled, indent=3)
    again = parse_points_rules(text)
    assert again.canonical() == rules.canonical()
    assert rules.hash() == again.hash() and HEX32.match(rules.hash())
    assert rules.canonical() == canonical.dumps(rules.to_json())
    assert [r["sector"] for r in rules.to_json()["attendance"]] == [
        "community_elderly", "community_elderly", "venue"]


def test_a_changed_rate_changes_the_hash():
    changed = copy.deepcopy(RULES)
    changed["attendance"][0]["pointsPerHour"] = "11"
    assert parse_points_rules(changed).hash() != parse_points_rules(RULES).hash()


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "Other"}, "type must be"),
    ({"attendance": [], "credentials": []}, "at least one"),
    ({"attendance": [{"sector": "moon", "pointsPerHour": "1"}]}, "sector must be one of"),
    ({"attendance": [{"sector": "venue", "pointsPerHour": "1.234"}]}, "2 decimal places"),
    ({"attendance": [{"sector": "venue", "pointsPerHour": 0}]}, "above zero"),
    ({"attendance": [{"sector": "venue", "pointsPerHour": "1"},
                     {"sector": "venue", "pointsPerHour": "2"}]}, "two rates"),
    ({"credentials": [{"sector": "venue", "unit": "gram", "pointsPerUnit": "1"}]},
     "unit must be one of"),
    ({"validUntil": "2025-01-01"}, "before validFrom"),
    ({"extra": 1}, "unknown member 'extra'"),
    ({"dailyCap": "-1"}, "dailyCap"),
])
def test_bad_rules_are_refused_naming_the_member(change: dict[str, Any], message: str):
    with pytest.raises(CreditDataError, match=message):
        parse_points_rules({**RULES, **change})


def test_attendance_points_use_the_kind_rate_first_and_the_daily_cap():
    rules = parse_points_rules(RULES)
    community = Sector.COMMUNITY_ELDERLY
    assert rules.attendance_points(community, "session", Fraction(3, 2)) == 15
    assert rules.attendance_points(community, "exhibition_visit", Fraction(2)) == 8
    assert rules.attendance_points(Sector.VENUE, "session", Fraction("1.33")) == Fraction(
        "3.32")  # 3.325 rounded down
    assert rules.attendance_points(community, "session", Fraction(2), Fraction(25)) == 5
    assert rules.attendance_points(community, "session", Fraction(2), Fraction(30)) == 0
    assert rules.attendance_points(Sector.DEGREE, "session", Fraction(2)) is None


def test_credential_points_per_unit_and_sector():
    rules = parse_points_rules(RULES)
    assert rules.credential_points(Sector.VOCATIONAL, Unit.CREDIT, Fraction(4)) == 80
    assert rules.credential_points(Sector.DEGREE, Unit.HOUR, Fraction("3.333")) == Fraction(
        "1.66")
    assert rules.credential_points(Sector.VOCATIONAL, Unit.HOUR, Fraction(4)) is None


def test_rules_apply_on_the_days_of_their_window():
    rules = parse_points_rules(RULES)
    assert rules.in_force(date(2026, 1, 1)) and rules.in_force(date(2026, 12, 31))
    assert not rules.in_force(date(2027, 1, 1))


def test_counted_hours_of_a_check_in():
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    assert counted_hours(Fraction(2), False, start, None) == 2
    assert counted_hours(Fraction(2), True, start, None) is None
    assert counted_hours(Fraction(2), True, start, start) is None
    assert counted_hours(Fraction(2), True, start, start + timedelta(minutes=50)) == Fraction(
        "0.83")
    assert counted_hours(Fraction(2), True, start, start + timedelta(hours=5)) == 2


def test_floor_hundredths_rounds_down():
    assert floor_hundredths(Fraction(1, 3)) == Fraction("0.33")
    assert floor_hundredths(Fraction("2.999")) == Fraction("2.99")
    assert floor_hundredths(Fraction(5)) == 5


def test_the_example_of_docs_points_md_and_its_canonical_form_and_hash_are_current():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "points.md").read_text("utf-8")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", doc, re.DOTALL | re.MULTILINE)
    (example,) = [b for b in blocks if b.startswith('{\n  "type": "CredbankPointsRules"')]
    rules = parse_points_rules(example)
    assert f"\n{rules.canonical().decode()}\n" in doc
    assert f"\n{rules.hash()}\n" in doc
