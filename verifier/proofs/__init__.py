"""The two proofs of a credbank credential: the interop proof and the ledger proof."""
