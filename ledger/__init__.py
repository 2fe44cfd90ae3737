"""credbank ledger: everything that touches a chain."""
