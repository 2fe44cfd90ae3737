"""``credbank node ...``: create, run, export and import the embedded chain node.

Exit codes: 0 ok, 2 bad input or unusable data directory (one line on stderr).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from eth_utils import to_checksum_address

from .blockfile import export_chain, import_chain
from .datadir import DEFAULT_CHAIN_ID, DataDir, init_data_dir
from .errors import NodeError
from .genesis import DEFAULT_GAS_LIMIT, DEFAULT_PERIOD, parse_address
from .runner import run_node

app = typer.Typer(
    help="The embedded permissioned chain node (py-evm, Clique proof of authority).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDirOption = Annotated[
    Path, typer.Option("--data-dir", help="The node's data directory.", show_default=False)
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _addresses(values: list[str]) -> list[bytes]:
    try:
        return [parse_address(v) for v in values]
    except NodeError as exc:
        _fail(str(exc))


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
            _fail(f"--alloc expects ADDRESS=WEI, got {entry!r}")
        (funded_address,) = _addresses([address])
        funded[funded_address] = int(wei)
    try:
        genesis = init_data_dir(
            data_dir,
            chain_id=chain_id,
            period=period,
            gas_limit=gas_limit,
            alloc=funded,
            sender_allowlist=_addresses(allow or []),
            signer_key_file=signer_key_file,
        )
    except NodeError as exc:
        _fail(str(exc))
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
        _fail(f"--rpc expects HOST:PORT, got {rpc!r}")
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
    except NodeError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot serve on {rpc}: {exc.strerror}")


@app.command("export")
def export_command(
    data_dir: DataDirOption,
    out: Annotated[Path, typer.Option("--out", help="Block file to write.")],
    first: Annotated[int, typer.Option("--from", help="First block.")] = 1,
    last: Annotated[int | None, typer.Option("--to", help="Last block (default: head).")] = None,
) -> None:
    """Write the chain as concatenated RLP blocks (geth export format, no genesis)."""
    try:
        count = export_chain(data_dir, out, first=first, last=last)
    except NodeError as exc:
        _fail(str(exc))
    typer.echo(f"exported {count} block(s) to {out}")


@app.command("import")
def import_command(
    data_dir: DataDirOption,
    block_file: Annotated[Path, typer.Argument(help="Block file (concatenated RLP blocks).")],
) -> None:
    """Replay a block file into this node, validating every seal and state root."""
    try:
        count = import_chain(data_dir, block_file)
    except NodeError as exc:
        _fail(str(exc))
    typer.echo(f"imported {count} block(s)")


@app.command()
def allow(
    data_dir: DataDirOption,
    addresses: Annotated[list[str], typer.Argument(help="Sender address(es) to allow.")],
) -> None:
    """Allow senders to transact (a running node applies it from its next transaction)."""
    try:
        DataDir(data_dir).read_genesis()
        DataDir(data_dir).change_allowlist(add=_addresses(addresses))
    except NodeError as exc:
        _fail(str(exc))
    typer.echo(f"allowed {len(addresses)} sender(s)")


@app.command()
def deny(
    data_dir: DataDirOption,
    addresses: Annotated[list[str], typer.Argument(help="Sender address(es) to refuse.")],
) -> None:
    """Remove senders from the allow-list (a running node applies it from its next transaction)."""
    try:
        DataDir(data_dir).read_genesis()
        DataDir(data_dir).change_allowlist(remove=_addresses(addresses))
    except NodeError as exc:
        _fail(str(exc))
    typer.echo(f"denied {len(addresses)} sender(s)")


def main() -> None:
    app(prog_name="credbank node")
