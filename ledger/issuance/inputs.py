"""What a registrar hands in: one learning record, as a JSON object or a CSV row.

JSON (nested, camelCase):

    {"learner": {"id": "110101199003071234", "idType": "nationalIdentityNumber",
                 "name": "张三"},
     "achievement": {"type": "Course", "name": {"zh": "数据结构", "en": "Data Structures"},
                     "description": "...", "criteria": "...", "fieldOfStudy": "计算机科学",
                     "level": "4", "code": "CS201"},
     "creditsEarned": 3, "creditUnit": "credit", "sector": "degree", "standard": "CS-201",
     "results": [{"value": "A", "description": "final grade"}],
     "activityStartDate": "2026-03-01", "activityEndDate": "2026-06-30",
     "validFrom": "2026-07-01T00:00:00Z", "validUntil": null}

CSV (one row per record, header names in snake_case): learner_id, learner_id_type,
learner_name, achievement_type, achievement_name, achievement_name_en, description,
description_en, criteria, field_of_study, level, code, credits, credit_unit, sector,
standard, result, activity_start, activity_end, valid_from, valid_until.

Typed credits (docs/format.md, "Typed credits"): ``creditUnit`` (credit, hour, point) and
``sector`` (degree, vocational, non_degree, community_elderly, venue) type ``creditsEarned``;
``standard`` cites an outcome standard by its code. A unit needs a figure and a sector. A
figure without a unit is still read (older input files), as an untyped figure; the service
refuses one once its registry has a qualification framework.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from verifier.credit import Sector, Unit

from ..errors import InputError

ACHIEVEMENT_TYPES = {
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion",
    "Certification", "CommunityService", "Competency", "Course", "CoCurricular", "Degree",
    "Diploma", "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment",
    "JourneymanCertificate", "LearningProgram", "License", "Membership",
    "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
    "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
}
ID_TYPES = {"nationalIdentityNumber", "studentId", "emailAddress", "identifier", "accountId"}
_EXTENSION = re.compile(r"^ext:[A-Za-z0-9._-]+$")

Text = Annotated[str, Field(min_length=1, max_length=2000)]



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


# GB 11643-1999: the mainland citizen identity number. Provinces' codes (the first two
# digits), then the birth date, a sequence number and a check character.
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                        44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an identity number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def mainland_identity_problem(number: str) -> str | None:
    """Why ``number`` is not a GB 11643 identity number, or None when it is one."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789Xx":
        return "a mainland identity number has 17 digits and a check digit or X"
    if int(number[:2]) not in _PROVINCES:
        return "a mainland identity number starts with a province's code"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the birth date in the identity number does not exist"
    if born.year < 1900 or born > date.today():
        return "the birth date in the identity number is out of range"
    if check_character(number[:17]) != number[17].upper():
        return "the identity number's check digit is wrong (mistyped?)"
    return None


