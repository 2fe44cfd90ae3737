"""credbank-verify: check credential files offline, or against a node with --online.

    credbank-verify FILE... [--trust TRUST.json] [--pin PIN.json] [--online RPC_URL]
                            [--json] [--at DATETIME]

A FILE ending in .jsonl holds one credential a line; each is reported as FILE:LINE. A FILE
ending in .pdf (or '-' with a PDF on stdin) is a certificate: the credential embedded in it
as the attachment credential.json is checked (verifier/pdf.py).

--trust takes a trust list (CredbankTrustList: issuers and keys, checked at the issuer's
stated time) or a trust bundle (CredbankTrustBundle, from `credbank trust export`: a sealed
checkpoint and proofs, so issuer, anchoring, revocation and suspension are all checked
offline "as of" the checkpoint). --pin names the chain id and Clique signer set to trust
(`credbank trust pin`); without it a bundle's own signer set is used and every chain check
says "signer set not pinned". --online checks against the latest block of RPC_URL instead,
verifying its header seal and every proof; it needs the registry from a bundle or the pin.

Exit 0 when every file verifies, 1 when any does not (chain evidence that fails to verify
makes the chain checks `error`), 2 for usage errors or input that cannot be read (missing,
oversize, not UTF-8, malformed JSON, duplicate member names, a PDF without credential.json, a
malformed trust or pin file).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence

from . import jsonio, pdf, timefmt, verdict
from .errors import CredentialError, CredentialFormatError, TrustListError
from .evidence import bundle as bundles
from .evidence import online
from .evidence.bundle import NOT_PINNED, ChainEvidence, RejectedEvidence, SignerPin
from .evidence.errors import BundleFormatError, EvidenceError
from .model import Status, VerificationResult
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
    p.add_argument("--trust", metavar="TRUST.json",
                   help="trust list (issuers and keys) or trust bundle (chain evidence)")
    p.add_argument("--pin", metavar="PIN.json",
                   help="pinned chain id and Clique signer set (from credbank trust pin)")
    p.add_argument("--online", metavar="RPC_URL",
                   help="check against the latest block of this node, verifying every proof")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.add_argument("--at", metavar="DATETIME",
                   help="check expiry as of this time (default: now)")
    return p


def _human(name: str, result: VerificationResult) -> str:
    lines = [f"{verdict.headline(result)}  {name}"]
    for check in result.checks:
        lines.append(f"  {_MARK[check.status]} {check.id:<17} {check.detail}")
    if result.verified:
        unchecked = verdict.skipped(result)
        if "issuer_trusted" in unchecked:
            lines.append("  note: the issuer was not checked against a trust list (use --trust)")
        if "not_revoked" in unchecked:
            lines.append("  note: revocation and suspension were not checked (no chain evidence)")
        elif any(c.detail.endswith(NOT_PINNED + ")") for c in result.checks):
            lines.append("  note: the chain's signer set was not pinned (use --pin); the "
                         "evidence is only as good as whoever made the bundle")
    return "\n".join(lines)


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
            return online.fetch_evidence(rpc_url, registry, pin=pin, names=names)
        if bundle is not None:
            return bundles.verify_bundle(bundle, pin)
    except BundleFormatError:
        raise
    except EvidenceError as exc:
        return RejectedEvidence(str(exc))
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    trust: TrustList | None = None
    bundle: bundles.TrustBundle | None = None
    try:
        if args.trust:
            loaded = _read_trust(args.trust)
            if isinstance(loaded, TrustList):
                trust = loaded
            else:
                bundle = loaded
        pin = bundles.load_pin(args.pin) if args.pin else None
        now = timefmt.parse(args.at, "--at") if args.at else None
        evidence = _evidence(bundle, pin, args.online)
    except (TrustListError, CredentialFormatError, BundleFormatError) as exc:
        print(f"credbank-verify: {exc}", file=sys.stderr)
        return 2
    worst = 0
    for name, load in _inputs(args.files):
        try:
            result = verify(load(), trust=trust, evidence=evidence, now=now)
        except CredentialError as exc:
            worst = 2
            if args.json:
                print(json.dumps({"file": name, "verified": False, "checks": [
                    {"id": "format", "status": "error", "detail": str(exc)}]},
                    ensure_ascii=False))
            else:
                print(f"credbank-verify: {name}: {exc}", file=sys.stderr)
            continue
        if not result.verified:
            worst = max(worst, 1)
        if args.json:
            print(json.dumps(result.to_json(name), ensure_ascii=False))
        else:
            print(_human(name, result))
    return worst


if __name__ == "__main__":
    sys.exit(main())
