"""Read and write IDX files, the plain array format MNIST and its siblings ship in.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of dimensions),
one big-endian uint32 per dimension, then the values in C order, big-endian. The published files
are gzipped; we recognise gzip by its magic bytes rather than the file name, because users
rename files and browsers silently decompress them.

Every problem with a file is a `MnistlabError` whose one line names the file, says what is wrong
and how to fix it, because a corrupt download is the commonest way for training to go wrong.
"""

from __future__ import annotations

import contextlib
import gzip as _gzip
import hashlib
import math
import os
import zlib
from pathlib import Path

import numpy as np

from mnistlab.errors import MnistlabError
from mnistlab.i18n import Message
from mnistlab.files import atomic_path, write_bytes

# IDX dtype codes. Multi-byte types are big-endian on disk, as the format specifies.
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# The reverse map, keyed by (kind, itemsize) so any byte order of an input array finds its code.
_CODES = {(dt.kind, dt.itemsize): code for code, dt in DTYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"
_FIX = Message("data.idx_fix")  # the fix of every damaged-file error


def _shape_text(dims) -> str:
    return "x".join(str(d) for d in dims) if len(dims) else "a scalar"


def read_idx(path: str | os.PathLike, decoded_cache: str | os.PathLike | None = None) -> np.ndarray:
    """Return the array stored in the IDX file at `path` (gzipped or raw), in native byte order.

    The result is a fresh writable array (so `torch.from_numpy` can share it without warnings).
    With `decoded_cache` (a folder), a gzipped file is decompressed once: its array is kept there as
    `<sha256 of the gzip bytes>.npy` and read back next time (MNIST's training images: 0.25 s of
    decompression become 0.02 s). A file whose bytes change gets a new key; the cache is never trusted
    for a different file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MnistlabError("data.idx_not_found", path=path) from None
    except OSError as e:
        raise MnistlabError("data.unreadable", path=path, error=e.strerror or e) from None
    if decoded_cache is None or raw[:2] != _GZIP_MAGIC:
        return _decode(path, raw)
    cached = Path(decoded_cache) / f"{hashlib.sha256(raw).hexdigest()[:32]}.npy"
    try:
        return np.load(cached, allow_pickle=False)
    except (OSError, ValueError, EOFError):  # not cached yet, or a damaged cache file: decode, and (re)write it
        pass
    array = _decode(path, raw)
    with contextlib.suppress(OSError, MnistlabError):  # a cache that cannot be written (read-only, full) is no error
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as tmp, open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)
    return array


def _decode(path: Path, raw: bytes) -> np.ndarray:
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = _gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            # EOFError: the gzip stream stops early (an interrupted download).
            raise MnistlabError("data.idx_gzip", path=path, error=e, fix=_FIX) from None

    if len(raw) < 4:
        raise MnistlabError("data.idx_too_short", path=path, size=len(raw), fix=_FIX)
    if raw[0] != 0 or raw[1] != 0:
        raise MnistlabError("data.idx_magic", path=path, magic=raw[:2].hex())
    code, ndim = raw[2], raw[3]
    if code not in DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in DTYPES)
        raise MnistlabError("data.idx_dtype", path=path, code=f"0x{code:02X}", valid=valid, fix=_FIX)
    if ndim == 0:
        raise MnistlabError("data.idx_no_dims", path=path, fix=_FIX)

    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise MnistlabError("data.idx_header_truncated", path=path, ndim=ndim, size=len(raw), fix=_FIX)
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    actual = len(raw) - header_len
    if actual < expected:
        raise MnistlabError("data.idx_truncated", path=path, shape=_shape_text(dims), expected=expected, actual=actual,
                            fix=_FIX)
    if actual > expected:
        raise MnistlabError("data.idx_trailing", path=path, extra=actual - expected, shape=_shape_text(dims),
                            expected=expected, actual=actual, fix=_FIX)

    array = np.frombuffer(raw, dtype=dtype, count=math.prod(dims), offset=header_len).reshape(dims)
    # astype copies into native order: torch refuses big-endian arrays, and a copy is writable.
    return array.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array, gzip: bool = True) -> Path:
    """Write `array` to `path` as IDX (gzipped when `gzip`), atomically; return the path.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (what the format can hold).
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        names = "uint8, int8, int16, int32, float32, float64"
        raise MnistlabError("data.idx_cannot_store", path=path, dtype=array.dtype, names=names)
    if not 1 <= array.ndim <= 255:
        raise MnistlabError("data.idx_ndim", path=path, ndim=array.ndim)
    if any(d >= 2**32 for d in array.shape):
        raise MnistlabError("data.idx_dim_too_big", path=path, shape=array.shape)

    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
    data = header + body
    if gzip:
        # mtime=0 keeps the output byte-identical for identical arrays (stable checksums).
        data = _gzip.compress(data, compresslevel=6, mtime=0)
    write_bytes(path, data)
    return path
