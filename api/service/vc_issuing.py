"""Issuing through the W3C VC API: an unsigned credential becomes a learning record.

The VC API takes an unsigned credential and returns it signed. This service builds its
credentials itself (salted identity hash, status entry, both proofs), so it maps what an
unsigned Open Badges 3.0 credential says onto a learning record, refusing any member it
would otherwise have to drop; or it takes the service's own learning record under
"credential" (the body of POST /v1/credentials). docs/api.md has the mapping.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.errors import InputError
from ledger.issuance import IssuerError, LearningRecord
from ledger.issuance.inputs import ID_TYPES
from verifier.credential import VC_CONTEXT

from . import issuing
from .context import Service
from .errors import Forbidden, InvalidInput
from .models import Issuer

_TOP = {"@context", "type", "name", "issuer", "validFrom", "validUntil", "credentialSubject",
        "credentialSchema"}
_ASSIGNED = {"id", "proof", "credentialStatus", "issuanceDate"}
_SUBJECT = {"type", "id", "identifier", "achievement", "creditsEarned", "result",
            "activityStartDate", "activityEndDate"}
_ACHIEVEMENT = {"id", "type", "achievementType", "name", "description", "criteria",
                "fieldOfStudy", "humanCode", "level", "inLanguage", "translations",
                "resultDescription", "creditUnit", "sector", "alignment"}


STANDARD_TARGET_TYPE = "ext:OutcomeStandard"


class NotIssuable(InvalidInput):
    """An unsigned credential this service cannot issue as given; one line."""


def _object(value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NotIssuable(f"{where} must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise NotIssuable(f"{where}.{unknown[0]} is not something this service issues")
    return value


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _localized(text: Any, translations: dict[str, Any], member: str, where: str) -> Any:
    if not isinstance(text, str):
        raise NotIssuable(f"{where}.{member} must be a string")
    others = {lang: entry.get(member) for lang, entry in translations.items()
              if isinstance(entry, dict) and entry.get(member)}
    if not others:
        return text
    out = {"zh" if lang.startswith("zh") else "en": value for lang, value in others.items()}
    primary = "zh" if any("\u3400" <= ch <= "\u9fff" for ch in text) else "en"
    out[primary] = text
    return out


def _learner(subject: dict[str, Any]) -> dict[str, Any]:
    identifiers = subject.get("identifier")
    if not isinstance(identifiers, list) or not identifiers:
        raise NotIssuable("credentialSubject.identifier must list the learner's identifier")
    learner: dict[str, Any] = {}
    for number, entry in enumerate(identifiers):
        where = f"credentialSubject.identifier[{number}]"
        _object(entry, where, {"type", "identityType", "identityHash", "hashed", "salt"})
        kind, value = entry.get("identityType"), entry.get("identityHash")
        if not isinstance(value, str) or not value:
            raise NotIssuable(f"{where}.identityHash must be the identifier (a string)")
        if entry.get("hashed") is not False:
            raise NotIssuable(f"{where}: send the identifier unhashed (\"hashed\": false); "
                              "the service stores and issues it only salted and hashed")
        if kind == "name" and "name" not in learner:
            learner["name"] = value
        elif kind in ID_TYPES and "id" not in learner:
            learner["id"], learner["idType"] = value, kind
        else:
            raise NotIssuable(f"{where}.identityType must be name or one of "
                              f"{', '.join(sorted(ID_TYPES))}, each at most once")
    if "id" not in learner:
        raise NotIssuable("credentialSubject.identifier needs the learner's identifier")
    if "id" in subject:
        learner["did"] = subject["id"]
    return learner


def _achievement(raw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    a = _object(raw, "credentialSubject.achievement", _ACHIEVEMENT)
    where = "credentialSubject.achievement"
    translations = a.get("translations", {})
    if not isinstance(translations, dict):
        raise NotIssuable(f"{where}.translations must be an object")
    out: dict[str, Any] = {"type": a.get("achievementType"),
                           "name": _localized(a.get("name"), translations, "name", where),
                           "description": _localized(a.get("description"), translations,
                                                     "description", where)}
    criteria = a.get("criteria")
    if criteria is not None:
        narrative = _object(criteria, f"{where}.criteria", {"narrative", "id"}).get("narrative")
        if narrative and narrative != out["description"]:
            out["criteria"] = narrative
    for member, field in (("fieldOfStudy", "fieldOfStudy"), ("humanCode", "code"),
                          ("level", "level"), ("id", "id")):
        if member in a:
            out[field] = a[member]
    descriptions: dict[str, str] = {}
    for number, entry in enumerate(a.get("resultDescription") or []):
        d = _object(entry, f"{where}.resultDescription[{number}]",
                    {"id", "type", "name", "resultType"})
        if isinstance(d.get("id"), str) and isinstance(d.get("name"), str):
            descriptions[d["id"]] = d["name"]
    return out, descriptions


def _typed_credits(achievement: dict[str, Any]) -> dict[str, Any]:
    """creditUnit and sector, and the outcome standard an ext:OutcomeStandard alignment
    cites (docs/format.md, "Typed credits"), as the record's members."""
    out = {member: achievement[member] for member in ("creditUnit", "sector")
           if member in achievement}
    alignment = achievement.get("alignment", [])
    if not isinstance(alignment, list):
        raise NotIssuable("credentialSubject.achievement.alignment must be a list")
    cited = [a.get("targetCode") for a in alignment
             if isinstance(a, dict) and a.get("targetType") == STANDARD_TARGET_TYPE]
    if len(cited) > 1:
        raise NotIssuable("credentialSubject.achievement cites more than one standard")
    if len(cited) < len(alignment):
        raise NotIssuable("credentialSubject.achievement.alignment: only an "
                          f"{STANDARD_TARGET_TYPE} alignment is issued")
    if cited:
        out["standard"] = cited[0]
    return out


