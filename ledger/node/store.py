"""The node's persistent key-value store: py-evm's ``AtomicDatabaseAPI`` on LMDB.

py-evm ships only in-memory databases. This backend keeps every write of the block being
sealed in a staging map and writes the whole map to LMDB in **one write transaction** when
the node calls :meth:`ChainStore.commit` after sealing. LMDB commits are atomic and, with
``sync=True``, durable when ``commit`` returns: after a crash the file holds either the
whole block (state trie nodes, body, receipts, canonical head pointer) or none of it.

py-evm's own ``atomic_batch()`` is honoured too: a batch lands in the staging map in one
piece or not at all, so py-evm's invariants hold inside a block as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lmdb
from eth.abc import AtomicWriteBatchAPI
from eth.db.atomic import AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB

# LMDB reserves address space, not disk: the file grows with the data. 1 TiB of address
# space is free on 64-bit Linux and means the map never has to be resized while running.
DEFAULT_MAP_SIZE = 1 << 40

# A deleted key in the staging map (py-evm rarely deletes, but it may).
_DELETED = None


class ChainStore(BaseAtomicDB):
    """An LMDB environment seen as py-evm's atomic database, committed block by block."""

    def __init__(self, path: Path, *, map_size: int = DEFAULT_MAP_SIZE, sync: bool = True):
        path.mkdir(parents=True, exist_ok=True)
        self._env = lmdb.open(
            str(path),
            map_size=map_size,
            subdir=True,
            # fsync on every commit: a receipt handed to a client must survive power loss.
            sync=sync,
            metasync=sync,
            # The chain is read in small random lookups (trie nodes); read-ahead wastes I/O.
            readahead=False,
            max_dbs=0,
        )
        self._staged: dict[bytes, bytes | None] = {}

    # -- reads: staged writes first, then the last committed block --------------------

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._staged:
            value = self._staged[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        with self._env.begin(buffers=False) as txn:
            stored = txn.get(key)
        if stored is None:
            raise KeyError(key)
        return stored

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    # -- writes: staged until commit ---------------------------------------------------

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._staged[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._staged[key] = _DELETED

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        with AtomicDBWriteBatch._commit_unless_raises(self) as batch:
            yield batch

    @property
    def has_staged_writes(self) -> bool:
        return bool(self._staged)

    def commit(self) -> None:
        """Write every staged change in one durable LMDB transaction."""
        if not self._staged:
            return
        with self._env.begin(write=True) as txn:
            for key, value in self._staged.items():
                if value is _DELETED:
                    txn.delete(key)
                else:
                    txn.put(key, value)
        # Only once LMDB has committed (and synced) do staged writes stop being staged.
        self._staged = {}

    def flush(self) -> None:
        """Force committed transactions to disk (for stores opened with ``sync=False``)."""
        self._env.sync(True)

    def discard(self) -> None:
        """Forget every staged change: the store is back at its last commit."""
        self._staged = {}

    def close(self) -> None:
        self._env.close()


def store_exists(path: Path) -> bool:
    return (path / "data.mdb").exists() and os.path.getsize(path / "data.mdb") > 0
