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
from verifier.credit import Standard

from .inputs import LearningRecord, Localized

OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
_ACHIEVEMENT_NS = uuid.UUID("6f1c2a4e-9d1b-5c7e-8a53-2f0d5b9e4c11")
STANDARD_TARGET_TYPE = "ext:OutcomeStandard"


def standard_urn(code: str, version: str | None = None) -> str:
    """The targetUrl of a cited outcome standard: urn:credbank:standard:<code>:<version>."""
    return f"urn:credbank:standard:{code}" + (f":{version}" if version else "")


def standard_alignment(code: str, standard: Standard | None) -> dict[str, Any]:
    """The OB 3.0 Alignment citing an outcome standard. Without the standard itself (an
    offline issuer with no catalogue) it names the code only."""
    if standard is None:
        return {"type": ["Alignment"], "targetType": STANDARD_TARGET_TYPE, "targetCode": code,
                "targetName": code, "targetUrl": standard_urn(code)}
    return {"type": ["Alignment"], "targetType": STANDARD_TARGET_TYPE,
            "targetCode": standard.code, "targetName": standard.title.zh,
            "targetUrl": standard_urn(standard.code, standard.version)}


def _typed(record: LearningRecord, standard: Standard | None) -> tuple[str | None, str | None]:
    """The unit and sector of the record's figure: its own, else the cited standard's."""
    unit = record.creditUnit.value if record.creditUnit else None
    sector = record.sector.value if record.sector else None
    if standard is not None and unit is None and record.creditsEarned is not None:
        unit = standard.credits.unit.value
        sector = sector or standard.sector.value
    if standard is not None and sector is None:
        sector = standard.sector.value
    return unit, sector


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
    standard: Standard | None = None,
) -> dict[str, Any]:
    """The unsigned credential document (no proof). ``standard`` is the outcome standard
    the record cites, as the issuing service found it in force; it fills the alignment's
    name and version and, when the record gives none, the figure's unit and sector."""
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
    unit, sector = _typed(record, standard)
    if unit:
        achievement["creditUnit"] = unit
    if sector:
        achievement["sector"] = sector
    if record.standard:
        achievement["alignment"] = [standard_alignment(record.standard, standard)]
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
    if record.evidence:  # OB 3.0 AchievementCredential.evidence (docs/format.md, Evidence)
        document["evidence"] = [{"id": e.id, "type": ["Evidence"], "name": e.name,
                                 **({"genre": e.genre} if e.genre else {}),
                                 **({"description": e.description} if e.description else {})}
                                for e in record.evidence]
    document["credentialStatus"] = status
    document["credentialSchema"] = [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]
    return document
