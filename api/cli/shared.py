"""What several command modules use: option types, dateTime options, JSON and --json output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ledger.errors import InputError
from ledger.files import write_atomic
from verifier import timefmt
from verifier.errors import CredentialFormatError

err = Console(stderr=True)  # progress bars and notes for people; results go to stdout

IssuerDir = Annotated[Path, typer.Option("--issuer", "-i", help="issuer directory")]
ChainFile = Annotated[Path, typer.Option("--chain", help="chain file written by chain deploy")]
GovernorKey = Annotated[Path, typer.Option("--governor-key",
                        help="file holding a governor's Ethereum private key (hex)")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def write_json(data: Any, out: Path | None) -> None:
    """Indented JSON to ``out`` (replaced at once, its directory made if need be), or to
    stdout."""
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        write_atomic(out, text)


def emit(summary: dict[str, Any], line: str, as_json: bool) -> None:
    """A command's result: ``summary`` on one line with --json, else the line for people."""
    print(json.dumps(summary, ensure_ascii=False) if as_json else line)


def timestamp(value: str | None, option: str) -> int | None:
    """Unix seconds of a dateTime option, None when the option was not given."""
    if value is None:
        return None
    try:
        return int(timefmt.parse(value, option).timestamp())
    except CredentialFormatError:
        raise InputError(f"{option} must be a dateTime like 2026-09-01T00:00:00Z") from None
