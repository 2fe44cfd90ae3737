"""api.service.checking: when cached chain evidence is older than the service's record."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from api.service.checking import stale
from verifier import CheckResult, Status, VerificationResult
from verifier.checks import CHECK_IDS


def result(**statuses: str) -> VerificationResult:
    return VerificationResult(tuple(
        CheckResult(c, Status(statuses.get(c, "passed")), "") for c in CHECK_IDS))


def record(state: str = "anchored", status: str = "active") -> Any:
    return SimpleNamespace(state=state, status=status)


@pytest.mark.parametrize("checks, row, expected", [
    ({}, record(), False),
    ({"anchored": "failed"}, record(), True),
    ({"issuer_trusted": "failed"}, record(), True),
    # the copy's own inclusion proof does not depend on the evidence
    ({"batch_inclusion": "failed"}, record(), False),
    ({"anchored": "failed"}, record(state="pending"), False),
    ({"anchored": "error"}, record(), False),
    ({}, record(status="revoked"), True),
    ({"not_revoked": "failed"}, record(status="revoked"), False),
    ({}, record(status="suspended"), True),
    ({"not_suspended": "failed"}, record(status="suspended"), False),
    ({"not_revoked": "skipped", "not_suspended": "skipped"}, record(status="revoked"), False),
])
def test_stale(checks: dict[str, str], row: Any, expected: bool):
    assert stale(result(**checks), row) is expected
