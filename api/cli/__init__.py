"""The `credbank` command line: issuer identities, issuing, deriving copies, trust files.

Every command exits 0 on success and 2 with one line on stderr when its input is wrong.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli import chain as chain_cli
from api.cli import service as service_cli
from ledger import ChainError, governance
from ledger.errors import InputError
from ledger.issuance import (
    IssuerError,
    IssuerIdentity,
    LearningRecord,
    issue_batch,
    issue_one,
    read_records,
)
from ledger.issuance.batch import count_records
from ledger.issuance.signing import single_batch
from ledger.node.cli import app as node_app
from verifier import CredentialError, derive_copy, jsonio

app = typer.Typer(
    name="credbank",
    help="credbank: issue, anchor and verify learning credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
issuer_app = typer.Typer(help="Create and inspect an institution's issuing identity.",
                         no_args_is_help=True)
trust_app = typer.Typer(help="Write trust files for offline verifiers.", no_args_is_help=True)
app.add_typer(issuer_app, name="issuer")
app.add_typer(trust_app, name="trust")
app.add_typer(node_app, name="node", help="Run the embedded permissioned chain node.")

err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


class CommandError(Exception):
    """A problem with what the user asked for; printed as one line, exit 2."""


def one_line_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CommandError, service_cli.ServiceCommandError, InputError, IssuerError,
                CredentialError, ChainError) as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or 'file'}: {exc.strerror}")

    return wrapper  # type: ignore[return-value]


def _fail(message: str) -> None:
    print(f"credbank: {message}", file=sys.stderr)
    raise typer.Exit(2)


def _write_json(data: Any, out: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


IssuerDir = Annotated[Path, typer.Option("--issuer", "-i", help="issuer directory")]


@issuer_app.command("create")
@one_line_errors
def issuer_create(
    directory: Annotated[Path, typer.Option("--dir", help="where to keep the identity")],
    name: Annotated[str, typer.Option(help="display name, e.g. '上海开放大学'")],
    did: Annotated[str | None, typer.Option(help="institution DID (default: did:key)")] = None,
) -> None:
    """Create an issuing identity: an Ed25519 key (file mode 0600) and its DID."""
    identity = IssuerIdentity.create(directory, name, did=did)
    print(identity.did)
    err.print(f"issuer [bold]{identity.name}[/] created in {directory}")


@issuer_app.command("show")
@one_line_errors
def issuer_show(directory: Annotated[Path, typer.Option("--dir")]) -> None:
    """Print the issuer's public profile (never its private keys)."""
    identity = IssuerIdentity.load(directory)
    _write_json(identity.trust_entry(), None)


@issuer_app.command("rotate-key")
@one_line_errors
def issuer_rotate_key(
    directory: Annotated[Path, typer.Option("--dir")],
    governor_key: Annotated[Path | None, typer.Option(
        help="a governor's key file: registers the rotation when the issuer is on chain")] = None,
) -> None:
    """Start signing with a new key; earlier keys stay valid for what they signed."""
    identity = IssuerIdentity.load(directory)
    print(governance.rotate_key(identity, governor_key))


