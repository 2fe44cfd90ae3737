"""A learning account's totals never add figures of different units, nor untyped ones
(api.service.sharing.account_summary over verifier.credit.Totals), for any account."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from api.service.models import Credential
from api.service.sharing import account_summary
from verifier.credit import Sector, Unit

_FIGURES = st.tuples(
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([*Unit, None]), st.sampled_from(list(Sector)),
    st.sampled_from(["active", "active", "revoked", "suspended"]))


def _row(number: int, value: Decimal, unit: Unit | None, sector: Sector, status: str
         ) -> Credential:
    return Credential(id=f"urn:uuid:{number}", status=status, state="anchored",
                      achievement_type="Course", achievement_name=f"C{number}",
                      field_of_study=None, credits=float(value),
                      credit_unit=unit.value if unit else None,
                      credit_sector=sector.value if unit else None)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FIGURES, max_size=40))
def test_totals_are_per_unit_and_untyped_figures_are_never_added(figures):
    rows = [(_row(i, *figure), None) for i, figure in enumerate(figures)]
    summary = account_summary(rows)  # type: ignore[arg-type]
    active = [(Fraction(value), unit, sector) for value, unit, sector, status in figures
              if status == "active"]
    by_unit = {item["unit"]: Fraction(item["value"]) for item in summary["totals"]["byUnit"]}
    assert len(by_unit) == len(summary["totals"]["byUnit"])  # one total a unit
    assert set(by_unit) == {u.value for _, u, _ in active if u is not None}
    for unit, total in by_unit.items():
        assert total == sum(v for v, u, _ in active if u is not None and u.value == unit)
    for item in summary["totals"]["byUnitAndSector"]:
        assert Fraction(item["value"]) == sum(
            v for v, u, s in active
            if u is not None and u.value == item["unit"] and s.value == item["sector"])
    assert sorted(Fraction(str(item["credits"])) for item in summary["untypedCredits"]) == \
        sorted(v for v, u, _ in active if u is None and v)
