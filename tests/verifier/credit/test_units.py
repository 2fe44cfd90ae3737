"""Typed credits: exact values, units and sectors that are never mixed, totals."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.credit import (
    Credits,
    Quantity,
    Sector,
    SectorMismatch,
    Totals,
    Unit,
    UnitMismatch,
    value_of,
    value_text,
)


def test_every_unit_and_sector_has_a_chinese_and_an_english_name():
    assert [(u.value, u.zh, u.en) for u in Unit] == [
        ("credit", "学分", "credit"), ("hour", "学时", "hour"), ("point", "积分", "point")]
    assert [s.value for s in Sector] == [
        "degree", "vocational", "non_degree", "community_elderly", "venue"]
    assert [s.zh for s in Sector] == ["学历教育", "职业培训", "非学历培训", "社区与老年教育",
                                      "场馆学习"]
    assert all(s.en for s in Sector)


@pytest.mark.parametrize("raw, expected", [
    ("4", Fraction(4)), ("1.50", Fraction(3, 2)), (Decimal("0.25"), Fraction(1, 4)),
    (3, Fraction(3)), (Fraction(1, 8), Fraction(1, 8)), ("0", Fraction(0)),
])
def test_values_are_exact(raw, expected):
    assert value_of(raw) == expected


@pytest.mark.parametrize("raw, error", [
    (1.5, TypeError), (True, TypeError), (None, TypeError), ("-1", ValueError),
    (-1, ValueError), ("1e3", ValueError), ("1/3", ValueError), (" 4", ValueError),
    (Fraction(1, 3), ValueError), (Decimal("NaN"), ValueError), ("٤", ValueError),
])
def test_floats_negative_and_non_terminating_values_are_refused(raw, error):
    with pytest.raises(error):
        value_of(raw)


@pytest.mark.parametrize("value, text", [
    (Fraction(4), "4"), (Fraction(3, 2), "1.5"), (Fraction(1, 20), "0.05"), (Fraction(0), "0"),
    (Fraction(1234567, 1000), "1234.567"), (Fraction(10), "10"),
])
def test_values_are_written_as_plain_decimals(value, text):
    assert value_text(value) == text
    assert value_of(text) == value


def test_figures_of_one_unit_and_sector_add_up():
    a = Credits("1.5", Unit.CREDIT, Sector.DEGREE)
    assert a + Credits(2, "credit", "degree") == Credits("3.5", Unit.CREDIT, Sector.DEGREE)
    assert str(a) == "1.5 credit (degree)"
    assert a.to_json() == {"value": "1.5", "unit": "credit", "sector": "degree"}


def test_figures_of_different_units_never_add():
    with pytest.raises(UnitMismatch, match="cannot add hours to credits"):
        _ = Credits(4, Unit.CREDIT, Sector.VOCATIONAL) + Credits(4, Unit.HOUR, Sector.VOCATIONAL)
    with pytest.raises(UnitMismatch):
        _ = Quantity(1, Unit.POINT) + Quantity(1, Unit.CREDIT)
    with pytest.raises(TypeError):
        _ = Credits(4, Unit.CREDIT, Sector.DEGREE) + 4


def test_figures_of_different_sectors_are_totalled_not_added():
    degree = Credits(3, Unit.CREDIT, Sector.DEGREE)
    vocational = Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    with pytest.raises(SectorMismatch):
        _ = degree + vocational
    totals = Totals.of([degree, vocational, Credits(20, Unit.HOUR, Sector.VENUE), degree])
    assert totals.by_unit_sector() == {
        (Unit.CREDIT, Sector.DEGREE): Credits(6, Unit.CREDIT, Sector.DEGREE),
        (Unit.CREDIT, Sector.VOCATIONAL): vocational,
        (Unit.HOUR, Sector.VENUE): Credits(20, Unit.HOUR, Sector.VENUE),
    }
    assert totals.by_unit() == {Unit.CREDIT: Quantity(10, Unit.CREDIT),
                                Unit.HOUR: Quantity(20, Unit.HOUR)}
    assert totals.value(Unit.CREDIT) == 10
    assert totals.value(Unit.CREDIT, Sector.DEGREE) == 6
    assert totals.value(Unit.POINT) == 0
    assert totals.to_json() == {
        "byUnit": [{"value": "10", "unit": "credit"}, {"value": "20", "unit": "hour"}],
        "byUnitAndSector": [
            {"value": "6", "unit": "credit", "sector": "degree"},
            {"value": "4", "unit": "credit", "sector": "vocational"},
            {"value": "20", "unit": "hour", "sector": "venue"}]}
    assert Totals() + totals == totals


values = st.builds(Fraction, st.integers(0, 10**6), st.sampled_from([1, 2, 4, 5, 10, 100]))
figures = st.builds(Credits, values, st.sampled_from(list(Unit)), st.sampled_from(list(Sector)))


@given(st.lists(figures, max_size=40), st.randoms())
def test_totals_never_mix_units_and_equal_the_per_unit_sums(account, rnd):
    totals = Totals.of(account)
    by_unit: dict[Unit, Fraction] = defaultdict(Fraction)
    by_pair: dict[tuple[Unit, Sector], Fraction] = defaultdict(Fraction)
    for figure in account:
        by_unit[figure.unit] += figure.value
        by_pair[figure.unit, figure.sector] += figure.value
    assert {k: v.value for k, v in totals.by_unit_sector().items()} == by_pair
    assert {k: v.value for k, v in totals.by_unit().items()} == by_unit
    for (unit, sector), figure in totals.by_unit_sector().items():
        assert (figure.unit, figure.sector) == (unit, sector)
    for unit, quantity in totals.by_unit().items():
        assert quantity.unit is unit
    shuffled = list(account)
    rnd.shuffle(shuffled)
    assert Totals.of(shuffled) == totals
    units = {figure.unit for figure in account}
    if len(units) > 1:
        first, *rest = account
        other = next(f for f in rest if f.unit is not first.unit)
        with pytest.raises(UnitMismatch):
            _ = first + other
