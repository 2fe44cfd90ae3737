"""``credbank node ...``: create, run, export and import the embedded chain node.

The commands raise ``NodeError`` for bad input or an unusable data directory. Mounted in a
larger command line (``credbank node``), that command line reports them; on their own
(``python -m ledger.node``) they are one line on stderr, ``error: ...``, and exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_utils import to_checksum_address
from typer.core import TyperGroup

from .blockfile import export_chain, import_chain
from .datadir import DEFAULT_CHAIN_ID, DataDir, init_data_dir
from .errors import GenesisError, NodeError
from .genesis import DEFAULT_GAS_LIMIT, DEFAULT_PERIOD, parse_address
from .runner import run_node


class _NodeCommands(TyperGroup):
    """Prints a NodeError as one line and exits 2, unless mounted under another group."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NodeError as exc:
            if ctx.parent is not None:  # mounted: the enclosing command line reports it
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None


app = typer.Typer(
    help="The embedded permissioned chain node (py-evm, Clique proof of authority).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_NodeCommands,
)

DataDirOption = Annotated[
    Path, typer.Option("--data-dir", help="The node's data directory.", show_default=False)
]


@app.command()
def init(
    data_dir: DataDirOption,
    chain_id: Annotated[int, typer.Option(help="EIP-155 chain id.")] = DEFAULT_CHAIN_ID,
    period: Annotated[
        int, typer.Option(help="Clique block period in seconds (0: seal every transaction).")
    ] = DEFAULT_PERIOD,
    gas_limit: Annotated[int, typer.Option(help="Block gas limit.")] = DEFAULT_GAS_LIMIT,
    allow: Annotated[
        list[str] | None, typer.Option(help="Sender allowed to transact (repeatable).")
    ] = None,
    alloc: Annotated[
        list[str] | None,
        typer.Option(help="Pre-funded account ADDRESS=WEI (repeatable)."),
    ] = None,
    signer_key_file: Annotated[
        Path | None,
        typer.Option(help="File holding the signer's hex private key (default: generate)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Create a data directory: signer key, genesis and genesis block."""
    funded: dict[bytes, int] = {}
    for entry in alloc or []:
        address, _, wei = entry.partition("=")
        if not wei.isdigit():
            raise GenesisError(f"--alloc expects ADDRESS=WEI, got {entry!r}")
        funded[parse_address(address)] = int(wei)
    genesis = init_data_dir(
        data_dir,
        chain_id=chain_id,
        period=period,
        gas_limit=gas_limit,
        alloc=funded,
        sender_allowlist=[parse_address(a) for a in allow or []],
        signer_key_file=signer_key_file,
    )
    summary = {
        "dataDir": str(data_dir),
        "chainId": genesis.chain_id,
        "signers": [to_checksum_address(s) for s in genesis.signers],
        "senderAllowlist": [to_checksum_address(a) for a in genesis.sender_allowlist],
        "period": genesis.period,
        "gasLimit": genesis.gas_limit,
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"initialised {data_dir}: chain {genesis.chain_id}, "
            f"signer {summary['signers'][0]}, {len(genesis.sender_allowlist)} allowed sender(s)"
        )


@app.command()
def run(
    data_dir: DataDirOption,
    rpc: Annotated[
        str, typer.Option(help="HOST:PORT for JSON-RPC over HTTP (port 0: any free port).")
    ] = "127.0.0.1:8545",
    full_extra_data: Annotated[
        bool,
        typer.Option(
            help="Report the whole sealed extraData in blocks, as Besu does (web3.py then "
            "needs its proof-of-authority middleware)."
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "INFO",
) -> None:
    """Seal blocks and serve JSON-RPC until interrupted."""
    host, _, port_text = rpc.rpartition(":")
    if not host or not port_text.isdigit() or int(port_text) > 65535:
        raise NodeError(f"--rpc expects HOST:PORT, got {rpc!r}")
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )

    def ready(url: str) -> None:
        # One line on stdout so scripts (and tests) learn the port chosen for port 0.
        typer.echo(f"rpc listening on {url}")
        sys.stdout.flush()

    try:
        run_node(
            data_dir,
            host=host.strip("[]"),
            port=int(port_text),
            full_extra_data=full_extra_data,
            on_ready=ready,
        )
    except OSError as exc:
        raise NodeError(f"cannot serve on {rpc}: {exc.strerror}") from None


@app.command("export")
def export_command(
    data_dir: DataDirOption,
    out: Annotated[Path, typer.Option("--out", help="Block file to write.")],
    first: Annotated[int, typer.Option("--from", help="First block.")] = 1,
    last: Annotated[int | None, typer.Option("--to", help="Last block (default: head).")] = None,
) -> None:
    """Write the chain as concatenated RLP blocks (geth export format, no genesis)."""
    count = export_chain(data_dir, out, first=first, last=last)
    typer.echo(f"exported {count} block(s) to {out}")


@app.command("import")
def import_command(
    data_dir: DataDirOption,
    block_file: Annotated[Path, typer.Argument(help="Block file (concatenated RLP blocks).")],
) -> None:
    """Replay a block file into this node, validating every seal and state root."""
    count = import_chain(data_dir, block_file)
    typer.echo(f"imported {count} block(s)")


@app.command()
def allow(
    data_dir: DataDirOption,
    addresses: Annotated[list[str], typer.Argument(help="Sender address(es) to allow.")],
) -> None:
    """Allow senders to transact (a running node applies it from its next transaction)."""
    DataDir(data_dir).read_genesis()
    DataDir(data_dir).change_allowlist(add=[parse_address(a) for a in addresses])
    typer.echo(f"allowed {len(addresses)} sender(s)")


@app.command()
def deny(
    data_dir: DataDirOption,
    addresses: Annotated[list[str], typer.Argument(help="Sender address(es) to refuse.")],
) -> None:
    """Remove senders from the allow-list (a running node applies it from its next transaction)."""
    DataDir(data_dir).read_genesis()
    DataDir(data_dir).change_allowlist(remove=[parse_address(a) for a in addresses])
    typer.echo(f"denied {len(addresses)} sender(s)")


def main() -> None:
    app(prog_name="credbank node")
