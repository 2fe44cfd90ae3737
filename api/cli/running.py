"""``credbank up``: the whole stack from one data directory (the runner is ``api.cli.stack``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api.cli.errors import CommandError
from api.cli.service import settings_for


@contextmanager
def _data_dir_in_environment(data_dir: Path | None) -> Iterator[None]:
    """CREDBANK_DATA_DIR set to ``data_dir`` for the block (where credbank.toml is read)."""
    if data_dir is None:
        yield
        return
    before = os.environ.get("CREDBANK_DATA_DIR")
    os.environ["CREDBANK_DATA_DIR"] = str(data_dir)
    try:
        yield
    finally:
        if before is None:
            del os.environ["CREDBANK_DATA_DIR"]
        else:
            os.environ["CREDBANK_DATA_DIR"] = before


def up(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="where everything is kept (default: $CREDBANK_DATA_DIR or "
        "./credbank-data)")] = None,
    demo_data: Annotated[bool, typer.Option("--demo", help="on first run: two accredited "
                         "institutions, learners and credentials, and the credit bank's "
                         "registry, a rule set and a decided application")] = False,
    host: Annotated[str | None, typer.Option(help="address the API listens on "
                    "(default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default 8600; 0: any free)")] = None,
    node_port: Annotated[int | None, typer.Option(
        help="the embedded node's JSON-RPC port on 127.0.0.1 (default: as last time, "
        "else 8545; 0: any free)")] = None,
) -> None:
    """Run the embedded chain node, the registry and the service (API, pages, anchoring
    worker) from one data directory, until Ctrl-C.

    The first run creates the node, the governor's chain account, the registry and a
    governor API key; later runs reuse them. With --demo, the first run also creates demo
    institutions with API keys, learning accounts and credentials, and the credit bank's
    part (its institution and credit_bank setting, a published framework, standards and rule
    set, one approved recognition application). Keys and passwords are printed once, by the
    run that creates them.
    """
    from api.cli import stack

    for option, value in (("--port", port), ("--node-port", node_port)):
        if value is not None and not 0 <= value <= 65535:
            raise CommandError(f"{option} must be between 0 and 65535")
    # The settings file is DATA_DIR/credbank.toml of the data directory in use.
    with _data_dir_in_environment(data_dir):
        settings = settings_for(data_dir, host=host, port=port)
    try:
        stack.run(settings, with_demo=demo_data, node_port=node_port,
                  say=lambda line: print(line, flush=True))
    except stack.UpError as exc:
        raise CommandError(str(exc)) from None
