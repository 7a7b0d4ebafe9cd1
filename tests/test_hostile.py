"""Hostile and clumsy input (issue 10): every one is refused in one line naming the problem and the fix,
with a non-zero exit, and nothing is lost: no traceback, no half-written file, no runaway allocation."""

from __future__ import annotations

import math

import pytest
from conftest import tiny_config

from mnistlab.cli import main
from mnistlab.config import Config
from mnistlab.errors import MnistlabError


def run_cli(*argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, *fragments):
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnistlab: error: "), err
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="module")
def tiny_toml(tmp_path_factory, tiny_idx_dir):
    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(tiny_config(epochs=1).replace(**{"data.dataset": f"idx:{tiny_idx_dir}"}).to_toml())
    return path


# -- 1. config and CLI ---------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["--learning-rate", "nan"], "train.learning_rate = nan: expected a finite number"),
    (["--set", "train.learning_rate=inf"], "train.learning_rate = inf: expected a finite number"),
    (["--set", "train.target_accuracy=nan"], "train.target_accuracy = nan: expected a finite number"),
    (["--set", "train.weight_decay=-inf"], "train.weight_decay = -inf"),
    (["--set", "model.layers[2].momentum=nan"], "model.layers[2].momentum = nan"),
    (["--seed", "1e29"], "train.seed = 100000000000000000000000000000 is out of range"),
    (["--seed", "100000000000000000000000000000"], "train.seed = 1000000000000000000000000000"),
    (["--epochs", "1e12"], "train.epochs = 1000000000000 is out of range: it must be at most 2147483647"),
])
def test_non_finite_floats_and_huge_ints_are_one_line(argv, words, capsys):
    code, _, err = run_cli("config", "show", *argv, capsys=capsys)
    one_line_error(code, err, words)


def test_target_accuracy_nan_in_a_file_is_refused(tmp_path, capsys):
    bad = tmp_path / "nan.toml"
    bad.write_text("[train]\ntarget_accuracy = nan\n")
    code, _, err = run_cli("config", "show", "--config", bad, capsys=capsys)
    one_line_error(code, err, "train.target_accuracy = nan: expected a finite number")


