"""Issuing test credentials with real keys (shared by the verifier and CLI tests)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.issuance import IssuerIdentity, LearningRecord, issue_one
from ledger.issuance.inputs import check_character
from ledger.issuance.signing import single_batch

ISSUED_AT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
LATER = datetime(2027, 1, 1, tzinfo=UTC)

RECORD: dict[str, Any] = {
    "learner": {"id": "310101199001011234", "name": "张伟"},
    "achievement": {
        "type": "Course",
        "name": {"zh": "数据结构", "en": "Data Structures"},
        "description": {"zh": "线性表、树与图。", "en": "Lists, trees and graphs."},
        "criteria": "期末考试合格 Pass the final examination",
        "fieldOfStudy": "计算机科学与技术",
        "level": "本科 undergraduate",
        "code": "CS201",
    },
    "creditsEarned": 4,
    "results": [{"value": "A", "description": "总评"}, {"value": "92", "description": "期末"}],
    "activityStartDate": "2026-03-01",
    "activityEndDate": "2026-07-10",
    "validUntil": "2031-09-01T00:00:00Z",
}


def identity_number(n: int) -> str:
    """The n-th of many distinct, valid mainland identity numbers (GB 11643)."""
    born = date(1990, 1, 1) + timedelta(days=n // 1000)
    first17 = f"310101{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def make_issuer(directory: Path, name: str = "上海开放大学 Shanghai Open University"
                ) -> IssuerIdentity:
    return IssuerIdentity.create(directory, name, now=ISSUED_AT)


def issue(issuer: IssuerIdentity, record: dict[str, Any] | None = None, *,
          index: int = 0, at: datetime = ISSUED_AT) -> dict[str, Any]:
    rec = LearningRecord.from_json(copy.deepcopy(record or RECORD))
    credential, root = issue_one(rec, issuer, status_index=index, now=at)
    return single_batch(credential, root)


def trust_doc(*issuers: IssuerIdentity) -> dict[str, Any]:
    return {"type": "CredbankTrustList", "version": 1,
            "issuers": [i.trust_entry() for i in issuers]}
