"""Time to 99% MNIST test accuracy: mnistlab's `default` recipe against the usual recipes, side by side.

    python benchmarks/time_to_99.py --data-dir ../shared/data/mnist --seeds 5 --max-seconds 900
    python benchmarks/time_to_99.py --data-dir ../shared/data/mnist --seeds 5 --recipes default --contention

For each seed, the recipes run one after another (alternating, so machine drift hits all alike), each in
a fresh process:
- `default` (and `accurate`): the figure is wall-clock seconds from process start (`mnistlab train ...` as
  typed in a shell: Python start-up, imports and data loading included) to exit, with the test accuracy
  measured once at the end. The recipe is fixed in advance; nothing looks at the test set during training.
  It runs once per precision in `--precisions` (default `auto,float32`; `auto` passes nothing, the others
  `--set train.precision=...`), one table row per (recipe, precision), e.g. `default (auto)`.
- baselines (`torch-example`, `keras-convnet`): the test set is evaluated after every epoch (that time
  excluded) and the figure is the time at the end of the first epoch with test accuracy >= 99%,
  measured from the child's first line (imports and data loading included; the interpreter's own
  ~0.05 s start is not); `--max-seconds` caps each run ("not reached").
Peak RSS is each child's own (os.wait4).

`--contention`: after the quiet runs, the `default` runs (same seeds, each precision) are repeated while
one busy program (`python -c "while True: pass"`, in its own session so autogroup scheduling does not
shield the training from it) spins on a core; it is killed afterwards, also on Ctrl-C or SIGTERM. Those
rows (`default (auto), 1 busy program`) add the ratio of their median seconds to the quiet median of the
same precision, and the thread counts training chose (`threads` in the run's model.json).

The heading names the CPU and which fast paths its flags offer (AMX, AVX512-BF16, AVX-512, AVX2). The
table is printed and, unless `--no-write`, appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PRECISIONS = ("auto", "float32", "bfloat16")  # train.precision's values
DEFAULT_LIKE = ("default", "accurate")  # recipes timed as `mnistlab train` end to end, once per precision
FAST_PATHS = (("AMX", ("amx_bf16", "amx_tile")), ("AVX512-BF16", ("avx512_bf16",)),
              ("AVX-512", ("avx512f",)), ("AVX2", ("avx2",)))  # label, any of these /proc/cpuinfo flags


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


def run_default(recipe, seed, args, tmp, env, precision="auto", busy=False) -> dict:
    out = Path(tmp) / f"{recipe}-{precision}-{'busy' if busy else 'quiet'}-{seed}"
    sets = [*args.set, *([f"train.precision={precision}"] if precision != "auto" else [])]
    cmd = [sys.executable, "-m", "mnistlab", "train", "--model", recipe, "--seed", str(seed),
           "--data-dir", args.data_dir, "--out", str(out), "--quiet", *sum((["--set", s] for s in sets), [])]
    seconds, rss, _ = measure(cmd, env)
    result = json.loads((out / "result.json").read_text())
    rows = [json.loads(l) for l in (out / "events.jsonl").read_text().splitlines()]
    train_seconds = sum(r["seconds"] for r in rows if r["event"] == "epoch")
    threads = json.loads((out / "model.json").read_text()).get("threads")
    return {"seconds": seconds, "test_accuracy": result["test_accuracy"], "reached": result["test_accuracy"] >= 0.99,
            "rss_mb": rss, "train_seconds": train_seconds, "epochs": result["epochs_run"], "run": str(out),
            "train_size": result["train_size"], "threads": threads}


def run_baseline(recipe, seed, args, tmp, env) -> dict:
    out = Path(tmp) / f"{recipe}-{seed}"
    cmd = [sys.executable, __file__, "--child", recipe, "--seed", str(seed), "--data-dir", args.data_dir,
           "--out", str(out), "--max-seconds", str(args.max_seconds), *sum((["--set", s] for s in args.set), [])]
    _, rss, text = measure(cmd, env)
    record = json.loads(next(l for l in text.splitlines() if l.startswith("RESULT "))[7:])
    epochs = record["epoch"] if record["reached"] else len(record["epochs"])
    train_size = json.loads((out / "result.json").read_text())["train_size"]
    return {"seconds": record.get("seconds") if record["reached"] else None, "test_accuracy": record["test_accuracy"],
            "reached": record["reached"], "rss_mb": rss, "train_seconds": record["train_seconds"], "epochs": epochs,
            "train_size": train_size}


@functools.lru_cache
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


def cpu_fast_paths() -> str:
    """E.g. "AVX2; no AMX, no AVX512-BF16, no AVX-512": the fast paths /proc/cpuinfo's flags offer."""
    try:
        line = next((l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("flags")), "")
    except OSError:
        return "CPU flags unknown"
    flags = set(line.partition(":")[2].split())
    have = [label for label, names in FAST_PATHS if flags & set(names)]
    lacking = [f"no {label}" for label, names in FAST_PATHS if not flags & set(names)]
    return "; ".join(part for part in (", ".join(have), ", ".join(lacking)) if part)


