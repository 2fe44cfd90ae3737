"""How templates show values: times, numbers, a credential's fields and their names, and the
words for the codes the service and the verifier use (check ids, statuses, states).

:func:`install` registers them on a language's Jinja environment: the ones that show
words are bound to that language's catalog; the names themselves are messages here,
marked with :func:`~api.web.pages.i18n.N_`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from jinja2 import Environment

from api.service.sharing import Field
from verifier import timefmt
from verifier.claims import is_mandatory

from .i18n import N_

Gettext = Callable[[str], str]

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
    "/credentialSubject/creditsEarned": N_("Credits earned"),
    "/credentialSubject/achievement/id": N_("Achievement ID"),
    "/credentialSubject/achievement/description": N_("Course or programme description"),
    "/credentialSubject/achievement/criteria": N_("Criteria"),
    "/credentialSubject/achievement/inLanguage": N_("Language"),
    "/credentialSubject/achievement/fieldOfStudy": N_("Field of study"),
    "/credentialSubject/achievement/translations": N_("Translations"),
    "/credentialSubject/achievement/creditsAvailable": N_("Credits available"),
    "/credentialSubject/achievement/image": N_("Image"),
}
_INDEXED_LABELS = (
    (re.compile(r"^/credentialSchema/\d+$"), N_("Schema")),
    (re.compile(r"^/credentialSubject/result/\d+$"), N_("Result")),
    (re.compile(r"^/credentialSubject/achievement/resultDescription/\d+$"),
     N_("Result description")),
)
_IDENTIFIER = re.compile(r"^/credentialSubject/identifier/\d+$")
_IDENTIFIER_LABELS = {
    "name": N_("Learner's name"),
    "nationalIdentityNumber": N_("Identity number (salted hash, for matching)"),
}

# The verifier's checks (verifier.checks.CHECK_IDS) and their outcomes.
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


def format_time(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("T", " ").replace("Z", " UTC")
    return timefmt.format(value).replace("T", " ").replace("Z", " UTC")


def show_value(field: Field) -> str:
    """A field's values as one line: the meaningful leaves, not the JSON-LD types or flags."""
    shown = [v for v in field.values
             if not (isinstance(v, str) and v in _TYPE_WORDS) and not isinstance(v, bool)]
    return " · ".join("" if v is None else number(v) for v in (shown or field.values))


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_plumbing(field: Field) -> bool:
    """JSON-LD context and type entries: always revealed, and meaningless to a reader."""
    pointer = field.pointer
    return pointer.startswith("/@context") or bool(re.search(r"/type(/\d+)?$", pointer))


_TYPE_WORDS = {"IdentityObject", "Result", "ResultDescription", "Achievement", "Criteria",
               "name", "nationalIdentityNumber", "1EdTechJsonSchemaValidator2019", "Profile",
               "CredbankStatusEntry"}


def facts(credential: dict[str, Any] | None) -> dict[str, Any]:
    """The headline of a credential from its (always disclosed) mandatory claims."""
    if not credential:
        return {}

    def member(value: Any, key: str) -> Any:
        return value.get(key) if isinstance(value, dict) else None

    achievement = member(member(credential, "credentialSubject"), "achievement")
    issuer = member(credential, "issuer")
    return {
        "name": member(achievement, "name"),
        "type": member(achievement, "achievementType"),
        "issuer": member(issuer, "name") or member(issuer, "id") or issuer,
        "valid_from": member(credential, "validFrom"),
        "valid_until": member(credential, "validUntil"),
        "id": member(credential, "id"),
    }


def optional_fields(fields: list[Field]) -> list[Field]:
    return [f for f in fields if not f.mandatory and not is_mandatory(f.pointer)]


def install(env: Environment, gettext: Gettext) -> None:
    """Register the filters, the test and the functions on a language's environment."""
    words = functools.partial
    env.filters.update(
        time=format_time, show=show_value, num=number,
        label=words(field_label, gettext),
        check_name=words(_word, CHECK_NAMES, gettext),
        check_status=words(_word, CHECK_STATUSES, gettext),
        credential_word=words(_word, CREDENTIAL_WORDS, gettext),
        link_state=words(_word, LINK_STATES, gettext),
    )
    env.tests["plumbing"] = is_plumbing
    env.globals.update(facts=facts, optional_fields=optional_fields)