def record_from_credential(document: Any, issuer_dids: set[str]) -> dict[str, Any]:
    """A learning record (POST /v1/credentials' body) from an unsigned OB 3.0 credential."""
    if isinstance(document, dict) and "learner" in document:
        return document  # already the service's own learning record
    for member in sorted(_ASSIGNED & set(document) if isinstance(document, dict) else ()):
        raise NotIssuable(f"credential.{member} is assigned by the service; leave it out")
    doc = _object(document, "credential", _TOP)
    context = doc.get("@context")
    if context is not None and _types(context)[:1] != [VC_CONTEXT]:
        raise NotIssuable(f"credential.@context must start with {VC_CONTEXT}")
    kinds = _types(doc.get("type"))
    if "VerifiableCredential" not in kinds or not {"OpenBadgeCredential",
                                                  "AchievementCredential"} & set(kinds):
        raise NotIssuable("credential.type must be VerifiableCredential and "
                          "OpenBadgeCredential")
    issuer = doc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer is not None and issuer_id not in issuer_dids:
        raise NotIssuable("credential.issuer is not the issuer of this API key")
    subject = _object(doc.get("credentialSubject"), "credentialSubject", _SUBJECT)
    achievement, descriptions = _achievement(subject.get("achievement"))
    if "name" in doc and doc["name"] != subject["achievement"].get("name"):
        raise NotIssuable("credential.name must be the achievement's name (or left out)")
    record: dict[str, Any] = {"learner": _learner(subject), "achievement": achievement}
    if "creditsEarned" in subject:
        record["creditsEarned"] = subject["creditsEarned"]
    record.update(_typed_credits(subject["achievement"]))
    results = subject.get("result") or []
    if not isinstance(results, list):
        raise NotIssuable("credentialSubject.result must be a list")
    record["results"] = []
    for number, entry in enumerate(results):
        r = _object(entry, f"credentialSubject.result[{number}]",
                    {"type", "value", "resultDescription"})
        out = {"value": r.get("value")}
        if r.get("resultDescription") in descriptions:
            out["description"] = descriptions[r["resultDescription"]]
        elif "resultDescription" in r:
            raise NotIssuable(f"credentialSubject.result[{number}].resultDescription names "
                              "no achievement.resultDescription")
        record["results"].append(out)
    for member in ("activityStartDate", "activityEndDate"):
        if member in subject:
            record[member] = subject[member]
    for member in ("validFrom", "validUntil"):
        if member in doc:
            record[member] = doc[member]
    return record


def issue(svc: Service, issuer_id: int, raw: Any) -> dict[str, Any]:
    """Sign the credential that ``raw`` describes as the issuer's; the signed document."""
    with svc.db.session() as session:
        issuer = session.get(Issuer, issuer_id)
        if issuer is None:
            raise Forbidden("this API key's issuer no longer exists")
        try:
            identity = svc.identities.get(issuer)
            dids = {issuer.did, identity.did,
                    *(f"did:key:{k.public_key_multibase}" for k in identity.key_records)}
            record = LearningRecord.from_json(record_from_credential(raw, dids), "credential")
            row = issuing.accept(session, issuer, identity, record, svc.secret)
        except (InputError, IssuerError) as exc:
            raise InvalidInput(str(exc)) from None
        return json.loads(row.document)
