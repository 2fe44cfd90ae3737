"""How templates show values: times (Beijing time, with the offset), numbers, a credential's
fields and their names, its achievement type and name in the page's language, the
certificate a credential reads as, and the words for the codes the service and the verifier
use (check ids, statuses, states, verdicts).

:func:`install` registers them on a language's Jinja environment: the ones that show
words are bound to that language's catalog; the names themselves are messages here,
marked with :func:`~api.web.pages.i18n.N_`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from api.service.sharing import Field
from verifier import CredentialError, timefmt, verdict
from verifier.claims import is_mandatory
from verifier.credit import ReasonCode, Sector, Unit

from .i18n import N_

Gettext = Callable[[str], str]

# Pages show times in Beijing time with the offset written out.
BEIJING = timefmt.CHINA

# The group pointers of sharing.fields() that have a name; others show their pointer.
FIELD_LABELS = {
    "/id": N_("Credential ID"),
    "/issuer": N_("Issuer"),
    "/validFrom": N_("Valid from"),
    "/credentialStatus": N_("Status entry (for revocation and suspension checks)"),
    "/credentialSubject/achievement/achievementType": N_("Type"),
    "/credentialSubject/achievement/name": N_("Name"),
    "/name": N_("Credential name"),
    "/description": N_("Description"),
    "/validUntil": N_("Valid until"),
    "/image": N_("Image"),
    "/evidence": N_("Evidence"),
    "/credentialSchema": N_("Schema"),
    "/credentialSubject/id": N_("Learner's DID"),
    "/credentialSubject/creditsEarned": N_("Credits earned"),
    "/credentialSubject/activityStartDate": N_("Start of studies"),
    "/credentialSubject/activityEndDate": N_("End of studies"),
    "/credentialSubject/achievement/id": N_("Achievement ID"),
    "/credentialSubject/achievement/description": N_("Course or programme description"),
    "/credentialSubject/achievement/criteria": N_("Criteria"),
    "/credentialSubject/achievement/inLanguage": N_("Language"),
    "/credentialSubject/achievement/fieldOfStudy": N_("Field of study"),
    "/credentialSubject/achievement/humanCode": N_("Course code"),
    "/credentialSubject/achievement/level": N_("Level"),
    "/credentialSubject/achievement/creditUnit": N_("Credit unit"),
    "/credentialSubject/achievement/sector": N_("Learning sector"),
    "/credentialSubject/achievement/translations": N_("Name in other languages"),
    "/credentialSubject/achievement/creditsAvailable": N_("Credits available"),
    "/credentialSubject/achievement/image": N_("Image"),
}
_INDEXED_LABELS = (
    (re.compile(r"^/credentialSchema/\d+$"), N_("Schema")),
    (re.compile(r"^/credentialSubject/result/\d+$"), N_("Result")),
    (re.compile(r"^/credentialSubject/achievement/resultDescription/\d+$"),
     N_("Result description")),
    (re.compile(r"^/credentialSubject/achievement/alignment/\d+$"), N_("Outcome standard")),
)
_IDENTIFIER = re.compile(r"^/credentialSubject/identifier/\d+$")
_IDENTIFIER_LABELS = {
    "name": N_("Learner's name"),
    "nationalIdentityNumber": N_("Identity number (salted hash)"),
    "studentId": N_("Student number (salted hash)"),
    "emailAddress": N_("Email address (salted hash)"),
    "accountId": N_("Account number (salted hash)"),
}

# Open Badges 3.0 AchievementType values (docs/format.md §2.3); an extension ext:<Name> shows
# as <Name>.
ACHIEVEMENT_TYPES = {
    "Achievement": N_("Achievement"),
    "ApprenticeshipCertificate": N_("Apprenticeship certificate"),
    "Assessment": N_("Assessment"),
    "Assignment": N_("Assignment"),
    "AssociateDegree": N_("Associate degree"),
    "Award": N_("Award"),
    "Badge": N_("Badge"),
    "BachelorDegree": N_("Bachelor's degree"),
    "Certificate": N_("Certificate"),
    "CertificateOfCompletion": N_("Certificate of completion"),
    "Certification": N_("Certification"),
    "CommunityService": N_("Community service"),
    "Competency": N_("Competency"),
    "Course": N_("Course"),
    "CoCurricular": N_("Co-curricular activity"),
    "Degree": N_("Degree"),
    "Diploma": N_("Diploma"),
    "DoctoralDegree": N_("Doctoral degree"),
    "Fieldwork": N_("Fieldwork"),
    "GeneralEducationDevelopment": N_("General education development"),
    "JourneymanCertificate": N_("Journeyman certificate"),
    "LearningProgram": N_("Learning programme"),
    "License": N_("Licence"),
    "Membership": N_("Membership"),
    "ProfessionalDoctorate": N_("Professional doctorate"),
    "QualityAssuranceCredential": N_("Quality assurance credential"),
    "MasterCertificate": N_("Master certificate"),
    "MasterDegree": N_("Master's degree"),
    "MicroCredential": N_("Micro-credential"),
    "ResearchDoctorate": N_("Research doctorate"),
    "SecondarySchoolDiploma": N_("Secondary school diploma"),
}

# The verifier's checks (verifier.checks.CHECK_IDS) and their outcomes as a page shows
# them: "not_checked" is a check that relies on content that cannot be trusted
# (verifier.verdict.Explanation.shown).
CHECK_NAMES = {
    "format": N_("Format"),
    "integrity": N_("Integrity (not altered)"),
    "disclosure": N_("Selective disclosure"),
    "issuer_signature": N_("Issuer signature"),
    "issuer_trusted": N_("Issuer trusted"),
    "batch_inclusion": N_("In an anchored batch"),
    "anchored": N_("Anchored on the ledger"),
    "not_revoked": N_("Not revoked"),
    "not_suspended": N_("Not suspended"),
    "not_expired": N_("Not expired"),
}
CHECK_STATUSES = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "skipped": N_("skipped"),
    "error": N_("error"),
    "not_checked": N_("not checked"),
}
# A credential's status (active, revoked, suspended) and state (pending, anchored).
CREDENTIAL_WORDS = {
    "active": N_("active"),
    "revoked": N_("revoked"),
    "suspended": N_("suspended"),
    "pending": N_("awaiting anchoring"),
    "anchored": N_("anchored"),
}
# sharing.link_state()
LINK_STATES = {
    "active": N_("active"),
    "expired": N_("expired"),
    "revoked": N_("revoked"),
    "used_up": N_("no views left"),
}


def _word(table: dict[str, str], gettext: Gettext, code: str) -> str:
    """The word for a code in the page's language; a code without one shows as itself."""
    message = table.get(code)
    return gettext(message) if message else code


