"""``credbank trust ...``: what offline verifiers trust — issuers, a chain's evidence, its signers.

    credbank trust write --issuer DIR... --out trust.json
    credbank trust export --rpc URL --registry ADDR --out bundle.json[.gz]
                          [--authority NAME] [--did DID...]
    credbank trust pin --rpc URL [--registry ADDR] [--out pin.json]

``trust pin`` always stores the pin in the user's configuration directory
(``$XDG_CONFIG_HOME/credbank/pin.json``, by default ``~/.config/credbank/pin.json``), where
``credbank-verify`` finds it when it is given no ``--pin``; ``--out`` writes a copy to hand
out as well.
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
    authority: Annotated[str | None, typer.Option(
        "--authority", help="the registry's operator by name, for verifiers to show "
        "(information, not proof)")] = None,
    dids: Annotated[list[str] | None, typer.Option(
        "--did", help="also prove this DID's issuer word, so a verifier can show it has "
        "no record (repeatable)")] = None,
) -> None:
    """Export a trust bundle: a sealed checkpoint and the proofs for offline checks."""
    from ledger.bundle import export_bundle
    from ledger.bundle import write_json as write_bundle

    document = export_bundle(rpc, registry, authority=authority, dids=dids or ())
    size = write_bundle(document, out)
    err.print(f"trust bundle at block {document['checkpoint']['number']}: "
              f"{len(document['issuers'])} issuer(s), {len(document['slots'])} words, "
              f"{len(document.get('statusEvents', []))} status event(s), "
              f"{len(document['nodes'])} nodes, {size:,} bytes written to {out}")


@app.command("pin")
def pin(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of a node of the chain")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="also write the pin here, to hand out")] = None,
    registry: Annotated[str | None, typer.Option("--registry")] = None,
) -> None:
    """Pin the chain id and Clique signer set verifiers should trust.

    The pin is stored in your configuration directory, where credbank-verify uses it by
    default; --out writes a copy as well.
    """
    from ledger.bundle import export_pin
    from ledger.bundle import write_json as write_pin
    from verifier.evidence.bundle import stored_pin_path

    document = export_pin(rpc, registry)
    stored = stored_pin_path()
    previous = stored.read_bytes() if stored.is_file() else None
    write_pin(document, stored)
    if out is not None:
        write_pin(document, out)
    where = f"{stored}" + (f" and {out}" if out is not None else "")
    replaced = (" (replacing the pin stored before)" if previous is not None
                and previous != stored.read_bytes() else "")
    err.print(f"pinned chain {document['chainId']} with {len(document['signers'])} signer(s) "
              f"in {where}{replaced}; credbank-verify uses the stored pin when given no "
              "--pin. Check the signers against the chain's genesis before relying on them "
              "or handing them out")
