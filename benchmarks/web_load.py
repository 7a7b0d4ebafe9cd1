"""Load on the web studio's predict endpoint: N concurrent clients posting drawings for T seconds.

    python benchmarks/web_load.py RUN [--clients 50 [8 ...]] [--seconds 20] [--no-features] [--record FILE]

Starts `mnistlab serve RUN --port 0` as a subprocess on 127.0.0.1, then drives it with `wrk` (Debian:
`apt-get install wrk`): N connections, each posting the same 140x140 PNG the page's pad sends (feature
maps included, as the Draw tab asks) back to back until the time is up. wrk is C and costs the server's
cores almost nothing (a Python client spent a third of the machine on itself). Prints requests/s,
p50/p90/p99/max latency, the error count and the CPU time per request of each side; `--record` writes
them as the `## Web load` section of a results file, leaving other sections alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw

from mnistlab.files import write_text

SECTION = "## Web load"

# wrk's Lua hooks: POST the PNG file named by the first script argument; print the figures on one line.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/png"
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def drawing() -> bytes:
    """A '7' as the pad sends it: white ink on black, drawn at 280x280 and sent as a 140x140 PNG."""
    image = Image.new("RGB", (140, 140), "black")
    ImageDraw.Draw(image).line([(35, 30), (105, 30), (60, 120)], fill="white", width=10, joint="curve")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def start_server(run: str) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "mnistlab", "serve", run, "--host", "127.0.0.1", "--port", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        if match:  # keep reading what it prints, so a full pipe never stalls it
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, match.group(0)
    proc.kill()
    raise SystemExit(f"the server did not start: {proc.stdout.read() if proc.stdout else ''}")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and all its descendants (the prediction workers are grandchildren)."""
    stats = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    tree, grew = {pid}, True
    while grew:
        new = {p for p, (parent, _) in stats.items() if parent in tree} - tree
        tree |= new
        grew = bool(new)
    return sum(stats[p][1] for p in tree if p in stats) / os.sysconf("SC_CLK_TCK")


def post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "image/png"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return r.read()


def load(base: str, server: subprocess.Popen, run: str, clients: int, seconds: float, features: bool,
         workdir: Path) -> dict:
    body, script = workdir / "drawing.png", workdir / "post.lua"
    body.write_bytes(drawing())
    script.write_text(WRK_SCRIPT)
    url = f"{base}/api/predict?run={run}&features={str(features).lower()}"
    for _ in range(20):  # warm-up: the model is loaded and cached on the first request
        post(url, body.read_bytes())
    with urllib.request.urlopen(f"{base}/api/runs/{run}", timeout=30) as r:
        info = json.loads(r.read())
    cpu_before = tree_cpu_seconds(server.pid)
    wrk = subprocess.Popen(["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script),
                            url, "--", str(body)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(wrk.pid, 0)  # wait4: the CPU time of wrk alone
    out = wrk.stdout.read()
    server_cpu = tree_cpu_seconds(server.pid) - cpu_before
    match = re.search(r"^RESULT (.*)$", out, re.M)
    if status or not match:
        raise SystemExit(f"wrk failed: {out.strip()}")
    r = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}
    convs = sum(layer["type"] == "conv2d" for layer in info["summary"]["layers"])
    trained = f"{info['epochs_done']} epoch(s) on {info['dataset']}, test accuracy {info['test_accuracy']:.2%}"
    ok = r["requests"] - r["errors"]
    return {"model": f"{info['params']:,} params, {convs} conv layers; {trained}",
            "requests": r["requests"], "ok": ok, "errors": r["errors"], "seconds": r["duration_us"] / 1e6,
            "rps": ok / (r["duration_us"] / 1e6), "p50_ms": r["p50_us"] / 1e3, "p90_ms": r["p90_us"] / 1e3,
            "p99_ms": r["p99_us"] / 1e3, "max_ms": r["max_us"] / 1e3,
            "server_cpu": server_cpu, "client_cpu": usage.ru_utime + usage.ru_stime}


def cpu_name() -> str:
    try:
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    except OSError:
        names = []
    return names[0].strip() if names else platform.machine()


def server_stack() -> str:
    import importlib.util

    import fastapi
    import uvicorn

    from mnistlab.web.inference import default_processes

    fast = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m)]
    return (f"fastapi {fastapi.__version__}, uvicorn {uvicorn.__version__} "
            f"({' + '.join(fast) if fast else 'asyncio + h11: uvloop/httptools not installed'}), "
            f"{default_processes() or 'no'} prediction worker processes")


def report(results: list[dict], args, load_before: float) -> str:
    features = "with feature maps" if args.features else "without feature maps"
    clients = " ".join(str(c) for c in args.clients)
    command = (f"python benchmarks/web_load.py {args.run} --clients {clients} --seconds {args.seconds:g}"
               f"{'' if args.features else ' --no-features'}")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    lines = [
        SECTION, "",
        f"Command: `{command}`  ",
        f"Machine: {cpu_name()}, {os.cpu_count()} cores, load average {load_before:.1f} before the run (shared with "
        f"other work); Python {platform.python_version()}, {server_stack()}; {wrk} as the client, on the same "
        "machine over 127.0.0.1  ",
        f"Date: {time.strftime('%Y-%m-%d')}", "",
        f"Run `{Path(args.run).name}` ({results[0]['model']}). POST /api/predict with a 140x140 PNG drawing (what "
        f"the pad sends), {features}; each connection sends its next request as soon as the last one is answered, "
        f"for {args.seconds:g} s.", "",
        "| clients | requests | requests/s | p50 | p90 | p99 | max | errors | CPU/request: server | wrk |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in zip(args.clients, results):
        lines.append(f"| {n} | {r['requests']:,} | {r['rps']:.0f} | {r['p50_ms']:.1f} ms | {r['p90_ms']:.1f} ms "
                     f"| {r['p99_ms']:.1f} ms | {r['max_ms']:.1f} ms | {r['errors']} "
                     f"| {1000 * r['server_cpu'] / r['requests']:.2f} ms | {1000 * r['client_cpu'] / r['requests']:.2f} ms |")
    lines.append("")
    for n, r in zip(args.clients, results):
        if n == 50:
            met = r["errors"] == 0 and r["p99_ms"] < 100
            lines.append(
                f"- Goal (50 clients: 0 errors, p99 < 100 ms): {'met' if met else 'not met'}. A closed-loop client "
                f"waits for the 49 requests ahead of it, so its mean latency is about 49 / throughput: "
                f"{1000 * 49 / r['rps']:.0f} ms at {r['rps']:.0f} requests/s.")
    return "\n".join(lines) + "\n"


def record(path: Path, section: str) -> None:
    """Replace (or append) our section, leaving the other sections as they are."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    write_text(path, text.rstrip() + "\n")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", metavar="RUN", help="a run folder to serve")
    p.add_argument("--clients", type=int, nargs="+", default=[50], help="one or more client counts, run in turn")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--no-features", dest="features", action="store_false", help="ask for probabilities only")
    p.add_argument("--record", metavar="FILE", help="write the figures as the '## Web load' section of FILE")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed; install it with `apt-get install wrk` (Debian/Ubuntu)")
    run = Path(args.run)
    load_before = os.getloadavg()[0]
    proc, base = start_server(str(run))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = [load(base, proc, run.name, n, args.seconds, args.features, Path(tmp)) for n in args.clients]
    finally:
        proc.terminate()
        proc.wait(10)
    text = report(results, args, load_before)
    print(text)
    if args.record:
        record(Path(args.record), text)
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
