"""ONNX Runtime vs PyTorch on the CPU: batch throughput and single-image latency of trained runs.

    python benchmarks/onnx_vs_torch.py RUN [RUN ...] [--data-dir DIR] [--batch 1000] [--write]

For each run: export it to a temporary .onnx, check that both engines give the same classes on the
test images, then time
  throughput  every test image, in batches of --batch, best of --repeat passes (images/s), --threads each;
  latency     one image per call on one thread, median and 90th percentile over --calls calls (ms), as a
              server answering requests in parallel runs (and immune to a busy machine starving a thread pool).
Both engines get the same float32 input, prepared once, and the same threads, so the numbers compare
the engines, not the preprocessing. --write puts the table into benchmarks/RESULTS.md
under "## ONNX vs PyTorch", replacing only that section.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime
import torch

from mnistlab.data import load_dataset
from mnistlab.export import OnnxClassifier, export_onnx
from mnistlab.files import write_text
from mnistlab.train import Run

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## ONNX vs PyTorch"


def test_images(run: Run, data_dir: str | None) -> tuple[np.ndarray, str]:
    """The run's test images as float32 in 0..1, or random pixels when its dataset is not at hand."""
    try:
        ds = load_dataset(run.config.data.dataset, data_dir or run.config.data.data_dir, progress=False)
        return ds.test_images.numpy().astype(np.float32) / 255, f"{ds.name} test set"
    except Exception as e:  # noqa: BLE001 -- timing does not depend on the pixels, so carry on
        print(f"{run.name}: dataset unavailable ({e}); timing on random pixels", file=sys.stderr)
        c, h, w = run.meta["input_shape"]
        return np.random.default_rng(0).random((10_000, c, h, w), dtype=np.float32), "random pixels"


def throughput(predict, x: np.ndarray, batch: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(0, len(x), batch):
            predict(x[i:i + batch])
        best = min(best, time.perf_counter() - t0)
    return len(x) / best


def latency(predict, one: np.ndarray, calls: int) -> tuple[float, float]:
    for _ in range(20):  # warm-up: first calls allocate and pick kernels
        predict(one)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        predict(one)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def bench(run_path: str, args) -> dict:
    run = Run.open(run_path)
    x, source = test_images(run, args.data_dir)
    model = run.load_model("cpu")
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(run.path, Path(tmp) / "model.onnx")["path"]
        session = OnnxClassifier(onnx_path, threads=args.threads)

        @torch.inference_mode()
        def torch_predict(batch: np.ndarray) -> np.ndarray:
            return model(torch.from_numpy(batch)).numpy()

        ort_predict = session.logits
        a, b = torch_predict(x[:2000]), ort_predict(x[:2000])
        trained = run.result() or {}
        row = {"run": run.name, "params": run.meta["params"], "images": source,
               "trained": f"epochs {trained.get('epochs_run', '?')}, "
                          f"test accuracy {trained.get('test_accuracy', 0):.4f}",
               "agree": float((a.argmax(1) == b.argmax(1)).mean()), "max_diff": float(np.abs(a - b).max())}
        row["torch_ips"] = throughput(torch_predict, x, args.batch, args.repeat)
        row["onnxruntime_ips"] = throughput(ort_predict, x, args.batch, args.repeat)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        row["torch_ms"], row["torch_p90"] = latency(torch_predict, x[:1], args.calls)
        torch.set_num_threads(threads)
        row["onnxruntime_ms"], row["onnxruntime_p90"] = latency(OnnxClassifier(onnx_path, threads=1).logits,
                                                                x[:1], args.calls)
    return row


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {os.cpu_count()} cores{load}; "
            f"Python {platform.python_version()}, torch {torch.__version__}, onnxruntime {onnxruntime.__version__}")


def markdown(rows: list[dict], args, command: str) -> str:
    lines = [
        SECTION, "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Date: {time.strftime('%Y-%m-%d')}", "",
        (f"Throughput: all test images in batches of {args.batch}, best of {args.repeat}, {args.threads} threads. "
         f"Latency: one image per call on 1 thread, {args.calls} calls. Same float32 input for both; "
         f"agreement = same predicted class on 2000 images."),
        "",
        "| run | params | engine | images/s (batch) | latency median ms | latency p90 ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        for name in ("torch", "onnxruntime"):
            lines.append(f"| {r['run']} | {r['params']:,} | {name} | {r[f'{name}_ips']:,.0f} | "
                         f"{r[f'{name}_ms']:.3f} | {r[f'{name}_p90']:.3f} |")
    lines.append("")
    for r in rows:
        speed = r["onnxruntime_ips"] / r["torch_ips"]
        lat = r["torch_ms"] / r["onnxruntime_ms"]
        lines.append(f"- {r['run']} ({r['trained']}; timed on the {r['images']}): onnxruntime {speed:.2f}x "
                     f"PyTorch's batch throughput, single-image "
                     f"latency {lat:.2f}x lower; classes agree on {r['agree']:.2%}, max |logit difference| "
                     f"{r['max_diff']:.1e}.")
    if args.note:
        lines += ["", args.note]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) only our section of RESULTS.md; other benchmarks own the rest."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    new = pattern.sub(lambda _: text + "\n", old, count=1) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    write_text(RESULTS, new)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", metavar="RUN")
    p.add_argument("--data-dir", help="where the runs' dataset files are (else the download cache)")
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--calls", type=int, default=500)
    p.add_argument("--threads", type=int, default=0, help="threads for each engine in batches (0: one per core)")
    p.add_argument("--write", action="store_true", help=f"record the table in {RESULTS.name}")
    p.add_argument("--note", help="a remark to record under the table (what else loaded the machine, ...)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        args.threads = torch.get_num_threads()
    rows = [bench(r, args) for r in args.runs]
    argv = sys.argv[1:]
    if args.note:  # the note is printed under the table, not inside the command
        i = argv.index("--note") if "--note" in argv else next(i for i, a in enumerate(argv) if a.startswith("--note="))
        del argv[i:i + (2 if argv[i] == "--note" else 1)]
    text = markdown(rows, args, "python " + shlex.join([f"benchmarks/{Path(sys.argv[0]).name}", *argv]))
    print(text)
    if args.write:
        write_section(text)
        print(f"wrote the '{SECTION}' section of {RESULTS}")


if __name__ == "__main__":
    main()
