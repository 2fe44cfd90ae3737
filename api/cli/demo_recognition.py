"""The credit bank part of the demo: a registry, a rule set and one decided application.

The credit bank's own institution is registered, accredited and named in the data
directory's credbank.toml (``credit_bank``), so the archive and recognition routes work
after a restart. Through the service operations the authority publishes a qualification
framework, three outcome standards and a rule set the credit bank owns (each hash on
chain); two demo institutions issue typed credentials citing the standards to the first
demo learner; the learner applies and the credit bank approves, issuing an anchored
decision credential. The decision, its sources and the rule set are written to
DATA_DIR/demo-recognition/ for ``credbank-verify``.

Every step is skipped when done, so a second run (or one after a run cut short) adds
nothing twice.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.service import credit_registry, issuing, recognition, rule_sets
from api.service.accounts import register_issuer
from api.service.context import Service
from api.service.data_dir import CONFIG_FILE
from api.service.errors import NotFound
from api.service.governing import accredit
from api.service.models import (
    Credential,
    CreditFramework,
    CreditRuleSet,
    CreditStandard,
    Issuer,
    Learner,
    RecognitionApplication,
)
from api.service.worker import Anchorer
from ledger.files import write_atomic
from ledger.issuance.inputs import LearningRecord

BANK = ("credit-bank", "上海市终身教育学分银行 Shanghai Lifelong Learning Credit Bank")
FILES_DIR = "demo-recognition"

FRAMEWORK: dict[str, Any] = {
    "type": "CredbankQualificationFramework",
    "id": "urn:credbank:demo:qf",
    "version": "2026",
    "name": {"zh": "终身教育资历框架（演示）",
             "en": "Lifelong Learning Qualifications Framework (demo)"},
    "levels": [
        {"code": str(n), "rank": n, "name": {"zh": f"第{zh}级", "en": f"Level {n}"},
         "alignments": {"EQF": str(n)}}
        for n, zh in enumerate("一二三四五六七八", start=1)
    ],
}
ELECTRICIAN_4 = "6-31-01-03-4"
ELDERLY_HOURS = "CE-CALLIGRAPHY-24"
DEGREE_COURSE = "OU-EA105"
STANDARDS: dict[str, Any] = {
    "type": "CredbankOutcomeStandards",
    "framework": FRAMEWORK["id"],
    "standards": [
        {"code": ELECTRICIAN_4, "version": "2024",
         "title": {"zh": "电工（四级/中级工）", "en": "Electrician, skill level 4 (intermediate)"},
         "sector": "vocational", "level": "3", "credits": "4", "unit": "credit",
         "validFrom": "2024-01-01", "validUntil": "2030-12-31"},
        {"code": ELDERLY_HOURS, "version": "2026",
         "title": {"zh": "社区老年教育书法课（24学时）",
                   "en": "Community elderly-education calligraphy course (24 hours)"},
         "sector": "community_elderly", "level": "2", "credits": "24", "unit": "hour",
         "validFrom": "2026-01-01"},
        {"code": DEGREE_COURSE, "version": "2026",
         "title": {"zh": "电工技术实训（专科课程）",
                   "en": "Electrical Practice (associate degree course)"},
         "sector": "degree", "level": "5", "credits": "3", "unit": "credit",
         "validFrom": "2026-01-01"},
    ],
}
RULE_SET_ID = "urn:credbank:demo:rules:electrical-automation"
RULE_SET_VERSION = "2026.1"


def rule_set_document(bank_did: str, university_did: str, centre_did: str) -> dict[str, Any]:
    """A vocational certificate exempts a course of the university's programme and gives
    bank credits; community hours become bank hours."""
    return {
        "type": "CredbankRuleSet", "id": RULE_SET_ID, "version": RULE_SET_VERSION,
        "owner": {"type": "authority", "id": bank_did},
        "validFrom": "2026-01-01", "validUntil": "2030-12-31",
        "programme": {
            "id": "EA-2026", "institution": university_did,
            "name": {"zh": "电气自动化技术（专科）",
                     "en": "Electrical Automation Technology (associate degree)"},
            "sector": "degree",
            "courses": [{"code": "EA105", "name": {"zh": "电工技术实训",
                                                   "en": "Electrical Practice"},
                         "credits": "3"}],
            "caps": {"credits": "20", "exemptions": 4},
        },
        "rules": [
            {"id": "electrician-4-exempts-EA105",
             "name": {"zh": "电工四级免修电工技术实训", "en": "Electrician level 4 exempts EA105"},
             "match": {"standard": ELECTRICIAN_4, "issuers": [centre_did],
                       "minResult": {"grade": "合格", "scale": ["不合格", "合格", "良好", "优秀"]},
                       "maxAge": "P5Y"},
             "grant": {"type": "exemption", "course": "EA105"}},
            {"id": "electrician-4-bank", "match": {"standard": ELECTRICIAN_4, "maxAge": "P5Y"},
             "grant": {"type": "bankCredits", "value": "4", "unit": "credit",
                       "sector": "vocational"}},
            {"id": "community-hours", "match": {"sector": "community_elderly"},
             "grant": {"type": "bankCredits", "unit": "hour", "sector": "community_elderly",
                       "rate": {"from": "hour", "each": "1", "gives": "1"}}},
        ],
    }


def _typed_records(learner_id: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    """(issuer slug, record): the credentials the application cites."""
    electrician = {
        "learner": {"id": learner_id, "name": name},
        "achievement": {"type": "Certificate",
                        "name": {"zh": "电工（四级/中级工）",
                                 "en": "Electrician, skill level 4 (intermediate)"},
                        "description": {"zh": "职业技能等级认定合格。",
                                        "en": "Passed the skill level assessment."},
                        "level": "3", "fieldOfStudy": "电气工程"},
        "creditsEarned": 4, "creditUnit": "credit", "sector": "vocational",
        "standard": ELECTRICIAN_4, "results": [{"value": "合格"}],
    }
    calligraphy = {
        "learner": {"id": learner_id, "name": name},
        "achievement": {"type": "Course",
                        "name": {"zh": "社区老年教育书法课", "en": "Community Calligraphy Course"},
                        "description": {"zh": "完成社区老年教育书法课24学时。",
                                        "en": "Completed 24 hours of community calligraphy."},
                        "level": "2"},
        "creditsEarned": 24, "creditUnit": "hour", "sector": "community_elderly",
        "standard": ELDERLY_HOURS, "results": [{"value": "结业"}],
    }
    return [("vocational-centre", electrician), ("open-university", calligraphy)]


@dataclass
class RecognitionDemo:
    """Where the demo's credit bank part is, for the summary."""

    framework: str = ""
    standards: list[str] = field(default_factory=list)
    rule_set: str = ""
    rule_set_hash: str = ""
    application: str = ""
    decision: str = ""
    sources: list[str] = field(default_factory=list)
    files: Path | None = None
    skipped: str | None = None  # why the part was left out


