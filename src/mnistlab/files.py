"""Atomic file writes: a file is either the old good one or the new good one, never half-written.

Every file mnistlab writes goes through `atomic_path` (write to a temp file in the same folder,
fsync, then `os.replace`, which is atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mnistlab.errors import MnistlabError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600: the file gets what open() would have given it
            os.fchmod(fd, 0o666 & ~umask())
    finally:
        os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # flush to disk before the rename makes it visible
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except Exception as e:
        if _disk_full(e):  # the old file is untouched: say so in one line rather than a writer's traceback
            raise MnistlabError("files.disk_full" if path.exists() else "files.disk_full_nothing", path=path,
                                name=path.name) from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


STALE_SECONDS = 60.0  # a live write keeps its temp file's mtime fresh; a killed one leaves it behind


def remove_stale_temps(folder: Path, name: str = "*", min_age: float = STALE_SECONDS) -> list[Path]:
    """Delete the temp files (`.NAME.*.tmp`) that killed writes left in `folder` (older than `min_age` s)."""
    removed = []
    now = time.time()
    for tmp in folder.glob(f".{glob.escape(name) if name != '*' else '*'}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime >= min_age:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone already, or not ours to remove
            pass
    return removed


def _read_umask() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: the only way to read it is to set it (briefly)
    os.umask(mask)
    return mask


_UMASK_AT_START = _read_umask()


def umask() -> int:
    """The process's umask now (Linux), else the one it had when mnistlab was imported."""
    return _read_umask() if os.path.exists("/proc/self/status") else _UMASK_AT_START


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
