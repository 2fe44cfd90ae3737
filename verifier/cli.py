"""credbank-verify: check credential files offline, or against a node with --online.

    credbank-verify FILE... [--trust TRUST.json] [--pin PIN.json] [--online RPC_URL]
                            [--accept-unknown-issuer] [--no-status] [--json] [--at DATETIME]
    credbank-verify DECISION.json --source A.json [--source B.json ...] --rules RULES.json ...
    credbank-verify VP.json --challenge C --domain D [--requirements REQUEST.json] ...

A FILE ending in .jsonl holds one credential a line; each is reported as FILE:LINE. A FILE
ending in .pdf (or '-' with a PDF on stdin) is a certificate: the credential embedded in it
as the attachment credential.json is checked (verifier/pdf.py).

A FILE whose type is CredbankAttendanceRecord is a learner's attendance record: its
checks are attendance.form, .holder, .inclusion, .venue_registered, .day_anchored and
.totals (verifier/attendance_check.py); without --trust or --online, the trust bundle it
embeds is used, checked against the pin.

With --source and --rules, the one FILE is a recognition decision credential: after its
verdict come the decision checks (decision.form, decision.sources, decision.rule_set,
decision.grant; verifier/decision_cli.py, docs/creditbank.md §9). --bundle is another
name for --trust. A FILE that is a Verifiable Presentation is checked as the answer to an
employer's request, bound to --challenge and --domain (verifier/presentation_cli.py,
docs/presentations.md).

--trust takes a trust list (CredbankTrustList: issuers and keys, checked at the issuer's
stated time) or a trust bundle (CredbankTrustBundle, from `credbank trust export`: a sealed
checkpoint and proofs, so issuer, anchoring, revocation and suspension are all checked
offline "as of" the checkpoint). --pin names the chain id and Clique signer set to trust
(`credbank trust pin`); without it the pin `credbank trust pin` stored in the user's
configuration directory is used, and without either a bundle's own signer set, which
proves nothing to whoever did not pin it. --online checks against the latest block of
RPC_URL instead, verifying its header seal and every proof; it needs the registry from a
bundle or the pin.

The verdict fails closed (docs/format.md §9.2): VERIFIED only when every check passed. A
check that could not run leaves a credential NOT VERIFIED, naming what was missing, unless
it was accepted in so many words: --accept-unknown-issuer (no trust source, or an unpinned
chain) and --no-status (no chain evidence). The verdict then says what was not checked.

Exit 0 when every file verifies, 1 when any does not (chain evidence that fails to verify
makes the chain checks `error`), 2 for usage errors or input that cannot be read (missing,
oversize, not UTF-8, malformed JSON, duplicate member names, a PDF without credential.json, a
malformed trust or pin file). A run of more than one credential ends with a summary line (on
standard error with --json).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from . import archive, jsonio, pdf, timefmt, verdict
from . import attendance_cli as attendances
from . import credential as credentials
from . import decision_cli as decisions
from . import presentation_cli as presentations
from .checks import NOT_ACCREDITED
from .errors import CredentialError, CredentialFormatError, TrustListError
from .evidence import bundle as bundles
from .evidence import online
from .evidence.bundle import ChainEvidence, RejectedEvidence, SignerPin
from .evidence.errors import BundleFormatError, EvidenceError
from .evidence.status_log import StatusEvent, change_of
from .model import Status, VerificationResult
from .scope import verdict_problem
from .trust import TYPE as TRUST_LIST_TYPE
from .trust import TrustList
from .trust import parse as parse_trust_list
from .verify import verify

_MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–", Status.ERROR: "!"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"credbank-verify: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="credbank-verify", description="Verify credbank credentials offline.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="credential JSON files, .jsonl files (one a line), certificate .pdf "
                        "files, or '-' for stdin")
    p.add_argument("--trust", "--bundle", metavar="TRUST.json", dest="trust",
                   help="trust list (issuers and keys) or trust bundle (chain evidence)")
    p.add_argument("--pin", metavar="PIN.json",
                   help="pinned chain id and Clique signer set (from credbank trust pin)")
    p.add_argument("--online", metavar="RPC_URL",
                   help="check against the latest block of this node, verifying every proof")
    p.add_argument("--accept-unknown-issuer", action="store_true",
                   help="verify without checking that the issuer is accredited, saying so "
                   "(when no trust source or no pin is given)")
    p.add_argument("--no-status", action="store_true",
                   help="verify without chain evidence (anchoring, revocation and suspension "
                   "not checked), saying so")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.add_argument("--at", metavar="DATETIME",
                   help="check expiry as of this time (default: now)")
    p.add_argument("--source", action="append", default=[], metavar="SOURCE.json",
                   help="a decision's source credential, full or derived copy (repeat); "
                   "with --rules, FILE is checked as a decision credential")
    p.add_argument("--rules", metavar="RULESET.json", help="the decision's rule set")
    p.add_argument("--challenge", help="a presentation's expected challenge (the request's)")
    p.add_argument("--domain", help="a presentation's expected domain (the employer's)")
    p.add_argument("--requirements", metavar="REQUEST.json",
                   help="judge a presentation against these requirements (a list, or a "
                   "request with requirements)")
    return p


# ---- the verdict in words -----------------------------------------------------------------


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def reason_words(reason: str) -> str:
    """A reason code in English words, as the command line writes it."""
    return _lower(verdict.HEADLINES[reason]["en"])


_HOW_TO_ACCEPT = {
    "issuer": "give --trust with a trust list or bundle, or accept this with "
              "--accept-unknown-issuer",
    "status": "give --trust with a trust bundle or --online, or accept this with --no-status",
}
_UNPINNED_HINT = ("the chain evidence's signer set is not pinned: give --pin, or store one "
                  "with `credbank trust pin`; or accept this with ")


def local_moment(unix: int) -> str:
    """``2026-10-01 10:00 (UTC+08:00)``: a chain time in this machine's time zone."""
    moment = datetime.fromtimestamp(unix, UTC).astimezone()
    offset = moment.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{moment:%Y-%m-%d %H:%M} ({zone})"