def persist_credit_bank(svc: Service, slug: str) -> str | None:
    """Name ``slug`` as the credit bank for this run and in DATA_DIR/credbank.toml; the
    slug in force instead when the settings name another (then the demo leaves it)."""
    if svc.settings.credit_bank not in (None, slug):
        return svc.settings.credit_bank
    svc.settings.credit_bank = slug
    path = svc.settings.path(CONFIG_FILE)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if "credit_bank" not in tomllib.loads(text):
        if text and not text.endswith("\n"):
            text += "\n"
        text += f'# the institution that signs for the credit bank (credbank up --demo)\n' \
                f'credit_bank = "{slug}"\n'
        write_atomic(path, text)
    return None


def create_recognition_demo(svc: Service, learner: tuple[str, str, str]) -> RecognitionDemo:
    """``learner``: identity number, name and login of the demo learner who applies."""
    identity_number, learner_name, learner_login = learner
    slug, name = BANK
    other = persist_credit_bank(svc, slug)
    if other is not None:
        return RecognitionDemo(skipped=f"credit_bank is set to {other!r}; the demo's credit "
                               "bank part needs it unset or 'credit-bank'")
    if _issuer(svc, slug) is None:
        register_issuer(svc, slug, name)
    accredit(svc, slug)
    dids = {s: _issuer(svc, s).did for s in (slug, "open-university", "vocational-centre")}
    shown = RecognitionDemo()
    shown.framework = _framework(svc)
    shown.standards = _standards(svc)
    row = _rule_set(svc, rule_set_document(dids[slug], dids["open-university"],
                                           dids["vocational-centre"]))
    shown.rule_set, shown.rule_set_hash = f"{row['id']} {row['version']}", row["hash"]
    with svc.db.session() as session:
        learner_id = session.scalars(select(Learner.id).where(
            Learner.login == learner_login)).one()
    shown.sources = _typed_credentials(svc, learner_login, identity_number, learner_name)
    Anchorer(svc).run_once(force=True)
    shown.application, shown.decision = _decided(svc, learner_id, shown.sources)
    Anchorer(svc).run_once(force=True)
    shown.files = _write_files(svc, shown, row["document"])
    return shown


