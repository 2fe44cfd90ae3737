"""credbank contracts: Solidity sources and their compiled artifacts."""
