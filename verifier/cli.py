"""credbank-verify: check credential files offline.

    credbank-verify FILE... [--trust TRUST.json] [--json] [--at DATETIME]

A FILE ending in .jsonl holds one credential a line; each is reported as FILE:LINE.

Exit 0 when every file verifies, 1 when any does not, 2 for usage errors or input that
cannot be read (missing, oversize, not UTF-8, malformed JSON, duplicate member names).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterator, Sequence

from . import jsonio, timefmt
from .errors import CredentialError, CredentialFormatError, TrustListError
from .model import Status, VerificationResult
from .trust import TrustList
from .trust import load as load_trust
from .verify import verify

_MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "–", Status.ERROR: "!"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"credbank-verify: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="credbank-verify", description="Verify credbank credentials offline.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="credential JSON files, .jsonl files (one a line), or '-' for stdin")
    p.add_argument("--trust", metavar="TRUST.json", help="trust list naming issuers and keys")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.add_argument("--at", metavar="DATETIME",
                   help="check expiry as of this time (default: now)")
    return p


def _human(name: str, result: VerificationResult) -> str:
    lines = [f"{'VERIFIED' if result.verified else 'NOT VERIFIED'}  {name}"]
    for check in result.checks:
        lines.append(f"  {_MARK[check.status]} {check.id:<17} {check.detail}")
    if result.verified:
        unchecked = [c.id for c in result.checks if c.status is Status.SKIPPED]
        if "issuer_trusted" in unchecked:
            lines.append("  note: the issuer was not checked against a trust list (use --trust)")
        if "not_revoked" in unchecked:
            lines.append("  note: revocation and suspension were not checked (no chain evidence)")
    return "\n".join(lines)


def _inputs(files: Sequence[str]) -> Iterator[tuple[str, Callable[[], object]]]:
    """(name, loader) per credential: a file, stdin ('-'), or each line of a .jsonl file."""
    for name in files:
        if name == "-":
            yield name, lambda: jsonio.loads(sys.stdin.buffer.read())
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


def _raise(message: str) -> object:
    raise CredentialFormatError(message)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    trust: TrustList | None = None
    try:
        if args.trust:
            trust = load_trust(args.trust)
        now = timefmt.parse(args.at, "--at") if args.at else None
    except (TrustListError, CredentialFormatError) as exc:
        print(f"credbank-verify: {exc}", file=sys.stderr)
        return 2
    worst = 0
    for name, load in _inputs(args.files):
        try:
            result = verify(load(), trust=trust, now=now)
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