@contextlib.contextmanager
def busy_program():
    """One process spinning on a core, in its own session; killed on leaving, also on Ctrl-C or SIGTERM."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        time.sleep(1.0)  # let it get going before the first timed run
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(spinner.pid, signal.SIGKILL)
        spinner.wait()
        signal.signal(signal.SIGTERM, previous)


def contention_cells(busy: list[dict], quiet: list[dict] | None) -> tuple[str, str]:
    """A busy row's "ratio to quiet" (median over the quiet median, same precision) and threads chosen per seed."""
    def median(rs: list[dict]) -> float:
        return statistics.median(r["seconds"] for r in rs)

    ratio = f"{median(busy) / median(quiet):.2f}x" if quiet else ""
    return ratio, ", ".join(str(r["threads"]) for r in busy)


def label(key: tuple) -> str:
    recipe, precision, busy = key
    return recipe + (f" ({precision})" if precision else "") + (", 1 busy program" if busy else "")


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
    p.add_argument("--precisions", default="auto,float32",
                   help=f"comma-separated train.precision values for `default` and `accurate` ({', '.join(PRECISIONS)}); "
                        "one run each per seed")
    p.add_argument("--contention", action="store_true",
                   help="afterwards, rerun `default` (same seeds, each precision) beside one busy program")
    p.add_argument("--no-write", action="store_true", help="print only; do not append to RESULTS.md")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.seed, args.data_dir, args.out, args.max_seconds, args.set)

    precisions = args.precisions.split(",")
    if unknown := [x for x in precisions if x not in PRECISIONS]:
        p.error(f"--precisions: unknown {', '.join(unknown)} (choose from {', '.join(PRECISIONS)})")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    recipes = args.recipes.split(",")
    if args.contention and "default" not in recipes:
        p.error("--contention reruns `default`: include it in --recipes")
    baseline_seeds = args.baseline_seeds or args.seeds
    results: dict[tuple, list[dict]] = {}  # (recipe, precision or None for baselines, busy) -> runs
    with tempfile.TemporaryDirectory() as tmp:

        def run(recipe: str, seed: int, precision: str | None = None, busy: bool = False) -> None:
            if precision is None:
                r = run_baseline(recipe, seed, args, tmp, env)
            else:
                r = run_default(recipe, seed, args, tmp, env, precision, busy)
            key = (recipe, precision, busy)
            results.setdefault(key, []).append(r)
            threads = f"  threads {r['threads']}" if r.get("threads") else ""
            print(f"seed {seed} {label(key):<34} {r['seconds'] and round(r['seconds'], 2)} s  "
                  f"test {r['test_accuracy']:.4f}  epochs {r['epochs']}  rss {r['rss_mb']} MB{threads}", flush=True)

        for seed in range(args.seeds):
            for recipe in recipes:
                if recipe in DEFAULT_LIKE:
                    for precision in precisions:
                        run(recipe, seed, precision)
                elif seed < baseline_seeds:
                    run(recipe, seed)
        quiet_default = results.get(("default", precisions[0], False))
        inference = inference_figures(quiet_default[-1]["run"]) if quiet_default else None
        if args.contention:
            with busy_program():
                for seed in range(args.seeds):
                    for precision in precisions:
                        run("default", seed, precision, busy=True)

    import torch

    command = "python benchmarks/time_to_99.py " + " ".join(sys.argv[1:])
    reference = f"default ({precisions[0]})"
    extra = " ratio to quiet | threads chosen |" if args.contention else ""
    lines = [f"\n## Time to 99% — {time.strftime('%Y-%m-%d %H:%M')}\n",
             f"`{command}`  \n{cpu_name()}, {os.cpu_count()} cores ({cpu_fast_paths()}), torch {torch.__version__}, "
             f"Python {platform.python_version()}\n",
             "| recipe | seconds to 99% median (min-max) | final test accuracy median (min-max) | seeds >= 99% | "
             f"params | MFLOPs/image | train images/s | peak RSS MB | baseline time / {reference} |" + extra,
             "|---|---|---|---|---|---|---|---|---|" + "---|" * extra.count("|")]
    default_median = statistics.median(r["seconds"] for r in quiet_default) if quiet_default else 0
    for key, rs in results.items():
        recipe, precision, busy = key
        params, mflops = model_stats(recipe)
        ips = statistics.median(r["train_size"] * r["epochs"] / r["train_seconds"] for r in rs)
        secs = [r["seconds"] for r in rs]
        reached = sum(r["reached"] for r in rs)
        ratio = ""
        if precision is None and default_median and all(s is not None for s in secs):
            ratio = f"{statistics.median(secs) / default_median:.1f}x"
        elif precision is None and default_median:
            ratio = "not reached by every seed"
        row = (f"| {label(key)} | {fmt(secs)} | {fmt([r['test_accuracy'] for r in rs], '{:.4f}')} | "
               f"{reached}/{len(rs)} | {params:,} | {mflops:.1f} | {ips:,.0f} | "
               f"{max(r['rss_mb'] for r in rs)} | {ratio} |")
        if args.contention:
            cells = contention_cells(rs, results.get((recipe, precision, False))) if busy else ("", "")
            row += "".join(f" {c} |" for c in cells)
        lines.append(row)
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