def dated(event: StatusEvent) -> str:
    """``revoked on 2026-10-01 10:00 (UTC+08:00), block 123, reason 1 issued in error``."""
    whole = " (the whole batch)" if event.batch_root is not None else ""
    return (f"{event.action} on {local_moment(event.timestamp)}, block {event.block_number}, "
            f"reason {event.reason} {verdict.reason_words(event.reason, 'en')}{whole}")


def why(explained: verdict.Explanation, result: VerificationResult,
        change: StatusEvent | None = None, source: str = "") -> str:
    """``NOT VERIFIED: <reason> (<why>)`` or ``VERIFIED[, except …]`` for one result."""
    if explained.verified:
        if not explained.not_checked:
            return "VERIFIED"
        words = verdict.UNPINNED_WORDS if explained.unpinned else verdict.NOT_CHECKED_WORDS
        return "VERIFIED, except that " + "; and ".join(
            words[gap]["en"] for gap in explained.not_checked)
    reason = explained.reason
    if change is not None and reason in ("revoked", "suspended"):
        return f"NOT VERIFIED: {dated(change)} (date and reason {source})"
    if reason in ("issuer_unknown", "status_unknown"):
        gap = "issuer" if reason == "issuer_unknown" else "status"
        if explained.unpinned and gap in explained.unchecked:
            flag = "--accept-unknown-issuer" if gap == "issuer" else "--no-status"
            hint = _UNPINNED_HINT + flag
        else:
            hint = ("no trust source: " if gap == "issuer" else "no chain evidence: ") + \
                _HOW_TO_ACCEPT[gap]
        return f"NOT VERIFIED: {reason_words(reason)} ({hint})"
    detail = result.check(explained.failed).detail if explained.failed else ""
    if reason == "not_accredited" and detail.startswith(NOT_ACCREDITED):
        detail = detail[len(NOT_ACCREDITED):]
    return f"NOT VERIFIED: {reason_words(reason)} ({detail})" if detail else \
        f"NOT VERIFIED: {reason_words(reason)}"


