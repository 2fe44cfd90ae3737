"""A rule set's rules as a CSV table, one rule a row (docs/api.md, "Rule tables").

Rule sets are JSON (docs/creditbank.md §5); an authority or an institution that keeps its
rules in a spreadsheet sends the table instead, and it replaces a draft's rules. This only
turns rows into the JSON rules; ``verifier.credit.parse_rule_set`` then reads the whole rule
set strictly, so the table allows nothing the JSON does not. No I/O.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .errors import InvalidInput

COLUMNS = ("id", "name_zh", "name_en", "standard", "achievement_type", "sector", "issuers",
           "min_score", "min_grade", "grade_scale", "max_age", "grant", "course", "value",
           "unit", "grant_sector", "rate_from", "rate_each", "rate_gives")
REQUIRED = ("id", "grant")
MAX_ROWS = 1000
_LIST = "|"  # issuers and grade_scale hold several values, separated by |


def rules_from_csv(text: str) -> list[dict[str, Any]]:
    """The JSON rules of a CSV rule table, in row order. Raises InvalidInput naming the
    row and column of the first problem it can see."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in COLUMNS]
        if unknown:
            raise InvalidInput(f"rule table: unknown column {unknown[0]!r}")
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InvalidInput(f"rule table: column {missing[0]!r} is missing")
        rules = []
        for row in reader:
            if len(rules) >= MAX_ROWS:
                raise InvalidInput(f"rule table: more than {MAX_ROWS} rows")
            if None in row:
                raise InvalidInput(f"rule table row {reader.line_num}: more cells than columns")
            rules.append(_rule({k: (v or "").strip() for k, v in row.items()}))
    except csv.Error as exc:
        raise InvalidInput(f"rule table: {exc}") from None
    if not rules:
        raise InvalidInput("rule table: no rules")
    return rules


def _rule(cells: dict[str, str]) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": cells["id"]}
    if cells.get("name_zh") or cells.get("name_en"):
        rule["name"] = {"zh": cells.get("name_zh", ""), "en": cells.get("name_en", "")}
    match: dict[str, Any] = {}
    for column, member in (("standard", "standard"), ("achievement_type", "achievementType"),
                           ("sector", "sector"), ("max_age", "maxAge")):
        if cells.get(column):
            match[member] = cells[column]
    if cells.get("issuers"):
        match["issuers"] = [d.strip() for d in cells["issuers"].split(_LIST)]
    if cells.get("min_score"):
        match["minResult"] = {"score": cells["min_score"]}
    elif cells.get("min_grade") or cells.get("grade_scale"):
        match["minResult"] = {"grade": cells.get("min_grade", ""),
                              "scale": [g.strip() for g in
                                        cells.get("grade_scale", "").split(_LIST)]}
    rule["match"] = match
    grant: dict[str, Any] = {"type": cells["grant"]}
    for column, member in (("course", "course"), ("value", "value"), ("unit", "unit"),
                           ("grant_sector", "sector")):
        if cells.get(column):
            grant[member] = cells[column]
    if cells.get("rate_from") or cells.get("rate_each") or cells.get("rate_gives"):
        grant["rate"] = {"from": cells.get("rate_from", ""), "each": cells.get("rate_each", ""),
                         "gives": cells.get("rate_gives", "")}
    rule["grant"] = grant
    return rule
