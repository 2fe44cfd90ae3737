"""Documents given with chain evidence, read and checked: a framework, a catalogue of
standards or a rule set travels in a trust bundle (``documents``) or is given to online
evidence; before it is used, it is read strictly with ``verifier.credit`` and its canonical
hash recomputed (docs/creditbank.md §1.3), which must be the hash it was given under. What
was published, by whom and when is the document word's proof (``ChainEvidence.document``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .credit import (
    CreditDataError,
    Framework,
    RuleSet,
    StandardCatalog,
    parse_framework,
    parse_rule_set,
    parse_standards,
)
from .credit import framework as framework_doc
from .credit import rules as rules_doc
from .credit import standards as standards_doc
from .evidence.bundle import ChainEvidence
from .evidence.documents import CarriedDocument
from .evidence.errors import BundleFormatError, BundleRejected
from .registry_layout import DocumentKind

Content = Framework | StandardCatalog | RuleSet

# document type -> its parser
_PARSERS: dict[str, Callable[[Any], Content]] = {
    framework_doc.TYPE: parse_framework,
    standards_doc.TYPE: parse_standards,
    rules_doc.TYPE: parse_rule_set,
}


def kind_of(content: Content) -> DocumentKind:
    """The kind a read document is published as."""
    if isinstance(content, Framework):
        return DocumentKind.FRAMEWORK
    if isinstance(content, StandardCatalog):
        return DocumentKind.STANDARDS_CATALOGUE
    return DocumentKind.RULE_SET


def parse_content(raw: Any, where: str = "document") -> Content:
    """A framework, catalogue of standards or rule set, by its ``type``; BundleFormatError."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    entry = _PARSERS.get(kind) if isinstance(kind, str) else None
    if entry is None:
        raise BundleFormatError(f"{where} is not a framework, catalogue of standards or rule "
                                f"set (type one of {', '.join(sorted(_PARSERS))})")
    try:
        return entry(raw)
    except CreditDataError as exc:
        raise BundleFormatError(f"{where}: {exc}") from None


def read_carried(document: CarriedDocument) -> Content | None:
    """The carried document read, None when only its hash is carried. Raises
    BundleFormatError when it cannot be read, BundleRejected when its canonical hash is not
    the hash it is carried under."""
    if document.content is None:
        return None
    name = "0x" + document.hash.hex()
    content = parse_content(document.content, f"document {name}")
    if content.hash() != name:
        raise BundleRejected(f"document {name}: its canonical hash is {content.hash()}")
    return content


def carried_documents(evidence: ChainEvidence) -> dict[bytes, Content]:
    """Every document the evidence carries, read and checked (the first bad one raises)."""
    out: dict[bytes, Content] = {}
    for digest, document in evidence.documents.items():
        content = read_carried(document)
        if content is not None:
            out[digest] = content
    return out


def framework_in_force(evidence: ChainEvidence, when: int | None = None) -> Framework | None:
    """The framework given with the evidence that the authority published and had in force
    at ``when`` (unix seconds; default the evidence's block time), the latest published if
    several; None when the evidence carries none. A carried framework that does not match
    its hash, or whose word the evidence cannot prove, raises (EvidenceError)."""
    at = evidence.block_time if when is None else when
    best: tuple[int, Framework] | None = None
    for digest, content in carried_documents(evidence).items():
        if not isinstance(content, Framework):
            continue
        proven = evidence.document(digest)
        if (proven.owner_issuer_number == 0 and proven.kind == DocumentKind.FRAMEWORK
                and proven.in_force_at(at)
                and (best is None or proven.timestamp > best[0])):
            best = (proven.timestamp, content)
    return best[1] if best is not None else None
