"""What the share and verify pages say about one credential: the verdict and its reason
(api.service.reports, on verifier.verdict.explain), the tiles a person reads, the
certificate (only when its content can be trusted; otherwise the claimed values stand apart,
struck through), what the holder revealed and hid, the ten checks as technical details, and
a download of the exact copy checked."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from api.service import checking, reports, sharing
from api.service.context import Service
from api.service.models import Credential
from api.service.reports import Report
from api.service.sharing import Field, revealed_fields
from verifier import CheckResult, Status

from .filters import is_plumbing, is_technical, optional_fields
from .i18n import N_

# What the page adds under the headline, for the reasons that need a word more.
VERDICT_NOTES = {
    "not_anchored": N_("The issuer's signature is valid, but the credential is still "
                       "waiting to be anchored on the ledger; open the link again later "
                       "for the full result."),
    "altered": N_("The content of this file is not what the issuer signed: someone changed "
                  "it. The values it claims are shown below only as unverified content."),
    "bad_signature": N_("The issuer's signature does not verify: the values this file claims "
                        "are shown below only as unverified content."),
    "not_accredited": N_("The issuer was not accredited by the credit bank when this "
                         "credential was issued, or is unknown to it."),
    "status_unknown": N_("Whether the credential has been revoked or suspended could not be "
                         "checked on the chain, so it is not shown as verified."),
    "issuer_unknown": N_("Whether the issuer is accredited could not be checked, so it is "
                         "not shown as verified."),
    "check_error": N_("A check could not be completed (the chain evidence could not be "
                      "read); try again later."),
    "unreadable": N_("This is not a credential file this service can read."),
    "expired": N_("The credential's validity period has ended."),
    "not_yet_valid": N_("The credential's validity period has not begun yet."),
}
# The tone of the headline: verified, waiting, could not tell, or not to be relied on.
TONES = {"verified": "ok", "not_anchored": "wait", "status_unknown": "unknown",
         "issuer_unknown": "unknown", "check_error": "unknown"}


@dataclass(frozen=True)
class Tile:
    """One thing a reader checks at a glance: its state and what it says."""

    key: str  # content | issuer | chain | status | validity
    state: str  # ok | bad | wait | unknown | not_checked


@dataclass(frozen=True)
class Outcome:
    report: Report
    verdict: str  # the reason: verified | altered | revoked | … (verifier.verdict.HEADLINES)
    tone: str  # ok | wait | unknown | bad
    checks: list[tuple[CheckResult, str]]  # each check and its status as shown
    tiles: list[Tile]
    document: dict[str, Any] | None  # the copy (readable), for the certificate
    fields: list[Field]  # what the holder revealed beyond the mandatory claims
    hidden: list[Field]  # what the holder hid, when the service holds the full copy (no values)
    hidden_count: int  # claims hidden in the copy
    holder: str | None  # the learner's name, when revealed
    download: str  # a data: URL of the exact copy checked, for offline checking
    verifier: str  # who checked: this service's address

    @property
    def note(self) -> str | None:
        return VERDICT_NOTES.get(self.verdict)

    @property
    def verifier_host(self) -> str:
        return urlsplit(self.verifier).netloc or self.verifier

    @property
    def trusted(self) -> bool:
        return self.report.content_trusted and self.document is not None

    @property
    def status(self) -> checking.RecordedChange | None:
        return self.report.status

    @property
    def chain(self) -> reports.ChainFacts | None:
        return self.report.chain


def _shown(report: Report) -> list[tuple[CheckResult, str]]:
    shown = dict(report.explanation.shown)
    return [(check, shown.get(check.id, str(check.status))) for check in report.result.checks]


def _state(shown: dict[str, str], *checks: str) -> str:
    states = [shown.get(c, "skipped") for c in checks]
    if "failed" in states:
        return "bad"
    if "not_checked" in states:
        return "not_checked"
    if any(s in ("error", "skipped") for s in states):
        return "unknown"
    return "ok"


def _tiles(report: Report) -> list[Tile]:
    shown = dict(report.explanation.shown)
    chain = _state(shown, "batch_inclusion", "anchored")
    if report.waiting:
        chain = "wait"
    status = _state(shown, "not_revoked", "not_suspended")
    if report.reason in ("revoked", "suspended"):
        status = "bad"  # the service's record, when the chain could not be read
    return [
        Tile("content", _state(shown, "integrity", "disclosure", "issuer_signature")),
        Tile("issuer", _state(shown, "issuer_trusted")),
        Tile("chain", chain),
        Tile("status", status),
        Tile("validity", _state(shown, "not_expired")),
    ]


def _hidden(held: Credential | None, revealed: list[Field]) -> list[Field]:
    """The optional claims of the full copy the holder did not reveal (labels only, and
    not the technical ones a reader would not miss)."""
    if held is None:
        return []
    shown = {f.pointer for f in revealed}
    return [Field(f.pointer, False, tuple(v for v in f.values if isinstance(v, str)
                                          and v in _KINDS))
            for f in optional_fields(sharing.fields(sharing.full_copy(held)))
            if f.pointer not in shown and not is_plumbing(f) and not is_technical(f)]


_KINDS = {"name", "nationalIdentityNumber", "studentId", "emailAddress", "accountId"}


def outcome(svc: Service, credential: Any, row: Credential | None = None,
            raw: bytes | None = None) -> Outcome:
    """Check ``credential`` (its ``raw`` bytes when uploaded) as the service does; ``row``
    is the service's record of it, when the copy came from one of its share links."""
    report = reports.report(svc, credential, row, raw)
    readable = report.result.checks[0].status is Status.PASSED if report.result.checks \
        else False
    document = report.document if readable else None
    fields: list[Field] = []
    hidden_count = 0
    if document is not None:
        fields = [f for f in optional_fields(revealed_fields(document))
                  if f.pointer not in sharing.name_pointers(document) and not is_technical(f)]
        hidden_count = sum(len(p.get("disclosure", {}).get("hiddenDigests", []))
                           for p in document.get("proof", []) if isinstance(p, dict))
    hidden = _hidden(report.held, revealed_fields(document)) \
        if document is not None and hidden_count and report.content_trusted else []
    text = json.dumps(credential, ensure_ascii=False, indent=2).encode() if raw is None else raw
    download = "data:application/json;base64," + base64.b64encode(text).decode()
    return Outcome(report, report.reason, TONES.get(report.reason, "bad"), _shown(report),
                   _tiles(report), document, fields, hidden, hidden_count,
                   sharing.holder_name(document) if document is not None else None, download,
                   svc.settings.public_url)
