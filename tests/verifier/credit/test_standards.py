"""Outcome standards from JSON and CSV, and checking a claim against one."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from tests.verifier.credit.examples import ELECTRICIAN_4, FRAMEWORK, STANDARDS, STANDARDS_CSV
from verifier.credit import (
    CSV_COLUMNS,
    CreditDataError,
    Credits,
    Sector,
    Unit,
    UnknownLevel,
    parse_framework,
    parse_standards,
    standards_from_csv,
)

FW = parse_framework(FRAMEWORK)
ON = date(2026, 6, 20)


def test_a_catalogue_reads_from_json_and_from_csv_alike():
    catalog = parse_standards(STANDARDS, framework=FW)
    assert standards_from_csv(STANDARDS_CSV, framework=FW) == catalog
    assert standards_from_csv("\ufeff" + STANDARDS_CSV, framework=FW) == catalog
    assert standards_from_csv(catalog.to_csv(), framework=FW) == catalog
    assert parse_standards(catalog.to_json(), framework=FW) == catalog
    standard = catalog.find(ELECTRICIAN_4, ON)
    assert standard is not None
    assert (standard.title.zh, standard.level, standard.sector) == (
        "电工（四级/中级工）", "3", Sector.VOCATIONAL)
    assert standard.credits == Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    assert catalog.get("6-31-01-03-3", "2024").window.end is None
    assert catalog.find(ELECTRICIAN_4, date(2029, 1, 1)) is None
    assert catalog.framework == "urn:example:qf"
    assert CSV_COLUMNS[:2] == ("code", "version")


def test_versions_of_a_standard_follow_each_other():
    doc = copy.deepcopy(STANDARDS)
    later = {**doc["standards"][0], "version": "2029", "credits": "5",
             "validFrom": "2029-01-01", "validUntil": "2033-12-31"}
    doc["standards"].append(later)
    catalog = parse_standards(doc)
    assert catalog.find(ELECTRICIAN_4, date(2030, 5, 1)).version == "2029"
    assert catalog.find(ELECTRICIAN_4, ON).version == "2024"
    assert [s.version for s in catalog.versions(ELECTRICIAN_4)] == ["2024", "2029"]
    later["validFrom"] = "2028-12-31"
    with pytest.raises(CreditDataError, match="overlap in time"):
        parse_standards(doc)
    later.update(validFrom="2029-01-01", version="2024")
    with pytest.raises(CreditDataError, match="version 2024 appears twice"):
        parse_standards(doc)


def test_a_claim_is_checked_against_its_standard():
    standard = parse_standards(STANDARDS).get(ELECTRICIAN_4, "2024")
    claim = Credits(4, Unit.CREDIT, Sector.VOCATIONAL)
    assert standard.check(credits=claim, level="3", on=ON) == ()
    assert standard.check(credits="4", level=" 3 ", on=ON) == ()
    found = standard.check(credits=Credits(6, Unit.HOUR, Sector.NON_DEGREE), level="4",
                           on=date(2030, 1, 1))
    assert [m.code for m in found] == ["not_in_force", "level_differs", "unit_differs",
                                       "sector_differs", "credits_differ"]
    assert found[-1].detail == "6 claimed, 4 standard"
    assert [m.code for m in standard.check(credits=None, level=None, on=ON)] == [
        "level_missing", "credits_missing"]


def test_a_level_the_framework_does_not_have_is_refused():
    doc = copy.deepcopy(STANDARDS)
    doc["standards"][0]["level"] = "中级工"
    assert parse_standards(doc).standards  # without a framework, any code
    with pytest.raises(UnknownLevel, match="level '中级工'"):
        parse_standards(doc, framework=FW)


def _row(**cells):
    base = dict(zip(CSV_COLUMNS, [ELECTRICIAN_4, "2024", "电工", "Electrician", "vocational",
                                  "3", "4", "credit", "2024-01-01", ""], strict=True))
    base.update(cells)
    return ",".join(CSV_COLUMNS) + "\n" + ",".join(base.values()) + "\n"


@pytest.mark.parametrize("content, message", [
    (_row(unit="学时"), "standards CSV row 2: unit must be one of credit, hour, point"),
    (_row(credits="-4"), "row 2: credits must be a decimal number"),
    (_row(credits="0"), "row 2: credits must be above zero"),
    (_row(valid_from="2024/01/01"), "row 2: valid_from must be a date"),
    (_row(valid_until="2023-12-31"), "row 2: valid_until is before valid_from"),
    (_row(title_en=""), "row 2: title_en must be a non-empty string"),
    (_row(level="9"), "level '9' is not a level"),
    ("code,version,title\n", "unknown column 'title'"),
    ("code,version\n", "column 'title_zh' is missing"),
    (",".join(CSV_COLUMNS) + ",code\n", "a column appears twice"),
    (_row() + "a,b,c,d,e,f,g,h,i,j,k\n", "row 3: more cells than columns"),
])
def test_malformed_csv_rows_are_refused_with_their_row(content, message):
    with pytest.raises(CreditDataError) as caught:
        standards_from_csv(content, framework=FW)
    assert message in str(caught.value)


def test_valid_until_may_be_left_out_of_the_csv():
    content = ",".join(CSV_COLUMNS[:-1]) + "\n" + \
        f"{ELECTRICIAN_4},2024,电工,Electrician,vocational,3,4,credit,2024-01-01\n"
    assert standards_from_csv(content).standards[0].window.end is None


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(hours=1), "standards[0]: unknown member 'hours'"),
    (lambda s: s.pop("version"), "standards[0]: version is required"),
    (lambda s: s.update(credits=True), "standards[0].credits must be a number"),
    (lambda s: s.update(credits="4.1234567"), "more than 6 decimal places"),
    (lambda s: s.update(sector="school"), "standards[0].sector must be one of"),
])
def test_malformed_json_standards_are_refused(change, message):
    doc = copy.deepcopy(STANDARDS)
    change(doc["standards"][0])
    with pytest.raises(CreditDataError, match=message.replace(".", r"\.").replace("[", r"\[")):
        parse_standards(doc)


def test_a_catalogue_for_another_framework_is_refused():
    with pytest.raises(CreditDataError, match="for framework other"):
        parse_standards({**STANDARDS, "framework": "other"}, framework=FW)
