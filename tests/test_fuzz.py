"""A schema-driven fuzz of the studio's JSON API (schemathesis): requests generated from /openapi.json, sent to
a live server on 127.0.0.1, bounded in examples and time. No answer may be a 5xx, and the server must still
answer afterwards. Training requests the fuzz makes are kept tiny by the studio's own budget."""

from __future__ import annotations

import shutil
import time

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (the test extra)")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402  (schemathesis brings hypothesis)

from mnistlab.web import create_app  # noqa: E402
from mnistlab.web.limits import Budget  # noqa: E402
from mnistlab.web.server import serving  # noqa: E402

EXAMPLES = 25  # per operation: ~10 operations, a few hundred requests, well under a minute
STARTED = time.monotonic()
FIGURES: dict[str, dict[int, int]] = {}  # operation -> status -> count, printed at the end (benchmarks/RESULTS.md)


@pytest.fixture(scope="module")
def live_studio(tmp_path_factory, tiny_run):
    from conftest import make_images

    from mnistlab.data import write_idx

    root = tmp_path_factory.mktemp("fuzz")
    runs, data = root / "runs", root / "data"
    shutil.copytree(tiny_run, runs / "tiny")
    tx, ty = make_images(600, 0)
    sx, sy = make_images(100, 1)
    for name, array in (("train-images-idx3-ubyte", tx), ("train-labels-idx1-ubyte", ty),
                        ("t10k-images-idx3-ubyte", sx), ("t10k-labels-idx1-ubyte", sy)):
        write_idx(data / "mnist" / name, array, gzip=False)  # `mnist` read from here, never downloaded
    budget = Budget(max_params=50_000, max_batch_memory=64 * 2**20, max_epochs=1, max_train_images=600)
    with serving(create_app(runs, "tiny", predict_processes=0, data_dirs=[data], budget=budget)) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(live_studio):
    return schemathesis.openapi.from_url(f"{live_studio}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, live_studio):
    response = case.call(base_url=live_studio, timeout=30)
    counts = FIGURES.setdefault(f"{case.method} {case.path}", {})
    counts[response.status_code] = counts.get(response.status_code, 0) + 1
    assert response.status_code < 500, (case.method, case.path, case.body, response.text)
    kind = response.headers.get("content-type") or [""]
    if response.status_code >= 400 and (kind[0] if isinstance(kind, list) else kind).startswith("application/json"):
        assert isinstance(response.json().get("detail"), str)  # a one-line reason


def test_the_server_still_answers_after_the_fuzz(live_studio):
    import httpx

    assert httpx.get(f"{live_studio}/api/runs", timeout=30).status_code == 200
    assert httpx.get(f"{live_studio}/api/train", timeout=30).status_code == 200
    with open("/dev/stderr", "w") as err:  # the figures RESULTS.md quotes
        total = sum(sum(c.values()) for c in FIGURES.values())
        print(f"\nfuzz: {total} requests over {len(FIGURES)} operations in {time.monotonic() - STARTED:.1f} s", file=err)
        for op, counts in sorted(FIGURES.items()):
            print(f"  {op}: {dict(sorted(counts.items()))}", file=err)