def field_label(gettext: Gettext, field: Field) -> str:
    pointer = field.pointer
    message = FIELD_LABELS.get(pointer)
    if message:
        return gettext(message)
    for pattern, indexed in _INDEXED_LABELS:
        if pattern.match(pointer):
            return gettext(indexed)
    if _IDENTIFIER.match(pointer):
        for value in field.values:
            if value in _IDENTIFIER_LABELS:
                return gettext(_IDENTIFIER_LABELS[value])
        return gettext(N_("Identifier"))
    return pointer


def type_name(gettext: Gettext, code: Any) -> str:
    """An achievement type in words: Course 课程, BachelorDegree 学士学位, ext:Name Name."""
    if not isinstance(code, str):
        return ""
    if code.startswith("ext:"):
        return code[4:]
    return _word(ACHIEVEMENT_TYPES, gettext, code)


# ---- times -------------------------------------------------------------------------------

def beijing(value: Any) -> datetime | None:
    """A moment (a datetime, or a dateTime string of a credential) in Beijing time."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = timefmt.parse(value, "time")
        except CredentialError:
            return None
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING)


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")  # +0800
    return f"{text[:3]}:{text[3:]}"


def _in_beijing(value: Any, pattern: str, offset: bool) -> str:
    """``value`` in Beijing time by ``pattern``; a string that is no dateTime as itself."""
    moment = beijing(value)
    if moment is None:
        return "" if value is None else str(value)
    text = moment.strftime(pattern)
    return f"{text} {_offset(moment)}" if offset else text


def format_time(value: Any) -> str:
    """``2026-12-05 22:10 +08:00``."""
    return _in_beijing(value, "%Y-%m-%d %H:%M", offset=True)


def format_seconds(value: Any) -> str:
    """``2026-12-05 22:10:03 +08:00``."""
    return _in_beijing(value, "%Y-%m-%d %H:%M:%S", offset=True)


def format_date(value: Any) -> str:
    """``2026-12-05`` (the Beijing date)."""
    return _in_beijing(value, "%Y-%m-%d", offset=False)


# ---- values ------------------------------------------------------------------------------

_REFERENCE = re.compile(r"^urn:uuid:[0-9a-f-]+#result-\d+$")  # a result's description, by id


def show_value(field: Field) -> str:
    """A field's values as one line: the meaningful leaves, not the JSON-LD types, flags or
    references."""
    shown = [v for v in field.values
             if not (isinstance(v, str) and (v in _TYPE_WORDS or _REFERENCE.match(v)))
             and not isinstance(v, bool)]
    return " · ".join("" if v is None else _shown(v) for v in (shown or field.values))


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _shown(value: Any) -> str:
    if isinstance(value, str) and _DATE_TIME.match(value):  # a date of the credential
        return format_date(value)
    return number(value)


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Claims a reader does not look for: the document's own name (the achievement's, again),
# ids, the languages (the certificate shows the name in the page's language) and the
# schema. The share form offers them apart; the pages do not
# list them as hidden.
TECHNICAL = ("/name", "/credentialSchema", "/credentialSubject/achievement/id",
             "/credentialSubject/achievement/inLanguage",
             "/credentialSubject/achievement/translations",
             "/credentialSubject/achievement/image", "/image", "/credentialSubject/id")


def is_technical(field: Field) -> bool:
    return any(field.pointer == p or field.pointer.startswith(p + "/") for p in TECHNICAL)


def is_plumbing(field: Field) -> bool:
    """JSON-LD context and type entries: always revealed, and meaningless to a reader."""
    pointer = field.pointer
    return pointer.startswith("/@context") or bool(re.search(r"/type(/\d+)?$", pointer))


_TYPE_WORDS = {"IdentityObject", "Result", "ResultDescription", "Achievement", "Criteria",
               "name", "nationalIdentityNumber", "1EdTechJsonSchemaValidator2019", "Profile",
               "CredbankStatusEntry", "zh-CN", "en"}


def optional_fields(fields: list[Field]) -> list[Field]:
    return [f for f in fields if not f.mandatory and not is_mandatory(f.pointer)]


# ---- a credential as a certificate -------------------------------------------------------

def _member(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def achievement_name(achievement: Any, lang: str) -> str | None:
    """The achievement's name in the page's language when the credential has it (its
    ``inLanguage`` or a ``translations`` member), else in its own language."""
    name = _text(_member(achievement, "name"))
    wanted = "zh-CN" if lang == "zh" else "en"
    if _member(achievement, "inLanguage") == wanted:
        return name
    # translations are kept for the languages other than the credential's own
    return _text(_member(achievement, "translations", wanted, "name")) or name


def row_name(row: Any, lang: str) -> str:
    """A stored credential's achievement name in the page's language."""
    try:
        document = json.loads(row.document)
    except (TypeError, ValueError):
        return str(row.achievement_name)
    return achievement_name(_member(document, "credentialSubject", "achievement"),
                            lang) or str(row.achievement_name)


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return number(value)


def certificate(document: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    """What a credential says, as a certificate reads: issuer, learner, achievement, credits
    and level, grades, dates. Only what the copy discloses; absent values are None."""
    if not isinstance(document, dict):
        return {}
    subject = _member(document, "credentialSubject")
    achievement = _member(subject, "achievement")
    holder = None
    for item in _member(subject, "identifier") or []:
        if isinstance(item, dict) and item.get("identityType") == "name" \
                and item.get("hashed") is False:
            holder = _text(item.get("identityHash"))
    descriptions = {d.get("id"): _text(d.get("name"))
                    for d in _member(achievement, "resultDescription") or []
                    if isinstance(d, dict)}
    grades = [(descriptions.get(r.get("resultDescription")), str(r.get("value")))
              for r in _member(subject, "result") or []
              if isinstance(r, dict) and r.get("value") is not None]
    name = achievement_name(achievement, lang)
    original = _text(_member(achievement, "name"))
    issuer = _member(document, "issuer")
    return {
        "issuer": _text(_member(issuer, "name")) or _text(_member(issuer, "id")),
        "holder": holder,
        "name": name,
        "original_name": original if original != name else None,
        "type": _member(achievement, "achievementType"),
        "description": _text(_member(achievement, "description")),
        "field": _text(_member(achievement, "fieldOfStudy")),
        "code": _text(_member(achievement, "humanCode")),
        "level": _text(_member(achievement, "level")),
        "credits": _number(_member(subject, "creditsEarned")),
        "grades": grades,
        "valid_from": _member(document, "validFrom"),
        "valid_until": _member(document, "validUntil"),
        "started": _member(subject, "activityStartDate"),
        "ended": _member(subject, "activityEndDate"),
        "id": _text(_member(document, "id")),
    }


# ---- the verdict in words ----------------------------------------------------------------

def headline(reason: str, lang: str) -> str:
    return verdict.HEADLINES[reason]["zh" if lang == "zh" else "en"]


def dated_headline(reason: str, lang: str, at: Any, code: int) -> str:
    """已于 2026-12-05 撤销（原因：误发）"""
    return verdict.dated_headline(reason, lang, format_date(at), code)


def reason_words(code: int, lang: str) -> str:
    return verdict.reason_words(code, lang)


def credit_word(kind: type[Unit] | type[Sector], code: Any, lang: str) -> str:
    """A unit (学分, hour) or sector in the page's language; an unknown code as itself."""
    try:
        member = kind(code)
    except ValueError:
        return str(code)
    return member.zh if lang == "zh" else member.en


