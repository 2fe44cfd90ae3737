"""The data directory `credbank up` works in, and the demo data `--demo` puts there.

    DATA_DIR/issuers/<slug>/      issuing identities (keys 0600)
    DATA_DIR/credentials/<slug>/  issued batches, one file per credential
    DATA_DIR/shared/              derived copies a learner has shared
    DATA_DIR/trust.json           trust file naming the issuers and their keys
"""

from __future__ import annotations

import json
from pathlib import Path

from ledger.issuance import IssuerIdentity, issue_batch
from ledger.issuance.batch import iter_credentials
from ledger.issuance.inputs import LearningRecord
from verifier import derive_copy, parse_trust_list, verify

INSTITUTIONS = (
    ("open-university", "上海开放大学 Shanghai Open University"),
    ("vocational-centre", "城市职业技能培训中心 City Vocational Skills Centre"),
)
LEARNERS = (
    ("310101199001011234", "张伟"),
    ("310104198805052345", "李娜"),
    ("310115199512123456", "王芳"),
    ("320102199207074567", "刘洋"),
)
COURSES = {
    "open-university": [
        ("Course", "数据结构", "Data Structures", "计算机科学与技术", 4, "A"),
        ("Course", "高等数学", "Advanced Mathematics", "数学", 5, "B+"),
        ("Course", "大学英语", "College English", "外国语言文学", 3, "A-"),
        ("Course", "管理学原理", "Principles of Management", "工商管理", 3, "B"),
        ("MicroCredential", "数据分析入门", "Introduction to Data Analysis", "统计学", 2, "合格"),
    ],
    "vocational-centre": [
        ("Certificate", "电工职业技能等级证书（四级）", "Electrician Skills Certificate, Level 4",
         "电气工程", 6, "合格"),
        ("License", "养老护理员证书", "Elderly Care Worker Licence", "健康服务", 4, "合格"),
        ("Course", "社区博物馆讲解实践", "Community Museum Guiding Practice", "文化遗产", 1,
         "优秀"),
    ],
}


def demo_records(slug: str) -> list[LearningRecord]:
    records = []
    for learner_id, learner_name in LEARNERS:
        for kind, zh, en, field, credits, grade in COURSES[slug]:
            records.append(LearningRecord.from_json({
                "learner": {"id": learner_id, "name": learner_name},
                "achievement": {
                    "type": kind,
                    "name": {"zh": zh, "en": en},
                    "description": {"zh": f"完成{zh}的学习并通过考核。",
                                    "en": f"Completed {en} and passed its assessment."},
                    "fieldOfStudy": field,
                },
                "creditsEarned": credits,
                "results": [{"value": grade, "description": "总评 final grade"}],
                "activityStartDate": "2026-03-01",
                "activityEndDate": "2026-07-10",
            }))
    return records


def prepare(data_dir: Path, *, with_demo: bool) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"data directory: {data_dir.resolve()}"]
    if with_demo and not (data_dir / "issuers").exists():
        _create_demo(data_dir)
    issuers = sorted((data_dir / "issuers").glob("*/issuer.json"))
    if not issuers:
        lines.append("no issuers yet: credbank issuer create --dir DIR --name NAME "
                     "(or run with --demo)")
        return lines
    identities = [IssuerIdentity.load(p.parent) for p in issuers]
    trust_doc = {"type": "CredbankTrustList", "version": 1,
                 "issuers": [i.trust_entry() for i in identities]}
    (data_dir / "trust.json").write_text(json.dumps(trust_doc, ensure_ascii=False, indent=2))
    trust = parse_trust_list(trust_doc)
    verified = total = 0
    for identity in identities:
        lines.append(f"issuer {identity.name}: {identity.did}")
    for path in sorted((data_dir / "credentials").rglob("*.json")):
        if path.name == "batch.json":
            continue
        total += 1
        verified += verify(path.read_bytes(), trust=trust).verified
    lines.append(f"credentials: {verified} of {total} verify against trust.json")
    lines.append(f"trust file: {data_dir / 'trust.json'}")
    shared = sorted((data_dir / "shared").glob("*.json"))
    example = shared[0] if shared else None
    if example:
        lines.append(f"try: credbank-verify --trust {data_dir / 'trust.json'} {example}")
    return lines


def _create_demo(data_dir: Path) -> None:
    for slug, name in INSTITUTIONS:
        identity = IssuerIdentity.create(data_dir / "issuers" / slug, name)
        issue_batch(demo_records(slug), identity, data_dir / "credentials" / slug)
    shared = data_dir / "shared"
    shared.mkdir(exist_ok=True)
    _, first = next(iter_credentials(data_dir / "credentials" / "open-university"))
    derived = derive_copy(first, ["/credentialSubject/result", "/credentialSubject/creditsEarned"])
    (shared / "grade-and-credits-only.json").write_text(
        json.dumps(derived, ensure_ascii=False, indent=2))
