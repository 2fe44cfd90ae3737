"""Files replaced at once: a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: str | bytes, *, mode: int = 0o644,
                 durable: bool = True) -> int:
    """Replace ``path`` with ``data`` (text is written as UTF-8) by a rename in its folder.

    The folder is created when missing. ``mode`` applies to a new file from its creation
    (0o600 for keys: never readable by others, not even for a moment). With ``durable``
    the bytes reach the disk before the rename. Returns the number of bytes written.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return len(payload)
