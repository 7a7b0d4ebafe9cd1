"""Finding dataset files: data dirs, the cache, and mirrors (all offline, through file:// URLs)."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from mnistlab.data import download
from mnistlab.data.download import cache_dir, fetch, locate_files
from mnistlab.data.idx import read_idx, write_idx
from mnistlab.data.sources import (
    KNOWN_DATASETS,
    SPLIT_KINDS,
    STANDARD_FILES,
    Checksum,
    Source,
    get_source,
)
from mnistlab.errors import MnistlabError

REAL_MNIST = Path(__file__).resolve().parents[2] / "shared/data/mnist"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Keep the cache in tmp_path and make any real network access fail loudly."""
    monkeypatch.setenv("MNISTLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MNISTLAB_DATA_DIR", raising=False)
    real_open = download._open_url

    def open_url(url, timeout):
        assert not url.startswith(("http:", "https:", "ftp:")), f"test tried the network: {url}"
        return real_open(url, timeout)

    monkeypatch.setattr(download, "_open_url", open_url)


def _write_dataset(folder: Path, seed: int = 0, gz: bool = True) -> dict[str, Path]:
    """Four small, valid IDX files under the standard names."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 12, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 6, dtype=np.uint8),
    }
    paths = {}
    for kind, array in arrays.items():
        name = STANDARD_FILES[kind] if gz else STANDARD_FILES[kind].removesuffix(".gz")
        paths[kind] = write_idx(folder / name, array, gzip=gz)
    return paths


def _source(good: dict[str, Path], mirrors: list[str]) -> Source:
    sums = {k: Checksum("sha256", hashlib.sha256(p.read_bytes()).hexdigest()) for k, p in good.items()}
    return Source(name="toy", files=dict(STANDARD_FILES), mirrors=tuple(mirrors), checksums=sums, classes=tuple("0123456789"))


def _url(folder: Path) -> str:
    return folder.as_uri() + "/"


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] if folder.exists() else []


def test_cache_dir_follows_mnistlab_home(tmp_path):
    assert cache_dir("mnist") == tmp_path / "home" / "datasets" / "mnist"


def test_falls_through_a_failing_mirror_in_order(tmp_path, monkeypatch):
    good = _write_dataset(tmp_path / "good")
    source = _source(good, [_url(tmp_path / "missing"), _url(tmp_path / "good")])
    tried = []
    inner = download._open_url
    monkeypatch.setattr(download, "_open_url", lambda url, timeout: (tried.append(url), inner(url, timeout))[1])

    records = locate_files(source, progress=False)

    assert tried[:2] == [_url(tmp_path / "missing") + STANDARD_FILES["train_images"],
                         _url(tmp_path / "good") + STANDARD_FILES["train_images"]]
    assert len(tried) == 8  # every file tried the dead mirror first, then the good one
    for kind in SPLIT_KINDS:
        record = records[kind]
        assert record.path == cache_dir("toy") / STANDARD_FILES[kind]
        assert record.path.read_bytes() == good[kind].read_bytes()
        assert record.origin == "download" and record.verified
        assert record.url.startswith(_url(tmp_path / "good"))


def test_cached_files_are_used_without_the_network(tmp_path):
    good = _write_dataset(tmp_path / "good")
    fetch(_source(good, [_url(tmp_path / "good")]), progress=False)
    # Second time every mirror is dead: the verified cache is enough.
    records = locate_files(_source(good, [_url(tmp_path / "dead")]), progress=False)
    assert {r.origin for r in records.values()} == {"cache"}
    assert all(r.verified for r in records.values())


def test_wrong_checksum_never_lands_in_the_cache(tmp_path):
    good = _write_dataset(tmp_path / "good")
    _write_dataset(tmp_path / "evil", seed=1)  # same names, different bytes
    source = _source(good, [_url(tmp_path / "evil")])

    with pytest.raises(MnistlabError) as info:
        fetch(source, progress=False)

    message = str(info.value)
    assert "checksum mismatch" in message and _url(tmp_path / "evil") in message
    assert "--data-dir" in message and "MNISTLAB_DATA_DIR" in message
    folder = cache_dir("toy")
    assert not (folder / STANDARD_FILES["train_images"]).exists()
    assert _leftovers(folder) == []


def test_bad_mirror_then_good_mirror_gives_the_good_file(tmp_path):
    good = _write_dataset(tmp_path / "good")
    _write_dataset(tmp_path / "evil", seed=1)
    paths = fetch(_source(good, [_url(tmp_path / "evil"), _url(tmp_path / "good")]), progress=False)
    assert all(paths[k].read_bytes() == good[k].read_bytes() for k in SPLIT_KINDS)
    assert _leftovers(cache_dir("toy")) == []


def test_all_mirrors_failing_lists_every_url(tmp_path):
    good = _write_dataset(tmp_path / "good")
    mirrors = [_url(tmp_path / "a"), _url(tmp_path / "b"), "nonsense://host/"]
    with pytest.raises(MnistlabError) as info:
        fetch(_source(good, mirrors), progress=False)
    message = str(info.value)
    assert "\n" not in message
    assert message.index(mirrors[0]) < message.index(mirrors[1]) < message.index(mirrors[2])
    assert "train-images-idx3-ubyte.gz" in message


def test_a_corrupt_cached_file_is_replaced(tmp_path):
    good = _write_dataset(tmp_path / "good")
    source = _source(good, [_url(tmp_path / "good")])
    target = cache_dir("toy") / STANDARD_FILES["train_labels"]
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a download")
    records = locate_files(source, progress=False)
    assert records["train_labels"].origin == "download"
    assert target.read_bytes() == good["train_labels"].read_bytes()


def test_data_dir_is_read_and_verified(tmp_path):
    good = _write_dataset(tmp_path / "mine")
    source = _source(good, [_url(tmp_path / "dead")])
    records = locate_files(source, data_dir=tmp_path / "mine", progress=False)
    assert all(r.origin == "data-dir" and r.verified for r in records.values())
    assert records["test_images"].path == good["test_images"]
    assert not cache_dir("toy").exists()  # nothing downloaded or copied


def test_data_dir_from_the_environment_and_dataset_subfolder(tmp_path, monkeypatch):
    good = _write_dataset(tmp_path / "all" / "toy")
    monkeypatch.setenv("MNISTLAB_DATA_DIR", str(tmp_path / "all"))
    paths = fetch(_source(good, []), progress=False)
    assert paths == good


def test_data_dir_wrong_checksum_names_file_and_both_sums(tmp_path):
    good = _write_dataset(tmp_path / "good")
    _write_dataset(tmp_path / "other", seed=1)
    source = _source(good, [])
    with pytest.raises(MnistlabError) as info:
        fetch(source, data_dir=tmp_path / "other", progress=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    expected = source.checksums["train_images"].hexdigest
    actual = hashlib.sha256((tmp_path / "other" / STANDARD_FILES["train_images"]).read_bytes()).hexdigest()
    assert expected in message and actual in message


def test_uncompressed_files_in_data_dir_skip_the_checksum(tmp_path):
    good = _write_dataset(tmp_path / "good")
    raw = _write_dataset(tmp_path / "raw", gz=False)
    records = locate_files(_source(good, []), data_dir=tmp_path / "raw", progress=False)
    assert all(not r.verified and "uncompressed" in r.note for r in records.values())
    np.testing.assert_array_equal(read_idx(records["train_images"].path), read_idx(raw["train_images"]))


def test_data_dir_missing_file_says_where_and_how(tmp_path):
    good = _write_dataset(tmp_path / "good")
    source = _source(good, [])
    (tmp_path / "good" / STANDARD_FILES["test_labels"]).unlink()
    with pytest.raises(MnistlabError, match="t10k-labels-idx1-ubyte.gz.*not found"):
        fetch(source, data_dir=tmp_path / "good", progress=False)


def test_known_sources_carry_checksums_and_classes():
    assert KNOWN_DATASETS == ("mnist", "fashion-mnist", "kmnist")
    for name in KNOWN_DATASETS:
        source = get_source(name)
        assert set(source.checksums) == set(SPLIT_KINDS) and len(source.classes) == 10
        assert all(m.endswith("/") for m in source.mirrors)
    assert get_source("mnist").mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert get_source("mnist").checksums["train_images"].algorithm == "sha256"
    assert get_source("Fashion_MNIST").checksums["train_images"] == Checksum("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d")
    assert get_source("kmnist").classes[:4] == ("o", "ki", "su", "tsu")


def test_unknown_dataset_lists_the_choices():
    with pytest.raises(MnistlabError) as info:
        get_source("cifar10")
    message = str(info.value)
    assert all(name in message for name in KNOWN_DATASETS)
    assert "idx:DIR" in message and "folder:PATH" in message


def test_idx_spec_needs_an_existing_folder(tmp_path):
    with pytest.raises(MnistlabError, match="does not exist"):
        get_source(f"idx:{tmp_path / 'nope'}")
    assert get_source(f"idx:{tmp_path}").path == tmp_path


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason="real MNIST not in ../shared/data/mnist")
def test_real_mnist_checksums_verify():
    records = locate_files("mnist", data_dir=REAL_MNIST, progress=False)
    assert all(r.verified and r.checksum.algorithm == "sha256" for r in records.values())
    # The published SHA256SUMS agrees with the registry.
    published = dict(line.split()[::-1] for line in (REAL_MNIST / "SHA256SUMS").read_text().splitlines() if line)
    source = get_source("mnist")
    assert {source.files[k]: source.checksums[k].hexdigest for k in SPLIT_KINDS} == published