def test_a_non_utf8_config_file_names_the_file(tmp_path, capsys):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("[train]\n# caf\xe9\nepochs = 2\n".encode("latin-1"))
    code, _, err = run_cli("train", "--config", bad, "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, str(bad), "not UTF-8")
    assert not (tmp_path / "r").exists()


def test_threads_above_the_usable_cores_are_refused(tmp_path, tiny_toml, capsys):
    from mnistlab.resources import usable_cores

    code, _, err = run_cli("train", "--config", tiny_toml, "--set", "train.threads=100000", "--out", tmp_path / "r",
                           capsys=capsys)
    one_line_error(code, err, "train.threads = 100000", f"use at most {usable_cores()}")
    assert not (tmp_path / "r").exists()


def test_a_model_larger_than_memory_is_refused_before_allocating(tmp_path, tiny_toml, capsys):
    # 100,000 filters twice: ~90 billion parameters, hundreds of GiB. Sized on the meta device, refused at once.
    code, _, err = run_cli("train", "--config", tiny_toml, "--set", "model.layers[0].filters=100000",
                           "--set", "model.layers[0].strides=1",
                           "--set", "model.layers=[{type='conv2d',filters=100000},{type='conv2d',filters=100000},"
                                    "{type='flatten'},{type='dense',units=10}]",
                           "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "this model needs about", "GiB", "of memory is available", "train.batch_size")
    assert not (tmp_path / "r").exists()


def test_memory_estimate_counts_weights_optimizer_and_activations(monkeypatch):
    from mnistlab import resources

    cfg = tiny_config()
    parts = resources.training_memory(cfg, (1, 28, 28), 10)
    assert parts["params"] == 8 * 9 + 8 + 8 * 7 * 7 * 10 + 10
    assert parts["optimizer"] == 2 * parts["weights"]  # adam: two moments per weight
    per_image = 28 * 28 + 8 * 14 * 14 + 8 * 7 * 7 * 2 + 10  # input, conv, pool, flatten, dense
    assert parts["activations"] == 2 * 64 * per_image * 4
    with pytest.raises(MnistlabError, match="but only 1 MiB of memory is available"):
        resources.check_memory(cfg, (1, 28, 28), 10, limit=2**20)


def test_out_naming_an_existing_file(tmp_path, tiny_toml, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("keep me")
    for out in (f, f / "run"):
        code, _, err = run_cli("train", "--config", tiny_toml, "--out", out, capsys=capsys)
        one_line_error(code, err, f"{f} is a file, not a folder")
    assert f.read_text() == "keep me"


def test_a_full_disk_during_a_checkpoint_write_keeps_the_last_good_one(tmp_path, tiny_toml, capsys, monkeypatch):
    from safetensors import SafetensorError

    from mnistlab.train import checkpoint

    real, calls = checkpoint.save_file, []

    def save_file(tensors, path, metadata=None):
        calls.append(path)
        if len(calls) == 2:  # epoch 2's checkpoint: the disk fills up half-way
            with open(path, "wb") as f:
                f.write(b"half")
            raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, '
                                  'message: "No space left on device" })')
        return real(tensors, path, metadata=metadata)

    monkeypatch.setattr(checkpoint, "save_file", save_file)
    out = tmp_path / "r"
    code, _, err = run_cli("train", "--config", tiny_toml, "--epochs", "2", "--out", out, "--quiet", capsys=capsys)
    one_line_error(code, err, "checkpoint.safetensors: the disk is full", "the previous checkpoint.safetensors is kept")
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
    from mnistlab.runfolder import Run

    assert Run.open(out).load_model() is not None  # epoch 1's checkpoint, intact


def test_config_values_stay_finite_through_the_library():
    with pytest.raises(MnistlabError, match="expected a finite number"):
        Config().replace(**{"train.learning_rate": math.nan})


# -- 2. the run folder -----------------------------------------------------------------------------------
def test_a_second_trainer_of_the_same_folder_is_refused(tmp_path, tiny_toml, capsys):
    from mnistlab.runfolder import locked

    out = tmp_path / "X"
    with locked(out):  # another `mnistlab train --out X`, still running
        code, _, err = run_cli("train", "--config", tiny_toml, "--out", out, "--quiet", capsys=capsys)
        one_line_error(code, err, f"{out} is in use: another `mnistlab train` is writing this run folder")
    assert not out.exists()  # the holder created it and wrote nothing: no trace left
    code, out_text, _ = run_cli("train", "--config", tiny_toml, "--out", out, "--quiet", capsys=capsys)
    assert code == 0 and "test accuracy" in out_text


def test_a_run_that_never_finished_an_epoch_restarts_in_place(tmp_path, tiny_toml, capsys):
    import shutil

    out = tmp_path / "killed"
    assert run_cli("train", "--config", tiny_toml, "--out", out, "--quiet", capsys=capsys)[0] == 0
    for name in ("checkpoint.safetensors", "model.safetensors", "result.json", "metrics.csv"):
        (out / name).unlink()  # as if killed during epoch 1: config.toml and model.json only
    code, _, err = run_cli("train", "--resume", out, capsys=capsys)
    one_line_error(code, err, "never finished an epoch", f"restart it in place with `mnistlab train --out {out}`")
    code, text, err = run_cli("train", "--config", tiny_toml, "--out", out, "--quiet", capsys=capsys)
    assert code == 0 and "never finished an epoch (no checkpoint): restarting it in place" in err
    assert (out / "result.json").is_file()
    shutil.rmtree(out)


def test_temp_files_of_killed_writes_are_removed_and_files_follow_the_umask(tmp_path):
    import os

    from mnistlab.files import write_text

    stale = tmp_path / ".result.json.abc123.tmp"
    stale.write_text("half")
    os.utime(stale, (0, 0))  # left long ago by a killed write
    fresh = tmp_path / ".other.json.xyz.tmp"
    fresh.write_text("someone else writing now")
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "result.json", "{}")
        assert (tmp_path / "result.json").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        write_text(tmp_path / "private.json", "{}")
        assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
    assert not stale.exists() and fresh.exists()


def test_a_locked_run_folder_loses_every_stale_temp_file(tmp_path):
    from mnistlab.runfolder import locked

    (tmp_path / "r").mkdir()
    left = tmp_path / "r" / ".checkpoint.safetensors.k1ll3d.tmp"
    left.write_bytes(b"half a checkpoint")
    with locked(tmp_path / "r"):
        assert not left.exists()


# -- 3. damaged run folders ---------------------------------------------------------------------------------
def _edit_meta(**changes):
    def damage(run):
        import json

        meta = json.loads((run / "model.json").read_text())
        (run / "model.json").write_text(json.dumps({**meta, **changes}))
    return damage


def _weights(data: bytes):
    def damage(run):
        (run / "model.safetensors").write_bytes(data)
    return damage


def _pickle(run):
    import pickle

    (run / "model.safetensors").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))


