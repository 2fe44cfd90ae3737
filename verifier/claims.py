"""The salted claims tree: one leaf per JSON leaf of the document, and selective disclosure.

docs/format.md §Claims tree. For every leaf of the document (a string, number, boolean,
null, or an empty object or array) at RFC 6901 pointer p:

    salt_p = HMAC-SHA256(saltKey, UTF-8(p))
    leaf_p = merkle.leaf_hash(salt_p || JCS([p, value]))

plus one *manifest leaf* at the root pointer "" whose value is the sorted list of every
leaf pointer under the mandatory prefixes. The manifest is recomputed by the verifier from
the copy it holds, so hiding a mandatory leaf (say `validUntil` of an expired credential)
changes the root and fails integrity. claimsRoot = merkle.root(all leaves).

A derived copy keeps the disclosed leaves in place, drops hidden object members, and puts
`null` where a wholly hidden array element stood (so indices of later elements still
match). It carries the salts of disclosed pointers and the digests of hidden leaves; the
saltKey never leaves the full copy, and a 256-bit salt makes a hidden value unguessable
from its digest.
"""

from __future__ import annotations

import hashlib
import hmac
import json.encoder
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from . import canonical, merkle
from .errors import CredentialFormatError

MANIFEST_POINTER = ""
_SAFE = 2**53 - 1
_encode_string = json.encoder.encode_basestring  # the C version when available
_sha256 = hashlib.sha256

# Pointers (and everything under them) that a derived copy must disclose.
MANDATORY_PREFIXES: tuple[str, ...] = (
    "/@context",
    "/id",
    "/type",
    "/issuer",
    "/validFrom",
    "/validUntil",
    "/credentialStatus",
    "/credentialSubject/type",
    "/credentialSubject/achievement/type",
    "/credentialSubject/achievement/achievementType",
    "/credentialSubject/achievement/name",
)


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def split_pointer(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise CredentialFormatError(f"JSON pointer {pointer!r} must start with '/'")
    return [unescape(t) for t in pointer[1:].split("/")]


MAX_DEPTH = 32


def iter_leaves(value: Any) -> list[tuple[str, Any]]:
    """(pointer, value) for every leaf, in document order.

    Raises CredentialFormatError for documents nested deeper than MAX_DEPTH.
    """
    return walk(value)[0]


def walk(value: Any) -> tuple[list[tuple[str, Any]], bool]:
    """The leaves, and whether the value is plain JSON whose canonical form the C encoder
    writes directly (canonical.is_plain), learnt on the same pass."""
    out: list[tuple[str, Any]] = []
    special: list[bool] = []
    _walk(value, "", out, 0, special)
    return out, not special


def _walk(
    value: Any, pointer: str, out: list[tuple[str, Any]], depth: int, special: list[bool]
) -> None:
    """Leaves under `value` (at `depth` tokens) into `out`. String, null and boolean
    members, most of a credential, are taken in the loop rather than by a call each."""
    if depth > MAX_DEPTH:
        raise CredentialFormatError(f"document nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind is dict and value:
        if depth == MAX_DEPTH:  # its members would be one level too deep
            raise CredentialFormatError(f"document nested deeper than {MAX_DEPTH} levels")
        for key, member in value.items():
            if not key.isascii():
                special.append(True)
            if "~" in key or "/" in key:
                key = escape(key)
            member_kind = type(member)
            if member_kind is str or member is None or member_kind is bool:
                out.append((f"{pointer}/{key}", member))
            else:
                _walk(member, f"{pointer}/{key}", out, depth + 1, special)
        return
    if kind is list and value:
        if depth == MAX_DEPTH:
            raise CredentialFormatError(f"document nested deeper than {MAX_DEPTH} levels")
        for i, item in enumerate(value):
            item_kind = type(item)
            if item_kind is str or item is None or item_kind is bool:
                out.append((f"{pointer}/{i}", item))
            else:
                _walk(item, f"{pointer}/{i}", out, depth + 1, special)
        return
    if kind is not dict and kind is not list and kind is not str and value is not None and (
        kind is not bool and (kind is not int or not -_SAFE <= value <= _SAFE)
    ):
        special.append(True)
    out.append((pointer, value))


def under(pointer: str, prefix: str) -> bool:
    return pointer == prefix or pointer.startswith(prefix + "/")


_MANDATORY_EXACT = frozenset(MANDATORY_PREFIXES)
_MANDATORY_SUBTREES = tuple(p + "/" for p in MANDATORY_PREFIXES)


def is_mandatory(pointer: str) -> bool:
    return pointer in _MANDATORY_EXACT or pointer.startswith(_MANDATORY_SUBTREES)


def manifest(pointers: Iterable[str]) -> list[str]:
    exact, subtrees = _MANDATORY_EXACT, _MANDATORY_SUBTREES
    return sorted(p for p in pointers if p in exact or p.startswith(subtrees))


def salt_for(salt_key: bytes, pointer: str) -> bytes:
    return hmac.digest(salt_key, pointer.encode("utf-8"), "sha256")


# RFC 2104 key pads, applied with bytes.translate as the hmac module does.
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))
_LEAF_STATE = _sha256(merkle.LEAF_PREFIX)  # copied per leaf: leaf(data) = SHA-256(0x00 || data)


