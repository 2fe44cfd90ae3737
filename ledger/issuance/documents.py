"""Build the Open Badges 3.0 OpenBadgeCredential document for one learning record."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from verifier import timefmt
from verifier.credential import OB_CONTEXT, STATUS_TYPE, VC_CONTEXT

from .inputs import LearningRecord, Localized

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
_ACHIEVEMENT_NS = uuid.UUID("6f1c2a4e-9d1b-5c7e-8a53-2f0d5b9e4c11")


@lru_cache(maxsize=1024)  # a batch repeats the same few dates
def _moment(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0), tzinfo=UTC)
    return timefmt.format(value)


def identity_hash(identity: str, salt: str) -> str:
    """Open Badges 3.0 IdentityHash: "sha256$" + hex(SHA-256(identity + salt))."""
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def _translations(name: Localized, description: Localized, primary: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang, code in (("zh", "zh-CN"), ("en", "en")):
        if code == primary:
            continue
        entry = {k: getattr(text, lang) for k, text in (("name", name), ("description",
                 description)) if getattr(text, lang)}
        if entry:
            out[code] = entry
    return out


def achievement_id(institution_did: str, record: LearningRecord) -> str:
    """The given id, or a stable one: the same course of the same institution always gets
    the same id, so a learning account can group outcomes by achievement."""
    if record.achievement.id:
        return record.achievement.id
    _, name = record.achievement.name.primary()
    return _stable_achievement_id(institution_did, record.achievement.type,
                                  record.achievement.code or "", name)


@lru_cache(maxsize=4096)
def _stable_achievement_id(institution_did: str, kind: str, code: str, name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_ACHIEVEMENT_NS, '|'.join((institution_did, kind, code, name)))}"


@lru_cache(maxsize=256)  # one per institution
def _status_list_id(institution_did: str) -> str:
    return hashlib.sha256(institution_did.encode()).hexdigest()[:32]


def build_document(
    record: LearningRecord,
    *,
    institution_did: str,
    institution_name: str,
    signing_did: str,
    status_index: int,
    issued_at: datetime,
    status_registry: str | None = None,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned credential document (no proof)."""
    a = record.achievement
    language, name = a.name.primary()
    _, description = a.description.primary()
    achievement: dict[str, Any] = {
        "id": achievement_id(institution_did, record),
        "type": ["Achievement"],
        "achievementType": a.type,
        "name": name,
        "description": description,
        "criteria": {"narrative": a.criteria or description},
        "inLanguage": language,
    }
    if a.fieldOfStudy:
        achievement["fieldOfStudy"] = a.fieldOfStudy
    if a.code:
        achievement["humanCode"] = a.code
    if a.level:
        achievement["level"] = a.level
    translations = _translations(a.name, a.description, language)
    if translations:
        achievement["translations"] = translations

    salt = os.urandom(16).hex()
    identifiers: list[dict[str, Any]] = [{
        "type": "IdentityObject",
        "identityHash": identity_hash(record.learner.id, salt),
        "identityType": record.learner.idType,
        "hashed": True,
        "salt": salt,
    }]
    if record.learner.name:
        identifiers.append({
            "type": "IdentityObject",
            "identityHash": record.learner.name,
            "identityType": "name",
            "hashed": False,
        })
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if record.learner.did:
        subject["id"] = record.learner.did
    subject["identifier"] = identifiers
    subject["achievement"] = achievement
    if record.creditsEarned is not None:
        credits = record.creditsEarned
        subject["creditsEarned"] = int(credits) if credits.is_integer() else credits
    if record.results:
        # Open Badges 3.0: a Result names its ResultDescription (kept in the achievement)
        # by id; the description's text is that ResultDescription's name.
        results, descriptions = [], []
        for number, r in enumerate(record.results):
            result: dict[str, Any] = {"type": ["Result"], "value": r.value}
            if r.description:
                description_id = f"{achievement['id']}#result-{number}"
                descriptions.append({"id": description_id, "type": ["ResultDescription"],
                                     "name": r.description, "resultType": "Result"})
                result["resultDescription"] = description_id
            results.append(result)
        if descriptions:
            achievement["resultDescription"] = descriptions
        subject["result"] = results
    for key, value in (("activityStartDate", record.activityStartDate),
                       ("activityEndDate", record.activityEndDate)):
        if value is not None:
            subject[key] = _moment(value)
    if record.recognition is not None:  # a decision credential (verifier.credit.decision)
        subject["recognition"] = record.recognition

    status: dict[str, Any] = {
        "id": f"urn:credbank:status:{_status_list_id(institution_did)}:{status_index}",
        "type": STATUS_TYPE,
        "statusIssuer": institution_did,
        "statusIndex": str(status_index),
    }
    if status_registry:
        status["statusRegistry"] = status_registry

    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": signing_did, "type": ["Profile"], "name": institution_name},
        "validFrom": _moment(record.validFrom or issued_at),
    }
    if record.validUntil is not None:
        document["validUntil"] = _moment(record.validUntil)
    document["credentialSubject"] = subject
    document["credentialStatus"] = status
    document["credentialSchema"] = [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]
    return document
