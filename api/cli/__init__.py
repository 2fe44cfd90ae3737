"""The ``credbank`` command line, assembled from one module per command group.

    issuing   issue, derive, anchor, revoke, suspend, reinstate, revoke-batch
    running   up (the runner behind it is ``stack``, its demo data ``demo``)
    service   serve, and ``service ...``: the service's issuers, API keys, learning accounts
    issuers   issuer create | show | rotate-key | connect | accredit
    trust     trust write | export | pin
    node      node ...: the embedded chain node (``ledger.node.cli``)
    chain     chain new-key | deploy | suspend-, reinstate-, retire-issuer | set-window |
              propose-, approve-governor

Every command exits 0 on success; a failure is one line on stderr, with the exit code of
the rule in ``errors``. The help lists commands in the order they are added here.
"""

from __future__ import annotations

import typer

from api.cli import chain, errors, issuers, issuing, node, running, service, trust

app = typer.Typer(
    name="credbank",
    help="credbank: issue, anchor and verify learning credentials.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=errors.Guarded,
)
app.command("issue")(issuing.issue)
app.command("derive")(issuing.derive)
app.command("up")(running.up)
app.command("anchor")(issuing.anchor)
app.command("revoke")(issuing.revoke)
app.command("suspend")(issuing.suspend)
app.command("reinstate")(issuing.reinstate)
app.command("revoke-batch")(issuing.revoke_batch)
app.command("serve")(service.serve)
app.add_typer(issuers.app, name="issuer")
app.add_typer(trust.app, name="trust")
app.add_typer(node.app, name="node", help=node.HELP)
app.add_typer(chain.app, name="chain")
app.add_typer(service.app, name="service")


def main(argv: list[str] | None = None) -> int:
    """Run ``credbank`` with ``argv`` (default: the process's arguments); the exit code."""
    return errors.run(app, argv)
