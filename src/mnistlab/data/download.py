"""Find a dataset's four files: in the user's folder, in the cache, or by downloading them.

Order of preference:

1. `data_dir` (argument, else `$MNISTLAB_DATA_DIR`): the files are read from there (or from its
   sub-folder named after the dataset), under the standard names, `.gz` or uncompressed. Gzipped
   files are checked against the published checksum and a mismatch is an error. Uncompressed files
   are accepted without a checksum check, because the published checksums cover the `.gz` bytes;
   `read_idx` still validates their structure. Nothing is ever written to `data_dir`.
2. The cache, `$MNISTLAB_HOME/datasets/NAME` (default `~/.cache/mnistlab/datasets/NAME`): a cached
   file is used only if its checksum matches; otherwise it is downloaded again.
3. The mirrors, in order. Each download streams into a temp file beside the target, is hashed on
   the way, and is renamed into place only when the checksum matches (`atomic_path`), so the cache
   never holds a partial or wrong file, whatever interrupts us.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from mnistlab.data.sources import SPLIT_KINDS, Checksum, Source, get_source
from mnistlab.errors import MnistlabError
from mnistlab.i18n import Message, either
from mnistlab.files import atomic_path

DOWNLOAD_TIMEOUT = 30.0  # seconds without data before a mirror counts as dead
_CHUNK = 1 << 16
_USER_AGENT = "mnistlab/0.1 (+https://pypi.org/project/mnistlab/)"  # some mirrors refuse Python's default
_DATA_DIR_FIX = Message("data.data_dir_fix")


def mnistlab_home() -> Path:
    """`$MNISTLAB_HOME`, default `~/.cache/mnistlab`: everything mnistlab caches lives under it."""
    return Path(os.environ.get("MNISTLAB_HOME") or "~/.cache/mnistlab").expanduser()


def cache_dir(name: str | None = None) -> Path:
    """The download cache of dataset `name` (or the folder of all of them when `name` is None)."""
    root = mnistlab_home() / "datasets"
    return root / name if name else root


@dataclass(frozen=True)
class FileRecord:
    """Where one file was found and whether its checksum was verified (shown by `data info`)."""

    kind: str  # one of SPLIT_KINDS
    path: Path
    origin: str  # "cache", "download", "data-dir" or "idx-dir"
    checksum: Checksum | None  # the published one, None when nobody publishes one
    verified: bool
    url: str | None = None
    note: str = ""


def file_digest(path: str | os.PathLike, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class _BadDownload(Exception):
    """A mirror answered, but with the wrong bytes."""


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _open_url(url: str, timeout: float):
    # A seam for tests; file:// URLs work too, which is how the tests stay offline.
    return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": _USER_AGENT}), timeout=timeout)


def _download(url: str, dest: Path, checksum: Checksum | None, progress: bool, timeout: float) -> None:
    """Stream `url` into `dest` atomically; raise if it fails or its checksum is wrong."""
    with atomic_path(dest) as tmp:
        digest = hashlib.new(checksum.algorithm) if checksum else None
        with _open_url(url, timeout) as response, open(tmp, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
                      file=sys.stderr, disable=not progress, leave=False) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    if digest:
                        digest.update(chunk)
                    bar.update(len(chunk))
        if digest and digest.hexdigest() != checksum.hexdigest:
            # Raising inside atomic_path deletes the temp file: wrong bytes never reach the cache.
            raise _BadDownload(f"checksum mismatch: expected {checksum}, got {checksum.algorithm}:{digest.hexdigest()}")


def _why(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return _one_line(error.reason)
    if isinstance(error, TimeoutError):
        return "timed out"
    return _one_line(error) or type(error).__name__


def _from_mirrors(source: Source, kind: str, dest: Path, progress: bool, timeout: float) -> str:
    """Download one file, trying each mirror in order; return the URL that worked."""
    filename = source.files[kind]
    tried = []
    for base in source.mirrors:
        url = base + filename
        try:
            _download(url, dest, source.checksums.get(kind), progress, timeout)
            return url
        except (_BadDownload, OSError, http.client.HTTPException, ValueError) as e:
            # OSError covers URLError, HTTPError, timeouts and resets; ValueError a malformed URL.
            tried.append(f"{url} ({_why(e)})")
            if progress:
                print(f"mnistlab: {url} failed ({_why(e)}); trying the next mirror", file=sys.stderr)
    raise MnistlabError("data.download_failed", dataset=source.name, filename=filename,
                        tried="; ".join(tried) or Message("data.no_mirrors"), fix=_DATA_DIR_FIX)


def _find_local(folders: list[Path], filename: str) -> Path | None:
    names = (filename, filename.removesuffix(".gz")) if filename.endswith(".gz") else (filename,)
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def _check_local(path: Path, checksum: Checksum, dataset: str) -> None:
    actual = file_digest(path, checksum.algorithm)
    if actual != checksum.hexdigest:
        raise MnistlabError("data.checksum", path=path, algorithm=checksum.algorithm, expected=checksum.hexdigest,
                            actual=actual, dataset=dataset)


def _local_files(source: Source, folders: list[Path], origin: str) -> dict[str, FileRecord]:
    records = {}
    for kind in SPLIT_KINDS:
        filename = source.files[kind]
        path = _find_local(folders, filename)
        if path is None:
            where = either(str(f) for f in folders)
            raise MnistlabError("data.idx_missing" if origin == "idx-dir" else "data.idx_missing_or_download",
                                filename=filename, plain=filename.removesuffix(".gz"), where=where, dataset=source.name)
        checksum = source.checksums.get(kind)
        if checksum and path.suffix == ".gz":
            _check_local(path, checksum, source.name)
            records[kind] = FileRecord(kind, path, origin, checksum, verified=True)
        else:
            note = "no published checksum" if checksum is None else "uncompressed: published checksum is for the .gz"
            records[kind] = FileRecord(kind, path, origin, checksum, verified=False, note=note)
    return records


def locate_files(
    source: Source | str,
    data_dir: str | os.PathLike | None = None,
    progress: bool = True,
    timeout: float = DOWNLOAD_TIMEOUT,
) -> dict[str, FileRecord]:
    """Like `fetch`, but say for each file where it came from and whether it was verified."""
    if isinstance(source, str):
        source = get_source(source)
    if source.kind == "folder":
        raise ValueError("folder: datasets have no IDX files to fetch; load them with load_dataset")
    if source.kind == "idx":
        return _local_files(source, [source.path], "idx-dir")

    if data_dir is None:
        data_dir = os.environ.get("MNISTLAB_DATA_DIR") or None
    if data_dir is not None:
        data_dir = Path(data_dir).expanduser()
        if not data_dir.is_dir():
            raise MnistlabError("data.no_data_dir", folder=data_dir)
        # The dataset-named sub-folder lets one MNISTLAB_DATA_DIR serve several datasets.
        return _local_files(source, [data_dir, data_dir / source.name], "data-dir")

    records = {}
    folder = cache_dir(source.name)
    for kind in SPLIT_KINDS:
        dest = folder / source.files[kind]
        checksum = source.checksums.get(kind)
        if dest.is_file() and checksum and file_digest(dest, checksum.algorithm) == checksum.hexdigest:
            records[kind] = FileRecord(kind, dest, "cache", checksum, verified=True)
            continue
        if dest.is_file():
            # A wrong file must not stay in the cache, even if every mirror is down now.
            dest.unlink()
            if progress:
                print(f"mnistlab: cached {dest} failed its checksum; downloading it again", file=sys.stderr)
        url = _from_mirrors(source, kind, dest, progress, timeout)
        records[kind] = FileRecord(kind, dest, "download", checksum, verified=checksum is not None, url=url)
    return records


def fetch(source: Source | str, data_dir: str | os.PathLike | None = None, progress: bool = True) -> dict[str, Path]:
    """Return {kind: path} of the four files of `source`, downloading and verifying as needed.

    `kind` is one of "train_images", "train_labels", "test_images", "test_labels".
    """
    return {kind: record.path for kind, record in locate_files(source, data_dir, progress).items()}