def _torch_zip(run):
    import torch

    torch.save({"weight": torch.zeros(3)}, run / "model.safetensors")


def _corrupt_header(run):
    data = (run / "model.safetensors").read_bytes()
    n = int.from_bytes(data[:8], "little")
    (run / "model.safetensors").write_bytes(data[:8] + b"x" * n + data[8 + n:])


def _truncated(run):
    data = (run / "model.safetensors").read_bytes()
    (run / "model.safetensors").write_bytes(data[: len(data) // 2])


DAMAGES = {
    "pickle as safetensors": (_pickle, "model.safetensors: unreadable weights"),
    "torch zip as safetensors": (_torch_zip, "model.safetensors: unreadable weights"),
    "huge header": (_weights((2**62).to_bytes(8, "little") + b"{}"), "model.safetensors: unreadable weights"),
    "corrupt header": (_corrupt_header, "model.safetensors: unreadable weights"),
    "truncated weights": (_truncated, "model.safetensors: unreadable weights"),
    "garbage model.json": (lambda r: (r / "model.json").write_bytes(b"\x00\xff{garbage"), "model.json"),
    "model.json a list": (lambda r: (r / "model.json").write_text("[1, 2]"), "model.json: expected a JSON object"),
    "wrong type in model.json": (_edit_meta(input_shape=[1, "x", 28]), "model.json: damaged run metadata"),
    "huge input_shape": (_edit_meta(input_shape=[1, 100000, 100000]), "model.json: damaged run metadata"),
    "negative input_shape": (_edit_meta(input_shape=[1, -28, 28]), "model.json: damaged run metadata"),
    "classes not a list": (_edit_meta(classes={"a": 1}), "model.json: damaged run metadata"),
    "mean of the wrong length": (_edit_meta(mean=[0.1, 0.2, 0.3]), "model.json: damaged run metadata"),
    "garbage config.toml": (lambda r: (r / "config.toml").write_bytes(b"\xff\xfe[[["), "config.toml: not UTF-8"),
    "wrong type in config.toml": (lambda r: (r / "config.toml").write_text("[train]\nepochs = 'many'\n"),
                                  "config.toml: train.epochs = 'many': expected an integer"),
}


@pytest.fixture
def damaged(tmp_path, tiny_run):
    import shutil

    def make(kind: str):
        run = tmp_path / "runs" / kind.replace(" ", "-").replace(".", "_")
        shutil.copytree(tiny_run, run)
        DAMAGES[kind][0](run)
        return run
    return make


@pytest.mark.parametrize("kind", DAMAGES)
def test_damaged_runs_are_one_line_errors_on_the_cli(kind, damaged, tiny_idx_dir, tmp_path, capsys):
    from PIL import Image

    run, words = damaged(kind), DAMAGES[kind][1]
    image = tmp_path / "digit.png"
    Image.new("L", (28, 28), 0).save(image)
    for argv in (["evaluate", run, "--dataset", f"idx:{tiny_idx_dir}", "--device", "cpu"],
                 ["predict", run, image], ["export", run, "--out", tmp_path / "m.onnx"], ["summary", run]):
        if argv[0] == "summary" and "safetensors" in words:
            continue  # summary reads no weights
        code, _, err = run_cli(*argv, capsys=capsys)
        one_line_error(code, err, words)


@pytest.mark.parametrize("kind", ["truncated weights", "huge input_shape", "wrong type in config.toml"])
def test_damaged_runs_are_one_line_errors_in_report(kind, damaged, tiny_idx_dir, tmp_path, capsys):
    run, words = damaged(kind), DAMAGES[kind][1]
    code, _, err = run_cli("report", run, "--dataset", f"idx:{tiny_idx_dir}", "--out", tmp_path / "rep",
                           "--device", "cpu", capsys=capsys)
    one_line_error(code, err, words)


def test_damaged_logs_are_one_line_errors(damaged, tiny_idx_dir, tmp_path, capsys):
    run = damaged("pickle as safetensors")
    from mnistlab.runfolder import Run

    (run / "metrics.csv").write_bytes(b"\xff\x00epoch\n1,2\n")
    with pytest.raises(MnistlabError, match="metrics.csv: not UTF-8"):
        Run.open(run).metrics()
    (run / "metrics.csv").write_text("epoch,loss\n1,abc\n")
    with pytest.raises(MnistlabError, match="metrics.csv: not the metrics table"):
        Run.open(run).metrics()
    (run / "result.json").write_text("[1]")
    with pytest.raises(MnistlabError, match="result.json: not the result mnistlab writes"):
        Run.open(run).result()


def _client(app):
    import warnings

    with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what FastAPI documents
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def studio(tmp_path, tiny_run, tiny_dataset):
    import shutil

    from mnistlab.web import create_app

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")
    app = create_app(runs, "tiny", dataset_loader=lambda name, data_dir, color: tiny_dataset, predict_processes=0)
    with _client(app) as c:
        c.runs_dir = runs
        yield c


def test_damaged_runs_answer_json_errors_on_the_web(studio):
    import io
    import shutil

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (28, 28), 0).save(buf, "PNG")
    for kind, (damage, words) in DAMAGES.items():
        name = kind.replace(" ", "-").replace(".", "_")
        shutil.copytree(studio.runs_dir / "tiny", studio.runs_dir / name)
        damage(studio.runs_dir / name)
        r = studio.post(f"/api/predict?run={name}", content=buf.getvalue(), headers={"content-type": "image/png"})
        assert r.status_code == 400 and words in r.json()["detail"], (kind, r.status_code, r.text)
        if "safetensors" not in words:
            r = studio.get(f"/api/runs/{name}")
            assert r.status_code == 400 and words in r.json()["detail"], (kind, r.text)
    rows = {row["name"]: row for row in studio.get("/api/runs").json()["runs"]}
    assert rows["huge-input_shape"]["status"] == "unreadable"


# -- 4. data --------------------------------------------------------------------------------------------------
def test_a_stray_label_does_not_make_empty_classes(tmp_path, capsys):
    import numpy as np
    from conftest import make_images

    from mnistlab.data import load_dataset, write_idx

    tx, ty = make_images(200, 0)
    sx, sy = make_images(50, 1)
    ty[17] = 200  # one corrupt label
    for name, array in (("train-images-idx3-ubyte.gz", tx), ("train-labels-idx1-ubyte.gz", ty),
                        ("t10k-images-idx3-ubyte.gz", sx), ("t10k-labels-idx1-ubyte.gz", sy)):
        write_idx(tmp_path / name, array)
    with pytest.raises(MnistlabError, match=r"train-labels-idx1-ubyte.gz: label 200 makes 201 classes, but 190 of "
                                            r"them have no training image \(class 10, 11, 12, 13, 14, ...\)"):
        load_dataset(f"idx:{tmp_path}", progress=False)
    sy[3] = 12  # in the test labels only: class 10 and 11 and 12 still have no training image
    ty[17] = 1
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", ty)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", sy)
    code, _, err = run_cli("data", "info", f"idx:{tmp_path}", capsys=capsys)
    one_line_error(code, err, "t10k-labels-idx1-ubyte.gz: label 12 makes 13 classes, but 3 of them")
    sy[3] = 1
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", sy)
    assert load_dataset(f"idx:{tmp_path}", progress=False).num_classes == 10
    assert np.all(ty < 10)


