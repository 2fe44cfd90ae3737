"""Files replaced at once: a reader sees the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def replacing(path: str | Path, *, mode: int = 0o644, durable: bool = True
              ) -> Iterator[BinaryIO]:
    """A binary handle whose bytes replace ``path`` when the block ends without an error.

    For content written piece by piece (a large file rewritten line by line); the bytes go
    to a temporary file in the same folder, renamed over ``path`` at the end. On an error
    the temporary file is removed and ``path`` is left as it was. The folder is created
    when missing. ``mode`` applies to a new file from its creation (0o600 for keys: never
    readable by others, not even for a moment). With ``durable`` the bytes reach the disk
    before the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: str | bytes, *, mode: int = 0o644,
                 durable: bool = True) -> int:
    """Replace ``path`` with ``data`` (text is written as UTF-8) by a rename in its folder,
    as :func:`replacing` does. Returns the number of bytes written."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with replacing(path, mode=mode, durable=durable) as handle:
        handle.write(payload)
    return len(payload)
