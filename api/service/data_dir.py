"""Every file and folder of a data directory, named once (docs/operations.md).

    DATA_DIR/
      credbank.toml     settings (optional)
      credbank.db       the SQLite database, when no DATABASE_URL is set
      server.secret     the server's HMAC secret: learner keys, CSRF, link tokens (0600)
      chain.json        the chain the service anchors on (``credbank chain deploy``)
      governor.key      the authority's chain account, when the service holds one (0600)
      pin.json          the chain id and signer set verifiers should trust
      node/             the embedded chain node that ``credbank up`` runs
      issuers/SLUG/     each institution's issuing identity and keys
      demo.json         present once ``credbank up --demo`` finished its demo data
      demo-recognition/ the demo's decision credential, its sources and rule set (files
                        for ``credbank-verify``)
"""

from __future__ import annotations

CONFIG_FILE = "credbank.toml"
DATABASE_FILE = "credbank.db"
SECRET_FILE = "server.secret"
CHAIN_FILE = "chain.json"
GOVERNOR_KEY = "governor.key"
PIN_FILE = "pin.json"
NODE_DIR = "node"
ISSUERS_DIR = "issuers"
DEMO_MARK = "demo.json"