def _human(name: str, result: VerificationResult, headline: str) -> str:
    lines = [f"{headline}  {name}"]
    for check in result.checks:
        lines.append(f"  {_MARK[check.status]} {check.id:<17} {check.detail}")
    return "\n".join(lines)


_ARCHIVE_REASONS = {"archive_form": "unreadable", "archive_signature": "bad_signature",
                    "archive_issuer": "not_accredited", "archive_totals": "altered"}


def _archive(name: str, held: archive.ArchiveReport, accept: set[str], unpinned: bool,
             as_json: bool) -> str:
    """Print a learning archive's checks and each credential's verdict; its reason: the
    first archive check that failed, else the first credential's that is not verified."""
    explained = [(i, verdict.explain(r, accept=accept, unpinned=unpinned))
                 for i, r in held.credentials]
    reason = "verified"
    for check in held.checks:
        if check.status is Status.SKIPPED and check.id == "archive_issuer" and \
                "issuer" not in accept:
            reason = "issuer_unknown"
        elif check.status in (Status.FAILED, Status.ERROR) and check.id in _ARCHIVE_REASONS:
            reason = _ARCHIVE_REASONS[check.id]
        if reason != "verified":
            break
    if reason == "verified":
        reason = next((e.reason for _, e in explained if not e.verified), "verified")
    if as_json:
        print(json.dumps({**held.to_json(name), "verified": reason == "verified",
                          "reason": reason,
                          "credentialVerdicts": [{"id": i, "verified": e.verified,
                                                  "reason": e.reason} for i, e in explained]},
                         ensure_ascii=False))
        return reason
    head = "VERIFIED archive" if reason == "verified" else \
        f"NOT VERIFIED archive: {reason_words(reason)}"
    lines = [f"{head}  {name}"]
    lines += [f"  {_MARK[c.status]} {c.id:<19} {c.detail}" for c in held.checks]
    for (credential_id, result), (_, e) in zip(held.credentials, explained, strict=True):
        lines.append(f"  {'✓' if e.verified else '✗'} {credential_id}: {e.headline('en')}")
        lines += [f"      {_MARK[c.status]} {c.id:<17} {c.detail}" for c in result.checks
                  if c.status is not Status.PASSED]
    print("\n".join(lines))
    return reason


def _change(document: Any, evidence: Evidence, reason: str) -> StatusEvent | None:
    """The reported date, block and reason of the revocation or suspension the chain
    evidence proved, when the evidence's status log has them; information only."""
    if reason not in ("revoked", "suspended") or not isinstance(evidence, ChainEvidence):
        return None
    try:
        parsed = credentials.parse(document)
    except CredentialError:
        return None
    anchor = parsed.ledger.anchor
    return change_of(evidence.status_log, parsed.status.institution, parsed.status.index,
                     reason, anchor.batch_root if anchor is not None else None)


def change_json(event: StatusEvent, reporter: str) -> dict[str, Any]:
    """``statusChange`` of the JSON output: reported (by ``bundle`` or ``node``), never
    proven (docs/format.md §13.6)."""
    out: dict[str, Any] = {"action": event.action,
                           "at": timefmt.format(datetime.fromtimestamp(event.timestamp, UTC)),
                           "blockNumber": event.block_number, "reason": event.reason,
                           "transactionHash": event.transaction_hash}
    if event.batch_root is not None:
        out["batchRoot"] = "0x" + event.batch_root.hex()
    out["reportedBy"] = reporter
    return out


def summary(reasons: Sequence[str]) -> str:
    """``N verified, M not verified: 2 content altered, 1 revoked``."""
    counts = Counter(r for r in reasons if r != "verified")
    good = len(reasons) - sum(counts.values())
    line = f"{good} verified, {sum(counts.values())} not verified"
    order = list(verdict.HEADLINES)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    if ranked:
        line += ": " + ", ".join(f"{n} {reason_words(r)}" for r, n in ranked)
    return line


