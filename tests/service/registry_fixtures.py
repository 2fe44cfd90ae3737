"""Registry documents for the service tests: the worked example of docs/creditbank.md §7
(tests/verifier/credit/examples.py), renamed and re-owned as a test needs."""

from __future__ import annotations

import copy
from typing import Any

from tests.verifier.credit.examples import FRAMEWORK, RULE_SET, STANDARDS, STANDARDS_CSV

__all__ = ["STANDARDS_CSV", "framework", "programme_rule_set", "rule_set", "standards"]


def framework(version: str = "2024", **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(FRAMEWORK), "version": version, **changes}


def standards(*codes: str, **changes: Any) -> dict[str, Any]:
    """The example catalogue; with codes, its first standard under each of those codes."""
    doc = copy.deepcopy(STANDARDS)
    if codes:
        doc["standards"] = [{**doc["standards"][0], "code": c, **changes} for c in codes]
    elif changes:
        doc["standards"] = [{**s, **changes} for s in doc["standards"]]
    return doc


def rule_set(set_id: str = "rules-authority", version: str = "1") -> dict[str, Any]:
    """An authority rule set."""
    return {**copy.deepcopy(RULE_SET), "id": set_id, "version": version}


def programme_rule_set(did: str, set_id: str = "rules-programme", version: str = "1"
                       ) -> dict[str, Any]:
    """A rule set of an institution's programme (no bank credits: only the authority's
    rule sets grant those)."""
    doc = rule_set(set_id, version)
    doc["owner"] = {"type": "programme", "id": did, "programme": doc["programme"]["id"]}
    doc["programme"]["institution"] = did
    doc["rules"] = [r for r in doc["rules"] if r["grant"]["type"] != "bankCredits"]
    return doc