def _hmac_states(salt_key: bytes) -> tuple[Any, Any]:
    """SHA-256 states after the inner and outer key pads of HMAC-SHA256(salt_key, ·)."""
    if len(salt_key) > 64:  # longer keys are hashed first (RFC 2104 §2); ours are 32 bytes
        raise CredentialFormatError("saltKey must be 32 bytes")
    block = salt_key.ljust(64, b"\x00")
    return _sha256(block.translate(_IPAD)), _sha256(block.translate(_OPAD))


_POINTER_FORMS: dict[str, tuple[bytes, str, bool]] = {}
_POINTER_FORMS_MAX = 4096


def _pointer_forms(pointer: str) -> tuple[bytes, str, bool]:
    """UTF-8 bytes and JSON text of a pointer, and whether it is mandatory. Credentials of
    one issuer share nearly all their pointers, so these are kept (in a bounded table)
    rather than redone per leaf."""
    forms = _POINTER_FORMS.get(pointer)
    if forms is None:
        if len(_POINTER_FORMS) >= _POINTER_FORMS_MAX:
            _POINTER_FORMS.clear()
        forms = _POINTER_FORMS[pointer] = (
            pointer.encode(), _encode_string(pointer), is_mandatory(pointer))
    return forms


def full_copy_digests(document: dict[str, Any], salt_key: bytes) -> tuple[list[bytes], bool]:
    """Leaf digests of a full copy, the manifest leaf's last, and whether the document is
    plain (walk()'s second answer).

    The definition is leaf_digest(salt_for(...)) for each leaf and for the manifest; this
    computes the same bytes with fewer calls, since it runs for every credential verified
    or issued: HMAC's key pads are hashed once per credential, the mandatory pointers are
    learnt on the same pass, and orjson writes JCS([pointer, value]) for the string,
    boolean and null leaves that make most of a credential. tests/verifier/test_claims.py
    holds it to the definition.
    """
    if len(salt_key) != 32:
        raise CredentialFormatError("saltKey must be 32 bytes")
    leaves, plain = walk(document)
    inner, outer = _hmac_states(salt_key)
    inner_copy, outer_copy, leaf_copy = inner.copy, outer.copy, _LEAF_STATE.copy
    dumps = orjson.dumps
    forms = _POINTER_FORMS
    digests: list[bytes] = []
    append = digests.append
    mandatory: list[tuple[str, str]] = []
    try:
        for pointer, value in leaves:
            form = forms.get(pointer) or _pointer_forms(pointer)
            h = inner_copy()
            h.update(form[0])
            o = outer_copy()
            o.update(h.digest())
            leaf = leaf_copy()
            leaf.update(o.digest())  # the salt
            kind = type(value)  # leaf_bytes, its commonest case taken inline
            leaf.update(dumps([pointer, value]) if kind is str or value is None or kind is bool
                        else leaf_bytes(pointer, value))
            append(leaf.digest())
            if form[2]:
                mandatory.append((pointer, form[1]))
    except (orjson.JSONEncodeError, UnicodeEncodeError):
        raise CredentialFormatError("string is not valid Unicode (lone surrogate)") from None
    # manifest(): the mandatory pointers by code point (pointers are unique, so the JSON
    # texts beside them are never compared); its JCS is written out.
    mandatory.sort()
    h = inner_copy()
    h.update(MANIFEST_POINTER.encode())
    o = outer_copy()
    o.update(h.digest())
    leaf = leaf_copy()
    leaf.update(o.digest())
    leaf.update(f'["",[{",".join([text for _, text in mandatory])}]]'.encode())
    append(leaf.digest())
    return digests, plain


