"""credbank service: API, database, anchoring worker, pages and the credbank CLI."""
