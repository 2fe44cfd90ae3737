"""What the share and verify pages say about one credential: the verdict (verifier.verdict),
the checks, the fields it reveals and a download of the exact copy checked."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from api.service import checking
from api.service.context import Service
from api.service.models import Credential
from api.service.sharing import Field, revealed_fields
from verifier import VerificationResult, verdict

from .i18n import N_


@dataclass(frozen=True)
class Outcome:
    """What a page says about one credential: its verdict, checks and what it shows."""

    verdict: str  # verified | not_anchored | revoked | suspended | not_verified
    result: VerificationResult
    credential: dict[str, Any] | None
    fields: list[Field]
    hidden: int
    download: str  # a data: URL of the exact copy checked, for offline checking

    @property
    def note(self) -> str | None:
        """What the page says under the verdict, for the verdicts that need a word more."""
        return VERDICT_NOTES.get(self.verdict)


VERDICT_NOTES = {
    verdict.NOT_ANCHORED: N_("The issuer's signature is valid, but the credential is still "
                             "waiting to be anchored on the ledger; open the link again "
                             "later for the full result."),
    "revoked": N_("The issuer has revoked this credential."),
    "suspended": N_("The issuer has suspended this credential."),
}


def outcome(svc: Service, credential: Any, row: Credential | None = None,
            raw: bytes | None = None) -> Outcome:
    """Check ``credential`` (its ``raw`` bytes when uploaded) as the service does; ``row``
    is the service's record of it, when the copy came from one of its share links."""
    checked = raw if raw is not None else credential
    result = checking.verify_copy(svc, checked, row)
    judged = verdict.verdict(result, credential, status=row.status if row is not None else None,
                             offline=lambda: checking.verify_offline(svc, checked))
    shown: list[Field] = []
    hidden = 0
    if isinstance(credential, dict) and verdict.unreadable(result) is None:
        shown = revealed_fields(credential)
        hidden = sum(len(p.get("disclosure", {}).get("hiddenDigests", []))
                     for p in credential.get("proof", []) if isinstance(p, dict))
    text = json.dumps(credential, ensure_ascii=False, indent=2).encode() if raw is None else raw
    download = "data:application/json;base64," + base64.b64encode(text).decode()
    return Outcome(judged, result, credential if isinstance(credential, dict) else None,
                   shown, hidden, download)
