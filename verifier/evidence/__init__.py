"""Chain evidence for offline checks: sealed headers, trie proofs and trust bundles."""
