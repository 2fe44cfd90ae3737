"""The decision part of credbank-verify: a decision credential checked against its source
credentials and rule set (docs/creditbank.md §9.5).

    credbank-verify DECISION.json --source A.json --source B.json --rules RULESET.json
                    [--trust BUNDLE.json] ...

The decision credential gets the normal verdict; the decision checks follow it. Reading
the sources and the rule set is part of reading the input: a file that cannot be read, or
a rule set that is malformed, is a usage error (exit 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import jsonio, pdf
from .credit.decision_check import HEADLINES, DecisionReport, check_decision
from .credit.rules import RuleSet, parse_rule_set
from .errors import CredentialFormatError
from .evidence.bundle import ChainEvidence, RejectedEvidence
from .model import Status
from .trust import TrustList

_MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–", Status.ERROR: "!"}


def load(sources: Sequence[str], rules: str) -> tuple[list[Any], RuleSet]:
    """The source credentials' JSON (a .pdf: its embedded credential) and the rule set.
    Raises CredentialFormatError (a CreditDataError for a malformed rule set), one line."""
    loaded = []
    for path in sources:
        try:
            loaded.append(pdf.load_path(path) if path.lower().endswith(".pdf")
                          else jsonio.load_path(path))
        except CredentialFormatError as exc:
            raise CredentialFormatError(f"--source {path}: {exc}") from None
    try:
        rule_set = parse_rule_set(jsonio.load_path(rules))
    except CredentialFormatError as exc:
        raise CredentialFormatError(f"--rules {rules}: {exc}") from None
    return loaded, rule_set


def check(document: Any, sources: list[Any], rule_set: RuleSet, *, trust: TrustList | None,
          evidence: ChainEvidence | RejectedEvidence | None,
          accept: set[str]) -> DecisionReport:
    """The decision checks, with the rule-set facts of the same evidence when it has them
    (evidence without them leaves the rule set's publication unchecked)."""
    facts: Any = evidence if isinstance(evidence, RejectedEvidence) or hasattr(
        evidence, "document") else None
    return check_decision(document, sources, rule_set, facts=facts, trust=trust,
                          evidence=evidence, accept=accept)


def human(report: DecisionReport, accept: set[str]) -> str:
    explained = report.explain(accept)
    if explained.verified:
        head = "DECISION VERIFIED" + (
            ", except that the rule set's publication on chain was not checked"
            if explained.not_checked else "")
    else:
        words = HEADLINES[explained.reason]["en"]
        detail = report.check(explained.failed).detail if explained.failed else ""
        head = f"DECISION NOT VERIFIED: {words[:1].lower()}{words[1:]}" + (
            f" ({detail})" if detail else "")
    lines = [head]
    for c in report.checks:
        lines.append(f"  {_MARK[c.status]} {c.id:<17} {c.detail}")
    for source in report.sources:
        if not source.included:
            state = "excluded by the reviewer" + ("" if source.given else ", not given")
        elif not source.given:
            state = "not given"
        else:
            assert source.explanation is not None
            state = "verified as of the decision" if source.explanation.verified else \
                f"not verified: {source.explanation.reason}"
        lines.append(f"    source {source.id}: {state}")
    return "\n".join(lines)