def credit_reason(code: Any, lang: str) -> str:
    """A reason a source does not count (verifier.credit ReasonCode) in words."""
    try:
        member = ReasonCode(code)
    except ValueError:
        return str(code)
    return member.zh if lang == "zh" else member.en


def localized(value: Any, lang: str) -> str:
    """A ``{"zh": ..., "en": ...}`` text in the page's language (the other as a fallback)."""
    if isinstance(value, dict):
        other = "en" if lang == "zh" else "zh"
        return str(value.get(lang) or value.get(other) or next(iter(value.values()), ""))
    return "" if value is None else str(value)


# what a registry document's state is called (frameworks, standards, rule sets)
REGISTRY_STATES = {
    "draft": N_("draft"), "published": N_("published"), "active": N_("in force"),
    "superseded": N_("superseded"), "withdrawn": N_("withdrawn"),
}


def destination_words(gettext: Gettext, name: str) -> str:
    """``bank`` or ``programme DID CODE`` (recognition.destination_name) in words."""
    if name == "bank":
        return gettext(N_("the credit bank"))
    parts = name.split(" ")
    return gettext(N_("programme %(code)s")) % {"code": parts[-1]}


# what an application's state is called (recognition.STATES)
APPLICATION_STATES = {
    "submitted": N_("awaiting a decision"), "approved": N_("approved"),
    "refused": N_("refused"), "withdrawn": N_("withdrawn"),
}


