"""Atomic file writes: a file is either the old good one or the new good one, never half-written.

Every file mnistlab writes goes through `atomic_path` (write to a temp file in the same folder,
fsync, then `os.replace`, which is atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mnistlab.errors import MnistlabError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # flush to disk before the rename makes it visible
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except Exception as e:
        if _disk_full(e):  # the old file is untouched: say so in one line rather than a writer's traceback
            kept = f"the previous {path.name} is kept" if path.exists() else "nothing was written"
            raise MnistlabError(f"{path}: the disk is full (no space left on device); {kept}; "
                                "free some space and run the command again") from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _disk_full(e: BaseException) -> bool:
    """ENOSPC/EDQUOT as an OSError, or inside the text of a writer's own error (safetensors, PIL)."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(e)
    return "No space left on device" in text or "os error 28" in text or "Disk quota exceeded" in text


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")