def _issuer(svc: Service, slug: str) -> Issuer | None:
    with svc.db.session() as session:
        return session.scalars(select(Issuer).where(Issuer.slug == slug)).first()


def _framework(svc: Service) -> str:
    with svc.db.session() as session:
        row = session.scalars(select(CreditFramework).where(
            CreditFramework.framework_id == FRAMEWORK["id"],
            CreditFramework.version == FRAMEWORK["version"])).first()
        state = row.state if row is not None else None
    if state is None:
        credit_registry.create_framework(svc, FRAMEWORK)
    if state in (None, "draft"):
        credit_registry.publish_framework(svc, FRAMEWORK["id"], FRAMEWORK["version"])
    return f"{FRAMEWORK['id']} {FRAMEWORK['version']}"


def _standards(svc: Service) -> list[str]:
    wanted = {(s["code"], s["version"]) for s in STANDARDS["standards"]}
    with svc.db.session() as session:
        kept = {(r.code, r.version): r.state for r in session.scalars(select(CreditStandard))}
    missing = [s for s in STANDARDS["standards"] if (s["code"], s["version"]) not in kept]
    if missing:
        credit_registry.import_standards(svc, {**STANDARDS, "standards": missing})
    if missing or any(kept.get(k) == "draft" for k in wanted):
        credit_registry.publish_standards(svc)
    return sorted(f"{code} {version}" for code, version in wanted)


def _rule_set(svc: Service, document: dict[str, Any]) -> dict[str, Any]:
    try:
        found = rule_sets.rule_set(svc, RULE_SET_ID, RULE_SET_VERSION, None)
    except NotFound:
        found = rule_sets.create_rule_set(svc, document, None)
    if found["state"] == "draft":
        found = rule_sets.publish_rule_set(svc, RULE_SET_ID, RULE_SET_VERSION, None)
    return found


def _typed_credentials(svc: Service, login: str, identity_number: str, name: str
                       ) -> list[str]:
    """The credentials citing a standard issued to the learner, issuing those missing."""
    ids = []
    with svc.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).one()
        for slug, raw in _typed_records(identity_number, name):
            issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).one()
            title = raw["achievement"]["name"]["zh"]
            row = session.scalars(select(Credential).where(
                Credential.issuer_id == issuer.id,
                Credential.learner_key == learner.learner_key,
                Credential.achievement_name.contains(title),
                Credential.credit_unit == raw["creditUnit"])).first()
            if row is None:
                row = issuing.accept(session, issuer, svc.identities.get(issuer),
                                     LearningRecord.from_json(raw), svc.secret)
            ids.append(row.id)
    return ids


def _decided(svc: Service, learner_id: int, sources: list[str]) -> tuple[str, str]:
    """The learner's application under the demo rule set, submitted and approved."""
    with svc.db.session() as session:
        rule_set_row = session.scalars(select(CreditRuleSet).where(
            CreditRuleSet.set_id == RULE_SET_ID,
            CreditRuleSet.version == RULE_SET_VERSION)).one()
        found = session.scalars(select(RecognitionApplication).where(
            RecognitionApplication.learner_id == learner_id,
            RecognitionApplication.rule_set_id == rule_set_row.id,
            RecognitionApplication.state.in_(("submitted", "approved")))).first()
        application = (found.id, found.state, found.decision_credential_id) if found else None
    if application is None:
        made = recognition.submit(svc, learner_id, recognition.Request(
            RULE_SET_ID, RULE_SET_VERSION, "bank", sources,
            note="演示：电工证书与社区学时 demo: certificate and community hours"))
        application = (made["id"], "submitted", None)
    if application[1] == "submitted":
        decided = recognition.decide(svc, None, application[0],
                                     recognition.Decision(approve=True))
        return application[0], decided["decision"]["credential"]
    return application[0], str(application[2])


def _write_files(svc: Service, shown: RecognitionDemo, rules: dict[str, Any]) -> Path:
    folder = svc.settings.path(FILES_DIR)
    folder.mkdir(exist_ok=True)
    with svc.db.session() as session:
        for name, credential_id in (("decision", shown.decision),
                                    *((f"source-{n}", c) for n, c in
                                      enumerate(shown.sources, start=1))):
            document = session.get(Credential, credential_id).document
            write_atomic(folder / f"{name}.json", document)
    write_atomic(folder / "rules.json", json.dumps(rules, ensure_ascii=False, indent=1) + "\n")
    return folder