class Learner(_Strict):
    """The learner. idType says what id is: a mainland identity number (the default) is
    checked against GB 11643; any other kind of number must be named."""

    id: Text  # only ever stored as a salted hash
    idType: str = "nationalIdentityNumber"
    name: Annotated[str, Field(max_length=200)] | None = None
    did: Annotated[str, Field(pattern=r"^did:[a-z0-9]+:.+$", max_length=500)] | None = None

    @field_validator("idType")
    @classmethod
    def _known_id_type(cls, value: str) -> str:
        if value not in ID_TYPES:
            raise ValueError(f"must be one of {', '.join(sorted(ID_TYPES))}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _upper_check_character(cls, raw: Any) -> Any:
        # one spelling of a number, so that its hash finds the same learner
        if (isinstance(raw, dict) and raw.get("idType", "nationalIdentityNumber")
                == "nationalIdentityNumber" and isinstance(raw.get("id"), str)
                and raw["id"].strip().endswith("x")):
            return {**raw, "id": raw["id"].strip().upper()}
        return raw

    @model_validator(mode="after")
    def _mainland_number(self) -> Learner:
        if self.idType == "nationalIdentityNumber":
            problem = mainland_identity_problem(self.id)
            if problem:
                raise PydanticCustomError("identity_number", "id: {problem}; give idType for "
                                          "another kind of number", {"problem": problem})
        return self


class Localized(_Strict):
    """Text in one or more languages; the first given is the primary one."""

    zh: Text | None = None
    en: Text | None = None

    def primary(self) -> tuple[str, str]:
        if self.zh:
            return "zh-CN", self.zh
        if self.en:
            return "en", self.en
        raise ValueError("needs text in at least one language")


def _localized(value: Any) -> Any:
    return {"zh": value} if isinstance(value, str) and _has_cjk(value) else (
        {"en": value} if isinstance(value, str) else value
    )


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


class AchievementInput(_Strict):
    type: str
    name: Localized
    description: Localized
    criteria: Text | None = None
    fieldOfStudy: Annotated[str, Field(max_length=200)] | None = None
    level: Annotated[str, Field(max_length=50)] | None = None
    code: Annotated[str, Field(max_length=100)] | None = None
    id: Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9+.-]*:.+$", max_length=500)] | None = (
        None
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ACHIEVEMENT_TYPES and not _EXTENSION.match(value):
            raise ValueError("must be an Open Badges achievement type (Course, Degree, "
                             "Certificate, License, ...) or ext:Name")
        return value

    @field_validator("name", "description", mode="before")
    @classmethod
    def _text_or_languages(cls, value: Any) -> Any:
        return _localized(value)

    @field_validator("name", "description")
    @classmethod
    def _not_empty(cls, value: Localized) -> Localized:
        value.primary()
        return value


class ResultInput(_Strict):
    value: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=500)] | None = None


