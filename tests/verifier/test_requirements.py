"""The requirements language: parsing, the pointers each kind needs, and level order."""

from __future__ import annotations

from typing import Any

import pytest

from verifier.credit.framework import parse_framework
from verifier.requirements import (
    RequirementError,
    judge,
    level_at_least,
    parse_requirements,
    pointers,
)

FRAMEWORK = parse_framework({
    "type": "CredbankQualificationFramework", "id": "urn:credbank:framework:sh", "version": "1",
    "name": {"zh": "资历框架", "en": "Framework"},
    "levels": [{"code": "L1", "rank": 1, "name": {"zh": "一", "en": "One"}},
               {"code": "L2", "rank": 2, "name": {"zh": "二", "en": "Two"}},
               {"code": "10", "rank": 3, "name": {"zh": "三", "en": "Three"}}]})


@pytest.mark.parametrize(("raw", "message"), [
    ([], "a list of 1 to 10"),
    ([{"id": "a", "kind": "salary"}], "kind must be one of"),
    ([{"id": "a b", "kind": "accredited"}], "id must match"),
    ([{"id": "a", "kind": "achievement"}], "needs a name or a humanCode"),
    ([{"id": "a", "kind": "credits", "field": "电气", "unit": "credit", "min": 0}], "min"),
    ([{"id": "a", "kind": "credits", "field": "电气", "unit": "yuan", "min": 3}], "unit"),
    ([{"id": "a", "kind": "accredited", "name": "x"}], "accredited takes no name"),
    ([{"id": "a", "kind": "accredited"}, {"id": "a", "kind": "accredited"}], "distinct"),
])
def test_malformed_requirements_are_refused_by_name(raw: Any, message: str):
    with pytest.raises(RequirementError, match=message):
        parse_requirements(raw)


def test_each_kind_names_the_fields_it_needs_disclosed():
    achievement, credits, accredited = parse_requirements([
        {"id": "a", "kind": "achievement", "humanCode": "EA105", "minLevel": "4"},
        {"id": "b", "kind": "credits", "field": "电气", "unit": "hour", "min": 12.5},
        {"id": "c", "kind": "accredited"}])
    assert pointers(achievement) == ("/credentialSubject/achievement/name",
                                     "/credentialSubject/achievement/humanCode",
                                     "/credentialSubject/achievement/level")
    assert "/credentialSubject/creditsEarned" in pointers(credits)
    assert pointers(accredited) == ("/credentialSubject/achievement/name",)
    assert credits.to_json()["min"] == 12.5


def test_levels_compare_by_framework_rank_else_as_numbers_else_not_at_all():
    assert level_at_least("10", "L2", FRAMEWORK) is True  # rank 3 ≥ rank 2
    assert level_at_least("L1", "L2", FRAMEWORK) is False
    assert level_at_least("10", "9", None) is True  # numbers, not text ("10" < "9")
    assert level_at_least("本科", "4", None) is None
    assert level_at_least(None, "4", None) is None


def test_an_untrusted_credential_never_meets_a_requirement():
    [wanted] = parse_requirements([{"id": "a", "kind": "achievement", "name": "电工"}])
    document = {"id": "urn:uuid:1", "credentialSubject": {"achievement": {"name": "电工"}}}
    assert judge(wanted, [document], lambda d: True).met
    refused = judge(wanted, [document], lambda d: False)
    assert not refused.met and refused.detail == "no verified credential was presented for it"