def install(env: Environment, gettext: Gettext, lang: str) -> None:
    """Register the filters, the test and the functions on a language's environment."""
    words = functools.partial
    env.filters.update(
        time=format_time, seconds=format_seconds, date=format_date, show=show_value,
        num=number, label=words(field_label, gettext),
        type_name=words(type_name, gettext),
        row_name=lambda row: row_name(row, lang),
        check_name=words(_word, CHECK_NAMES, gettext),
        check_status=words(_word, CHECK_STATUSES, gettext),
        credential_word=words(_word, CREDENTIAL_WORDS, gettext),
        link_state=words(_word, LINK_STATES, gettext),
        unit_name=lambda code: credit_word(Unit, code, lang),
        sector_name=lambda code: credit_word(Sector, code, lang),
        credit_reason=lambda code: credit_reason(code, lang),
        localized=lambda value: localized(value, lang),
        application_state=words(_word, APPLICATION_STATES, gettext),
        registry_state=words(_word, REGISTRY_STATES, gettext),
    )
    env.tests["plumbing"] = is_plumbing
    env.tests["technical"] = is_technical
    env.globals.update(
        optional_fields=optional_fields,
        certificate=lambda document: certificate(document, lang),
        headline=lambda reason: headline(reason, lang),
        dated_headline=lambda reason, at, code: dated_headline(reason, lang, at, code),
        reason_words=lambda code: reason_words(code, lang),
        names_of=lambda sources: {s.get("credential"): s.get("achievementName")
                                  for s in sources},
        destination_name=lambda name: destination_words(gettext, name),
        colon="：" if lang == "zh" else ": ",
        comma="、" if lang == "zh" else ", ",
    )
