"""The command line end to end, as a user types it: train, evaluate, predict, summary, data, config,
and every bad input giving one line on stderr, exit status 1, and nothing lost or half-written."""

import json
import os
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from conftest import REPO, make_images, tiny_config
from PIL import Image

from mnistlab.cli import main
from mnistlab.config import Config
from mnistlab.data import write_idx


def run_cli(*argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def tiny_toml(tmp_path_factory, tiny_idx_dir):
    """A config file for the tiny model on the tiny IDX dataset."""
    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    cfg = tiny_config(epochs=1).replace(**{"data.dataset": f"idx:{tiny_idx_dir}"})
    path.write_text(cfg.to_toml())
    return path


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, tiny_toml):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--config", str(tiny_toml), "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_writes_a_run_with_flags_over_the_file(cli_run):
    cfg = Config.from_toml((cli_run / "config.toml").read_text())
    assert cfg.train.epochs == 2  # --epochs beat the file's 1
    assert json.loads((cli_run / "result.json").read_text())["test_accuracy"] > 0.9


def test_json_log_prints_machine_readable_events(tmp_path, tiny_toml, capsys):
    code, out, _ = run_cli("train", "--config", tiny_toml, "--out", tmp_path / "j", "--json-log", capsys=capsys)
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and events[0]["event"] == "start" and events[-1]["event"] == "end"
    assert any(e["event"] == "epoch" and "val_accuracy" in e for e in events)


def test_evaluate_tables_and_json(cli_run, capsys):
    code, out, _ = run_cli("evaluate", cli_run, "--json", capsys=capsys)
    m = json.loads(out)
    assert code == 0 and m["split"] == "test" and m["count"] == 300
    assert len(m["per_class"]) == 10 and len(m["confusion_matrix"]) == 10
    assert sum(map(sum, m["confusion_matrix"])) == 300
    assert m["accuracy"] == pytest.approx(json.loads((cli_run / "result.json").read_text())["test_accuracy"])
    code, out, _ = run_cli("evaluate", cli_run, "--split", "val", capsys=capsys)
    assert code == 0 and "precision" in out and "confusion matrix" in out and "images: 200" in out


