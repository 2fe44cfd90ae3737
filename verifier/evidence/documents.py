"""Published documents and accreditation scopes in chain evidence.

A trust bundle may carry, for the document hashes its exporter named, the storage proof of
each document word (registry slot 6) and, for every issuer, the proof of its scope word
(slot 7); these slots are in ``slots`` like every other fact. It may also carry the
documents themselves (``documents``, docs/format.md §13): a framework, a catalogue of
standards or a rule set, whose hash the verifier recomputes from its canonical form
(``verifier.credit``) before it uses it. A carried document proves nothing by itself: what
was published, by whom and when is its word's proof.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import registry_layout
from ..credit import (
    CreditDataError,
    Framework,
    RuleSet,
    StandardCatalog,
    parse_framework,
    parse_rule_set,
    parse_standards,
)
from ..credit import framework as framework_doc
from ..credit import rules as rules_doc
from ..credit import standards as standards_doc
from ..registry_layout import DocumentFact, DocumentKind, ScopeFact
from .errors import BundleFormatError, BundleRejected, EvidenceError, NotCovered

MAX_DOCUMENTS = 1000
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")

Content = Framework | StandardCatalog | RuleSet

# document type -> (its kind on chain, its parser)
_PARSERS: dict[str, tuple[DocumentKind, Callable[[Any], Content]]] = {
    framework_doc.TYPE: (DocumentKind.FRAMEWORK, parse_framework),
    standards_doc.TYPE: (DocumentKind.STANDARDS_CATALOGUE, parse_standards),
    rules_doc.TYPE: (DocumentKind.RULE_SET, parse_rule_set),
}


@dataclass(frozen=True)
class CarriedDocument:
    """A document hash a bundle speaks for, and the document when it carries it."""

    hash: bytes
    content: Content | None = None

    @property
    def kind(self) -> DocumentKind | None:
        """The kind the content says it is (None without content)."""
        if self.content is None:
            return None
        return {Framework: DocumentKind.FRAMEWORK, StandardCatalog:
                DocumentKind.STANDARDS_CATALOGUE, RuleSet: DocumentKind.RULE_SET}[
                    type(self.content)]


def document_hash(value: bytes | str) -> bytes:
    """A document's 32-byte hash from bytes or ``0x`` hex (what ``RuleSet.hash()`` gives)."""
    if isinstance(value, str):
        if not _HEX32.fullmatch(value):
            raise ValueError("a document hash is 0x and 64 hex digits")
        return bytes.fromhex(value[2:])
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError("a document hash is 32 bytes")
    return bytes(value)


def parse_content(raw: Any, where: str = "document") -> Content:
    """A framework, catalogue of standards or rule set, by its ``type``; BundleFormatError."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    entry = _PARSERS.get(kind) if isinstance(kind, str) else None
    if entry is None:
        raise BundleFormatError(f"{where} is not a framework, catalogue of standards or rule "
                                f"set (type one of {', '.join(sorted(_PARSERS))})")
    try:
        return entry[1](raw)
    except CreditDataError as exc:
        raise BundleFormatError(f"{where}: {exc}") from None


def parse_documents(raw: Any) -> tuple[CarriedDocument, ...]:
    """The bundle's ``documents`` member: ``[{"hash": "0x…", "content"?: {…}}]``.

    Raises BundleFormatError for a bad shape and BundleRejected when a carried document's
    canonical hash is not the hash it is listed under.
    """
    if not isinstance(raw, list) or len(raw) > MAX_DOCUMENTS:
        raise BundleFormatError(f"documents must be a list of at most {MAX_DOCUMENTS}")
    out: dict[bytes, CarriedDocument] = {}
    for i, entry in enumerate(raw):
        where = f"documents[{i}]"
        if not isinstance(entry, dict) or not {"hash"} <= set(entry) <= {"hash", "content"}:
            raise BundleFormatError(f"{where} needs a hash and may have a content, nothing else")
        try:
            digest = document_hash(entry["hash"])
        except ValueError as exc:
            raise BundleFormatError(f"{where}.hash: {exc}") from None
        if digest in out:
            raise BundleFormatError(f"{where}: document {entry['hash']} is listed twice")
        content = None
        if "content" in entry:
            content = parse_content(entry["content"], f"{where}.content")
            if content.hash() != "0x" + digest.hex():
                raise BundleRejected(f"{where}: the document's canonical hash is "
                                     f"{content.hash()}, not {entry['hash']}")
        out[digest] = CarriedDocument(digest, content)
    return tuple(out.values())


def carried_from(documents: Iterable[Any]) -> tuple[CarriedDocument, ...]:
    """Documents given as JSON (online evidence): each parsed, its hash computed."""
    carried = []
    for i, raw in enumerate(documents):
        content = parse_content(raw, f"document {i + 1}")
        carried.append(CarriedDocument(bytes.fromhex(content.hash()[2:]), content))
    return tuple(carried)


# ---- facts proven from words -----------------------------------------------------------------


def document_fact(word: Callable[[int], int], doc_hash: bytes, as_of: str) -> DocumentFact:
    """The proven document word of ``doc_hash``; fails closed, naming the document."""
    try:
        value = word(registry_layout.document_slot(doc_hash))
    except NotCovered:
        raise NotCovered(f"the evidence holds no proof of document 0x{doc_hash.hex()}, "
                         f"published or not ({as_of})") from None
    except EvidenceError as exc:
        raise EvidenceError(f"document 0x{doc_hash.hex()}: {exc}") from None
    try:
        return registry_layout.decode_document(value)
    except ValueError:
        raise EvidenceError(f"the registry's word for document 0x{doc_hash.hex()} is not a "
                            "document word: the registry may predate document publication"
                            ) from None


def scope_fact(word: Callable[[int], int], issuer_id: bytes, did: str, as_of: str
               ) -> ScopeFact:
    """The proven accreditation scope of an issuer; fails closed, naming the issuer."""
    try:
        value = word(registry_layout.scope_slot(issuer_id))
    except NotCovered:
        raise NotCovered(f"the evidence holds no proof of the accreditation scope of {did} "
                         f"({as_of})") from None
    except EvidenceError as exc:
        raise EvidenceError(f"accreditation scope of {did}: {exc}") from None
    try:
        return registry_layout.decode_scope(value)
    except ValueError:
        raise EvidenceError(f"the registry's scope word for {did} is not an accreditation "
                            "scope: the registry may predate accreditation scopes") from None


def framework_in_force(
    carried: Mapping[bytes, CarriedDocument],
    fact: Callable[[bytes], DocumentFact],
    when: int,
) -> Framework | None:
    """The carried framework the authority published and had in force at ``when`` (the
    latest published, if several); None when the evidence carries none."""
    best: tuple[int, Framework] | None = None
    for digest, document in carried.items():
        if not isinstance(document.content, Framework):
            continue
        proven = fact(digest)
        if (proven.owner_issuer_number == 0 and proven.kind == DocumentKind.FRAMEWORK
                and proven.in_force_at(when)
                and (best is None or proven.timestamp > best[0])):
            best = (proven.timestamp, document.content)
    return best[1] if best is not None else None
