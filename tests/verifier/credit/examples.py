"""The worked example of docs/creditbank.md §7, as data shared by the tests."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from verifier.credit import Credits, Sector, Source, Unit

AUTHORITY = "did:web:creditbank.example"
OPEN_UNIVERSITY = "did:web:open-university.example"
VOCATIONAL_CENTRE = "did:web:vocational-centre.example"
COMMUNITY_COLLEGE = "did:web:community-college.example"
ELDERLY_UNIVERSITY = "did:web:elderly-university.example"
ELECTRICIAN_4 = "6-31-01-03-4"
AS_OF = date(2027, 3, 1)

FRAMEWORK: dict[str, Any] = {
    "type": "CredbankQualificationFramework",
    "id": "urn:example:qf",
    "version": "2024",
    "name": {"zh": "示例资历框架", "en": "Example Qualifications Framework"},
    "levels": [
        {"code": str(n), "rank": n, "name": {"zh": f"第{zh}级", "en": f"Level {n}"},
         "alignments": {"EQF": str(n)}}
        for n, zh in enumerate("一二三四五六七八", start=1)
    ],
}

STANDARDS: dict[str, Any] = {
    "type": "CredbankOutcomeStandards",
    "framework": "urn:example:qf",
    "standards": [
        {"code": ELECTRICIAN_4, "version": "2024",
         "title": {"zh": "电工（四级/中级工）",
                   "en": "Electrician, skill level 4 (intermediate)"},
         "sector": "vocational", "level": "3", "credits": "4", "unit": "credit",
         "validFrom": "2024-01-01", "validUntil": "2028-12-31"},
        {"code": "6-31-01-03-3", "version": "2024",
         "title": {"zh": "电工（三级/高级工）", "en": "Electrician, skill level 3 (advanced)"},
         "sector": "vocational", "level": "4", "credits": "6", "unit": "credit",
         "validFrom": "2024-01-01"},
    ],
}

STANDARDS_CSV = (
    "code,version,title_zh,title_en,sector,level,credits,unit,valid_from,valid_until\r\n"
    f"{ELECTRICIAN_4},2024,电工（四级/中级工）,\"Electrician, skill level 4 (intermediate)\","
    "vocational,3,4,credit,2024-01-01,2028-12-31\r\n"
    "6-31-01-03-3,2024,电工（三级/高级工）,\"Electrician, skill level 3 (advanced)\","
    "vocational,4,6,credit,2024-01-01,\r\n"
)

GRADES = ["不合格", "合格", "良好", "优秀"]

RULE_SET: dict[str, Any] = {
    "type": "CredbankRuleSet",
    "id": "urn:example:rules:electrical-automation:2027",
    "version": "2027.1",
    "owner": {"type": "authority", "id": AUTHORITY},
    "validFrom": "2027-01-01",
    "validUntil": "2027-12-31",
    "programme": {
        "id": "EA-2027",
        "institution": OPEN_UNIVERSITY,
        "name": {"zh": "电气自动化技术（专科）",
                 "en": "Electrical Automation Technology (associate degree)"},
        "sector": "degree",
        "courses": [
            {"code": "EA105", "name": {"zh": "电工技术实训", "en": "Electrical Practice"},
             "credits": "3"},
            {"code": "GE110", "name": {"zh": "社会实践", "en": "Social Practice"},
             "credits": "2"},
        ],
        "caps": {"credits": "20", "exemptions": 4},
    },
    "rules": [
        {"id": "electrician-4-exempts-EA105",
         "name": {"zh": "电工四级免修电工技术实训", "en": "Electrician level 4 exempts EA105"},
         "match": {"standard": ELECTRICIAN_4, "issuers": [VOCATIONAL_CENTRE],
                   "minResult": {"grade": "合格", "scale": GRADES}, "maxAge": "P5Y"},
         "grant": {"type": "exemption", "course": "EA105"}},
        {"id": "electrician-4-bank",
         "match": {"standard": ELECTRICIAN_4, "maxAge": "P5Y"},
         "grant": {"type": "bankCredits", "value": "4", "unit": "credit",
                   "sector": "vocational"}},
        {"id": "community-practice-GE110",
         "match": {"sector": "community_elderly", "issuers": [COMMUNITY_COLLEGE]},
         "grant": {"type": "courseCredits", "course": "GE110",
                   "rate": {"from": "hour", "each": "18", "gives": "1"}}},
        {"id": "community-hours",
         "match": {"sector": "community_elderly"},
         "grant": {"type": "bankCredits", "unit": "hour", "sector": "community_elderly",
                   "rate": {"from": "hour", "each": "1", "gives": "1"}}},
    ],
}

ELECTRICIAN = Source(
    credential_id="urn:uuid:8a3c3f0e-2d7b-4c55-9a51-3b1f0c2e7d11",
    issuer=VOCATIONAL_CENTRE, achievement_type="Certificate", issued=date(2026, 6, 20),
    standard=ELECTRICIAN_4, credits=Credits(4, Unit.CREDIT, Sector.VOCATIONAL), level="3",
    results=("合格",))
COMMUNITY = Source(
    credential_id="urn:uuid:1f0b6d52-77c4-4e0e-b0a9-5d2c8e41a6f3",
    issuer=ELDERLY_UNIVERSITY, achievement_type="Course", issued=date(2026, 12, 10),
    credits=Credits(24, Unit.HOUR, Sector.COMMUNITY_ELDERLY), results=("结业",))


def rule_set(**changes: Any) -> dict[str, Any]:
    """A deep copy of RULE_SET with top-level members replaced."""
    return {**copy.deepcopy(RULE_SET), **changes}