def _inputs(files: Sequence[str]) -> Iterator[tuple[str, Callable[[], object]]]:
    """(name, loader) per credential: a file, stdin ('-'), or each line of a .jsonl file."""
    for name in files:
        if name == "-":
            yield name, _read_stdin
        elif name.lower().endswith(".pdf"):
            yield name, functools.partial(pdf.load_path, name)
        elif name.lower().endswith((".jsonl", ".ndjson")):
            try:
                handle = open(name, "rb")
            except OSError as exc:
                yield name, functools.partial(_raise, f"cannot read {name}: {exc.strerror}")
                continue
            with handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        yield f"{name}:{number}", functools.partial(jsonio.loads, line)
        else:
            yield name, functools.partial(jsonio.load_path, name)


def _read_stdin() -> object:
    data = sys.stdin.buffer.read()
    return pdf.loads(data) if pdf.is_pdf(data) else jsonio.loads(data)


def _raise(message: str) -> object:
    raise CredentialFormatError(message)


Evidence = ChainEvidence | RejectedEvidence | None


def _read_trust(path: str) -> TrustList | bundles.TrustBundle:
    """A trust list or a trust bundle, told apart by `type`."""
    try:
        raw = bundles.read_json_file(path)
    except CredentialFormatError as exc:
        raise TrustListError(f"trust file: {exc}") from None
    if isinstance(raw, dict) and raw.get("type") == bundles.TYPE:
        return bundles.parse_bundle(raw)
    if isinstance(raw, dict) and raw.get("type") != TRUST_LIST_TYPE:
        raise TrustListError(
            f"not a trust file (type must be {TRUST_LIST_TYPE} or {bundles.TYPE})")
    return parse_trust_list(raw)


def _evidence(
    bundle: bundles.TrustBundle | None, pin: SignerPin | None, rpc_url: str | None
) -> Evidence:
    """Verify the chain evidence once for every credential; a failure is reported per check."""
    try:
        if rpc_url is not None:
            registry = bundle.registry if bundle is not None else pin.registry if pin else None
            if registry is None:
                raise BundleFormatError(
                    "--online needs the registry: give --trust with a trust bundle, or a "
                    "--pin file that names the registry")
            names = {e.did: e.name for e in bundle.issuers} if bundle is not None else {}
            return online.fetch_evidence(rpc_url, registry, pin=pin, names=names,
                                         authority=bundle.authority if bundle else None)
        if bundle is not None:
            return bundles.verify_bundle(bundle, pin)
    except BundleFormatError:
        raise
    except EvidenceError as exc:
        return RejectedEvidence(str(exc))
    return None