# -- 5. pictures that are no digit; class names drawn as written -----------------------------------------------
def _png(image) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _pictures():
    import numpy as np
    from PIL import Image, ImageDraw

    white = Image.new("L", (280, 280), 255)
    faint = Image.fromarray((np.random.default_rng(0).integers(240, 256, (280, 280))).astype(np.uint8))
    dot = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(dot).ellipse((130, 130, 150, 150), fill=0)  # the pad's brush, one click
    speck = Image.new("L", (280, 280), 255)
    speck.putpixel((40, 200), 0)
    one_pixel = Image.new("L", (1, 1), 0)
    digit = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(digit).line([(150, 40), (130, 240)], fill=0, width=20)
    return {"white": white, "faint": faint, "dot": dot, "speck": speck, "1x1": one_pixel}, digit


def test_blank_faint_and_dot_pictures_are_no_digit():
    from mnistlab.data.images import NOT_A_DIGIT, to_input_checked

    bad, digit = _pictures()
    for name, image in bad.items():
        x, note = to_input_checked(image)
        assert note and note.startswith(NOT_A_DIGIT), name
    assert "only a dot" in to_input_checked(bad["dot"])[1]
    x, note = to_input_checked(digit)
    assert note is None and x.any()
    assert to_input_checked(bad["white"], "resize", 3, 28)[1] is not None
    assert to_input_checked(digit, "resize", 1, 28)[1] is None


