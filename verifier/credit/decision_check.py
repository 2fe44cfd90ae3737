"""Checking a decision credential (docs/creditbank.md §9.4): given the source credentials
(full or derived copies) and the rule set, recompute the grant and check every source as
of the decision; with chain evidence, check that the rule set was published.

Four named checks, each passed, failed, skipped or error, failing closed like every check
of the verifier (a piece that is missing is never a pass):

* ``decision.form``: the `recognition` member is well formed, its credential is a decision
  credential, the decision time is not after the credential's `validFrom`;
* ``decision.sources``: every included source is given, its id, claims root and issuer are
  the ones cited, and it verifies as of the decision (the verifier's own checks, with the
  same trust source and evidence; expiry judged at the decision time);
* ``decision.rule_set``: the rule set given hashes to the cited hash, fits the destination
  and the decision's issuer and, with chain facts, was published on chain before the
  decision, by the authority or by the programme's institution, and not withdrawn before it;
* ``decision.grant``: `evaluate` over the included sources, as of the decision, gives
  exactly the cited grants, refusals, totals (and a programme's caps and exemptions).

The decision credential's own verification is `verify()`'s, beside this report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from .. import credential as credential_format
from .. import timefmt, verdict
from ..checks import errored, failed, passed, skipped
from ..errors import CredentialError
from ..evidence.bundle import ChainEvidence, RejectedEvidence
from ..evidence.errors import EvidenceError, NotCovered
from ..evidence.status_log import change_of
from ..model import CheckResult, Status, VerificationResult
from ..trust import TrustList
from ..verify import verify
from .common import canonical_bytes
from .decision import CitedSource, Recognition, outcome_json, recognition_of
from .errors import CreditDataError
from .evaluate import evaluate
from .rules import Destination, OwnerKind, RuleSet, parse_rule_set
from .sources import Source, source_from_credential

FORM, SOURCES, RULE_SET, GRANT = ("decision.form", "decision.sources", "decision.rule_set",
                                  "decision.grant")
CHECK_IDS = (FORM, SOURCES, RULE_SET, GRANT)
RULE_SET_KIND = 3  # a published document's kind: 1 framework, 2 standards, 3 rule set
AUTHORITY_NUMBER = 0  # a document's owner number when the authority published it

# A failed (or erroring) check -> what it means to a reader, as verifier.verdict words it.
HEADLINES: dict[str, dict[str, str]] = {
    "verified": {"zh": "认定决定已核验", "en": "Decision verified"},
    FORM: {"zh": "认定决定内容不完整或格式不正确", "en": "Decision malformed"},
    SOURCES: {"zh": "来源凭证与决定不符或未通过核验",
              "en": "A source credential is missing, not the one cited, or does not verify"},
    RULE_SET: {"zh": "所引用的转换规则不是链上公布的规则",
               "en": "The rule set cited is not the one published"},
    GRANT: {"zh": "认定的学分与按规则重新计算的结果不符",
            "en": "The credits granted differ from what the rule set gives"},
    "rule_set_unchecked": {"zh": "未在区块链上核验转换规则的公布",
                           "en": "Publication of the rule set was not checked on chain"},
    "check_error": {"zh": "认定决定核验未能完成", "en": "The decision could not be checked"},
}


class DocumentFacts(Protocol):
    """Chain facts about published documents, as verified evidence answers them
    (`verifier.evidence.bundle.ChainEvidence`). `document` returns the document word of a
    hash, a DocumentFact (published, withdrawn, kind, owner_issuer_number, block_number,
    timestamp, withdrawn_at) or a `Fact` holding one; `issuer` the issuer word of a DID.
    Either raises EvidenceError (NotCovered among them) when the evidence cannot say."""

    def document(self, doc_hash: bytes) -> Any: ...

    def issuer(self, did: str) -> Any: ...


@dataclass(frozen=True)
class SourceReport:
    """One cited source: the copy given (if any) and its verification as of the decision."""

    id: str
    included: bool
    given: bool
    result: VerificationResult | None = None
    explanation: verdict.Explanation | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "included": self.included, "given": self.given}
        if self.result is not None and self.explanation is not None:
            out["verified"] = self.explanation.verified
            out["reason"] = self.explanation.reason
            out["checks"] = [c.to_json() for c in self.result.checks]
        return out


@dataclass(frozen=True)
class DecisionReport:
    checks: tuple[CheckResult, ...]
    sources: tuple[SourceReport, ...] = ()
    recognition: Recognition | None = None

    @property
    def verified(self) -> bool:
        """Every decision check passed; nothing accepted unchecked."""
        return self.explain().verified

    def check(self, check_id: str) -> CheckResult:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def explain(self, accept: frozenset[str] | set[str] = frozenset()
                ) -> DecisionVerdict:
        """The verdict on the decision checks, failing closed. With "status" accepted (as
        for the credential's own chain checks), a rule set whose publication could not be
        checked for want of chain evidence is accepted, and said so."""
        for c in self.checks:
            if c.status is Status.FAILED:
                return DecisionVerdict(False, c.id, c.id)
        for c in self.checks:
            if c.status is Status.ERROR:
                return DecisionVerdict(False, "check_error", c.id)
        gaps = [c.id for c in self.checks if c.status is Status.SKIPPED]
        if gaps == [RULE_SET] and "status" in accept:
            return DecisionVerdict(True, "verified", None, ("rule_set_unchecked",))
        if gaps:
            reason = "rule_set_unchecked" if gaps[0] == RULE_SET else "check_error"
            return DecisionVerdict(False, reason, gaps[0])
        return DecisionVerdict(True, "verified", None)

    def to_json(self, accept: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
        explained = self.explain(accept)
        return {"verified": explained.verified, "reason": explained.reason,
                "notChecked": list(explained.not_checked),
                "checks": [c.to_json() for c in self.checks],
                "sources": [s.to_json() for s in self.sources]}


@dataclass(frozen=True)
class DecisionVerdict:
    verified: bool
    reason: str  # a key of HEADLINES
    failed: str | None  # the check that decided it
    not_checked: tuple[str, ...] = ()

    def headline(self, lang: str) -> str:
        return HEADLINES[self.reason]["zh" if lang.startswith("zh") else "en"]


def check_decision(decision: Any, sources: Iterable[Any], rule_set: RuleSet | Any, *,
                   facts: DocumentFacts | RejectedEvidence | None = None,
                   trust: TrustList | None = None,
                   evidence: ChainEvidence | RejectedEvidence | None = None,
                   accept: frozenset[str] | set[str] = frozenset()) -> DecisionReport:
    """Check a decision credential (parsed or its JSON) against the source credentials given
    (parsed credentials or their JSON; full or derived copies, in any order) and the rule
    set (a RuleSet or its JSON). `trust`, `evidence` and `accept` are what each source is
    verified with (as `verify` and `verdict.explain` take them); `facts` the chain facts of
    published rule sets, usually the same verified evidence."""
    try:
        parsed = decision if isinstance(decision, credential_format.Credential) else \
            credential_format.parse(decision)
        recognition = recognition_of(parsed.document)
    except (CreditDataError, CredentialError) as exc:
        return DecisionReport((failed(FORM, str(exc)),
                               *(skipped(c, "not checked: the decision cannot be read")
                                 for c in CHECK_IDS[1:])))
    decided = recognition.decided
    checks = [_form(parsed, recognition)]
    given, unreadable = _read_sources(sources)
    source_check, reports = _sources(parsed, recognition, given, unreadable, trust, evidence,
                                     accept)
    checks.append(source_check)
    try:
        rules = rule_set if isinstance(rule_set, RuleSet) else parse_rule_set(rule_set)
    except CreditDataError as exc:
        checks.append(failed(RULE_SET, f"the rule set given cannot be read: {exc}"))
        checks.append(skipped(GRANT, "not checked: no rule set"))
        return DecisionReport(tuple(checks), reports, recognition)
    checks.append(_rule_set(parsed, recognition, rules, facts, decided))
    checks.append(_grant(recognition, rules, given, cited_hash_matches=
                         rules.hash() == recognition.rule_set_hash))
    return DecisionReport(tuple(checks), reports, recognition)


# ---- decision.form ------------------------------------------------------------------------


def _form(parsed: credential_format.Credential, recognition: Recognition) -> CheckResult:
    if recognition.decided > parsed.valid_from:
        return failed(FORM, f"decided {timefmt.format(recognition.decided)}, after the "
                            f"decision credential's validFrom {timefmt.format(parsed.valid_from)}")
    excluded = f", {len(recognition.excluded)} excluded" if recognition.excluded else ""
    return passed(FORM, f"decision toward {_destination(recognition)} on "
                        f"{recognition.as_of.isoformat()}: {len(recognition.included)} "
                        f"source(s) evaluated{excluded}")


def _destination(recognition: Recognition) -> str:
    d = recognition.destination
    return "the credit bank" if d.kind is Destination.BANK else \
        f"programme {d.programme} of {d.institution}"


# ---- decision.sources ---------------------------------------------------------------------


def _read_sources(sources: Iterable[Any]
                  ) -> tuple[dict[str, list[credential_format.Credential]], list[str]]:
    given: dict[str, list[credential_format.Credential]] = {}
    unreadable = []
    for number, raw in enumerate(sources, 1):
        try:
            parsed = raw if isinstance(raw, credential_format.Credential) else \
                credential_format.parse(raw)
        except CredentialError as exc:
            unreadable.append(f"source {number} is not a credential: {exc}")
            continue
        given.setdefault(parsed.id, []).append(parsed)
    return given, unreadable


def _copy(given: Mapping[str, list[credential_format.Credential]], cited_id: str,
          claims_root: str) -> credential_format.Credential | None:
    """The copy given of a cited source whose claims root is the cited one, else any."""
    copies = given.get(cited_id, [])
    for c in copies:
        if "0x" + c.ledger.claims_root.hex() == claims_root:
            return c
    return copies[0] if copies else None


def _sources(parsed: credential_format.Credential, recognition: Recognition,
             given: Mapping[str, list[credential_format.Credential]], unreadable: list[str],
             trust: TrustList | None, evidence: ChainEvidence | RejectedEvidence | None,
             accept: frozenset[str] | set[str]) -> tuple[CheckResult, tuple[SourceReport, ...]]:
    problems = list(unreadable)
    reports = []
    unpinned = isinstance(evidence, ChainEvidence) and not evidence.pinned
    gaps: set[str] = set()
    learner = parsed.document["credentialSubject"].get("id")
    included = {s.id for s in recognition.included}
    for cited in recognition.sources:
        copy = _copy(given, cited.id, cited.claims_root)
        is_included = cited.id in included
        if copy is None:
            reports.append(SourceReport(cited.id, is_included, False))
            if is_included:
                problems.append(f"source {cited.id} was not given")
            continue
        root = "0x" + copy.ledger.claims_root.hex()
        if root != cited.claims_root:
            problems.append(f"source {cited.id}: claims root {root[:18]}… is not the cited "
                            f"{cited.claims_root[:18]}…")
        if copy.status.institution != cited.issuer:
            problems.append(f"source {cited.id}: issued by {copy.status.institution}, not the "
                            f"cited {cited.issuer}")
        contrary = _contrary_reading(copy, cited)
        if contrary is not None:
            problems.append(f"source {cited.id}: {contrary}")
        subject = copy.document["credentialSubject"].get("id")
        if learner is not None and subject is not None and subject != learner:
            problems.append(f"source {cited.id} is about {subject}, not the decision's "
                            f"learner {learner}")
        if not is_included:
            reports.append(SourceReport(cited.id, False, True))
            continue
        result = verify(copy.raw, trust=trust, evidence=evidence, now=recognition.decided)
        explained = verdict.explain(result, accept=accept, unpinned=unpinned)
        reports.append(SourceReport(cited.id, True, True, result, explained))
        if not explained.verified:
            detail = result.check(explained.failed).detail if explained.failed else ""
            words = verdict.HEADLINES[explained.reason]["en"].lower()
            problems.append(f"source {cited.id} does not verify as of the decision: {words}"
                            + (f" ({detail})" if detail else "")
                            + _reported(copy, evidence, explained.reason, recognition))
        gaps.update(explained.not_checked)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return failed(SOURCES, problems[0] + more), tuple(reports)
    unchecked = f"; not checked, as accepted: {', '.join(sorted(gaps))}" if gaps else ""
    return passed(SOURCES, f"{len(included)} source(s) given, each the one cited and verified "
                           f"as of {timefmt.format(recognition.decided)}{unchecked}"), \
        tuple(reports)


STANDARD_TARGET_TYPE = "ext:OutcomeStandard"  # an achievement alignment citing a standard


def _contrary_reading(copy: credential_format.Credential, cited: CitedSource) -> str | None:
    """Whether the decision read the source's figure otherwise than the credential itself
    types it (achievement.creditUnit, achievement.sector, an alignment citing a standard,
    where it writes them): the reviewer may type what the credential leaves open, not
    change what it says."""
    achievement = copy.document["credentialSubject"]["achievement"]
    written = {"creditUnit": achievement.get("creditUnit"),
               "sector": achievement.get("sector")}
    alignment = achievement.get("alignment")
    if isinstance(alignment, list):
        codes = [a.get("targetCode") for a in alignment if isinstance(a, dict)
                 and a.get("targetType") == STANDARD_TARGET_TYPE]
        written["standard"] = codes[0] if len(codes) == 1 else None
    read = {"creditUnit": cited.unit.value if cited.unit else None,
            "sector": cited.sector.value if cited.sector else None,
            "standard": cited.standard}
    for member, value in written.items():
        if value is not None and read[member] is not None and value != read[member]:
            return f"read with {member} {read[member]}, but the credential writes {value}"
    return None


def _reported(copy: credential_format.Credential,
              evidence: ChainEvidence | RejectedEvidence | None, reason: str,
              recognition: Recognition) -> str:
    """When the evidence's status log dates a proven revocation or suspension: said, with
    whether that was before or after the decision. Reported, never proven (docs/format.md
    §13.6), so it never turns a proven status bit into a pass."""
    if reason not in ("revoked", "suspended") or not isinstance(evidence, ChainEvidence):
        return ""
    anchor = copy.ledger.anchor
    event = change_of(evidence.status_log, copy.status.institution, copy.status.index,
                      reason, anchor.batch_root if anchor is not None else None)
    if event is None:
        return ""
    when = datetime.fromtimestamp(event.timestamp, UTC)
    side = "after" if when > recognition.decided else "before"
    source = evidence.status_log.source if evidence.status_log is not None else ""
    return (f"; {event.action} on {timefmt.format(when)}, {side} the decision ({source}; "
            "a status the chain proves counts whatever its reported date)")


# ---- decision.rule_set --------------------------------------------------------------------


def _rule_set(parsed: credential_format.Credential, recognition: Recognition, rules: RuleSet,
              facts: DocumentFacts | RejectedEvidence | None, decided: datetime) -> CheckResult:
    digest = rules.hash()
    if digest != recognition.rule_set_hash:
        return failed(RULE_SET, f"the rule set given hashes to {digest[:18]}…, not the cited "
                                f"{recognition.rule_set_hash[:18]}…")
    if (rules.id, rules.version) != (recognition.rule_set_id, recognition.rule_set_version):
        return failed(RULE_SET, "the rule set's id or version is not the one cited")
    misfit = _misfit(parsed, recognition, rules)
    if misfit is not None:
        return failed(RULE_SET, misfit)
    matched = f"rule set {rules.id} {rules.version} hashes to the cited {digest[:18]}…"
    if facts is None:
        return skipped(RULE_SET, f"{matched}; its publication on chain was not checked (no "
                                 "chain evidence of published rule sets)")
    if isinstance(facts, RejectedEvidence):
        return errored(RULE_SET, f"chain evidence rejected: {facts.reason}")
    try:
        return _published(recognition, rules, facts, decided, matched)
    except NotCovered as exc:
        return errored(RULE_SET, f"not covered by the chain evidence: {exc}")
    except EvidenceError as exc:
        return errored(RULE_SET, f"chain evidence incomplete: {exc}")


def _misfit(parsed: credential_format.Credential, recognition: Recognition,
            rules: RuleSet) -> str | None:
    """Why the rule set cannot ground this decision by this issuer, or None."""
    destination, issuer = recognition.destination, parsed.status.institution
    if destination.kind is Destination.PROGRAMME:
        programme = rules.programme
        if programme is None or (programme.institution, programme.id) != (
                destination.institution, destination.programme):
            return f"the rule set does not convert into programme {destination.programme} " \
                   f"of {destination.institution}"
        if issuer != programme.institution:
            return f"a decision into {programme.id} is issued by {programme.institution}, " \
                   f"not {issuer}"
        return None
    if rules.owner.kind is not OwnerKind.AUTHORITY:
        return "only the authority's rule sets grant credit-bank credits"
    if issuer != rules.owner.id:
        return f"a credit-bank decision is issued by the authority {rules.owner.id}, " \
               f"not {issuer}"
    return None


def _value(answer: Any, member: str) -> Any:
    """A fact (which has `member`) as it is, or from the `Fact` that holds it (`.value`)."""
    return answer if hasattr(answer, member) else answer.value


def _published(recognition: Recognition, rules: RuleSet, facts: DocumentFacts,
               decided: datetime, matched: str) -> CheckResult:
    answer = facts.document(bytes.fromhex(recognition.rule_set_hash[2:]))
    fact = _value(answer, "published")
    as_of = getattr(answer, "as_of", None) or getattr(facts, "as_of", "")
    suffix = f" ({as_of})" if as_of else ""
    if not fact.published:
        return failed(RULE_SET, f"rule set hash {recognition.rule_set_hash[:18]}… is not "
                                f"published on chain{suffix}")
    kind = getattr(fact.kind, "value", fact.kind)
    if kind != RULE_SET_KIND:
        return failed(RULE_SET, f"the hash is published as a document of kind {kind}, not as "
                                "a rule set")
    when = datetime.fromtimestamp(fact.timestamp, UTC)
    if when > decided:
        return failed(RULE_SET, f"published on {timefmt.format(when)}, after the decision"
                                f"{suffix}")
    if fact.withdrawn and not fact.withdrawn_at:
        return failed(RULE_SET, f"withdrawn, at a time the evidence does not give{suffix}")
    if fact.withdrawn and datetime.fromtimestamp(fact.withdrawn_at, UTC) <= decided:
        return failed(RULE_SET, f"withdrawn on {_moment(fact.withdrawn_at)}, before the "
                                f"decision{suffix}")
    owner = fact.owner_issuer_number
    if owner == AUTHORITY_NUMBER:
        by = "the authority"
    else:
        institution = rules.owner.id
        if rules.owner.kind is not OwnerKind.PROGRAMME or \
                _value(facts.issuer(institution), "issuer_number").issuer_number != owner:
            return failed(RULE_SET, f"published by issuer number {owner}, neither the "
                                    "authority nor the programme's institution")
        by = institution
    later = f"; withdrawn on {_moment(fact.withdrawn_at)}, after the decision" \
        if fact.withdrawn else ""
    return passed(RULE_SET, f"{matched}; published by {by} in block {fact.block_number} on "
                            f"{timefmt.format(when)}, before the decision{later}{suffix}")


def _moment(unix: int) -> str:
    return timefmt.format(datetime.fromtimestamp(unix, UTC))


# ---- decision.grant -----------------------------------------------------------------------


def _grant(recognition: Recognition, rules: RuleSet,
           given: Mapping[str, list[credential_format.Credential]], *,
           cited_hash_matches: bool) -> CheckResult:
    if not cited_hash_matches:
        return skipped(GRANT, "not checked: the rule set given is not the one cited")
    read: list[Source] = []
    for cited in recognition.included:
        copy = _copy(given, cited.id, cited.claims_root)
        if copy is None:
            return skipped(GRANT, f"not checked: source {cited.id} was not given")
        try:
            read.append(source_from_credential(copy, standard=cited.standard, unit=cited.unit,
                                               sector=cited.sector))
        except (CreditDataError, CredentialError, ValueError) as exc:
            return failed(GRANT, f"source {cited.id} cannot be read as cited: {exc}")
    evaluation = evaluate(rules, read, as_of=recognition.decided)
    recomputed = outcome_json(evaluation, recognition.destination)
    cited_outcome = recognition.outcome()
    for name, value in recomputed.items():
        if canonical_bytes(value) != canonical_bytes(cited_outcome[name]):
            return failed(GRANT, f"{name} differ from the rule set's: the decision has "
                                 f"{_short(cited_outcome[name])}, recomputed "
                                 f"{_short(value)}")
    totals = evaluation.programme_totals if recognition.destination.kind is \
        Destination.PROGRAMME else evaluation.bank_totals
    granted = ", ".join(str(q) for q in totals.by_unit().values()) or "nothing"
    return passed(GRANT, f"recomputed under the rule set as of {recognition.as_of}: "
                         f"{len(recomputed['grants'])} grant(s), {granted}")


def _short(value: Any, limit: int = 160) -> str:
    text = canonical_bytes(value).decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "…"
