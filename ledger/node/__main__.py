"""``python -m ledger.node``: the node's command line without the main CLI."""

from .cli import main

main()
