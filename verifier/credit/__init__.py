"""The credit bank's domain core (学分银行: recognition, accumulation and conversion of
credits): typed credits, the qualification framework, outcome standards, conversion rule
sets and their evaluation, and recognition decisions issued as credentials with their
checks. Data plus functions with no I/O, so that the offline verifier can recompute a
decision. docs/creditbank.md describes all of it."""

from .common import CHINA_STANDARD_TIME, Names, Window, decision_date
from .decision import (
    CitedSource,
    DecisionDestination,
    Exclusion,
    Recognition,
    decision_subject,
    outcome_json,
    parse_recognition,
    recognition_of,
)
from .decision_check import DecisionReport, DecisionVerdict, SourceReport, check_decision
from .errors import CreditDataError, SectorMismatch, UnitMismatch, UnknownLevel
from .evaluate import (
    CapUse,
    Evaluation,
    Grant,
    Outcome,
    Reason,
    ReasonCode,
    SourceOutcome,
    evaluate,
)
from .framework import Framework, Level, parse_framework
from .rules import (
    Caps,
    Course,
    Destination,
    Match,
    MaxAge,
    MinResult,
    Owner,
    OwnerKind,
    Programme,
    Rate,
    Rule,
    RuleSet,
    Target,
    TargetKind,
    parse_rule_set,
)
from .sources import Source, source_from_credential
from .standards import (
    CSV_COLUMNS,
    Mismatch,
    Standard,
    StandardCatalog,
    parse_standard,
    parse_standards,
    standards_from_csv,
)
from .units import Credits, Quantity, Sector, Totals, Unit, value_of, value_text

__all__ = [
    "CHINA_STANDARD_TIME", "CSV_COLUMNS", "CapUse", "Caps", "CitedSource", "Course",
    "CreditDataError", "Credits", "DecisionDestination", "DecisionReport", "DecisionVerdict",
    "Destination", "Evaluation", "Exclusion", "Recognition", "SourceReport", "check_decision",
    "decision_subject", "outcome_json", "parse_recognition", "recognition_of", "Framework",
    "Grant", "Level", "Match", "MaxAge",
    "MinResult", "Mismatch", "Names", "Outcome", "Owner", "OwnerKind", "Programme", "Quantity",
    "Rate", "Reason", "ReasonCode", "Rule", "RuleSet", "Sector", "SectorMismatch", "Source",
    "SourceOutcome", "Standard", "StandardCatalog", "Target", "TargetKind", "Totals", "Unit",
    "UnitMismatch", "UnknownLevel", "Window", "decision_date", "evaluate", "parse_framework",
    "parse_rule_set", "parse_standard", "parse_standards", "source_from_credential",
    "standards_from_csv", "value_of", "value_text",
]