def test_predict_png_files(cli_run, tmp_path, capsys):
    images, labels = make_images(3, 5)
    paths = []
    for i, (img, label) in enumerate(zip(images, labels)):
        # a user's picture: dark ink on white, bigger than 28x28
        Image.fromarray(255 - img).resize((112, 112), Image.NEAREST).save(tmp_path / f"d{i}.png")
        paths.append(tmp_path / f"d{i}.png")
    code, out, _ = run_cli("predict", cli_run, *paths, "--json", "--top", "3", capsys=capsys)
    results = json.loads(out)
    assert code == 0 and len(results) == 3
    for r in results:
        probs = [t["probability"] for t in r["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and r["head"] == "softmax"
    code, out, _ = run_cli("predict", cli_run, paths[0], capsys=capsys)
    assert "probabilities sum to 1 (softmax)" in out


def test_summary_json_and_text(capsys, cli_run):
    code, out, _ = run_cli("summary", "--model", "keras-convnet", "--json", capsys=capsys)
    s = json.loads(out)
    assert code == 0 and s["total_params"] == 34826
    assert {"type", "output_shape", "params", "macs"} <= set(s["layers"][0])
    assert s["layers"][0]["output_shape"] == [32, 26, 26]
    code, out, _ = run_cli("summary", capsys=capsys)
    assert "valid: ceil((28-5+1)/2) = 12" in out  # the default first conv: 5x5, strides 2, valid
    code, out, _ = run_cli("summary", "--set", "model.layers[0].strides=1", capsys=capsys)
    assert "valid: ceil((28-5+1)/1) = 24" in out and "valid: ceil((28-5+1)/2) = 12" not in out
    code, out, _ = run_cli("summary", cli_run, capsys=capsys)
    assert code == 0 and "total params" in out


def test_summary_takes_the_class_count_from_the_dataset(tmp_path, capsys):
    images, labels = make_images(60, 0, num_classes=5)
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", labels)
    five = f"idx:{tmp_path}"
    code, _, err = run_cli("summary", "--dataset", five, capsys=capsys)  # the default net ends in 10 units
    assert code == 1 and "the dataset has 5 classes" in err
    code, out, _ = run_cli("summary", "--dataset", five, "--set", "model.layers[12].units=5", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["layers"][-1]["output_shape"] == [5]
    code, out, _ = run_cli("summary", "--dataset", five, "--classes", "10", "--json", capsys=capsys)  # explicit
    assert code == 0 and json.loads(out)["layers"][-1]["output_shape"] == [10]


def test_config_show_prints_valid_resolved_toml(capsys):
    code, out, _ = run_cli("config", "show", "torch-example", "--epochs", "3", capsys=capsys)
    d = tomllib.loads(out)
    assert code == 0 and d["train"]["optimizer"] == "adadelta" and d["train"]["epochs"] == 3


def test_config_list_shows_each_presets_whole_summary(capsys, monkeypatch):
    from mnistlab.presets import PRESETS

    monkeypatch.setenv("COLUMNS", "90")
    code, out, _ = run_cli("config", "list", capsys=capsys)
    assert code == 0 and "keras-convnet" in out and "34,826 params" in out
    assert max(map(len, out.splitlines())) < 90
    unwrapped = " ".join(out.split())
    for recipe in PRESETS.values():
        assert " ".join(recipe.__doc__.split("\n\n")[0].split()) in unwrapped  # torch-example's ends "60k images."


def test_train_help_explains_the_notes_flags(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--optimizer {sgd,adam,adamw,rmsprop,adadelta} train.optimizer:" in text
    for flag, key in (("--epochs N", "train.epochs"), ("--batch-size N", "train.batch_size"),
                      ("--learning-rate LR", "train.learning_rate"), ("--seed N", "train.seed")):
        assert f"{flag} {key}: " in text


def test_data_info_and_show(tiny_idx_dir, tmp_path, capsys):
    code, out, _ = run_cli("data", "info", f"idx:{tiny_idx_dir}", "--json", capsys=capsys)
    info = json.loads(out)
    assert code == 0 and info["splits"]["train"]["count"] == 1200 and info["splits"]["test"]["count"] == 300
    png = tmp_path / "grid.png"
    code, out, _ = run_cli("data", "show", f"idx:{tiny_idx_dir}", "--out", png, "--count", "16", capsys=capsys)
    assert code == 0 and Image.open(png).size[0] > 100


def test_real_mnist_data_info(shared_mnist, capsys):
    code, out, _ = run_cli("data", "info", "mnist", "--data-dir", shared_mnist, capsys=capsys)
    assert code == 0 and "train: 60000" in out and "verified" in out


# --------------------------------------------------------------------------------------------
# Bad input: one line, exit 1, nothing half-written
# --------------------------------------------------------------------------------------------


def one_line_error(code, err, *fragments):
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnistlab: error: "), err
    for f in fragments:
        assert f in lines[0], lines[0]


def test_unknown_config_key(tmp_path, tiny_toml, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(tiny_toml.read_text().replace("epochs = 1", "epoch = 1"))
    code, _, err = run_cli("train", "--config", bad, "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "train.epoch: unknown key; did you mean 'epochs'?")
    assert not (tmp_path / "r").exists()


def test_wrong_type_from_set_and_head_loss_mismatch(tmp_path, capsys):
    code, _, err = run_cli("train", "--set", "train.batch_size=big", "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "train.batch_size = 'big': expected an integer")
    code, _, err = run_cli("train", "--set", "model.output=sigmoid", "--set", "train.loss=cross_entropy",
                           "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "does not fit model.output = 'sigmoid'")
    assert not (tmp_path / "r").exists()


def test_impossible_stack_fails_before_training(tmp_path, tiny_idx_dir, capsys):
    code, _, err = run_cli("train", "--dataset", f"idx:{tiny_idx_dir}", "--set", "model.layers[0].kernel_size=40",
                           "--set", "data.validation_size=100",
                           "--set", "model.layers[0].padding='valid'", "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "model.layers[0] (conv2d): input 1x28x28 is too small for a 40x40 window",
                   "valid: ceil((28-40+1)/2) = -5")
    assert not (tmp_path / "r").exists()


def test_validation_larger_than_the_training_set(tmp_path, tiny_idx_dir, capsys):
    code, _, err = run_cli("train", "--dataset", f"idx:{tiny_idx_dir}", "--set", "data.validation_size=5000",
                           "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "data.validation_size = 5000 leaves no training images out of 1200")


def test_corrupt_idx_file_names_the_file(tmp_path, tiny_idx_dir, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in tiny_idx_dir.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    data = (broken / "train-images-idx3-ubyte.gz").read_bytes()
    (broken / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
    code, _, err = run_cli("train", "--dataset", f"idx:{broken}", "--out", tmp_path / "r", capsys=capsys)
    one_line_error(code, err, "train-images-idx3-ubyte.gz")
    assert not (tmp_path / "r").exists()


def test_existing_run_is_not_overwritten(cli_run, tiny_toml, capsys):
    before = {p.name: p.read_bytes() for p in cli_run.iterdir()}
    code, _, err = run_cli("train", "--config", tiny_toml, "--out", cli_run, capsys=capsys)
    one_line_error(code, err, "already holds a run", "--resume")
    assert {p.name: p.read_bytes() for p in cli_run.iterdir()} == before


def test_resume_refuses_a_folder_that_is_not_a_run_and_extra_config(tmp_path, cli_run, capsys):
    code, _, err = run_cli("train", "--resume", tmp_path, capsys=capsys)
    one_line_error(code, err, "not a run folder (no config.toml)")
    code, _, err = run_cli("train", "--resume", cli_run, "--set", "train.epochs=9", capsys=capsys)
    one_line_error(code, err, "--set cannot change them; only --epochs, --data-dir and --device can")


def test_resume_a_finished_run_is_refused_cleanly(cli_run, capsys):
    # all epochs done: nothing to resume, and nothing is rewritten (no second "end" event, same result)
    before = {f: (cli_run / f).read_bytes() for f in ("result.json", "events.jsonl", "metrics.csv")}
    code, _, err = run_cli("train", "--resume", cli_run, "--quiet", capsys=capsys)
    one_line_error(code, err, "is already finished (completed, 2 epochs); nothing was changed. To train it longer: "
                              f"--resume {cli_run} --epochs 3")
    assert {f: (cli_run / f).read_bytes() for f in before} == before


def test_predict_bad_images(cli_run, tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    code, _, err = run_cli("predict", cli_run, text, capsys=capsys)
    one_line_error(code, err, "notes.png")
    code, _, err = run_cli("predict", cli_run, tmp_path / "missing.png", capsys=capsys)
    one_line_error(code, err, "missing.png")


def test_evaluate_rejects_a_dataset_with_other_classes(cli_run, tmp_path, capsys):
    folder = tmp_path / "three"
    for k in range(3):
        (folder / f"c{k}").mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((28, 28), 40 * k + i, np.uint8)).save(folder / f"c{k}" / f"{i}.png")
    code, _, err = run_cli("evaluate", cli_run, "--dataset", f"folder:{folder}", capsys=capsys)
    one_line_error(code, err, "has 3 classes", "pick a matching --dataset")


def test_errors_have_no_traceback_unless_debug(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    cmd = [sys.executable, "-m", "mnistlab", "evaluate", str(tmp_path)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1
    p = subprocess.run([sys.executable, "-m", "mnistlab", "--debug", *cmd[3:]], capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "Traceback" in p.stderr


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["summary"], ["data", "info"],
                                     ["data", "show"], ["config", "show"]])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([*command, "--help"])
    assert e.value.code == 0 and "usage: mnistlab" in capsys.readouterr().out


def test_errors_are_printed_in_the_language_of_the_command(tmp_path, cli_run, capsys, monkeypatch):
    code, _, err = run_cli("evaluate", tmp_path, "--lang", "ko", capsys=capsys)
    one_line_error(code, err, "실행 폴더가 아닙니다 (config.toml 없음)", "`mnistlab train`이 만든 폴더를 주세요")
    code, _, err = run_cli("evaluate", tmp_path, "--lang", "en", capsys=capsys)
    one_line_error(code, err, "not a run folder (no config.toml)", "pass a folder that `mnistlab train` wrote")
    # flags stay as they are in Korean; "2 에폭" is a message inside the message, in the same language
    code, _, err = run_cli("train", "--resume", cli_run, "--batch-size", "8", "--lang", "ko", capsys=capsys)
    one_line_error(code, err, "--resume은", "--batch-size(으)로 설정을 바꿀 수 없습니다", "--epochs, --data-dir, --device")
    code, _, err = run_cli("train", "--resume", cli_run, "--epochs", "1", "--lang", "ko", capsys=capsys)
    one_line_error(code, err, "--epochs 1:", "이미 2 에폭 학습했습니다")
    # a command without --lang speaks the language LANG names
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    code, _, err = run_cli("compare", cli_run, capsys=capsys)
    one_line_error(code, err, "compare에는 실행 폴더가 두 개 이상 필요합니다")
