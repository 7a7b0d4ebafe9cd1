"""How long `mnistlab report RUN` takes, end to end and in its parts.

    PYTHONPATH=src python benchmarks/report_speed.py RUN [--data-dir DIR] [--repeat 3]

End to end is the command a user types (a fresh `python -m mnistlab report`, imports included). In
process, `write_report` is timed, and beside it the two parts that do not draw: loading the dataset
and the test-set pass. The rest is drawing and writing the pictures. Medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from mnistlab.data import load_dataset
from mnistlab.evaluate import predict_logits
from mnistlab.report import write_report
from mnistlab.train import Run


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run")
    parser.add_argument("--data-dir", help="the run's dataset files (default: the run's own setting)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    run = Run.open(args.run)
    data_dir = args.data_dir or run.config.data.data_dir
    out = Path(tempfile.mkdtemp(prefix="report-speed-"))
    cli = [sys.executable, "-m", "mnistlab", "report", args.run, "--out", str(out / "cli"), "--device", "cpu"]
    cli += ["--data-dir", data_dir] if data_dir else []
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}

    def load():
        return load_dataset(run.config.data.dataset, data_dir, color=run.config.data.color, progress=False)

    ds = load()
    model = run.load_model("cpu").to(memory_format=torch.channels_last)  # as the report does
    cli_s, report_s, load_s, eval_s = [], [], [], []
    for _ in range(args.repeat):
        cli_s.append(timed(lambda: subprocess.run(cli, check=True, env=env, capture_output=True)))
        report_s.append(timed(lambda: write_report(args.run, out / "lib", dataset=load(), device="cpu")))
        load_s.append(timed(load))
        eval_s.append(timed(lambda: predict_logits(model, ds.test_images, run.config.train.eval_batch_size)))

    med = statistics.median
    pictures = len(list((out / "lib").glob("*.png")))
    size = sum(p.stat().st_size for p in (out / "lib").iterdir()) / 1e6
    print(f"run {run.name}: {len(run.metrics())} epochs, {run.meta['params']:,} params, "
          f"{len(ds.test_labels):,} test images; {pictures} PNGs, {size:.1f} MB written")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine)")
    print(f"mnistlab report (CLI, end to end)   {med(cli_s):6.2f} s   (min {min(cli_s):.2f})")
    print(f"write_report (in process)           {med(report_s):6.2f} s   (min {min(report_s):.2f})")
    print(f"  of which: load the dataset        {med(load_s):6.2f} s")
    print(f"            test-set pass           {med(eval_s):6.2f} s")
    print(f"            pictures and page       {med(report_s) - med(load_s) - med(eval_s):6.2f} s")


if __name__ == "__main__":
    main()
