"""What a verification result comes to: the verdict, and which checks need what.

One definition for everyone who sums up a :class:`~verifier.model.VerificationResult`: the
service's pages, its verify answers and ``credbank-verify``. The rule (docs/format.md
§9.2) fails closed: a credential is verified only when every check passed; a check that
could not run (no trust source, no chain evidence) leaves it not verified unless the
caller accepted that gap in so many words, through :func:`explain`'s ``accept``. The
result's own ``verified`` is the rule with nothing accepted. This module adds the names
the callers need around it:

* ``ANCHOR_CHECKS``: what a copy fails for want of its anchor alone. Without an anchor in
  its ledger proof there is no batch to be included in, nothing recorded on chain and,
  with chain evidence, no anchoring block at whose time the issuer is judged.
* ``CHAIN_CHECKS``: what is judged from chain evidence (skipped without it). Evidence
  fetched before an anchoring, a revocation or a suspension gets these wrong until it is
  fetched again. ``issuer_trusted`` is judged from a trust list when there is no evidence.
* ``STATUS_CHECKS``: the check that shows each status an issuer can set.

and the verdicts: ``headline`` for the command line, and ``explain`` below, the plain
verdict every view gives (one reason, in words, failing closed); ``awaits_anchor`` tells a
copy that fails only for want of the anchor it is still waiting for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import Status, VerificationResult

ANCHOR_CHECKS = frozenset({"issuer_trusted", "batch_inclusion", "anchored"})
CHAIN_CHECKS = frozenset({"issuer_trusted", "anchored", "not_revoked", "not_suspended"})
STATUS_CHECKS = {"revoked": "not_revoked", "suspended": "not_suspended"}


def failing(result: VerificationResult) -> frozenset[str]:
    """The checks that failed or errored."""
    return frozenset(c.id for c in result.checks if c.status in (Status.FAILED, Status.ERROR))


def skipped(result: VerificationResult) -> frozenset[str]:
    """The checks not made (each says why)."""
    return frozenset(c.id for c in result.checks if c.status is Status.SKIPPED)


def unreadable(result: VerificationResult) -> str | None:
    """Why the input could not be read as a credential at all, or None when it could."""
    first = result.checks[0] if result.checks else None
    if first is not None and first.id == "format" and first.status is Status.FAILED:
        return first.detail
    return None


def has_anchor(document: Any) -> bool:
    """Whether a credential document carries an anchor in any of its proofs."""
    if not isinstance(document, dict):
        return False
    return any(isinstance(p, dict) and "anchor" in p for p in document.get("proof", []))


def awaits_anchor(result: VerificationResult, document: Any,
                  offline: Callable[[], VerificationResult]) -> bool:
    """Whether the copy fails only for want of an anchor it does not have yet.

    Every failing check is an anchor check, the document has no anchor, and ``offline()``
    (the same copy checked without chain evidence, against the issuers a trust list
    names) fails nothing but what the anchor itself would show: so, with chain evidence,
    ``issuer_trusted`` failed only for want of an anchoring block's time. ``offline`` is
    called only when the rest already holds.
    """
    bad = failing(result)
    if not bad or not bad <= ANCHOR_CHECKS or has_anchor(document):
        return False
    return failing(offline()) <= ANCHOR_CHECKS - CHAIN_CHECKS


def headline(result: VerificationResult) -> str:
    """``VERIFIED`` or ``NOT VERIFIED`` by the rule with nothing accepted."""
    return "VERIFIED" if result.verified else "NOT VERIFIED"


# ---- the plain verdict: one reason, in words -----------------------------------------------
#
# Fail closed: a credential is verified only when every check passed, or was skipped for a
# reason the caller accepted in so many words ("issuer": no trust source was given;
# "status": no chain evidence was given, so nothing was checked on chain). Otherwise the
# verdict names the first thing wrong, in the order a reader needs it. Chain evidence whose
# signer set the caller did not pin proves only what whoever sealed it says: its passes
# count as gaps of the same two kinds (``explain(..., unpinned=True)``).

ACCEPTABLE = {
    # what may be accepted unchecked -> the checks it leaves out
    "issuer": frozenset({"issuer_trusted"}),
    "status": frozenset({"anchored", "not_revoked", "not_suspended"}),
}
# What a view may still show when the content cannot be trusted: the checks up to the one
# that failed; everything that relies on the content reads "not checked".
_STILL_SHOWN = {
    "unreadable": frozenset({"format"}),
    "altered": frozenset({"format", "integrity", "disclosure"}),
    "bad_signature": frozenset({"format", "integrity", "disclosure", "issuer_signature"}),
}

# reason -> the checks whose failure shows it, first match wins
_FAILURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("unreadable", frozenset({"format"})),
    ("altered", frozenset({"integrity", "disclosure"})),
    ("bad_signature", frozenset({"issuer_signature"})),
    ("not_accredited", frozenset({"issuer_trusted"})),
    ("not_anchored", frozenset({"batch_inclusion", "anchored"})),
    ("revoked", frozenset({"not_revoked"})),
    ("suspended", frozenset({"not_suspended"})),
    ("expired", frozenset({"not_expired"})),
)

HEADLINES: dict[str, dict[str, str]] = {
    "verified": {"zh": "已验证", "en": "Verified"},
    "unreadable": {"zh": "无法读取：不是有效的凭证", "en": "Not a readable credential"},
    "altered": {"zh": "内容被篡改", "en": "Content altered"},
    "bad_signature": {"zh": "签名无效", "en": "Signature invalid"},
    "not_accredited": {"zh": "签发机构未获认可", "en": "Issuer not accredited"},
    "not_anchored": {"zh": "未在区块链上登记", "en": "Not recorded on the chain"},
    "revoked": {"zh": "已撤销", "en": "Revoked"},
    "suspended": {"zh": "已暂停", "en": "Suspended"},
    "expired": {"zh": "已过期", "en": "Expired"},
    # not a check's failure: a caller holding chain evidence runs verifier.scope on a
    # credential that passed every check (the service's verdict, credbank-verify)
    "out_of_scope": {"zh": "超出签发机构的认可范围",
                     "en": "Outside the issuer's accreditation scope"},
    "not_yet_valid": {"zh": "尚未生效", "en": "Not yet valid"},
    "issuer_unknown": {"zh": "签发机构未经核验", "en": "Issuer not checked"},
    "status_unknown": {"zh": "无法核验状态", "en": "Status could not be checked"},
    "check_error": {"zh": "核验未能完成", "en": "Verification could not be completed"},
}
# A revocation or suspension with its date and reason (docs/contracts.md reason codes).
DATED: dict[str, dict[str, str]] = {
    "revoked": {"zh": "已于 {date} 撤销（原因：{reason}）",
                "en": "Revoked on {date} (reason: {reason})"},
    "suspended": {"zh": "已于 {date} 暂停（原因：{reason}）",
                  "en": "Suspended on {date} (reason: {reason})"},
}
REASON_CODES: dict[int, dict[str, str]] = {
    0: {"zh": "未说明", "en": "unspecified"},
    1: {"zh": "误发", "en": "issued in error"},
    2: {"zh": "已由新凭证取代", "en": "superseded by a reissued credential"},
    3: {"zh": "违规或舞弊", "en": "misconduct or fraud"},
    4: {"zh": "签名密钥泄露", "en": "signing key compromised"},
    5: {"zh": "学习者本人申请", "en": "at the learner's request"},
    7: {"zh": "审查中", "en": "under review"},
}
NOT_CHECKED_WORDS: dict[str, dict[str, str]] = {
    "issuer": {"zh": "未核验签发机构是否获得认可（没有信任来源）",
               "en": "whether the issuer is accredited was not checked (no trust source)"},
    "status": {"zh": "未在区块链上核验登记、撤销与暂停状态（没有链上证据）",
               "en": "the chain record, revocation and suspension were not checked "
                     "(no chain evidence)"},
}
# The same gaps when chain evidence was given but its signer set was not pinned.
UNPINNED_WORDS: dict[str, dict[str, str]] = {
    "issuer": {"zh": "签发机构的认可仅由未固定签名者集合的链上证据表明，未经核验",
               "en": "whether the issuer is accredited was not checked (the chain "
                     "evidence's signer set was not pinned)"},
    "status": {"zh": "登记、撤销与暂停状态仅由未固定签名者集合的链上证据表明，未经核验",
               "en": "the chain record, revocation and suspension were not checked (the "
                     "chain evidence's signer set was not pinned)"},
}


@dataclass(frozen=True)
class Explanation:
    """What a result means to a reader.

    ``reason`` is a key of :data:`HEADLINES`; ``failed`` the check that decided it, if one
    did; ``not_checked`` the accepted gaps (keys of :data:`ACCEPTABLE`); ``content_trusted``
    whether the claimed values may be shown as facts (never when the content was altered,
    the signature is bad or the copy unreadable); ``shown`` each check's status as a view
    should show it: checks that depend on content that cannot be trusted read
    ``"not_checked"``. ``unchecked`` names every gap, accepted or not (a verdict that is
    not verified for a gap names only the first in ``reason``); ``unpinned`` says the
    gaps come (also) from chain evidence whose signer set was not pinned.
    """

    verified: bool
    reason: str
    failed: str | None
    not_checked: tuple[str, ...]
    content_trusted: bool
    shown: tuple[tuple[str, str], ...]
    unchecked: tuple[str, ...] = ()
    unpinned: bool = False

    def headline(self, lang: str) -> str:
        return HEADLINES[self.reason]["zh" if lang.startswith("zh") else "en"]


def reason_words(code: int, lang: str) -> str:
    words = REASON_CODES.get(code)
    key = "zh" if lang.startswith("zh") else "en"
    return words[key] if words else (f"代码 {code}" if key == "zh" else f"code {code}")


def dated_headline(reason: str, lang: str, date: str, code: int) -> str:
    """``已于 <date> 撤销（原因：…）`` for a revocation or suspension whose date is known."""
    key = "zh" if lang.startswith("zh") else "en"
    return DATED[reason][key].format(date=date, reason=reason_words(code, lang))


def explain(result: VerificationResult, *, accept: frozenset[str] | set[str] = frozenset(),
            unpinned: bool = False) -> Explanation:
    """The plain verdict on ``result``, failing closed (module comment above).

    ``accept`` names the gaps the caller accepted: ``"issuer"``, ``"status"``.
    ``unpinned``: the chain evidence behind ``result`` was verified against a signer set
    the caller did not pin, so the chain checks it passed are gaps too.
    """
    unknown = set(accept) - ACCEPTABLE.keys()
    if unknown:
        raise ValueError(f"cannot accept {sorted(unknown)}: only {sorted(ACCEPTABLE)}")
    statuses = {c.id: c.status for c in result.checks}
    bad = failing(result)
    reason, failed = None, None
    for candidate, checks in _FAILURES:
        hit = [c.id for c in result.checks if c.id in checks and c.id in bad
               and statuses[c.id] is Status.FAILED]
        if hit:
            reason, failed = candidate, hit[0]
            break
    if reason == "expired" and "not valid before" in result.check(failed).detail:
        reason = "not_yet_valid"
    content_trusted = reason not in _STILL_SHOWN
    if reason is None and bad:  # a check broke (e.g. chain evidence that did not verify)
        failed = next(c.id for c in result.checks if c.id in bad)
        reason = "check_error"
    gaps = skipped(result)
    if unpinned:
        gaps |= frozenset(c.id for c in result.checks
                          if c.id in CHAIN_CHECKS and c.status is Status.PASSED)
    # an unreadable copy has no gaps: nothing after `format` could be checked at all
    not_checked = () if reason == "unreadable" else tuple(
        name for name, checks in ACCEPTABLE.items() if gaps & checks)
    if reason is None:
        for name in not_checked:
            if name not in accept:
                reason = "issuer_unknown" if name == "issuer" else "status_unknown"
                break
    if reason is None and gaps - frozenset().union(*ACCEPTABLE.values()):
        # a check no one may accept unchecked was not made: never a pass
        failed = next(c.id for c in result.checks if c.id in gaps)
        reason = "check_error"
    still = _STILL_SHOWN.get(reason or "")
    shown = tuple((c.id, str(c.status) if still is None or c.id in still else "not_checked")
                  for c in result.checks)
    return Explanation(verified=reason is None, reason=reason or "verified", failed=failed,
                       not_checked=tuple(n for n in not_checked if n in accept),
                       content_trusted=content_trusted, shown=shown, unchecked=not_checked,
                       unpinned=unpinned and bool(not_checked))
