"""Time to 99% MNIST test accuracy: mnistlab's `default` recipe against the usual recipes, side by side.

    python benchmarks/time_to_99.py --data-dir ../shared/data/mnist --seeds 5 --max-seconds 900

For each seed, the recipes run one after another (alternating, so machine drift hits all alike), each in
a fresh process:
- `default`: the figure is wall-clock seconds from process start (`mnistlab train ...` as typed in a
  shell: Python start-up, imports and data loading included) to exit, with the test accuracy measured
  once at the end. The recipe is fixed in advance; nothing looks at the test set during training.
- baselines (`torch-example`, `keras-convnet`): the test set is evaluated after every epoch (that time
  excluded) and the figure is the time at the end of the first epoch with test accuracy >= 99%,
  measured from the child's first line (imports and data loading included; the interpreter's own
  ~0.05 s start is not); `--max-seconds` caps each run ("not reached").
Peak RSS is each child's own (os.wait4). The table is printed and appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


def child(recipe: str, seed: int, data_dir: str, out: str, max_seconds: float, extra: list[str]) -> None:
    """Runs inside the measured process for a baseline: train, testing after each epoch."""
    t0 = time.perf_counter()  # as close to process start as Python allows; start-up is added by the parent
    from mnistlab.evaluate import evaluate
    from mnistlab.presets import resolve
    from mnistlab.train import Run, StopTraining, fit
    from mnistlab.data import load_dataset

    from mnistlab.config import parse_assignment
    overrides = {"train.seed": seed, "data.data_dir": data_dir, **dict(parse_assignment(s) for s in extra)}
    config = resolve(recipe, overrides=overrides)
    ds = load_dataset(config.data.dataset, data_dir, progress=False)
    excluded, record = 0.0, {"reached": False, "epochs": []}

    def test_each_epoch(event):
        nonlocal excluded
        if event["event"] != "epoch":
            return
        e0 = time.perf_counter()
        model = Run.open(out).load_model()  # the checkpoint this epoch just wrote
        acc = evaluate(model, ds.test_images, ds.test_labels, config.train.loss, list(ds.classes))["accuracy"]
        excluded += time.perf_counter() - e0
        now = time.perf_counter() - t0 - excluded
        record["epochs"].append({"epoch": event["epoch"], "test_accuracy": acc, "seconds": now})
        if acc >= 0.99 and not record["reached"]:
            record.update(reached=True, seconds=now, test_accuracy=acc, epoch=event["epoch"])
            raise StopTraining
        if now > max_seconds:
            raise StopTraining

    fit(config, out, dataset=ds, progress=False, callbacks=[test_each_epoch])
    if not record["reached"]:
        record["test_accuracy"] = record["epochs"][-1]["test_accuracy"] if record["epochs"] else None
    record["train_seconds"] = sum(r["seconds"] for r in Run.open(out).metrics())
    print("RESULT " + json.dumps(record), flush=True)


def measure(cmd: list[str], env: dict) -> tuple[float, int, str]:
    """Run `cmd`; return (wall seconds from spawn to exit, the child's peak RSS in MB, stdout)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{text[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, text


def run_default(recipe, seed, args, tmp, env) -> dict:
    out = Path(tmp) / f"{recipe}-{seed}"
    cmd = [sys.executable, "-m", "mnistlab", "train", "--model", recipe, "--seed", str(seed),
           "--data-dir", args.data_dir, "--out", str(out), "--quiet", *sum((["--set", s] for s in args.set), [])]
    seconds, rss, _ = measure(cmd, env)
    result = json.loads((out / "result.json").read_text())
    rows = [json.loads(l) for l in (out / "events.jsonl").read_text().splitlines()]
    train_seconds = sum(r["seconds"] for r in rows if r["event"] == "epoch")
    return {"seconds": seconds, "test_accuracy": result["test_accuracy"], "reached": result["test_accuracy"] >= 0.99,
            "rss_mb": rss, "train_seconds": train_seconds, "epochs": result["epochs_run"], "run": str(out),
            "train_size": result["train_size"]}


def run_baseline(recipe, seed, args, tmp, env) -> dict:
    out = Path(tmp) / f"{recipe}-{seed}"
    cmd = [sys.executable, __file__, "--child", recipe, "--seed", str(seed), "--data-dir", args.data_dir,
           "--out", str(out), "--max-seconds", str(args.max_seconds)]
    _, rss, text = measure(cmd, env)
    record = json.loads(next(l for l in text.splitlines() if l.startswith("RESULT "))[7:])
    epochs = record["epoch"] if record["reached"] else len(record["epochs"])
    train_size = json.loads((out / "result.json").read_text())["train_size"]
    return {"seconds": record.get("seconds") if record["reached"] else None, "test_accuracy": record["test_accuracy"],
            "reached": record["reached"], "rss_mb": rss, "train_seconds": record["train_seconds"], "epochs": epochs,
            "train_size": train_size}


def model_stats(recipe: str) -> tuple[int, float]:
    from mnistlab.models import summarize
    from mnistlab.presets import preset

    s = summarize(preset(recipe).model, (1, 28, 28), 10)
    return s["total_params"], 2 * s["total_macs"] / 1e6


def inference_figures(run: str) -> dict:
    """Batch throughput on the 10k test set and warm single-image latency, for one trained run."""
    import torch

    from mnistlab.data import load_dataset
    from mnistlab.evaluate import predict_logits
    from mnistlab.predict import predict_arrays
    from mnistlab.train import Run

    r = Run.open(run)
    model = r.load_model("cpu")
    ds = load_dataset("mnist", r.config.data.data_dir, progress=False)
    predict_logits(model, ds.test_images[:2000])  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        predict_logits(model, ds.test_images, 2000)
        times.append(time.perf_counter() - t0)
    one = ds.test_images[:1].numpy()
    for _ in range(20):
        predict_arrays(model, one, r.output)
    lat = []
    for i in range(200):
        t0 = time.perf_counter()
        predict_arrays(model, ds.test_images[i:i + 1].numpy(), r.output)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"batch_images_per_s": 10000 / statistics.median(times), "latency_ms_p50": 1000 * lat[100],
            "latency_ms_p99": 1000 * lat[197], "torch_threads": torch.get_num_threads()}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt(values, spec="{:.1f}") -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "not reached"
    return f"{spec.format(statistics.median(values))} ({spec.format(min(values))}-{spec.format(max(values))})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    p.add_argument("--recipes", default="default,torch-example,keras-convnet")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--baseline-seeds", type=int, default=None, help="fewer seeds for the slow baselines")
    p.add_argument("--max-seconds", type=float, default=900.0, help="cap per baseline run")
    p.add_argument("--set", action="append", default=[], help="config override for every recipe")
    p.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.seed, args.data_dir, args.out, args.max_seconds, args.set)

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    recipes = args.recipes.split(",")
    baseline_seeds = args.baseline_seeds or args.seeds
    results: dict[str, list[dict]] = {r: [] for r in recipes}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for recipe in recipes:
                is_default_like = recipe in ("default", "accurate")
                if not is_default_like and seed >= baseline_seeds:
                    continue
                fn = run_default if is_default_like else run_baseline
                r = fn(recipe, seed, args, tmp, env)
                results[recipe].append(r)
                print(f"seed {seed} {recipe:<14} {r['seconds'] and round(r['seconds'], 2)} s  "
                      f"test {r['test_accuracy']:.4f}  epochs {r['epochs']}  rss {r['rss_mb']} MB", flush=True)
        inference = inference_figures(results[recipes[0]][-1]["run"]) if "default" in recipes[:1] else None

    import torch

    command = "python benchmarks/time_to_99.py " + " ".join(sys.argv[1:])
    lines = [f"\n## Time to 99% — {time.strftime('%Y-%m-%d %H:%M')}\n",
             f"`{command}`  \n{cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, "
             f"Python {platform.python_version()}\n",
             "| recipe | seconds to 99% median (min-max) | final test accuracy median (min-max) | seeds >= 99% | "
             "params | MFLOPs/image | train images/s | peak RSS MB | baseline time / default |",
             "|---|---|---|---|---|---|---|---|---|"]
    default_median = statistics.median([r["seconds"] for r in results.get("default", []) if r["seconds"]] or [0]) \
        if "default" in results else 0
    for recipe, rs in results.items():
        params, mflops = model_stats(recipe)
        ips = statistics.median(r["train_size"] * r["epochs"] / r["train_seconds"] for r in rs)
        secs = [r["seconds"] for r in rs]
        reached = sum(r["reached"] for r in rs)
        ratio = ""
        if recipe != "default" and default_median and all(s is not None for s in secs):
            ratio = f"{statistics.median(secs) / default_median:.1f}x"
        elif recipe != "default" and default_median:
            ratio = "not reached by every seed"
        lines.append(f"| {recipe} | {fmt(secs)} | {fmt([r['test_accuracy'] for r in rs], '{:.4f}')} | "
                     f"{reached}/{len(rs)} | {params:,} | {mflops:.1f} | {ips:,.0f} | "
                     f"{max(r['rss_mb'] for r in rs)} | {ratio} |")
    if inference:
        lines.append(f"\nInference, default model, CPU ({inference['torch_threads']} threads): "
                     f"{inference['batch_images_per_s']:,.0f} images/s on the 10k test set (batches of 2000); "
                     f"single-image predict latency p50 {inference['latency_ms_p50']:.2f} ms, "
                     f"p99 {inference['latency_ms_p99']:.2f} ms (warm).\n")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with open(RESULTS, "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
