"""credbank verifier: the credential format and every check on it, offline."""
