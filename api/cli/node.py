"""``credbank node ...``: the embedded chain node's commands (``ledger.node.cli``), mounted.

The node's commands raise their errors; under ``credbank`` they reach the same printer and
exit-code rule as every other command (``api.cli.errors``). On its own
(``python -m ledger.node``) the node's command line reports them itself.
"""

from __future__ import annotations

from ledger.node.cli import app

HELP = "Run the embedded permissioned chain node."

__all__ = ["HELP", "app"]
