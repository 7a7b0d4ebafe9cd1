"""Two sweep workers share one study on a real PostgreSQL server, as workers on many machines would.

The fixture makes a throw-away cluster (initdb) in a temp folder and serves it on a free localhost
port; PostgreSQL refuses to run as root, so under root it runs as the `postgres` user. Skipped when
the server binaries (Debian: apt-get install postgresql) or psycopg2 are absent.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install 'mnistlab[postgres]')")

from test_sweep import write_sweep

from mnistlab.cli import main
from mnistlab.sweep import load_study

INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    if not INITDB:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb); apt-get install postgresql")
    bin_dir = Path(INITDB[-1]).parent  # the newest installed version
    root = Path(tempfile.mkdtemp(prefix="mnistlab-pg-"))  # under /tmp, reachable by the postgres user
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, pg.pw_uid, pg.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def pg(*args: str) -> None:
        proc = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}{proc.stderr}"

    pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
    # fsync off: a test database need not survive a power cut, and the 2-core CI box is slow enough
    pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "start",
       "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_a_postgresql_study(tmp_path, tiny_idx_dir, postgres_url):
    path = write_sweep(tmp_path, sweep='[sweep]\nsampler = "tpe"\nn_trials = 4\n')
    out = tmp_path / "sweep"
    args = ["sweep", str(path), "--storage", postgres_url, "--study", "shared", "--out", str(out),
            "--workers", "2", "--dataset", f"idx:{tiny_idx_dir}", "--quiet"]
    assert main(args) == 0

    trials = load_study("shared", postgres_url).trials
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    assert sorted(p.name for p in (out / "trials").iterdir()) == ["0000", "0001", "0002", "0003"]
    assert all((Path(t.user_attrs["run"]) / "result.json").is_file() for t in trials)
    # The folder records where the study is, without a password, and the report asks for the URL.
    assert "postgresql+psycopg2://postgres@127.0.0.1" in (out / "sweep.json").read_text()
    assert main(["sweep", "report", str(out)]) == 1
    assert main(["sweep", "report", "shared", "--storage", postgres_url, "--out", str(tmp_path / "r.html")]) == 0
    assert "Sweep shared" in (tmp_path / "r.html").read_text()
