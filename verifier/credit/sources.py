"""A source: what evaluation needs to know of one verified credential
(docs/creditbank.md §6.1), and how it is read from the current credential format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .. import credential as credential_format
from .common import canonical_bytes, decision_date
from .errors import CreditDataError
from .standards import Standard
from .units import Credits, Sector, Unit, value_text


@dataclass(frozen=True)
class Source:
    """One credential as evaluation sees it. The caller builds it from a credential it has
    verified (source_from_credential), or from anything else it trusts as much."""

    credential_id: str
    issuer: str  # the institution DID (credentialStatus.statusIssuer)
    achievement_type: str
    issued: date  # the credential's validFrom, as a day in China Standard Time
    valid_until: date | None = None
    claims_root: str | None = None  # hex32, from the ledger proof
    standard: str | None = None  # the code of the outcome standard it meets, if cited
    credits: Credits | None = None  # the typed figure
    untyped_credits: Fraction | None = None  # creditsEarned when its unit or sector is unknown
    sector: Sector | None = None  # known even without a figure; equals credits.sector
    level: str | None = None
    results: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", tuple(self.results))
        for day in (self.issued, self.valid_until):
            if isinstance(day, datetime):
                raise TypeError("a source's dates are calendar days (see decision_date)")
        if self.credits is not None:
            if self.untyped_credits is not None:
                raise ValueError("a source has a typed or an untyped figure, not both")
            if self.sector is None:
                object.__setattr__(self, "sector", self.credits.sector)
            elif self.sector is not self.credits.sector:
                raise ValueError("a source's sector is its figure's sector")
        if self.sector is not None:
            object.__setattr__(self, "sector", Sector(self.sector))
        if self.valid_until is not None and self.valid_until < self.issued:
            raise ValueError("a source cannot expire before it is issued")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"credential": self.credential_id, "issuer": self.issuer,
                               "achievementType": self.achievement_type,
                               "issued": self.issued.isoformat()}
        if self.valid_until is not None:
            out["validUntil"] = self.valid_until.isoformat()
        if self.claims_root is not None:
            out["claimsRoot"] = self.claims_root
        if self.standard is not None:
            out["standard"] = self.standard
        if self.credits is not None:
            out["credits"] = self.credits.to_json()
        if self.untyped_credits is not None:
            out["untypedCredits"] = value_text(self.untyped_credits)
        if self.sector is not None:
            out["sector"] = self.sector.value
        if self.level is not None:
            out["level"] = self.level
        out["results"] = list(self.results)
        return out

    def order_key(self) -> tuple[date, str, bytes]:
        """Evaluation order: issued first, then by credential id, then by content."""
        return (self.issued, self.credential_id, canonical_bytes(self.to_json()))


def source_from_credential(credential: credential_format.Credential | Mapping[str, Any], *,
                           standard: Standard | str | None = None, unit: Unit | None = None,
                           sector: Sector | None = None) -> Source:
    """The source of a credential in the current format (docs/format.md §2), full or
    derived copy. The caller verifies the credential first; this only reads it.

    `creditsEarned` is typed by, in this order: the explicit `unit` and `sector`; the
    `standard` the caller passes (a Standard it has checked the credential against: its
    code is cited and its unit and sector apply); the document's own typed figure
    (`achievement.creditUnit` and `achievement.sector`, docs/format.md "Typed credits").
    The cited standard's code is the argument's, else the document's `achievement.alignment`
    of targetType ext:OutcomeStandard. A figure with no unit or sector stays untyped: kept
    for display, counted in no total, and no rule that reads a source's figure or sector
    matches it."""
    if not isinstance(credential, credential_format.Credential):
        credential = credential_format.parse(dict(credential))
    document = credential.document
    subject = document["credentialSubject"]
    achievement = subject["achievement"]
    achievement_type = achievement.get("achievementType")
    if not isinstance(achievement_type, str) or not achievement_type:
        raise CreditDataError("credentialSubject.achievement.achievementType must be a string")
    code = standard.code if isinstance(standard, Standard) else standard
    if isinstance(standard, Standard):
        unit = standard.credits.unit if unit is None else unit
        sector = standard.sector if sector is None else sector
    written_unit, written_sector = _typed(achievement)
    unit = written_unit if unit is None else unit
    sector = written_sector if sector is None else sector
    if code is None:
        code = _cited_standard(achievement)
    figure = _credits_earned(subject.get("creditsEarned"))
    credits = untyped = None
    if figure is not None and unit is not None and sector is not None:
        credits = Credits(figure, unit, sector)
    else:
        untyped = figure
    level = achievement.get("level")
    if level is not None and not isinstance(level, str):
        raise CreditDataError("credentialSubject.achievement.level must be a string")
    return Source(
        credential_id=credential.id,
        issuer=credential.status.institution,
        achievement_type=achievement_type,
        issued=decision_date(credential.valid_from),
        valid_until=decision_date(credential.valid_until) if credential.valid_until else None,
        claims_root="0x" + credential.ledger.claims_root.hex(),
        standard=code,
        credits=credits,
        untyped_credits=untyped,
        sector=Sector(sector) if sector is not None else None,
        level=level,
        results=_result_values(subject.get("result")),
    )


STANDARD_TARGET_TYPE = "ext:OutcomeStandard"


def _typed(achievement: Mapping[str, Any]) -> tuple[Unit | None, Sector | None]:
    """The unit and sector the document writes beside creditsEarned, if any."""
    out: list[Any] = []
    for member, kind in (("creditUnit", Unit), ("sector", Sector)):
        raw = achievement.get(member)
        if raw is None:
            out.append(None)
            continue
        try:
            out.append(kind(raw))
        except ValueError:
            raise CreditDataError(f"credentialSubject.achievement.{member} {raw!r} is not "
                                  f"one of {', '.join(k.value for k in kind)}") from None
    return out[0], out[1]


def _cited_standard(achievement: Mapping[str, Any]) -> str | None:
    """The code of the outcome standard the achievement's alignment cites, if one."""
    alignment = achievement.get("alignment")
    if alignment is None:
        return None
    if not isinstance(alignment, list):
        raise CreditDataError("credentialSubject.achievement.alignment must be an array")
    codes = [item.get("targetCode") for item in alignment
             if isinstance(item, dict) and item.get("targetType") == STANDARD_TARGET_TYPE]
    if len(codes) > 1:
        raise CreditDataError("credentialSubject.achievement cites more than one standard")
    if codes and (not isinstance(codes[0], str) or not codes[0]):
        raise CreditDataError("the cited standard's targetCode must be a string")
    return codes[0] if codes else None


def _credits_earned(raw: Any) -> Fraction | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise CreditDataError("credentialSubject.creditsEarned must be a number")
    value = Fraction(Decimal(repr(raw))) if isinstance(raw, float) else Fraction(raw)
    if value < 0:
        raise CreditDataError("credentialSubject.creditsEarned must not be negative")
    return value


def _result_values(raw: Any) -> tuple[str, ...]:
    """The values of the results a copy discloses (hidden ones have no value member)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CreditDataError("credentialSubject.result must be an array")
    return tuple(item["value"] for item in raw
                 if isinstance(item, dict) and isinstance(item.get("value"), str))
