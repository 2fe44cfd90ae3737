"""Published documents and accreditation scopes in chain evidence.

A trust bundle may carry, for the document hashes its exporter named, the storage proof of
each document word (registry slot 6) and, for every issuer, the proof of its scope word
(slot 7); these slots are in ``slots`` like every other fact. It may also carry the
documents themselves (``documents``, docs/format.md §13): a framework, a catalogue of
standards or a rule set, as JSON. This module reads their shape only; ``verifier.published``
reads them with ``verifier.credit`` and recomputes each hash before anything uses one (the
evidence layer stays below the credit bank's domain core, which uses chain evidence). A
carried document proves nothing by itself: what was published, by whom and when is its
word's proof.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .. import registry_layout
from ..registry_layout import DocumentFact, ScopeFact
from .errors import BundleFormatError, EvidenceError, NotCovered

MAX_DOCUMENTS = 1000
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class CarriedDocument:
    """A document hash evidence speaks for, and the document (JSON, not yet checked against
    the hash: ``verifier.published`` does that) when it carries it."""

    hash: bytes
    content: dict[str, Any] | None = None


def document_hash(value: bytes | str) -> bytes:
    """A document's 32-byte hash from bytes or ``0x`` hex (what ``RuleSet.hash()`` gives)."""
    if isinstance(value, str):
        if not _HEX32.fullmatch(value):
            raise ValueError("a document hash is 0x and 64 hex digits")
        return bytes.fromhex(value[2:])
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError("a document hash is 32 bytes")
    return bytes(value)


def parse_documents(raw: Any) -> tuple[CarriedDocument, ...]:
    """The bundle's ``documents`` member: ``[{"hash": "0x…", "content"?: {"type": …}}]``.

    Raises BundleFormatError for a bad shape or a hash listed twice.
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
        content = entry.get("content")
        if "content" in entry and not (isinstance(content, dict)
                                       and isinstance(content.get("type"), str)):
            raise BundleFormatError(f"{where}.content must be a document object with a type")
        out[digest] = CarriedDocument(digest, content)
    return tuple(out.values())


def carried_from(documents: Iterable[Any]) -> tuple[CarriedDocument, ...]:
    """Documents given to online evidence: read documents (``Framework``,
    ``StandardCatalog``, ``RuleSet``), each carried under its own ``hash()``."""
    carried = []
    for i, document in enumerate(documents):
        if not (callable(getattr(document, "hash", None))
                and callable(getattr(document, "to_json", None))):
            raise BundleFormatError(f"document {i + 1} is not a read framework, catalogue of "
                                    "standards or rule set")
        carried.append(CarriedDocument(document_hash(document.hash()), document.to_json()))
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
