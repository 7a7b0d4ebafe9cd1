"""IDX reading and writing: every dtype round-trips, every kind of damage is a clear one-line error."""

import gzip
import struct

import numpy as np
import pytest
import torch

from mnistlab.data.idx import read_idx, write_idx
from mnistlab.errors import MnistlabError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _idx_bytes(code: int, dims: tuple[int, ...], body: bytes) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + body


def _assert_error(path, *fragments):
    with pytest.raises(MnistlabError) as info:
        read_idx(path)
    message = str(info.value)
    assert path.name in message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_every_dtype(tmp_path, dtype, compress):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((5, 3, 4)) * 100).astype(dtype)
    path = write_idx(tmp_path / "a.idx", array, gzip=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") is compress
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    assert back.shape == (5, 3, 4)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable and back.dtype.isnative
    assert list(tmp_path.iterdir()) == [path]  # the atomic write left no temp file


def test_multibyte_values_are_big_endian_on_disk(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.array([1, 258], dtype=np.int16), gzip=False)
    assert path.read_bytes() == bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x00, 0x01, 0x01, 0x02])


def test_reads_the_classic_layout_and_torch_accepts_it(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_bytes(0x08, (2, 28, 28), images.tobytes())))
    back = read_idx(path)
    np.testing.assert_array_equal(back, images)
    assert torch.from_numpy(back).shape == (2, 28, 28)


def test_write_idx_refuses_int64(tmp_path):
    with pytest.raises(MnistlabError, match="int64"):
        write_idx(tmp_path / "labels.idx", np.zeros(3, dtype=np.int64))
    assert not any(tmp_path.iterdir())


def test_bad_magic(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    _assert_error(path, "magic")


def test_bad_dtype_code(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(_idx_bytes(0x0A, (1,), b"\x00"))
    _assert_error(path, "dtype code 0x0A")


def test_zero_dimensions(tmp_path):
    path = tmp_path / "x-idx0"
    path.write_bytes(bytes([0, 0, 8, 0]))
    _assert_error(path, "0 dimensions")


def test_too_short_for_a_header(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(b"\x00\x00")
    _assert_error(path, "too short")


def test_truncated_dims(tmp_path):
    path = tmp_path / "x-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">I", 5))
    _assert_error(path, "truncated")


def test_truncated_body_gives_the_promised_and_actual_sizes(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_bytes(0x08, (60000, 28, 28), bytes(1200))))
    message = _assert_error(path, "truncated", "60000x28x28", "47040000 bytes", "only 1200 bytes")
    assert "download" in message  # the fix is part of the message


def test_trailing_bytes(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(_idx_bytes(0x0C, (2,), bytes(8 + 3)))
    _assert_error(path, "3 unexpected trailing bytes")


def test_corrupt_gzip(tmp_path):
    good = gzip.compress(_idx_bytes(0x08, (100,), bytes(range(100))))
    path = tmp_path / "labels.gz"
    path.write_bytes(good[:10] + b"garbage!" * 4 + good[10:])
    _assert_error(path, "gzip")


def test_gzip_cut_short(tmp_path):
    good = gzip.compress(_idx_bytes(0x08, (1000,), bytes(1000)))
    path = tmp_path / "labels.gz"
    path.write_bytes(good[: len(good) // 2])
    _assert_error(path, "gzip")


def test_missing_file(tmp_path):
    _assert_error(tmp_path / "nope.gz", "not found")


def test_decoded_cache_serves_the_same_array_and_survives_a_damaged_or_unwritable_cache(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "images.gz", images)
    cache = tmp_path / "decoded"
    first = read_idx(path, cache)  # decoded, and kept
    (kept,) = cache.glob("*.npy")
    assert np.array_equal(first, images) and np.array_equal(np.load(kept), images)
    assert np.array_equal(read_idx(path, cache), images)  # served from the cache

    kept.write_bytes(b"")  # a damaged cache file: decoded again and rewritten, not an error
    assert np.array_equal(read_idx(path, cache), images)
    assert np.array_equal(np.load(kept), images)

    write_idx(path, images[:10])  # the file changed: a new key, never the old array
    assert read_idx(path, cache).shape == (10, 28, 28)

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")  # cannot be written: no error either
    assert np.array_equal(read_idx(path, blocked), images[:10])