def _pin(args: argparse.Namespace, uses_chain: bool) -> tuple[SignerPin | None, str | None]:
    """The pin to check chain evidence against, and a line saying which one (or none)."""
    if args.pin:
        pin = bundles.load_pin(args.pin)
        return pin, f"pin: {args.pin} (chain {pin.chain_id}, {len(pin.signers)} signer(s))"
    if not uses_chain:
        return None, None
    stored = bundles.stored_pin_path()
    if stored.is_file():
        try:
            pin = bundles.load_pin(stored)
        except BundleFormatError as exc:
            raise BundleFormatError(f"{stored}: {exc}") from None
        return pin, (f"pin: {stored}, stored by `credbank trust pin` (chain {pin.chain_id}, "
                     f"{len(pin.signers)} signer(s))")
    return None, (f"pin: none (no --pin, and nothing stored at {stored}): the chain evidence "
                  "is checked against its own signer set, which proves nothing to you")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`credbank-verify … | head`): stop quietly, no traceback;
        # stdout is pointed at /dev/null so the interpreter's final flush cannot fail too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.rules is None) != (not args.source) or (args.rules and len(args.files) != 1):
        parser.error("a decision is checked with one FILE, --rules and at least one --source")
    decision_inputs: tuple[list[Any], Any] | None = None
    trust: TrustList | None = None
    bundle: bundles.TrustBundle | None = None
    accept = {name for name, given in (("issuer", args.accept_unknown_issuer),
                                       ("status", args.no_status)) if given}
    try:
        if args.trust:
            loaded = _read_trust(args.trust)
            if isinstance(loaded, TrustList):
                trust = loaded
            else:
                bundle = loaded
        pin, pin_line = _pin(args, bundle is not None or args.online is not None)
        now = timefmt.parse(args.at, "--at") if args.at else None
        evidence = _evidence(bundle, pin, args.online)
        if args.rules is not None:
            decision_inputs = decisions.load(args.source, args.rules)
        wanted = None if args.requirements is None else \
            presentations.load_requirements(args.requirements)
    except (TrustListError, CredentialFormatError, BundleFormatError) as exc:
        print(f"credbank-verify: {exc}", file=sys.stderr)
        return 2
    if pin_line is not None and evidence is not None:
        print(pin_line, file=sys.stderr if args.json else sys.stdout)
    unpinned = isinstance(evidence, ChainEvidence) and not evidence.pinned
    log = evidence.status_log if isinstance(evidence, ChainEvidence) else None
    worst = 0
    reasons: list[str] = []
    for name, load in _inputs(args.files):
        try:
            document = load()
            if archive.is_archive(document):
                held = archive.check(document, trust=trust, evidence=evidence, now=now)
                reason = _archive(name, held, accept, unpinned, args.json)
                reasons.append(reason)
                worst = max(worst, 0 if reason == "verified" else 1)
                continue
            if attendances.is_record(document):
                reason = attendances.run(name, document, given=evidence, pin=pin,
                                         accept=accept, as_json=args.json)
                reasons.append(reason)
                worst = max(worst, 0 if reason == "verified" else 1)
                continue
            if presentations.is_presentation(document):
                held_vp = presentations.run(
                    document, challenge=args.challenge, domain=args.domain,
                    requirements=wanted, trust=trust, evidence=evidence, accept=accept,
                    now=now)
                reasons.append(presentations.reason(held_vp))
                worst = max(worst, 0 if held_vp.verified else 1)
                print(json.dumps({"file": name, **held_vp.to_json()}, ensure_ascii=False)
                      if args.json else presentations.human(name, held_vp))
                continue
            result = verify(document, trust=trust, evidence=evidence, now=now)
        except CredentialError as exc:
            worst = 2
            reasons.append("unreadable")
            if args.json:
                print(json.dumps({"file": name, "verified": False, "reason": "unreadable",
                                  "notChecked": [], "checks": [
                                      {"id": "format", "status": "error", "detail": str(exc)}]},
                                 ensure_ascii=False))
            else:
                print(f"credbank-verify: {name}: {exc}", file=sys.stderr)
            continue
        explained = verdict.explain(result, accept=accept, unpinned=unpinned)
        scope = verdict_problem(document, evidence) if explained.verified else None
        if scope is not None:  # outside the issuer's accreditation scope (verifier.scope)
            explained = replace(explained, verified=False, reason="out_of_scope", failed=None)
        reasons.append(explained.reason)
        if not explained.verified:
            worst = max(worst, 1)
        change = _change(document, evidence, explained.reason)
        decided = None if decision_inputs is None else decisions.check(
            document, *decision_inputs, trust=trust, evidence=evidence, accept=accept)
        if decided is not None and not decided.explain(accept).verified:
            worst = max(worst, 1)
        if args.json:
            report: dict[str, Any] = {"file": name, "verified": explained.verified,
                                      "reason": explained.reason,
                                      "notChecked": list(explained.unchecked)}
            if change is not None:
                report["statusChange"] = change_json(change, log.reporter if log else "")
            if scope is not None:
                report["scopeProblem"] = scope
            report["checks"] = [c.to_json() for c in result.checks]
            if decided is not None:
                report["decision"] = decided.to_json(accept)
            print(json.dumps(report, ensure_ascii=False))
        else:
            print(_human(name, result,
                         why(explained, result, change, log.source if log else "")))
            if scope is not None:
                print(f"  {scope}")
            if decided is not None:
                print(decisions.human(decided, accept))
    if len(reasons) > 1:
        print(summary(reasons), file=sys.stderr if args.json else sys.stdout)
    return worst


if __name__ == "__main__":
    sys.exit(main())
