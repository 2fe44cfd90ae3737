"""``credbank trust ...``: what offline verifiers trust — issuers, a chain's evidence, its signers.

    credbank trust write --issuer DIR... --out trust.json
    credbank trust export --rpc URL --registry ADDR --out bundle.json[.gz]
    credbank trust pin --rpc URL [--registry ADDR] --out pin.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.shared import err, write_json
from ledger.issuance import IssuerIdentity

app = typer.Typer(help="Write trust files for offline verifiers.", no_args_is_help=True)


@app.command("write")
def write(
    issuers: Annotated[list[Path], typer.Option("--issuer", "-i", help="issuer directory")],
    out: Annotated[Path, typer.Option("--out", "-o")],
) -> None:
    """Write a trust file naming these issuers and their keys' validity windows."""
    entries = [IssuerIdentity.load(d).trust_entry() for d in issuers]
    write_json({"type": "CredbankTrustList", "version": 1, "issuers": entries}, out)
    err.print(f"trust file for {len(entries)} issuer(s) written to {out}")


@app.command("export")
def export(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node of the chain")],
    registry: Annotated[str, typer.Option("--registry", help="CredentialRegistry address")],
    out: Annotated[Path, typer.Option("--out", "-o", help="bundle file; .gz to gzip it")],
) -> None:
    """Export a trust bundle: a sealed checkpoint and the proofs for offline checks."""
    from ledger.bundle import export_bundle
    from ledger.bundle import write_json as write_bundle

    document = export_bundle(rpc, registry)
    size = write_bundle(document, out)
    err.print(f"trust bundle at block {document['checkpoint']['number']}: "
              f"{len(document['issuers'])} issuer(s), {len(document['slots'])} words, "
              f"{len(document['nodes'])} nodes, {size:,} bytes written to {out}")


@app.command("pin")
def pin(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node of the chain")],
    out: Annotated[Path, typer.Option("--out", "-o")],
    registry: Annotated[str | None, typer.Option("--registry")] = None,
) -> None:
    """Write a pin file: the chain id and Clique signer set verifiers should trust."""
    from ledger.bundle import export_pin
    from ledger.bundle import write_json as write_pin

    document = export_pin(rpc, registry)
    write_pin(document, out)
    err.print(f"pinned chain {document['chainId']} with {len(document['signers'])} signer(s) "
              f"in {out}; check the signers against the chain's genesis before handing it out")
