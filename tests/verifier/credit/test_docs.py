"""docs/creditbank.md shows the example rule set, its hash and a CSV row as the code reads
them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.verifier.credit.examples import ELECTRICIAN_4, RULE_SET, STANDARDS
from verifier.credit import parse_rule_set, parse_standards, standards_from_csv

DOC = (Path(__file__).resolve().parents[3] / "docs" / "creditbank.md").read_text("utf-8")
BLOCKS = re.findall(r"^```[a-z]*\n(.*?)^```", DOC, re.DOTALL | re.MULTILINE)


def test_the_worked_example_and_its_hash_are_current():
    (text,) = [b for b in BLOCKS if b.startswith('{\n  "type": "CredbankRuleSet"')]
    rules = parse_rule_set(json.loads(text))
    assert rules == parse_rule_set(RULE_SET)
    assert f"\n{rules.hash()}\n" in DOC


def test_the_csv_example_reads_as_the_standard():
    (text,) = [b for b in BLOCKS if b.startswith("code,version,")]
    (standard,) = standards_from_csv(text).standards
    assert standard == parse_standards(STANDARDS).get(ELECTRICIAN_4, "2024")
