"""The LMDB store: staged writes become durable in one commit, or not at all."""

from __future__ import annotations

import pytest

from ledger.node.store import ChainStore


def test_writes_are_staged_until_commit(tmp_path) -> None:
    store = ChainStore(tmp_path / "db")
    store[b"block"] = b"one"
    assert store[b"block"] == b"one" and store.has_staged_writes
    store.close()

    reopened = ChainStore(tmp_path / "db")
    assert b"block" not in reopened  # never committed: gone after a restart
    reopened[b"block"] = b"one"
    reopened.commit()
    reopened.close()
    assert ChainStore(tmp_path / "db")[b"block"] == b"one"


def test_discard_returns_to_the_last_commit(tmp_path) -> None:
    store = ChainStore(tmp_path / "db")
    store[b"head"] = b"1"
    store.commit()
    store[b"head"] = b"2"
    store[b"node"] = b"x"
    del store[b"head"]
    assert b"head" not in store
    store.discard()
    assert store[b"head"] == b"1" and b"node" not in store
    with pytest.raises(KeyError):
        store[b"node"]


def test_deletes_are_committed_too(tmp_path) -> None:
    store = ChainStore(tmp_path / "db")
    store[b"k"] = b"v"
    store.commit()
    del store[b"k"]
    store.commit()
    with pytest.raises(KeyError):
        del store[b"k"]
    store.close()
    assert b"k" not in ChainStore(tmp_path / "db")


def test_a_failed_atomic_batch_leaves_nothing_behind(tmp_path) -> None:
    store = ChainStore(tmp_path / "db")
    with pytest.raises(RuntimeError), store.atomic_batch() as batch:
        batch[b"a"] = b"1"
        raise RuntimeError("interrupted")
    assert b"a" not in store
    with store.atomic_batch() as batch:
        batch[b"a"] = b"1"
    assert store[b"a"] == b"1"
