"""Hypothesis strategies: random rule set documents, sources, and respellings of a
document that must not change its canonical form."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from verifier.credit import Credits, Sector, Source, Unit

ISSUERS = ["did:web:a.example", "did:web:b.example", "did:web:c.example"]
STANDARDS = ["S-1", "S-2", "S-3"]
TYPES = ["Course", "Certificate"]
RESULTS = ["95", "合格", "60", "45", "87.5", "优秀", "A"]
SCALE = ["不合格", "合格", "良好", "优秀"]
VALUES = ["0.5", "1", "1.5", "2", "3", "4", "12"]
SECTORS = [s.value for s in Sector]
UNITS = [u.value for u in Unit]
NUMERIC = {"value", "credits", "each", "gives", "score"}

# Few values, so that sources often meet the rules; the first of each list is the common case.
MATCH_SECTORS = ["vocational", "community_elderly"]
days = st.one_of(st.sampled_from([date(2026, 6, 1), date(2027, 6, 1), date(2025, 3, 1),
                                  date(2028, 2, 1), date(2024, 12, 1)]),
                 st.dates(min_value=date(2024, 10, 1), max_value=date(2028, 3, 31)))
issue_days = st.one_of(st.sampled_from([date(2026, 1, 15), date(2025, 3, 1), date(2027, 5, 1),
                                        date(2023, 9, 1), date(2026, 11, 30)]),
                       st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 6, 30)))


@st.composite
def rule_set_docs(draw: st.DrawFn) -> dict[str, Any]:
    codes = [f"C{i}" for i in range(draw(st.integers(1, 4)))]
    courses = [{"code": c, "name": {"zh": f"课程{c}", "en": f"Course {c}"},
                "credits": draw(st.sampled_from(["1", "2", "3", "1.5"]))} for c in codes]
    caps: dict[str, Any] = {}
    if draw(st.booleans()):
        caps["credits"] = draw(st.sampled_from(["0", "2", "4.5", "10"]))
    if draw(st.booleans()):
        caps["exemptions"] = draw(st.integers(0, 2))
    programme = {"id": "P", "institution": ISSUERS[0], "name": {"zh": "专业", "en": "Programme"},
                 "sector": draw(st.sampled_from(SECTORS)), "courses": courses, "caps": caps}
    rules = [draw(rule_docs(courses)) | {"id": f"r{i}"}
             for i in range(draw(st.integers(2, 7)))]
    doc = {"type": "CredbankRuleSet", "id": "urn:example:rules", "version": "1",
           "owner": {"type": "authority", "id": "did:web:authority.example"},
           "validFrom": "2025-01-01", "programme": programme, "rules": rules}
    if draw(st.booleans()):
        doc["validUntil"] = "2027-12-31"
    return doc


@st.composite
def rule_docs(draw: st.DrawFn, courses: list[dict[str, Any]]) -> dict[str, Any]:
    match: dict[str, Any] = {}
    for key in sorted(draw(st.sets(st.sampled_from(["standard", "achievementType", "sector"]),
                                   min_size=1))):
        match[key] = draw(st.sampled_from(
            {"standard": STANDARDS, "achievementType": TYPES, "sector": MATCH_SECTORS}[key]))
    if draw(st.booleans()):
        match["issuers"] = draw(st.lists(st.sampled_from(ISSUERS), min_size=1, unique=True))
    result = draw(st.sampled_from([None, "score", "grade"]))
    if result == "score":
        match["minResult"] = {"score": draw(st.sampled_from(["50", "60", "90"]))}
    elif result == "grade":
        match["minResult"] = {"grade": draw(st.sampled_from(SCALE)), "scale": SCALE}
    if draw(st.booleans()):
        match["maxAge"] = draw(st.sampled_from(["P1Y", "P6M", "P400D", "P3Y"]))
    course = draw(st.sampled_from(courses))
    kind = draw(st.sampled_from(["exemption", "courseCredits", "bankCredits"]))
    if kind == "exemption":
        return {"match": match, "grant": {"type": kind, "course": course["code"]}}
    grant: dict[str, Any] = {"type": kind}
    if kind == "courseCredits":
        grant["course"] = course["code"]
    else:
        grant["unit"] = draw(st.sampled_from(UNITS))
        grant["sector"] = draw(st.sampled_from(SECTORS))
    if draw(st.booleans()):
        grant["rate"] = {"from": draw(st.sampled_from(UNITS)),
                         "each": draw(st.sampled_from(["0.5", "1", "3", "16"])),
                         "gives": draw(st.sampled_from(["0.5", "1", "2"]))}
    elif kind == "courseCredits":
        grant["value"] = draw(st.sampled_from(
            [v for v in VALUES if Decimal(v) <= Decimal(course["credits"])]))
    else:
        grant["value"] = draw(st.sampled_from(VALUES))
    return {"match": match, "grant": grant}


@st.composite
def sources(draw: st.DrawFn) -> Source:
    credits = untyped = sector = None
    figure = draw(st.sampled_from(["typed"] * 4 + ["untyped", "none", "sector only"]))
    if figure == "typed":
        credits = Credits(draw(st.sampled_from(VALUES + ["20", "36"])),
                          draw(st.sampled_from(UNITS)), draw(st.sampled_from(MATCH_SECTORS)))
    elif figure == "untyped":
        untyped = Fraction(Decimal(draw(st.sampled_from(VALUES))))
    elif figure == "sector only":
        sector = Sector(draw(st.sampled_from(MATCH_SECTORS)))
    issued = draw(issue_days)
    until = draw(st.one_of(st.none(), st.none(),
                           st.dates(min_value=issued, max_value=date(2030, 1, 1))))
    return Source(
        credential_id=f"urn:example:credential:{draw(st.sampled_from(range(20)))}",
        issuer=draw(st.sampled_from(ISSUERS)), achievement_type=draw(st.sampled_from(TYPES)),
        issued=issued, valid_until=until,
        standard=draw(st.sampled_from(STANDARDS + [None])),
        credits=credits, untyped_credits=untyped, sector=sector,
        results=tuple(draw(st.lists(st.sampled_from(RESULTS), min_size=1, max_size=2))))


def respelled(doc: Any, rnd: random.Random) -> str:
    """The same document, written differently: members in another order, set-like lists
    (issuers, courses) reordered, numbers spelt another way, other whitespace."""
    return json.dumps(_respell(doc, rnd, None), ensure_ascii=rnd.random() < 0.5,
                      indent=rnd.choice([None, 0, 2, "\t"]),
                      separators=rnd.choice([(",", ":"), (", ", ": "), (" ,", " : ")]))


def _respell(value: Any, rnd: random.Random, key: str | None) -> Any:
    if isinstance(value, dict):
        items = [(k, _respell(v, rnd, k)) for k, v in value.items()]
        rnd.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        out = [_respell(v, rnd, None) for v in value]
        if key in ("issuers", "courses"):
            rnd.shuffle(out)
        return out
    if key in NUMERIC and isinstance(value, str):
        choice = rnd.randrange(4)
        if choice == 0:
            return int(value) if "." not in value else float(value)
        if choice == 1:
            return value + ("0" if "." in value else ".00")
        if choice == 2:
            return float(value)
    return value


@st.composite
def accounts(draw: st.DrawFn, doc: dict[str, Any]) -> list[Source]:
    """Sources for a rule set document: most are about one of its rules (its standard,
    achievement type and sector, one of its issuers), some about none; each credential
    once, then perhaps one of them again."""
    out = []
    for i in range(draw(st.integers(0, 12))):
        source = draw(sources())
        if draw(st.integers(0, 3)):
            match = draw(st.sampled_from(doc["rules"]))["match"]
            changes: dict[str, Any] = {}
            if "standard" in match:
                changes["standard"] = match["standard"]
            if "achievementType" in match:
                changes["achievement_type"] = match["achievementType"]
            if "issuers" in match:
                changes["issuer"] = draw(st.sampled_from(match["issuers"]))
            if "sector" in match:
                sector = Sector(match["sector"])
                if source.credits is not None:
                    changes["credits"] = Credits(source.credits.value, source.credits.unit,
                                                 sector)
                changes["sector"] = sector
            source = replace(source, **changes)
        out.append(replace(source, credential_id=f"urn:example:credential:{i}"))
    if out and draw(st.booleans()):
        out.append(draw(st.sampled_from(out)))
    return out