@app.command("issue")
@one_line_errors
def issue(
    issuer: IssuerDir,
    source: Annotated[Path, typer.Argument(help="learning records: .json, .jsonl or .csv")],
    out: Annotated[Path | None, typer.Option("--out", "-o",
                   help="file for one credential; directory for a batch")] = None,
    no_anchor: Annotated[bool, typer.Option("--no-anchor", help="do not anchor now, even "
                         "though the issuer has a chain (see: credbank anchor)")] = False,
) -> None:
    """Issue credentials: one from a .json object, or a batch (one batch root) from .jsonl,
    .csv or a .json array.

    One credential goes to --out FILE or stdout; a batch needs --out DIR. When the issuer
    has a chain, the credentials name its registry and are anchored unless --no-anchor.
    """
    identity = IssuerIdentity.load(issuer)
    status_registry = governance.status_registry(identity)
    anchoring = status_registry is not None and not no_anchor
    single = _single_record(source)
    if single is not None:
        with identity.reserve_status_indices() as indices:
            credential, root = issue_one(single, identity, status_index=indices.take(),
                                         status_registry=status_registry)
        credential = single_batch(credential, root)
        try:
            if anchoring:
                chain_cli.anchor_issued(identity, credential)
        finally:  # issued is issued: written out even when anchoring fails
            _write_json(credential, out)
        return
    if out is None:
        raise CommandError("a batch needs --out DIR")
    total = count_records(source)
    with Progress(TextColumn("issuing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("issue", total=total)
        result = issue_batch(read_records(source), identity, out,
                             status_registry=status_registry,
                             on_progress=lambda n: progress.update(task, completed=n))
    manifest = result.manifest
    if anchoring:
        try:
            manifest = {**manifest, "anchor": chain_cli.anchor_issued(identity, out)}
        except ChainError as exc:
            raise CommandError(f"{result.count} credentials issued in {out} but not anchored: "
                               f"{exc}; anchor them with: credbank anchor --issuer {issuer} "
                               f"{out}") from None
    print(json.dumps(manifest, ensure_ascii=False))
    err.print(f"{result.count} credentials in {out}, batch root {result.manifest['batchRoot']}")


def _single_record(source: Path) -> LearningRecord | None:
    if source.suffix.lower() != ".json":
        return None
    raw = jsonio.load_path(source, max_bytes=1 << 20) if source.stat().st_size < (1 << 20) \
        else None
    if isinstance(raw, dict):
        return LearningRecord.from_json(raw, source.name)
    return None


@app.command("derive")
@one_line_errors
def derive(
    credential: Annotated[Path, typer.Argument(help="the learner's full copy")],
    reveal: Annotated[list[str], typer.Option("--reveal", "-r",
                      help="JSON pointer to disclose (repeatable); mandatory claims always are")],
    out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
) -> None:
    """Derive a copy that discloses only the chosen fields."""
    full = jsonio.load_path(credential)
    _write_json(derive_copy(full, reveal), out)


@trust_app.command("write")
@one_line_errors
def trust_write(
    issuers: Annotated[list[Path], typer.Option("--issuer", "-i", help="issuer directory")],
    out: Annotated[Path, typer.Option("--out", "-o")],
) -> None:
    """Write a trust file naming these issuers and their keys' validity windows."""
    entries = [IssuerIdentity.load(d).trust_entry() for d in issuers]
    _write_json({"type": "CredbankTrustList", "version": 1, "issuers": entries}, out)
    err.print(f"trust file for {len(entries)} issuer(s) written to {out}")


@trust_app.command("export")
@one_line_errors
def trust_export(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node of the chain")],
    registry: Annotated[str, typer.Option("--registry", help="CredentialRegistry address")],
    out: Annotated[Path, typer.Option("--out", "-o", help="bundle file; .gz to gzip it")],
) -> None:
    """Export a trust bundle: a sealed checkpoint and the proofs for offline checks."""
    from ledger.bundle import export_bundle, write_json

    document = export_bundle(rpc, registry)
    size = write_json(document, out)
    err.print(f"trust bundle at block {document['checkpoint']['number']}: "
              f"{len(document['issuers'])} issuer(s), {len(document['slots'])} words, "
              f"{len(document['nodes'])} nodes, {size:,} bytes written to {out}")


@trust_app.command("pin")
@one_line_errors
def trust_pin(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node of the chain")],
    out: Annotated[Path, typer.Option("--out", "-o")],
    registry: Annotated[str | None, typer.Option("--registry")] = None,
) -> None:
    """Write a pin file: the chain id and Clique signer set verifiers should trust."""
    from ledger.bundle import export_pin, write_json

    pin = export_pin(rpc, registry)
    write_json(pin, out)
    err.print(f"pinned chain {pin['chainId']} with {len(pin['signers'])} signer(s) in {out}; "
              "check the signers against the chain's genesis before handing it out")


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


@app.command("up")
@one_line_errors
def up(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="where everything is kept (default: $CREDBANK_DATA_DIR or "
        "./credbank-data)")] = None,
    demo_data: Annotated[bool, typer.Option("--demo", help="on first run: two accredited "
                         "institutions, learners and credentials")] = False,
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
    institutions with API keys, learning accounts and credentials. Keys and passwords are
    printed once, by the run that creates them.
    """
    from api.cli import stack

    for option, value in (("--port", port), ("--node-port", node_port)):
        if value is not None and not 0 <= value <= 65535:
            raise CommandError(f"{option} must be between 0 and 65535")
    # The settings file is DATA_DIR/credbank.toml of the data directory in use.
    with _data_dir_in_environment(data_dir):
        settings = service_cli.settings_for(data_dir, host=host, port=port)
    try:
        stack.run(settings, with_demo=demo_data, node_port=node_port,
                  say=lambda line: print(line, flush=True))
    except stack.UpError as exc:
        raise CommandError(str(exc)) from None


chain_cli.mount(app, issuer_app, one_line_errors)
service_cli.mount(app, one_line_errors)


def main(argv: list[str] | None = None) -> int:
    try:
        # Without standalone mode click returns the exit code of typer.Exit instead of
        # raising it, and lets usage errors through so they can be printed on one line.
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("credbank: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # empty when the help was shown for a bare command
            print(f"credbank: {message}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
