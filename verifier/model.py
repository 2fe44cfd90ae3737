"""Plain data the verifier takes and returns: check results and the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


class CheckResult(NamedTuple):
    id: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "status": self.status.value, "detail": self.detail}


@dataclass(frozen=True)
class VerificationResult:
    checks: tuple[CheckResult, ...]

    @property
    def verified(self) -> bool:
        """Verified when every check passed (docs/format.md §9.2): fail closed.

        A skipped check (no trust source, no chain evidence) is not a pass. A caller that
        accepts such a gap in so many words asks ``verifier.verdict.explain(result,
        accept=...)``, which names what was not checked.
        """
        return bool(self.checks) and all(c.status is Status.PASSED for c in self.checks)

    def check(self, check_id: str) -> CheckResult:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if file is None else {"file": file}
        out["verified"] = self.verified
        out["checks"] = [c.to_json() for c in self.checks]
        return out
