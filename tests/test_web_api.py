"""The web studio's JSON API through FastAPI's TestClient: predictions match the CLI's, bad input is a
4xx with a one-line reason (never a 500), and training jobs stream, refuse company and cancel."""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("fastapi", reason="pip install fastapi httpx (the web extra)")
with warnings.catch_warnings():  # starlette >= 1.x suggests httpx2; httpx is what FastAPI documents
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from mnistlab.models import summarize
from mnistlab.data.images import to_input
from mnistlab.predict import predict_files
from mnistlab.web import create_app

BASE = "http://127.0.0.1"
TINY_LAYERS = [{"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "activation": "relu"},
               {"type": "flatten"}, {"type": "dense", "units": 10}]


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def drawn_one() -> Image.Image:
    """What the pad sends: white ink on black, a slanted stroke."""
    image = Image.new("RGB", (280, 280), "black")
    ImageDraw.Draw(image).line([(150, 40), (130, 240)], fill="white", width=20)
    return image


@pytest.fixture
def runs_dir(tmp_path, tiny_run):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")  # a private copy: training jobs write beside it
    return runs


@pytest.fixture
def client(runs_dir, tiny_dataset):
    app = create_app(runs_dir, "tiny", dataset_loader=lambda name, data_dir, color: tiny_dataset)
    with TestClient(app, base_url=BASE) as c:
        yield c


def wait_done(client, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/train/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError(f"training job {job_id} still running after {timeout} s")


def train_body(**overrides) -> dict:
    return {"dataset": "tiny", "layers": TINY_LAYERS, "epochs": 1, "batch_size": 64, "validation_size": 100,
            "log_every": 2, **overrides}


# -- predict -------------------------------------------------------------------------------------------

def test_predict_matches_the_cli_and_shows_what_the_model_saw(client, tiny_run, tmp_path):
    image = drawn_one()
    r = client.post("/api/predict", content=png(image), headers={"Content-Type": "image/png"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["run"] == "tiny" and body["head"] == "softmax" and "sum to 1" in body["head_note"]
    probs = np.array(body["probabilities"])
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-5
    assert [t["index"] for t in body["top"]] == list(np.argsort(-probs, kind="stable"))
    # One preprocessing path: the input shown is exactly `to_input` of the image, and the answer is the CLI's.
    seen = np.frombuffer(base64.b64decode(body["input"]["data"]), np.uint8).reshape(body["input"]["shape"])
    np.testing.assert_array_equal(seen, to_input(image, "mnist", 1, 28))
    (tmp_path / "one.png").write_bytes(png(image))
    cli = predict_files(tiny_run, [str(tmp_path / "one.png")], top=10)[0]["top"]
    assert [t["class"] for t in cli] == [t["class"] for t in body["top"]]
    np.testing.assert_allclose([t["probability"] for t in cli], [t["probability"] for t in body["top"]], atol=1e-6)
    # The tiny network has one conv layer: 8 maps of 14x14 (strides 2, padding same), as bytes.
    (maps,) = body["features"]
    assert maps["shape"] == [8, 14, 14] and maps["label"] == "conv2d" and maps["layers"] == [0, 0]
    assert len(base64.b64decode(maps["data"])) == 8 * 14 * 14 and maps["max"] >= maps["min"]


def test_multipart_upload_gives_the_same_answer(client):
    data = png(drawn_one())
    raw = client.post("/api/predict?run=tiny&features=false", content=data).json()
    form = client.post("/api/predict?run=tiny&features=false", files={"file": ("digit.png", data, "image/png")})
    assert form.status_code == 200
    assert form.json()["probabilities"] == raw["probabilities"] and raw["features"] == []


def test_a_blank_drawing_is_flagged(client):
    body = client.post("/api/predict", content=png(Image.new("L", (280, 280), 0))).json()
    assert body["blank"] is True and not any(base64.b64decode(body["input"]["data"]))


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_bodies_are_refused_before_and_while_reading(client, chunked):
    data = b"\x89PNG" + b"\0" * (2 * 2**20)
    content = iter([data[i:i + 65536] for i in range(0, len(data), 65536)]) if chunked else data
    r = client.post("/api/predict", content=content)  # an iterator is sent chunked, without Content-Length
    assert r.status_code == 413 and "2 MB limit" in r.json()["detail"]


@pytest.mark.parametrize("data, status, words", [
    (b"this is not a picture", 400, "not a readable image"),
    (b"", 400, "has no image"),
])
def test_bad_image_bytes_are_a_4xx_with_the_reason(client, data, status, words):
    r = client.post("/api/predict", content=data, headers={"Content-Type": "image/png"})
    assert r.status_code == status and words in r.json()["detail"]


def test_huge_dimensions_are_refused_before_decoding(client):
    data = png(Image.new("1", (5000, 4000)))  # 20 megapixels, a few kilobytes compressed
    assert len(data) < 2**20
    r = client.post("/api/predict", content=data)
    assert r.status_code == 400 and "5000x4000" in r.json()["detail"]


def test_a_form_without_a_file_field(client):
    r = client.post("/api/predict", data={"image": "x"}, files={"other": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 400 and "'file' field" in r.json()["detail"]


@pytest.mark.parametrize("url", ["/api/runs/..%2F..", "/api/runs/..%2F..%2Fetc", "/api/predict?run=..%2F..",
                                 "/api/predict?run=../../etc", "/api/predict?run=%2Fetc%2Fpasswd"])
def test_traversal_run_names_are_refused(client, url):
    r = client.post(url, content=png(drawn_one())) if "predict" in url else client.get(url)
    assert r.status_code == 400 and "is not allowed" in r.json()["detail"]


def test_unknown_runs_are_404(client):
    assert client.get("/api/runs/nope").status_code == 404
    r = client.post("/api/predict?run=nope", content=png(drawn_one()))
    assert r.status_code == 404 and "no run named 'nope'" in r.json()["detail"]


# -- runs, summary, schema -----------------------------------------------------------------------------

def test_runs_list_and_details_read_the_run_folder(client, tiny_run):
    listing = client.get("/api/runs").json()
    assert listing["default"] == "tiny"
    (row,) = listing["runs"]
    result = json.loads((tiny_run / "result.json").read_text())
    assert row["name"] == "tiny" and row["status"] == "completed" and row["has_weights"]
    assert row["test_accuracy"] == result["test_accuracy"] and row["epochs_done"] == 2
    detail = client.get("/api/runs/tiny").json()
    assert [m["epoch"] for m in detail["metrics"]] == [1, 2]
    assert detail["steps"] and all(0 < s["x"] <= 2 for s in detail["steps"])
    assert detail["summary"]["layers"][0]["output_shape"] == [8, 14, 14]


def test_summary_is_the_cli_summary_and_refuses_impossible_stacks(client, tiny_dataset):
    from mnistlab.config import Config

    r = client.post("/api/summary", json={"layers": TINY_LAYERS})
    assert r.status_code == 200
    config = Config.from_dict(r.json()["config"])
    assert r.json()["summary"] == summarize(config.model, tiny_dataset.input_shape, 10)
    assert r.json()["summary"]["layers"][0]["arithmetic"] == ["valid: ceil((28-3+1)/2) = 13"]

    bad = [{"type": "conv2d", "filters": 4, "kernel_size": 30}, {"type": "flatten"}, {"type": "dense", "units": 10}]
    r = client.post("/api/summary", json={"layers": bad})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("model.layers[0] (conv2d): input 1x28x28 is too small for a 30x30 window")


@pytest.mark.parametrize("body, words", [
    ({"layers": [{"type": "dense", "units": 10, "filters": 3}]}, "model.layers[0].filters: unknown key"),
    ({"epochs": 0}, "train.epochs = 0 is out of range"),
    ({"output": "sigmoid", "loss": "cross_entropy"}, "does not fit model.output = 'sigmoid'"),
    ({"preset": "nonsense"}, "unknown model preset"),
])
def test_config_mistakes_read_like_the_cli(client, body, words):
    r = client.post("/api/summary", json=body)
    assert r.status_code == 400 and words in r.json()["detail"]


def test_malformed_requests_are_422_in_one_line(client):
    r = client.post("/api/summary", json={"epochs": "many"})
    assert r.status_code == 422 and r.json()["detail"].startswith("epochs: ")
    r = client.post("/api/train", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)


def test_openapi_schema_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    for path in ["/api/predict", "/api/runs", "/api/summary", "/api/train", "/api/train/{job_id}/events",
                 "/api/train/{job_id}/cancel"]:
        assert path in schema["paths"], path
    assert "image/png" in schema["paths"]["/api/predict"]["post"]["requestBody"]["content"]
    assert "train_limit" in schema["components"]["schemas"]["TrainRequest"]["properties"]


def test_page_and_modules_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/main.js">' in page.text
    js = client.get("/static/main.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]


# -- requests from elsewhere ---------------------------------------------------------------------------

def test_unknown_host_and_cross_site_posts_are_refused(runs_dir, client):
    with TestClient(create_app(runs_dir), base_url="http://attacker.example") as other:
        assert other.get("/api/runs").status_code == 400  # DNS rebinding: a foreign name pointed at us
    r = client.post("/api/train", json=train_body(), headers={"Origin": "http://attacker.example"})
    assert r.status_code == 403 and not any(p.name != "tiny" for p in runs_dir.iterdir())
    assert client.post("/api/summary", json={}, headers={"Origin": BASE}).status_code == 200


# -- training ------------------------------------------------------------------------------------------

def test_training_streams_events_and_the_run_becomes_drawable(client, runs_dir):
    r = client.post("/api/train", json=train_body(name="demo", train_limit=600))
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["run"] == "demo" and job["train_limit"] == 600
    events = []
    with client.stream("GET", f"/api/train/{job['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-2:] == ["end", "done"] and "epoch" in kinds and "step" in kinds
    assert events[0]["train_size"] == 500 and events[0]["validation_size"] == 100  # 600 limited, 100 held out
    assert events[-1]["status"] == "completed" and events[-1]["run"] == "demo"
    # The subset is recorded honestly in the run folder.
    result = json.loads((runs_dir / "demo" / "result.json").read_text())
    assert result["dataset"] == "tiny[:600]" and result["train_size"] == 500
    assert json.loads((runs_dir / "demo" / "model.json").read_text())["dataset"] == "tiny[:600]"
    names = [row["name"] for row in client.get("/api/runs").json()["runs"]]
    assert "demo" in names
    assert client.post("/api/predict?run=demo", content=png(drawn_one())).status_code == 200
    # A reconnect that has seen everything is told not to come back; a fresh one gets the replay.
    seen_all = {"Last-Event-ID": str(len(events) - 1)}
    assert client.get(f"/api/train/{job['id']}/events", headers=seen_all).status_code == 204
    assert client.post("/api/train", json=train_body(name="demo")).status_code == 409  # the name is taken


def test_a_sigmoid_head_is_trained_with_its_loss_and_said_so(client, runs_dir):
    r = client.post("/api/train", json=train_body(name="sig", output="sigmoid", train_limit=300))
    assert r.status_code == 202 and r.json()["config"]["train"]["loss"] == "binary_cross_entropy"
    assert wait_done(client, r.json()["id"])["status"] == "completed"
    body = client.post("/api/predict?run=sig", content=png(drawn_one())).json()
    assert body["head"] == "sigmoid" and "independently" in body["head_note"]
    assert all(0 <= p <= 1 for p in body["probabilities"])


def test_impossible_stack_is_refused_before_training(client, runs_dir):
    body = train_body(name="bad", layers=[{"type": "conv2d", "filters": 4, "kernel_size": 30},
                                          {"type": "flatten"}, {"type": "dense", "units": 10}])
    r = client.post("/api/train", json=body)
    assert r.status_code == 400 and "too small for a 30x30 window" in r.json()["detail"]
    assert not (runs_dir / "bad").exists() and client.get("/api/train").json()["jobs"] == []


@pytest.mark.parametrize("body, words", [
    (dict(name="../escape"), "is not allowed"),
    (dict(train_limit=100, validation_size=100), "set data.validation_size below 100"),
])
def test_training_requests_that_cannot_work(client, runs_dir, body, words):
    r = client.post("/api/train", json=train_body(**body))
    assert r.status_code == 400 and words in r.json()["detail"]
    assert not (runs_dir.parent / "escape").exists()


def test_one_job_at_a_time_and_cancel_is_prompt(client, runs_dir):
    # Small batches and a progress event every step: a long epoch that a cancel must interrupt.
    first = client.post("/api/train", json=train_body(name="long", epochs=50, batch_size=8, log_every=1)).json()
    second = client.post("/api/train", json=train_body(name="other"))
    assert second.status_code == 409 and "still training" in second.json()["detail"]
    deadline = time.monotonic() + 30
    while client.get(f"/api/train/{first['id']}").json()["events"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until it is inside the first epoch
    asked = time.monotonic()
    assert client.post(f"/api/train/{first['id']}/cancel").json()["cancel_requested"] is True
    job = wait_done(client, first["id"])
    assert job["status"] == "cancelled" and time.monotonic() - asked < 5
    assert job["epochs_done"] == 0 and not (runs_dir / "long").exists()  # no epoch finished: nothing kept
    assert client.post("/api/train", json=train_body(name="other")).status_code == 202  # free again
    wait_done(client, client.get("/api/train").json()["jobs"][-1]["id"])


def five_classes(folder):
    """An idx: folder of random images with 5 classes."""
    from mnistlab.data import write_idx

    rng = np.random.default_rng(0)
    for split, n in [("train", 300), ("t10k", 50)]:
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 255, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 5, n).astype(np.uint8))
    return folder


def test_summary_and_train_read_the_class_count_from_the_dataset(runs_dir, tmp_path):
    folder = five_classes(tmp_path / "five")
    five = [*TINY_LAYERS[:-1], {"type": "dense", "units": 5}]
    with TestClient(create_app(runs_dir, data_dirs=[tmp_path]), base_url=BASE) as c:  # the real loader: the spec, not a guess of 10
        r = c.post("/api/summary", json={"layers": five, "dataset": f"idx:{folder}"})
        assert r.status_code == 200 and r.json()["summary"]["layers"][-1]["output_shape"] == [5]
        r = c.post("/api/train", json=train_body(name="five", dataset=f"idx:{folder}"))  # a 10-unit net
        assert r.status_code == 400 and "the dataset has 5 classes" in r.json()["detail"]


def test_a_job_that_fails_in_the_background_reports_why(runs_dir, tmp_path):
    # The request is checked against the label files; the images file is only read by the job, and is broken.
    folder = five_classes(tmp_path / "five")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"not an idx file")
    five = [*TINY_LAYERS[:-1], {"type": "dense", "units": 5}]
    with TestClient(create_app(runs_dir, data_dirs=[tmp_path]), base_url=BASE) as c:  # the studio may read it
        r = c.post("/api/train", json=train_body(name="five", dataset=f"idx:{folder}", layers=five))
        assert r.status_code == 202
        job = wait_done(c, r.json()["id"])
        assert job["status"] == "failed" and "train-images-idx3-ubyte.gz" in job["error"]
        assert c.get(f"/api/train/{job['id']}").json()["history"][-1]["error"] == job["error"]


def test_a_korean_page_is_answered_in_korean(client, runs_dir, tmp_path):
    """The page sends its language as ?lang= with every call: refusals come back in it; API clients that send
    none get English."""
    image = png(drawn_one())
    r = client.post("/api/predict?run=nope&lang=ko", content=image)
    assert r.status_code == 404 and r.json()["detail"].startswith(f"{runs_dir}에 'nope'이라는 실행이 없습니다;")
    assert client.post("/api/predict?run=nope", content=image).json()["detail"].startswith("no run named 'nope'")
    r = client.post("/api/predict?lang=ko", content=b"\x89PNG" + b"\0" * (2 * 2**20))  # refused by the guard
    assert r.status_code == 413 and r.json()["detail"].startswith("요청 본문이 한도 2 MB를 넘습니다;")
    (runs_dir / "broken").mkdir()
    (runs_dir / "broken" / "config.toml").write_text("[train\n")
    rows = {row["name"]: row for row in client.get("/api/runs?lang=ko").json()["runs"]}
    assert "config.toml: 올바른 TOML이 아닙니다" in rows["broken"]["error"], rows["broken"]
    r = client.post("/api/train?lang=ko", json=train_body(name="x", epochs=10_000))  # over the budget
    assert r.status_code == 400 and "이 스튜디오의 한도를 넘었습니다: 10000 에폭" in r.json()["detail"]
    # a job trains in the page's language: its failure, found only in the background, reads in Korean
    folder = five_classes(tmp_path / "five")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(b"not an idx file")
    five = [*TINY_LAYERS[:-1], {"type": "dense", "units": 5}]
    with TestClient(create_app(runs_dir, data_dirs=[tmp_path]), base_url=BASE) as c:
        r = c.post("/api/train?lang=ko", json=train_body(name="five", dataset=f"idx:{folder}", layers=five))
        job = wait_done(c, r.json()["id"])
    assert job["status"] == "failed" and "train-images-idx3-ubyte.gz: IDX 파일이 아닙니다" in job["error"], job


def test_unknown_jobs_are_404(client):
    assert client.get("/api/train/nope/events").status_code == 404
    assert client.post("/api/train/nope/cancel").status_code == 404


# -- the command ---------------------------------------------------------------------------------------

def test_mnistlab_serve_binds_loopback_and_says_where(runs_dir, capsys):
    import queue
    import signal
    import subprocess
    import sys
    import threading

    import httpx

    from mnistlab.cli import main

    proc = subprocess.Popen([sys.executable, "-m", "mnistlab", "serve", str(runs_dir / "tiny"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=60)
        assert first.startswith("mnistlab studio: http://127.0.0.1:") and f"runs from {runs_dir}/" in first, first
        url = first.split()[2]
        listing = httpx.get(f"{url}/api/runs", timeout=60).json()  # the app starts its workers first
        assert listing["default"] == "tiny" and listing["runs_dir"] == str(runs_dir)
        # A taken port is a one-line error, not a traceback.
        assert main(["serve", "--runs-dir", str(runs_dir), "--port", url.rsplit(":", 1)[1]]) == 1
        assert "cannot listen on 127.0.0.1:" in capsys.readouterr().err
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(15) == 0
        reader.join(5)
    assert "stopped" in "".join(lines.queue) and "resume" not in "".join(lines.queue)


def test_serve_refuses_a_run_outside_the_runs_folder(runs_dir, tmp_path, capsys):
    from mnistlab.cli import main

    assert main(["serve", str(runs_dir / "tiny"), "--runs-dir", str(tmp_path / "elsewhere")]) == 1
    assert "is not inside the runs folder" in capsys.readouterr().err


def test_worker_processes_and_threads_give_the_same_answers(runs_dir, tiny_dataset):
    """Predictions run in worker processes on a multi-core CPU (threads otherwise): same answers either way."""
    image = png(drawn_one())
    answers = {}
    for processes in (2, 0):
        with TestClient(create_app(runs_dir, "tiny", predict_processes=processes), base_url=BASE) as c:
            r = c.post("/api/predict?run=tiny", content=image, headers={"Content-Type": "image/png"})
            missing = c.post("/api/predict?run=nope", content=image, headers={"Content-Type": "image/png"})
            bad = c.post("/api/predict?run=tiny", content=b"not an image", headers={"Content-Type": "image/png"})
        assert r.status_code == 200 and missing.status_code == 404 and bad.status_code == 400, processes
        answers[processes] = r.json()
    in_workers, in_threads = answers[2], answers[0]
    np.testing.assert_allclose(in_workers["probabilities"], in_threads["probabilities"], atol=1e-6)
    assert in_workers["features"] == in_threads["features"]


def test_layers_endpoint_lists_every_registered_type_with_the_python_defaults(client):
    from mnistlab.config import LAYER_TYPES

    types = {t["type"]: t for t in client.get("/api/layers").json()["layers"]}
    assert set(types) == set(LAYER_TYPES)
    for kind, spec in LAYER_TYPES.items():
        defaults = {s["name"]: s["default"] for s in types[kind]["settings"]}
        assert defaults == {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(spec()).items()}, kind
    conv = {s["name"]: s for s in types["conv2d"]["settings"]}
    assert conv["padding"]["default"] == "valid" and conv["padding"]["choices"] == ["valid", "same"]
    assert conv["filters"]["min"] == 1 and conv["kernel_size"]["kind"] == "pair"


@pytest.mark.parametrize("layers, status, words", [
    ([{"type": "conv2d", "padding": "SAME", "kernel_size": 30}], 400, "the network ends with shape 32x28x28"),
    ([{"type": "conv2d", "kernel_size": "big"}], 400, "model.layers[0].kernel_size = 'big': expected"),
    ([{"type": "pool"}], 400, "model.layers[0].type = 'pool': expected one of conv2d"),
    ([{"filters": 3}], 400, "model.layers[0].type = None"),
    ([3], 422, "layers.0: "),
])
def test_layer_mistakes_are_4xx_naming_the_key(client, layers, status, words):
    r = client.post("/api/summary", json={"layers": layers})
    assert r.status_code == status and words in r.json()["detail"], r.json()


def test_code_endpoint_writes_the_recipe_as_keras(client):
    r = client.post("/api/code", json={"layers": TINY_LAYERS})
    assert r.status_code == 200 and "import keras" in r.json()["code"]
    assert "keras.layers.Conv2D(" in r.json()["code"] and "# 28 -> 13: valid: ceil((28-3+1)/2) = 13" in r.json()["code"]
    r = client.post("/api/code?framework=pytorch", json={"preset": "lenet5"})
    assert r.status_code == 200 and "nn.Conv2d(1, 6" in r.json()["code"]
    r = client.post("/api/code", json={"preset": "lenet5", "optimizer": "sgd"}, params={"framework": "fortran"})
    assert r.status_code == 400 and "framework 'fortran': choose one of keras, pytorch" in r.json()["detail"]