def test_predict_gives_no_class_to_a_blank_or_dot_picture(tiny_run, tmp_path, capsys):
    import json

    bad, digit = _pictures()
    files = []
    for name, image in [*bad.items(), ("digit", digit)]:
        files.append(tmp_path / f"{name}.png")
        image.save(files[-1])
    code, out, _ = run_cli("predict", tiny_run, *files, "--json", capsys=capsys)
    results = json.loads(out)
    assert code == 0 and [r["blank"] for r in results] == [True] * len(bad) + [False]
    assert all(r["top"] == [] and "does not look like a digit" in r["note"] for r in results[:-1])
    assert results[-1]["top"] and results[-1]["note"] is None
    code, out, _ = run_cli("predict", tiny_run, files[2], files[-1], capsys=capsys)
    assert f"{files[2]}: this does not look like a digit: its ink is only a dot" in out
    assert f"{files[-1]}: " in out and "%" in out


def test_the_studio_flags_a_dot_and_gives_no_class(studio):
    bad, digit = _pictures()
    for name, image in bad.items():
        body = studio.post("/api/predict?features=false", content=_png(image),
                           headers={"content-type": "image/png"}).json()
        assert body["blank"] is True and body["top"] == [] and "does not look like a digit" in body["note"], name
        assert len(body["probabilities"]) == 10  # the bars are still there to see
    body = studio.post("/api/predict", content=_png(digit), headers={"content-type": "image/png"}).json()
    assert body["blank"] is False and body["top"] and body["note"] is None


def test_class_names_with_dollar_signs_are_drawn_as_written(tiny_run, tiny_idx_dir, tmp_path, capsys):
    import json
    import shutil

    import numpy as np

    from mnistlab.report import figures as F

    names = ["x$^$", "$5", "$10$"]
    F.rgb_array(F.confusion_figure(np.eye(3, dtype=int), names))  # mathtext would fail on "x$^$"
    run = tmp_path / "dollars"
    shutil.copytree(tiny_run, run)
    meta = json.loads((run / "model.json").read_text())
    (run / "model.json").write_text(json.dumps({**meta, "classes": names + [f"${i}$" for i in range(3, 10)]}))
    bad, _ = _pictures()
    bad["dot"].save(tmp_path / "dot.png")
    code, out, err = run_cli("report", run, "--dataset", f"idx:{tiny_idx_dir}", "--out", tmp_path / "rep",
                             "--image", tmp_path / "dot.png", "--device", "cpu", capsys=capsys)
    assert code == 0, err
    assert (tmp_path / "rep" / "report.html").is_file()


