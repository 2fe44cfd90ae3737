"""The demo data `credbank up --demo` puts into a fresh service.

Two institutions, registered in the service and accredited on its chain, with an API key
each; four learners with learning accounts; 32 credentials issued
through the service and anchored by its worker; one share link. The API keys, passwords and
the share link are returned to be printed once: only their hashes are stored. Then the
credit bank part (:mod:`api.cli.demo_recognition`): the credit bank's institution, a
published registry and rule set, and one decided recognition application. Then the learning
code (:mod:`api.cli.demo_checkin`): two venues, a day of check-ins, an operator key.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from sqlalchemy import func, select

from api.cli.demo_checkin import CheckinDemo, create_checkin_demo
from api.cli.demo_hiring import HiringDemo, create_hiring_demo
from api.cli.demo_recognition import BANK, RecognitionDemo, create_recognition_demo
from api.service import issuing, security, sharing
from api.service.accounts import create_api_key, open_learner_account, register_issuer
from api.service.context import Service
from api.service.data_dir import DEMO_MARK
from api.service.governing import accredit
from api.service.models import ApiKey, Credential, Issuer, Learner
from api.service.worker import Anchorer
from ledger.files import write_atomic
from ledger.issuance.inputs import LearningRecord
from verifier import timefmt

INSTITUTIONS = (
    ("open-university", "上海开放大学 Shanghai Open University"),
    ("vocational-centre", "城市职业技能培训中心 City Vocational Skills Centre"),
)
# identity number, name, learning-account login
LEARNERS = (
    ("310101199001011234", "张伟", "zhangwei"),
    ("310104198805052343", "李娜", "lina"),
    ("310115199512123455", "王芳", "wangfang"),
    ("320102199207074562", "刘洋", "liuyang"),
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
# what the demo share link reveals beyond the mandatory fields
SHARED_FIELDS = ["/credentialSubject/creditsEarned", "/credentialSubject/result"]
SHARE_DAYS = 30


# the sector of each demo institution's credits (all counted in 学分, unit credit)
SECTORS = {"open-university": "degree", "vocational-centre": "vocational"}


def record_json(learner_id: str, learner_name: str, course: tuple,
                sector: str = "degree") -> dict[str, object]:
    kind, zh, en, field_of_study, credits, grade = course
    return {
        "learner": {"id": learner_id, "name": learner_name},
        "achievement": {
            "type": kind,
            "name": {"zh": zh, "en": en},
            "description": {"zh": f"完成{zh}的学习并通过考核。",
                            "en": f"Completed {en} and passed its assessment."},
            "fieldOfStudy": field_of_study,
        },
        "creditsEarned": credits, "creditUnit": "credit", "sector": sector,
        "results": [{"value": grade, "description": "总评 final grade"}],
        "activityStartDate": "2026-03-01",
        "activityEndDate": "2026-07-10",
    }


def demo_records(slug: str) -> list[LearningRecord]:
    return [LearningRecord.from_json(record_json(learner_id, name, course, SECTORS[slug]))
            for learner_id, name, _ in LEARNERS for course in COURSES[slug]]


@dataclass
class DemoAccess:
    """What the run that created the demo prints, and nobody can print again."""

    institution_keys: list[tuple[str, str, str]] = field(default_factory=list)  # slug, name, key
    learners: list[tuple[str, str, str]] = field(default_factory=list)  # login, password, name
    credentials: int = 0
    share_link: str | None = None
    shared_credential: str | None = None  # the id of the credential the link shows
    other_credential: str | None = None  # another of the first institution's, to revoke
    recognition: RecognitionDemo | None = None
    checkin: CheckinDemo | None = None
    hiring: HiringDemo | None = None


def first_governor_key(svc: Service) -> str | None:
    """A governor API key when the service has none in use (the first run), else None."""
    with svc.db.session() as session:
        found = session.scalars(select(ApiKey.id).where(
            ApiKey.role == "governor", ApiKey.revoked_at.is_(None)).limit(1)).first()
    return None if found is not None else create_api_key(svc, "governor", None, "first")


def demo_state(svc: Service) -> Literal["none", "partial", "done", "other"]:
    """Whether the demo is there: ``done`` once complete, ``partial`` when a run that was
    creating it broke off (only demo issuers exist), ``other`` for a directory with issuers
    of its own, ``none`` for an empty one."""
    if svc.settings.path(DEMO_MARK).exists():
        return "done"
    with svc.db.session() as session:
        slugs = set(session.scalars(select(Issuer.slug)))
    if not slugs:
        return "none"
    return "partial" if slugs <= {slug for slug, _ in (*INSTITUTIONS, BANK)} else "other"


def create_demo(svc: Service) -> DemoAccess:
    """Fill a service that has a chain and its governor key with the demo. A run cut short
    is finished by the next: each step is skipped when done, and what was never printed
    (keys, passwords) is made anew."""
    access = DemoAccess()
    for slug, name in INSTITUTIONS:
        issuer = _issuer(svc, slug) or register_issuer(svc, slug, name)
        accredit(svc, slug)
        access.institution_keys.append(
            (slug, name, create_api_key(svc, "institution", slug, "demo")))
        with svc.db.session() as session:
            row = session.get(Issuer, issuer.id)
            issued = session.scalar(select(func.count()).select_from(Credential)
                                    .where(Credential.issuer_id == row.id))
            if not issued:
                identity = svc.identities.get(row)
                for record in demo_records(slug):
                    issuing.accept(session, row, identity, record, svc.secret)
        access.credentials += len(COURSES[slug]) * len(LEARNERS)
    for identity_number, name, login in LEARNERS:
        password = secrets.token_urlsafe(9)
        if not _reset_password(svc, login, password):
            open_learner_account(svc, login, identity_number, password, name)
        access.learners.append((login, password, name))
    # The worker anchors what was issued now rather than after the first request, so the
    # learners can share at once.
    Anchorer(svc).run_once(force=True)
    access.share_link, access.shared_credential = _share_first(svc)
    access.other_credential = _oldest_of(svc, LEARNERS[1][2])
    access.recognition = recognition_demo(svc)
    access.checkin = create_checkin_demo(svc, [login for _, _, login in LEARNERS])
    access.hiring = create_hiring_demo(svc)
    write_atomic(svc.settings.path(DEMO_MARK),
                 json.dumps({"created": timefmt.format(timefmt.now())}) + "\n")
    return access


def recognition_demo(svc: Service) -> RecognitionDemo:
    """The credit bank part, for the first demo learner; made by the first run that gets
    here (also on a directory whose demo predates it), found again by later runs."""
    return create_recognition_demo(svc, LEARNERS[0])


def _issuer(svc: Service, slug: str) -> Issuer | None:
    with svc.db.session() as session:
        return session.scalars(select(Issuer).where(Issuer.slug == slug)).first()


def _reset_password(svc: Service, login: str, password: str) -> bool:
    with svc.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).first()
        if learner is None:
            return False
        learner.password_hash = security.hash_password(password)
        return True


def _oldest_of(svc: Service, login: str) -> str:
    with svc.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).one()
        return sharing.own_credentials(session, learner)[-1][0].id


def _share_first(svc: Service) -> tuple[str, str]:
    _, _, login = LEARNERS[0]
    with svc.db.session() as session:
        learner = session.scalars(select(Learner).where(Learner.login == login)).one()
        row, _ = sharing.own_credentials(session, learner)[-1]  # the oldest: 数据结构
        new = sharing.create_link(session, learner, row.id, SHARED_FIELDS,
                                  expires_at=timefmt.now() + timedelta(days=SHARE_DAYS),
                                  label="demo")
        return sharing.link_url(svc, new.token), row.id