class EvidenceInput(_Strict):
    """An OB 3.0 Evidence entry: what the credential rests on, named by a digest URI."""

    id: Annotated[str, Field(pattern=r"^urn:[a-z0-9-]+:\S{1,200}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    genre: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    description: Annotated[str, Field(max_length=500)] | None = None


class LearningRecord(_Strict):
    learner: Learner
    achievement: AchievementInput
    creditsEarned: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] | None = None
    creditUnit: Unit | None = None
    sector: Sector | None = None
    standard: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    results: list[ResultInput] = Field(default_factory=list, max_length=50)
    activityStartDate: date | datetime | None = None
    activityEndDate: date | datetime | None = None
    validFrom: datetime | None = None
    validUntil: datetime | None = None
    evidence: list[EvidenceInput] = Field(default_factory=list, max_length=10)
    # A recognition decision's member (verifier.credit.decision), for a decision credential
    # only: written as it is into credentialSubject.recognition.
    recognition: dict[str, Any] | None = Field(default=None, validate_default=True)

    @field_validator("validFrom", "validUntil", "activityStartDate", "activityEndDate")
    @classmethod
    def _aware(cls, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("needs a time zone (e.g. 2026-07-01T00:00:00+08:00)")
        return value

    @field_validator("recognition")
    @classmethod
    def _decision(cls, value: Any, info: ValidationInfo) -> Any:
        # the member is read by the verifier's own parser, as a verifier will read it
        from verifier.credit.decision import ACHIEVEMENT_TYPE as DECISION_TYPE
        from verifier.credit.decision import parse_recognition
        from verifier.credit.errors import CreditDataError

        achievement = info.data.get("achievement")
        if achievement is not None and (value is not None) != (
                achievement.type == DECISION_TYPE):
            raise ValueError(f"a decision credential (achievement type {DECISION_TYPE}) "
                             "and only one carries a recognition member")
        if value is not None:
            try:
                parse_recognition(value)
            except CreditDataError as exc:
                raise ValueError(str(exc)) from None
        return value

    @classmethod
    def from_json(cls, raw: Any, where: str = "record") -> LearningRecord:
        if not isinstance(raw, dict):
            raise InputError(f"{where}: a learning record is a JSON object")
        try:
            record = cls.model_validate(raw)
        except ValidationError as exc:
            raise InputError(f"{where}: {_first_error(exc)}") from None
        problem = record.order_problem()
        if problem:
            raise InputError(f"{where}: {problem}")
        return record

    def order_problem(self) -> str | None:
        """What is wrong with the order of the record's dates, or with its typed credits,
        if anything."""
        if self.creditUnit is not None:
            if self.creditsEarned is None:
                return "creditUnit needs creditsEarned"
            if self.sector is None:
                return "a typed figure needs a sector as well as creditUnit"
        if self.validFrom and self.validUntil and self.validUntil <= self.validFrom:
            return "validUntil must be after validFrom"
        start, end = self.activityStartDate, self.activityEndDate
        if start is not None and end is not None:
            if isinstance(start, datetime) != isinstance(end, datetime):
                start, end = _day(start), _day(end)
            if end < start:
                return "activityEndDate must not be before activityStartDate"
        return None

    @classmethod
    def from_csv_row(cls, row: dict[str, str | None], where: str = "row") -> LearningRecord:
        return cls.from_json(csv_row_to_json(row, where), where)


CSV_COLUMNS = (
    "learner_id", "learner_id_type", "learner_name", "learner_did", "achievement_type",
    "achievement_name", "achievement_name_en", "description", "description_en", "criteria",
    "field_of_study", "level", "code", "achievement_id", "credits", "credit_unit", "sector",
    "standard", "result",
    "result_description", "activity_start", "activity_end", "valid_from", "valid_until",
)
REQUIRED_CSV_COLUMNS = ("learner_id", "achievement_type", "achievement_name", "description")


def check_csv_header(header: list[str] | None) -> None:
    if not header:
        raise InputError("CSV file has no header row")
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise InputError(f"unknown CSV column {unknown[0]!r}")
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in header]
    if missing:
        raise InputError(f"CSV header lacks required column {missing[0]!r}")


def csv_row_to_json(row: dict[str, str | None], where: str) -> dict[str, Any]:
    if None in row:
        raise InputError(f"{where}: more fields than the header has")
    v = {k: (val.strip() if isinstance(val, str) else val) for k, val in row.items()}

    def get(name: str) -> str | None:
        value = v.get(name)
        return value or None

    def texts(main_column: str, en_column: str) -> Any:
        # With an _en column beside it, the main column is the Chinese text.
        main, english = get(main_column), get(en_column)
        if english is None:
            return main
        return {"zh": main, "en": english} if main else {"en": english}

    learner = {"id": get("learner_id"), "idType": get("learner_id_type"),
               "name": get("learner_name"), "did": get("learner_did")}
    achievement = {
        "type": get("achievement_type"),
        "name": texts("achievement_name", "achievement_name_en"),
        "description": texts("description", "description_en"),
        "criteria": get("criteria"), "fieldOfStudy": get("field_of_study"),
        "level": get("level"), "code": get("code"), "id": get("achievement_id"),
    }
    record: dict[str, Any] = {
        "learner": {k: x for k, x in learner.items() if x is not None},
        "achievement": {k: x for k, x in achievement.items() if x is not None},
    }
    if get("credits") is not None:
        try:
            record["creditsEarned"] = float(get("credits"))  # type: ignore[arg-type]
        except ValueError:
            raise InputError(f"{where}: credits must be a number") from None
    for column, key in (("credit_unit", "creditUnit"), ("sector", "sector"),
                        ("standard", "standard")):
        if get(column) is not None:
            record[key] = get(column)
    if get("result") is not None:
        result = {"value": get("result")}
        if get("result_description"):
            result["description"] = get("result_description")
        record["results"] = [result]
    for column, key in (("activity_start", "activityStartDate"),
                        ("activity_end", "activityEndDate"),
                        ("valid_from", "validFrom"), ("valid_until", "validUntil")):
        if get(column) is not None:
            record[key] = get(column)
    return record


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    location = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or True)
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"missing field {location}"
    if err["type"] == "extra_forbidden":
        return f"unknown field {location}"
    return f"{location}: {message}"