# -- 6. the web studio -------------------------------------------------------------------------------------------
TINY_LAYERS = [{"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "activation": "relu"},
               {"type": "flatten"}, {"type": "dense", "units": 10}]


@pytest.fixture
def bare_studio(tmp_path, tiny_run, tiny_idx_dir):
    """The studio as `mnistlab serve --data-dir DATA` runs it: its own dataset loader, one data folder."""
    import shutil

    from mnistlab.web import create_app

    data = tmp_path / "data"
    shutil.copytree(tiny_idx_dir, data / "tiny-idx")
    shutil.copytree(tiny_idx_dir, data / "mnist")  # the standard file names: `mnist` is read from here
    (data / "shapes" / "dot").mkdir(parents=True)
    (data / "shapes" / "ring").mkdir(parents=True)
    (data / "escape").symlink_to("/etc")
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")
    with _client(create_app(runs, "tiny", data_dirs=[data], predict_processes=0)) as c:
        c.data, c.runs_dir = data, runs
        yield c


@pytest.mark.parametrize("dataset", ["folder:/", "folder:/etc", "idx:/root/.ssh", "idx:../../..", "folder:escape",
                                     "folder:shapes/../../..", "http://example.com/mnist", "folder:"])
def test_the_studio_reads_no_folder_outside_its_data_folders(bare_studio, dataset):
    r = bare_studio.post("/api/summary", json={"dataset": dataset})
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert "only inside the folders given with `mnistlab serve --data-dir DIR`" in detail
    assert "passwd" not in detail and "bin" not in detail.replace("--data-dir", "")


def test_datasets_inside_the_data_folders_are_read_and_recorded(bare_studio):
    data = bare_studio.data
    r = bare_studio.post("/api/summary", json={"dataset": "folder:shapes", "layers": [
        {"type": "flatten"}, {"type": "dense", "units": 2}]})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["data"]["dataset"] == f"folder:{data / 'shapes'}"
    r = bare_studio.post("/api/summary", json={"dataset": "mnist"})
    assert r.status_code == 200 and r.json()["config"]["data"]["data_dir"] == str(data)
    r = bare_studio.post("/api/train", json={"name": "sub", "dataset": "idx:tiny-idx", "layers": TINY_LAYERS,
                                             "epochs": 1, "train_limit": 300, "validation_size": 100})
    assert r.status_code == 202, r.text
    from test_web_api import wait_done

    job = wait_done(bare_studio, r.json()["id"], timeout=90)
    assert job["status"] == "completed", job
    import tomllib

    config = tomllib.loads((bare_studio.runs_dir / "sub" / "config.toml").read_text())
    assert config["data"]["train_limit"] == 300 and config["data"]["dataset"] == f"idx:{data / 'tiny-idx'}"


@pytest.mark.parametrize("body", [
    '{"learning_rate": NaN}', '{"learning_rate": Infinity}', '{"learning_rate": -Infinity}',
    '{"learning_rate": 1e999}', '{"layers": [{"type": "dropout", "rate": NaN}]}',
])
def test_nan_and_infinity_anywhere_are_refused_before_anything_starts(bare_studio, body):
    for url in ("/api/train", "/api/summary"):
        for kind in ("application/json", "application/merge-patch+json", None):
            r = bare_studio.post(url, content=body, headers={"content-type": kind} if kind else {})
            assert r.status_code == 400 and "not a finite number" in r.json()["detail"], (kind, r.text)
    listing = bare_studio.get("/api/train")
    assert listing.status_code == 200 and listing.json()["jobs"] == []


@pytest.mark.parametrize("body, words", [
    ({"layers": [{"type": "conv2d", "filters": 100000}, {"type": "conv2d", "filters": 100000}, {"type": "flatten"},
                 {"type": "dense", "units": 10}]}, "parameters (the limit is 5,000,000)"),
    ({"epochs": 10000}, "10000 epochs (the limit is 100)"),
    ({"train_limit": 10**9}, "train_limit 1,000,000,000"),
    ({"batch_size": 10**6}, "of activations for a batch of 1000000"),
])
def test_the_studio_budget_is_checked_before_any_allocation(bare_studio, body, words):
    import time

    t = time.perf_counter()
    r = bare_studio.post("/api/train", json={"dataset": "idx:tiny-idx", **body})
    assert r.status_code == 400 and "over this studio's budget" in r.json()["detail"] and words in r.json()["detail"]
    assert time.perf_counter() - t < 10  # sized, not built
    assert bare_studio.get("/api/train").json()["jobs"] == []


def test_every_preset_fits_the_default_budget(bare_studio):
    from mnistlab.presets import PRESETS

    for name in PRESETS:
        r = bare_studio.post("/api/summary", json={"preset": name, "dataset": "mnist"})
        assert r.status_code == 200, (name, r.text)


def test_docs_are_served_offline_or_not_at_all(bare_studio, tmp_path, monkeypatch):
    import sys

    from mnistlab.web import create_app

    assert bare_studio.get("/openapi.json").status_code == 200
    r = bare_studio.get("/docs")
    if r.status_code == 200:  # swagger-ui-bundle is installed: every asset from this server
        assert "cdn" not in r.text and "/docs-assets/swagger-ui-bundle.js" in r.text
        assert bare_studio.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", None)  # not installed
    with _client(create_app(tmp_path / "none", predict_processes=0)) as c:
        assert c.get("/docs").status_code == 404 and c.get("/openapi.json").status_code == 200
    assert bare_studio.get("/redoc").status_code == 404


def _asgi(app, method, path, chunks, content_type, stall=False):
    """Drive the ASGI app by hand: send `chunks` of a body, then stall for ever (or disconnect)."""
    import asyncio

    sent = []

    async def main():
        queue = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]

        async def receive():
            if queue:
                return queue.pop(0)
            if stall:
                await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", content_type.encode())],
                 "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5),
                 "root_path": "", "app": app, "state": {}}
        await asyncio.wait_for(app(scope, receive, send), 20)

    asyncio.run(main())
    return next((m["status"] for m in sent if m["type"] == "http.response.start"), None)


