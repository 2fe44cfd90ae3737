"""The qualification framework: levels, their order and alignments; strict reading."""

from __future__ import annotations

import copy
import json

import pytest

from tests.verifier.credit.examples import FRAMEWORK
from verifier.credit import CreditDataError, UnknownLevel, parse_framework
from verifier.errors import CredentialFormatError


def test_levels_are_found_ordered_and_aligned():
    framework = parse_framework(FRAMEWORK)
    assert [lv.code for lv in framework.levels] == [str(n) for n in range(1, 9)]
    level = framework.level("4")
    assert (level.rank, level.name.zh, level.name.en) == (4, "第四级", "Level 4")
    assert framework.aligned("4", "EQF") == "4"
    assert framework.aligned("4", "ISCED") is None
    assert framework.compare("3", "5") == -1 and framework.compare("5", "3") == 1
    assert framework.compare("5", "5") == 0
    assert framework.at_least("6", "4") and not framework.at_least("2", "4")
    assert framework.find("9") is None


def test_an_unknown_level_is_an_error():
    framework = parse_framework(FRAMEWORK)
    with pytest.raises(UnknownLevel, match="level '9' is not a level of framework"):
        framework.level("9")
    with pytest.raises(CredentialFormatError):  # the verifier's error family
        framework.compare("1", "本科")


def test_the_order_is_the_rank_not_the_order_written():
    doc = copy.deepcopy(FRAMEWORK)
    doc["levels"].reverse()
    framework = parse_framework(json.dumps(doc, ensure_ascii=False))
    assert [lv.rank for lv in framework.levels] == list(range(1, 9))
    assert framework.hash() == parse_framework(FRAMEWORK).hash()
    assert parse_framework(framework.to_json()) == framework


def _broken(change):
    doc = copy.deepcopy(FRAMEWORK)
    change(doc)
    return doc


@pytest.mark.parametrize("doc, message", [
    (_broken(lambda d: d.update(extra=1)), "framework: unknown member 'extra'"),
    (_broken(lambda d: d.update(type="Framework")), "type must be"),
    (_broken(lambda d: d.pop("levels")), "framework: levels is required"),
    (_broken(lambda d: d["levels"][1].update(code="1")), "code '1' appears twice"),
    (_broken(lambda d: d["levels"][1].update(rank=1)), "rank 1 appears twice"),
    (_broken(lambda d: d["levels"][0].update(rank=True)), "levels[0].rank must be a whole"),
    (_broken(lambda d: d["levels"][0]["name"].pop("en")), "levels[0].name: en is required"),
    (_broken(lambda d: d["levels"][0].update(alignments={"EQF": 1})), "alignments.EQF"),
    (_broken(lambda d: d.update(levels=[])), "must not be empty"),
    (_broken(lambda d: d.update(id=" qf")), "whitespace"),
    ('{"type": "CredbankQualificationFramework", "type": "x"}', "duplicate JSON member"),
    ([], "framework must be a JSON object"),
])
def test_malformed_frameworks_are_refused_in_one_line(doc, message):
    with pytest.raises(CreditDataError) as caught:
        parse_framework(doc)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
