"""A busy program that starts while training runs: does `train.threads = 0` follow it?

    python benchmarks/load_change.py --data-dir ../shared/data/mnist [--after 3] [--runs 2]

Each run starts `mnistlab train` (the default recipe) and, `--after` seconds later, one busy program
(`python -c "while True: pass"`) in its own session, so the kernel's autogroup scheduling does not
shield the training from it; the busy program is killed when training ends. Runs alternate between
the default (`train.threads = 0`: one thread per free core, re-measured every half second) and
`--set train.threads=N` (N = the cores: what the default chose on the quiet machine at the start, held).
Printed: wall seconds of each, and the thread changes training logged (`threads` events).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from time_to_99 import busy_program  # the same busy program, in its own session (this folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]


def one_run(data_dir: str, out: Path, after: float, extra: list[str], limit: float) -> dict:
    cmd = [sys.executable, "-m", "mnistlab", "train", "--data-dir", data_dir, "--out", str(out), "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    train = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    time.sleep(after)
    with busy_program():
        try:
            train.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            train.kill()
            train.wait()
            return {"seconds": None, "changes": []}
        seconds = time.perf_counter() - t0
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    changes = [(e["step"], e["threads"]) for e in events if e["event"] == "threads"]
    return {"seconds": seconds, "changes": changes}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    p.add_argument("--after", type=float, default=3.0, help="seconds after the start of training")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--limit", type=float, default=120.0, help="give up on a run after this many seconds")
    args = p.parse_args()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            for name, extra in (("threads = 0 (follows the load)", []),
                                (f"threads = {cores} (held)", ["--set", f"train.threads={cores}"])):
                r = one_run(args.data_dir, Path(tmp) / f"{i}-{len(extra)}", args.after, extra, args.limit)
                secs = f"{r['seconds']:.1f} s" if r["seconds"] else f"over {args.limit:.0f} s (stopped)"
                print(f"run {i}  {name:<32} {secs:>22}  thread changes (step, threads): {r['changes']}", flush=True)


if __name__ == "__main__":
    main()