@pytest.mark.parametrize("content_type, path", [("application/json", "/api/train"), ("image/png", "/api/predict")])
def test_stalled_and_aborted_uploads_are_one_log_line_each(tmp_path, tiny_run, caplog, content_type, path):
    import logging
    import shutil

    from mnistlab.web import create_app

    shutil.copytree(tiny_run, tmp_path / "runs" / "tiny")
    app = create_app(tmp_path / "runs", "tiny", predict_processes=0, body_timeout=0.3)
    with caplog.at_level(logging.WARNING):
        assert _asgi(app, "POST", path, [b'{"epo'], content_type, stall=True) == 408
    assert [r.getMessage() for r in caplog.records] == [f"POST {path}: the request body stalled for 0.3 s and "
                                                        "was dropped; send the whole body at once"]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _asgi(app, "POST", path, [b"\x89PNG half an im"], content_type)
    assert [r.getMessage() for r in caplog.records] == [f"POST {path}: the client went away before sending the "
                                                        "whole body"]
    assert all(r.exc_info is None for r in caplog.records)


def test_host_0000_warning_says_what_becomes_reachable(tmp_path, capsys, monkeypatch):
    import mnistlab.web

    monkeypatch.setattr(mnistlab.web, "serve", lambda *a, **k: None)
    assert main(["serve", "--runs-dir", str(tmp_path), "--host", "0.0.0.0", "--port", "0",
                 "--data-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    for words in ("anyone who can reach this machine", f"every run in {tmp_path}/", "start and cancel training jobs",
                  "--max-params 5,000,000", f"--data-dir folders ({tmp_path})"):
        assert words in err


def test_summary_of_a_giant_stack_allocates_nothing(capsys):
    import json

    code, out, err = run_cli("summary", "--json", "--set", "model.layers=[{type='conv2d',filters=100000},"
                             "{type='conv2d',filters=100000},{type='flatten'},{type='dense',units=10}]", capsys=capsys)
    assert code == 0, err
    assert json.loads(out)["total_params"] > 9 * 10**10


def test_the_lock_holds_across_processes(tmp_path, tiny_toml, capsys):
    import os
    import subprocess
    import sys

    from conftest import REPO

    out = tmp_path / "X"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom mnistlab.runfolder import locked\n"
                               "with locked(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = run_cli("train", "--config", tiny_toml, "--out", out, "--quiet", capsys=capsys)
        one_line_error(code, err, "is in use: another `mnistlab train` is writing this run folder")
    finally:
        holder.kill()
        holder.wait()
    code, _, err = run_cli("train", "--config", tiny_toml, "--out", out, "--quiet", capsys=capsys)
    assert code == 0, err  # a killed holder leaves no lock behind
