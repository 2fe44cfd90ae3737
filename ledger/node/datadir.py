"""The node's data directory: genesis, signer key, sender allow-list, chain database.

```
DIR/genesis.json     the genesis (shareable: no secrets)
DIR/signer.key       the Clique signer's private key, hex, file mode 0600
DIR/allowlist.json   the current sender allow-list (starts as the genesis list)
DIR/chain/           the LMDB chain database
DIR/node.lock        held (flock) by the running node: one node per directory
```
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from eth_keys import keys
from eth_typing import Address
from eth_utils import decode_hex, encode_hex, to_checksum_address

from .chain import DEFAULT_EPOCH_LENGTH, chain_class
from .errors import DataDirError, GenesisError
from .genesis import DEFAULT_GAS_LIMIT, DEFAULT_PERIOD, Account, Genesis, parse_address
from .store import ChainStore

GENESIS_FILE = "genesis.json"
KEY_FILE = "signer.key"
ALLOWLIST_FILE = "allowlist.json"
CHAIN_DIR = "chain"
LOCK_FILE = "node.lock"

DEFAULT_CHAIN_ID = 1337


@dataclass(frozen=True)
class DataDir:
    path: Path

    @property
    def genesis_path(self) -> Path:
        return self.path / GENESIS_FILE

    @property
    def key_path(self) -> Path:
        return self.path / KEY_FILE

    @property
    def allowlist_path(self) -> Path:
        return self.path / ALLOWLIST_FILE

    @property
    def chain_path(self) -> Path:
        return self.path / CHAIN_DIR

    def read_genesis(self) -> Genesis:
        try:
            text = self.genesis_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataDirError(
                f"{self.path} is not a node data directory (no {GENESIS_FILE}); "
                "run 'node init' first"
            ) from None
        return Genesis.loads(text)

    def read_signer_key(self) -> keys.PrivateKey:
        return read_key_file(self.key_path)

    # -- allow-list --------------------------------------------------------------------

    def read_allowlist(self) -> frozenset[Address]:
        try:
            doc = json.loads(self.allowlist_path.read_text(encoding="utf-8"))
            return frozenset(parse_address(a) for a in doc["senders"])
        except FileNotFoundError:
            return frozenset(self.read_genesis().sender_allowlist)
        except (ValueError, KeyError, TypeError, GenesisError) as exc:
            raise DataDirError(f"{self.allowlist_path} is damaged: {exc}") from exc

    def allowlist_mtime(self) -> float:
        try:
            return self.allowlist_path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def change_allowlist(self, add: Iterable[Address] = (), remove: Iterable[Address] = ()) -> None:
        """Add or remove senders; a running node picks the change up at its next transaction."""
        with _locked(self.path / (ALLOWLIST_FILE + ".lock")):
            senders = set(self.read_allowlist())
            senders.update(add)
            senders.difference_update(remove)
            doc = {"senders": sorted(to_checksum_address(a) for a in senders)}
            _write_atomically(self.allowlist_path, json.dumps(doc, indent=2) + "\n")

    # -- running node ------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the directory for one node process (or one import) at a time."""
        handle = open(self.path / LOCK_FILE, "a+")  # noqa: SIM115 - held for the block
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DataDirError(f"{self.path} is in use by another node process") from None
            yield
        finally:
            handle.close()


def read_key_file(path: Path) -> keys.PrivateKey:
    """Read a hex private key from a file (never from the command line)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise DataDirError(f"signer key file {path} not found") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise DataDirError(f"signer key file {path} is unreadable") from exc
    try:
        raw = decode_hex(text)
        if len(raw) != 32:
            raise ValueError
        return keys.PrivateKey(raw)
    except Exception:
        # The message must not echo the file's content: it may be a key.
        raise DataDirError(f"signer key file {path} does not hold a 32-byte hex key") from None


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def _locked(path: Path) -> Iterator[IO[str]]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield handle


def _write_key(path: Path, key: keys.PrivateKey) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(encode_hex(key.to_bytes()) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def init_data_dir(
    path: Path,
    *,
    chain_id: int = DEFAULT_CHAIN_ID,
    period: int = DEFAULT_PERIOD,
    gas_limit: int = DEFAULT_GAS_LIMIT,
    epoch_length: int = DEFAULT_EPOCH_LENGTH,
    alloc: Mapping[Address, int] | None = None,
    sender_allowlist: Iterable[Address] = (),
    signer_key_file: Path | None = None,
    timestamp: int | None = None,
) -> Genesis:
    """Create a data directory: signer key (generated or copied), genesis, genesis block.

    The signer key is generated with the OS's CSPRNG unless ``signer_key_file`` names a
    file holding one; either way it is written to ``DIR/signer.key`` with mode 0600.
    """
    path = Path(path)
    data_dir = DataDir(path)
    if data_dir.genesis_path.exists() or data_dir.chain_path.exists():
        raise DataDirError(f"{path} already holds a node; choose an empty directory")
    if signer_key_file is not None:
        signer_key = read_key_file(Path(signer_key_file))
    else:
        signer_key = keys.PrivateKey(os.urandom(32))
    genesis = Genesis(
        chain_id=chain_id,
        signers=(Address(signer_key.public_key.to_canonical_address()),),
        timestamp=int(time.time()) if timestamp is None else timestamp,
        period=period,
        epoch_length=epoch_length,
        gas_limit=gas_limit,
        alloc={address: Account(balance=wei) for address, wei in (alloc or {}).items()},
        sender_allowlist=tuple(dict.fromkeys(sender_allowlist)),
    )
    path.mkdir(parents=True, exist_ok=True)
    _write_key(data_dir.key_path, signer_key)
    write_genesis_block(data_dir.chain_path, genesis)
    _write_atomically(data_dir.genesis_path, genesis.dumps())
    return genesis


def write_genesis_block(chain_path: Path, genesis: Genesis) -> None:
    """Create the chain database holding only the genesis block."""
    store = ChainStore(chain_path)
    try:
        chain = chain_class(
            genesis.chain_id, period=genesis.period, epoch_length=genesis.epoch_length
        )
        chain.from_genesis(store, genesis.header_params(), genesis.genesis_state())
        store.commit()
    finally:
        store.close()
