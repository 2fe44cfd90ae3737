"""How every ``credbank`` command reports a failure: one line on stderr, one exit-code rule.

    credbank: <what went wrong>

| what failed                                                      | exit |
| ---------------------------------------------------------------- | ---- |
| bad input or a refusal: CommandError, ServiceError, InputError,  | 2    |
| IssuerError, CredentialError, ChainError, NodeError, OSError     |      |
| usage: unknown command or option, missing or malformed value     | 2    |
| aborted (Ctrl-C, end of input at a prompt)                       | 130  |

Any other exception is a bug and keeps its traceback. The commands raise; they never print
errors themselves. The root group (``Guarded``) turns a command's error into its line, so the
commands of ``credbank node`` (``ledger.node.cli``) report through here too when mounted.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from api.service.errors import ServiceError
from ledger import ChainError
from ledger.errors import InputError
from ledger.issuance import IssuerError
from ledger.node.errors import NodeError
from verifier import CredentialError

PREFIX = "credbank: "
BAD_INPUT = 2
ABORTED = 130


class CommandError(Exception):
    """A problem with what the user asked for that no lower layer names."""


DOMAIN_ERRORS = (CommandError, ServiceError, InputError, IssuerError, CredentialError,
                 ChainError, NodeError)


def say(message: str) -> None:
    """The printer: one line on stderr."""
    print(f"{PREFIX}{message}", file=sys.stderr)


def line_for(exc: BaseException) -> str | None:
    """The line reporting ``exc``, or None when it is not a failure the user can act on."""
    if isinstance(exc, DOMAIN_ERRORS):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or 'file'}: {exc.strerror}"
    return None


class Guarded(TyperGroup):
    """The root command group: an error a command raises becomes its line and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = line_for(exc)
            if line is None:
                raise
            say(line)
            raise typer.Exit(BAD_INPUT) from None


def run(app: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code; usage errors and aborts are printed
    here, the commands' own errors by ``Guarded``."""
    try:
        # Without standalone mode click returns the exit code of typer.Exit instead of
        # raising it, and lets usage errors through so they can be printed on one line.
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        say("aborted")
        return ABORTED
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # empty when the help was shown for a bare command
            say(message)
        return BAD_INPUT
    return code if isinstance(code, int) else 0