def leaf_bytes(pointer: str, value: Any) -> bytes:
    """JCS([pointer, value]) for a leaf, without the general encoder's overhead.

    Strings, booleans and null, most of a credential, are written by orjson, whose string
    escaping is RFC 8785's (§3.2.2.2); safe integers and integral floats are written out;
    everything else takes the general path. tests/verifier/test_claims.py checks this
    equals canonical.dumps([pointer, value]).
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        try:
            return orjson.dumps([pointer, value])
        except orjson.JSONEncodeError:
            raise CredentialFormatError("string is not valid Unicode (lone surrogate)") from None
    if kind is int and -_SAFE <= value <= _SAFE:
        encoded = str(value)
    elif kind is float and value.is_integer() and -_SAFE <= value <= _SAFE:
        encoded = str(int(value))  # RFC 8785 §3.2.2.3: 3.0 is written 3
    else:
        return canonical.dumps([pointer, value])
    try:
        return f"[{_encode_string(pointer)},{encoded}]".encode()
    except UnicodeEncodeError:
        raise CredentialFormatError("string is not valid Unicode (lone surrogate)") from None


def leaf_digest(salt: bytes, pointer: str, value: Any) -> bytes:
    leaf = _LEAF_STATE.copy()  # leaf(data) = SHA-256(0x00 || data)
    leaf.update(salt)
    leaf.update(leaf_bytes(pointer, value))
    return leaf.digest()


@dataclass(frozen=True)
class ClaimsTree:
    """All leaves of a full document, with their salts and digests."""

    salt_key: bytes
    pointers: tuple[str, ...]
    values: tuple[Any, ...]
    salts: tuple[bytes, ...]
    digests: tuple[bytes, ...]
    root: bytes

    @classmethod
    def build(cls, document: dict[str, Any], salt_key: bytes) -> ClaimsTree:
        if len(salt_key) != 32:
            raise CredentialFormatError("saltKey must be 32 bytes")
        leaves = list(iter_leaves(document))
        pointers = [p for p, _ in leaves]
        values = [v for _, v in leaves]
        pointers.append(MANIFEST_POINTER)
        values.append(manifest(pointers[:-1]))
        salts = [salt_for(salt_key, p) for p in pointers]
        digests = [leaf_digest(s, p, v) for s, p, v in zip(salts, pointers, values, strict=True)]
        return cls(salt_key, tuple(pointers), tuple(values), tuple(salts), tuple(digests),
                   merkle.root(digests))


def _set_path(target: dict[str, Any], tokens: list[str], value: Any, source: Any) -> None:
    """Write `value` at `tokens` in `target`, creating containers shaped like `source`."""
    node: Any = target
    src = source
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(src, list):
            index = int(token)
            while len(node) <= index:
                node.append(None)  # filler for a wholly hidden element
            if last:
                node[index] = value
            else:
                if node[index] is None:
                    node[index] = [] if isinstance(src[index], list) else {}
                node = node[index]
            src = src[index]
        else:
            if last:
                node[token] = value
            else:
                if token not in node:
                    node[token] = [] if isinstance(src[token], list) else {}
                node = node[token]
            src = src[token]


def derive(
    document: dict[str, Any], salt_key: bytes, reveal: Iterable[str]
) -> tuple[dict[str, Any], dict[str, bytes], list[bytes]]:
    """A derived document revealing `reveal` (plus everything mandatory).

    Each entry of `reveal` is a pointer to a leaf or a subtree. Returns the derived
    document, the salts of disclosed pointers (including the manifest's) and the digests
    of hidden leaves, sorted so their order says nothing about where they were.
    """
    tree = ClaimsTree.build(document, salt_key)
    chosen = list(reveal)
    known = set(tree.pointers)
    for pointer in chosen:
        if pointer != MANIFEST_POINTER and not any(
            under(p, pointer) for p in known if p != MANIFEST_POINTER
        ):
            raise CredentialFormatError(f"pointer {pointer!r} names nothing in the credential")
    derived: dict[str, Any] = {}
    salts: dict[str, bytes] = {}
    hidden: list[bytes] = []
    for pointer, value, salt, digest in zip(
        tree.pointers, tree.values, tree.salts, tree.digests, strict=True
    ):
        if pointer == MANIFEST_POINTER or is_mandatory(pointer) or any(
            under(pointer, c) for c in chosen
        ):
            salts[pointer] = salt
            if pointer != MANIFEST_POINTER:
                _set_path(derived, split_pointer(pointer), value, document)
        else:
            hidden.append(digest)
    return derived, salts, sorted(hidden)


def recompute_root(
    document: dict[str, Any],
    *,
    leaves: list[tuple[str, Any]] | None = None,
    salt_key: bytes | None = None,
    salts: dict[str, bytes] | None = None,
    hidden: Iterable[bytes] = (),
) -> bytes:
    """claimsRoot of a full copy (salt_key) or a derived copy (salts + hidden digests).

    Raises CredentialFormatError when the derived copy discloses a value without a salt
    or has a salt for a pointer it does not contain.
    """
    if salt_key is not None:
        return merkle.root(full_copy_digests(document, salt_key)[0])
    if leaves is None:
        leaves = iter_leaves(document)
    entries = [*leaves, (MANIFEST_POINTER, manifest(p for p, _ in leaves))]
    digests = []
    if salts is None:
        raise CredentialFormatError("neither a saltKey nor disclosed salts")
    hidden = list(hidden)
    fillers: set[str] | None = None  # learnt when a value without a salt is met
    seen = set()
    for pointer, value in entries:
        salt = salts.get(pointer)
        if salt is None:
            if fillers is None:
                fillers = _array_fillers(document) - set(salts)  # a disclosed null is a value
                if len(fillers) > len(hidden):
                    raise CredentialFormatError("more hidden array elements than hidden digests")
            if pointer in fillers and not is_mandatory(pointer):
                continue  # null standing where a hidden array element was
            raise CredentialFormatError(f"value at {pointer!r} is disclosed without a salt")
        seen.add(pointer)
        digests.append(leaf_digest(salt, pointer, value))
    stray = set(salts) - seen
    if stray:
        raise CredentialFormatError(f"salt for {min(stray)!r}, which the copy does not contain")
    digests.extend(hidden)
    return merkle.root(digests)


def _array_fillers(value: Any, pointer: str = "") -> set[str]:
    """Pointers of null elements directly inside arrays."""
    found: set[str] = set()
    stack = [(value, pointer)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, f"{at}/{escape(k)}") for k, v in node.items())
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if item is None:
                    found.add(f"{at}/{i}")
                else:
                    stack.append((item, f"{at}/{i}"))
    return found
