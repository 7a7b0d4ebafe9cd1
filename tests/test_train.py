"""Training: the run folder, determinism, exact resume after a real kill, the NaN guard, targets, heads."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import REPO, tiny_config
from safetensors.torch import load_file

from mnistlab.device import threads
from mnistlab.errors import MnistlabError, MnistlabWarning
from mnistlab.train import Run, StopTraining, fit

RUN_FILES = {"config.toml", "model.json", "model.safetensors", "checkpoint.safetensors", "metrics.csv",
             "events.jsonl", "result.json"}


def test_run_folder_is_complete_and_self_describing(tiny_run):
    assert RUN_FILES <= {p.name for p in tiny_run.iterdir()}
    assert not [p for p in tiny_run.iterdir() if p.name.endswith(".tmp")]  # no temp files left
    run = Run.open(tiny_run)
    result = run.result()
    assert result["test_accuracy"] > 0.9  # the synthetic task is easy
    assert {"test_accuracy", "test_loss", "seconds", "target_reached", "epochs_run"} <= set(result)
    rows = run.metrics()
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(rows[0])
    events = [json.loads(line) for line in (tiny_run / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events][0] == "start" and events[-1]["event"] == "end"
    assert run.classes == [str(i) for i in range(10)] and run.input_shape == (1, 28, 28)
    # the model rebuilds from the folder alone and gives the recorded accuracy
    from conftest import make_dataset

    from mnistlab.evaluate import evaluate
    ds = make_dataset()
    m = evaluate(run.load_model(), ds.test_images, ds.test_labels, run.config.train.loss, run.classes,
                 label_smoothing=run.config.train.label_smoothing)
    assert m["accuracy"] == pytest.approx(result["test_accuracy"]) and m["loss"] == pytest.approx(result["test_loss"])


def test_same_seed_gives_identical_metrics_and_weights(tmp_path, tiny_dataset):
    # the same seed and the same thread count (float sums depend on it; threads = 0 follows the free cores)
    cfg = tiny_config(epochs=1, threads=1)
    a = fit(cfg, tmp_path / "a", dataset=tiny_dataset, progress=False)
    b = fit(cfg, tmp_path / "b", dataset=tiny_dataset, progress=False)
    assert Run.open(tmp_path / "a").metrics()[0]["loss"] == Run.open(tmp_path / "b").metrics()[0]["loss"]
    assert a["test_loss"] == b["test_loss"]
    wa, wb = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    c = fit(tiny_config(epochs=1, seed=1, threads=1), tmp_path / "c", dataset=tiny_dataset, progress=False)
    assert c["test_loss"] != a["test_loss"]


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from conftest import make_dataset, tiny_config
    from mnistlab.train import fit

    def kill_mid_epoch_2(event):
        # SIGKILL: no cleanup, no atexit, exactly like a crash or an OOM kill
        if event["event"] == "step" and event["epoch"] == 2 and event["step"] >= 10:
            os.kill(os.getpid(), signal.SIGKILL)

    cfg = tiny_config(epochs=3, log_every=5, optimizer="adam", schedule="one_cycle", threads=int(sys.argv[3]))
    cfg = cfg.replace(**{{"model.layers": [*cfg.to_dict()["model"]["layers"][:3], {{"type": "dropout", "rate": 0.3}},
                                         cfg.to_dict()["model"]["layers"][3]]}})
    fit(cfg, sys.argv[1], dataset=make_dataset(), progress=False,
        callbacks=[kill_mid_epoch_2] if sys.argv[2] == "kill" else [])
""")


def test_resume_after_a_real_kill_is_bitwise_identical(tmp_path, tiny_dataset, monkeypatch):
    script = tmp_path / "train.py"
    script.write_text(KILL_SCRIPT.format(tests=str(REPO / "tests")))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    killed = subprocess.run([sys.executable, str(script), str(tmp_path / "k"), "kill", "0"], env=env)  # auto threads
    assert killed.returncode == -signal.SIGKILL
    assert not (tmp_path / "k" / "result.json").exists()
    assert [r["epoch"] for r in Run.open(tmp_path / "k").metrics()] == [1]  # epoch 2 died half-way

    run = Run.open(tmp_path / "k")  # resume in this process from the files alone...
    # ...whose thread count differs from the run's (the order of float sums depends on it, and other code
    # in a process may have changed it): the resume must train with the count the run started with.
    assert run.meta.threads >= 1 and run.config.train.threads == 0  # chosen from the free cores, and recorded
    other = 1 if run.meta.threads > 1 else 2
    from mnistlab.train import loop

    monkeypatch.setattr(loop, "free_cores", lambda: other)  # and the machine is busier (or quieter) now
    with threads(other):
        caller = torch.get_num_threads()
        fit(run.config, tmp_path / "k", dataset=tiny_dataset, resume=True, progress=False)
        assert torch.get_num_threads() == caller  # and leave the caller's setting as it was
    # the uninterrupted run, with the thread count the killed run chose (the machine's load may differ now)
    full = subprocess.run([sys.executable, str(script), str(tmp_path / "u"), "full", str(run.meta.threads)], env=env)
    assert full.returncode == 0

    wk, wu = load_file(tmp_path / "k" / "model.safetensors"), load_file(tmp_path / "u" / "model.safetensors")
    assert wk.keys() == wu.keys()
    assert all(torch.equal(wk[k], wu[k]) for k in wk), "resumed weights differ from the uninterrupted run"
    mk, mu = Run.open(tmp_path / "k").metrics(), Run.open(tmp_path / "u").metrics()
    assert [(r["loss"], r["val_loss"]) for r in mk] == [(r["loss"], r["val_loss"]) for r in mu]


def test_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path, tiny_dataset, monkeypatch):
    from mnistlab.train import loop

    calls = {"n": 0}
    real_loss = loop.loss_from_logits

    def loss_that_blows_up_in_epoch_2(*args, **kwargs):  # 1000 images / 64 = 16 steps per epoch
        calls["n"] += 1
        loss = real_loss(*args, **kwargs)
        return loss * float("nan") if calls["n"] > 18 else loss

    monkeypatch.setattr(loop, "loss_from_logits", loss_that_blows_up_in_epoch_2)
    saved = {}

    def remember_checkpoint(event):
        if event["event"] == "step" and event["epoch"] == 2 and not saved:
            saved["bytes"] = (tmp_path / "r" / "checkpoint.safetensors").read_bytes()

    with pytest.raises(MnistlabError, match=r"the loss became nan during epoch 2; the last good checkpoint "
                                            r"\(epoch 1\) is kept in .*; lower train.learning_rate"):
        fit(tiny_config(epochs=3, log_every=1), tmp_path / "r", dataset=tiny_dataset, progress=False,
            callbacks=[remember_checkpoint])
    assert (tmp_path / "r" / "checkpoint.safetensors").read_bytes() == saved["bytes"]
    assert not (tmp_path / "r" / "result.json").exists()
    model = Run.open(tmp_path / "r").load_model()  # still loadable from the good checkpoint: epoch 1's weights
    assert all(torch.isfinite(p).all() for p in model.parameters())
    with torch.no_grad():
        predictions = model(tiny_dataset.test_images.float() / 255).argmax(1)
    assert (predictions == tiny_dataset.test_labels).float().mean() > 0.8


def test_target_accuracy_stops_early_and_says_when(tmp_path, tiny_dataset, capsys):
    result = fit(tiny_config(epochs=5, target_accuracy=0.9), tmp_path / "t", dataset=tiny_dataset)
    assert result["target_reached"] and result["target_epoch"] == 1 and result["epochs_run"] == 1
    assert result["status"] == "reached_target"
    assert "target val_accuracy 0.9 reached at epoch 1 after" in capsys.readouterr().out


def test_unreached_target_is_said_plainly(tmp_path, tiny_dataset, capsys):
    result = fit(tiny_config(epochs=1, target_accuracy=0.999, learning_rate=1e-6), tmp_path / "t",
                 dataset=tiny_dataset)
    assert not result["target_reached"] and result["target_epoch"] is None
    assert "target val_accuracy 0.999 was NOT reached in 1 epoch" in capsys.readouterr().out


def test_sigmoid_head_trains_with_binary_cross_entropy(tmp_path, tiny_dataset):
    cfg = tiny_config(epochs=2).replace(**{"model.output": "sigmoid", "train.loss": "binary_cross_entropy"})
    result = fit(cfg, tmp_path / "s", dataset=tiny_dataset, progress=False)
    assert result["test_accuracy"] > 0.9


@pytest.mark.parametrize("optimizer, schedule", [("sgd", "step"), ("adamw", "cosine"), ("rmsprop", "constant"),
                                                 ("adadelta", "one_cycle")])
def test_every_optimizer_and_schedule_learns(tmp_path, tiny_dataset, optimizer, schedule):
    lr = {"sgd": 0.05, "adamw": 0.01, "rmsprop": 0.003, "adadelta": 1.0}[optimizer]
    cfg = tiny_config(epochs=2, optimizer=optimizer, schedule=schedule, learning_rate=lr, nesterov=True,
                      label_smoothing=0.1)
    assert fit(cfg, tmp_path / optimizer, dataset=tiny_dataset, progress=False)["test_accuracy"] > 0.8


def test_augmentation_and_dropout_run(tmp_path, tiny_dataset):
    layers = [{"type": "conv2d", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same",
               "activation": "relu"}, {"type": "maxpool2d"}, {"type": "flatten"}, {"type": "dropout", "rate": 0.3},
              {"type": "dense", "units": 10}]
    cfg = tiny_config(epochs=1).replace(**{"data.shift": 2, "data.rotation": 10.0, "model.layers": layers})
    assert fit(cfg, tmp_path / "aug", dataset=tiny_dataset, progress=False)["test_accuracy"] > 0.5
    model, x = Run.open(tmp_path / "aug").load_model(), tiny_dataset.test_images[:8].float() / 255
    with torch.no_grad():
        assert torch.equal(model(x), model(x))  # evaluation: dropout off
        model.train()
        assert not torch.equal(model(x), model(x))  # training: dropout zeroes different units each pass


def test_a_callback_can_cancel(tmp_path, tiny_dataset):
    def cancel(event):
        if event["event"] == "epoch":
            raise StopTraining

    result = fit(tiny_config(epochs=4), tmp_path / "c", dataset=tiny_dataset, progress=False, callbacks=[cancel])
    assert result["status"] == "cancelled" and result["epochs_run"] == 1
    assert (tmp_path / "c" / "model.safetensors").exists()


def test_refuses_to_overwrite_a_run_and_to_resume_nothing(tmp_path, tiny_dataset, tiny_run):
    before = (tiny_run / "result.json").read_bytes()
    with pytest.raises(MnistlabError, match="already holds a run; pick another --out"):
        fit(tiny_config(), tiny_run, dataset=tiny_dataset, progress=False)
    assert (tiny_run / "result.json").read_bytes() == before
    with pytest.raises(MnistlabError, match="nothing to resume"):
        fit(tiny_config(), tmp_path / "empty", dataset=tiny_dataset, resume=True, progress=False)


def test_metrics_csv_has_the_requested_extra_metrics(tmp_path, tiny_dataset):
    fit(tiny_config(epochs=1, metrics=("accuracy", "f1", "top5_accuracy")), tmp_path / "m", dataset=tiny_dataset,
        progress=False)
    with open(tmp_path / "m" / "metrics.csv") as f:
        row = next(csv.DictReader(f))
    assert 0 < float(row["val_f1"]) <= 1 and 0 < float(row["val_top5_accuracy"]) <= 1


def test_compiled_training_step_learns_and_saves_plain_weights(tmp_path, tiny_dataset, tiny_run):
    """train.compile = "always" (on CUDA "auto" does this): torch.compile'd step, same run folder format."""
    result = fit(tiny_config(epochs=1, compile="always"), tmp_path / "c", dataset=tiny_dataset, progress=False)
    assert result["test_accuracy"] > 0.9
    compiled = load_file(tmp_path / "c" / "model.safetensors")
    assert compiled.keys() == load_file(tiny_run / "model.safetensors").keys()  # no "_orig_mod." prefixes


def test_fit_leaves_the_callers_random_state_and_threads_alone(tmp_path, tiny_dataset):
    torch.manual_seed(1234)
    before, threads_before = torch.random.get_rng_state(), torch.get_num_threads()
    fit(tiny_config(epochs=1, threads=1), tmp_path / "r", dataset=tiny_dataset, progress=False)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.get_num_threads() == threads_before
    assert Run.open(tmp_path / "r").meta.threads == 1  # train.threads was used while training


def test_top5_on_fewer_than_six_classes_is_refused_before_training(tmp_path):
    from conftest import make_images

    from mnistlab.data import Dataset

    x, y = make_images(300, 0, num_classes=3)
    ds = Dataset("three", ("a", "b", "c"), torch.from_numpy(x)[:, None], torch.from_numpy(y).long(),
                 torch.from_numpy(x[:50])[:, None], torch.from_numpy(y[:50]).long())
    cfg = tiny_config(epochs=1, metrics=("accuracy", "top5_accuracy")).replace(**{"model.layers[3].units": 3})
    with pytest.raises(MnistlabError, match="top5_accuracy needs more than 5 classes, but three has 3"):
        fit(cfg, tmp_path / "r", dataset=ds, progress=False)
    assert not (tmp_path / "r").exists()  # refused before anything was written


def test_validation_size_auto_is_proportional_and_a_big_one_warns(tmp_path, tiny_dataset):
    from mnistlab.data.dataset import validation_count

    assert validation_count("auto", 60_000) == 5_000  # MNIST keeps its customary 5,000
    assert validation_count("auto", 8_000) == 667  # not 5,000 of 8,000
    with pytest.warns(MnistlabWarning, match="holds out more than half of the 8000 training images"):
        validation_count(5_000, 8_000)
    with pytest.warns(MnistlabWarning, match="학습 이미지 8000개의 절반 넘게"):  # in fit's language
        validation_count(5_000, 8_000, "ko")
    cfg = tiny_config(epochs=1).replace(**{"data.validation_size": "auto"})
    result = fit(cfg, tmp_path / "a", dataset=tiny_dataset, progress=False)
    assert result["validation_size"] == 100 and result["train_size"] == 1100  # 1200 / 12 held out
    assert Run.open(tmp_path / "a").meta.validation_size == 100


def test_metrics_without_a_validation_split_are_reported_on_the_test_set(tmp_path, tiny_dataset):
    cfg = tiny_config(epochs=1, metrics=("accuracy", "f1", "precision")).replace(**{"data.validation_size": 0})
    result = fit(cfg, tmp_path / "m", dataset=tiny_dataset, progress=False)
    assert 0 < result["test_f1"] <= 1 and 0 < result["test_precision"] <= 1


def test_the_epoch_line_shows_the_learning_rate_range_not_the_final_zero(tmp_path, tiny_dataset, capsys):
    fit(tiny_config(epochs=1, schedule="one_cycle", learning_rate=0.01), tmp_path / "o", dataset=tiny_dataset)
    line = next(s for s in capsys.readouterr().out.splitlines() if s.startswith("epoch 1:"))
    assert re.search(r"\| lr 0-0\.0(09|1)\d* \|", line) and "0.00e+00" not in line  # the range swept: 0 to ~peak


def _cli(*args):
    from mnistlab.cli import main

    return main([str(a) for a in args])


def test_resume_extends_a_run_honours_what_it_can_and_refuses_the_rest(tmp_path, tiny_idx_dir, capsys):
    out = tmp_path / "r"
    base = ["--dataset", f"idx:{tiny_idx_dir}", "--set", "train.log_every=10", "--set", "data.validation_size=100",
            "--set", "model.layers[0].filters=4", "--device", "cpu", "--quiet"]
    assert _cli("train", *base, "--epochs", "1", "--out", out) == 0
    result = (out / "result.json").read_bytes()

    assert _cli("train", "--resume", out) == 1  # finished: nothing to do, nothing changed
    assert "already finished (completed, 1 epoch); nothing was changed" in capsys.readouterr().err
    assert (out / "result.json").read_bytes() == result
    for flag in (["--batch-size", "32"], ["--learning-rate", "0.1"], ["--out", tmp_path / "x"]):
        assert _cli("train", "--resume", out, "--epochs", "3", *flag) == 1
        err = capsys.readouterr().err
        assert f"{flag[0]} cannot change them; only --epochs, --data-dir and --device can" in err
        assert len(err.strip().splitlines()) == 1

    assert _cli("train", "--resume", out, "--epochs", "2", "--device", "cpu", "--data-dir", tiny_idx_dir) == 0
    run = Run.open(out)
    assert [r["epoch"] for r in run.metrics()] == [1, 2] and run.result()["epochs_run"] == 2
    assert run.config.train.epochs == 2  # config.toml says what ran


def test_resume_reads_the_run_folder_once_and_trains_with_its_recorded_threads(tmp_path, tiny_dataset, monkeypatch):
    from mnistlab.train import loop

    monkeypatch.setattr(loop, "free_cores", lambda: 1)  # the run starts on a busy machine: 1 thread, recorded
    fit(tiny_config(epochs=1), tmp_path / "r", dataset=tiny_dataset, progress=False)
    assert Run.open(tmp_path / "r").meta.threads == 1
    monkeypatch.setattr(loop, "free_cores", lambda: 2)  # and resumes on a quieter one
    opened, used = [], []
    real_open = Run.open.__func__
    monkeypatch.setattr(Run, "open", classmethod(lambda cls, path: opened.append(path) or real_open(cls, path)))
    monkeypatch.setattr(loop.CoreWatch, "free", lambda self, min_window=0.5: None)  # no load change mid-run

    def threads_at_start(event):
        if event["event"] == "start":
            used.append(torch.get_num_threads())

    fit(tiny_config(epochs=2), tmp_path / "r", dataset=tiny_dataset, resume=True, progress=False,
        callbacks=[threads_at_start])
    assert opened == [tmp_path / "r"]  # checked and its thread count taken from one reading
    assert used == [1]  # the count the run started with, not the 2 free cores now


def test_free_cores_leaves_out_what_other_programs_use(monkeypatch):
    """train.threads = 0 trains with the cores other programs leave free: sharing a busy core stalls every
    OpenMP thread (benchmarks/RESULTS.md: over 9x slower with one busy program on two cores)."""
    from mnistlab import resources

    clock = [100.0]
    monkeypatch.setattr(resources, "usable_cores", lambda: 4)
    monkeypatch.setattr(resources.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(resources.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    ticks = resources.os.sysconf("SC_CLK_TCK") * 0.05  # one core's ticks over the sampling interval

    def readings(*pairs):  # (busy, own) tick counters at each sample: _cpu_busy, then _own_cpu
        values = iter([v for pair in pairs for v in pair])
        monkeypatch.setattr(resources, "_cpu_busy", lambda: next(values))
        monkeypatch.setattr(resources, "_own_cpu", lambda: next(values))

    readings((0, 0), (ticks, 0))  # another program keeps one core busy
    assert resources.free_cores() == 3
    readings((0, 0), (2 * ticks, 2 * ticks))  # only this process is busy: everything is free for it
    assert resources.free_cores() == 4
    readings((0, 0), (9 * ticks, 0))  # an overloaded machine still gets one thread
    assert resources.free_cores() == 1

    # A watch measures over the time between its calls, without sleeping: 1 s windows here.
    second = resources.os.sysconf("SC_CLK_TCK")  # one core's ticks in a second
    readings((0, 0), (2 * second, 2 * second), (5 * second, 4 * second))
    watch = resources.CoreWatch()
    clock[0] += 1
    assert watch.free() == 4  # this process ran on two cores; two more idle
    clock[0] += 1
    assert watch.free() == 3  # others took one core in that second
    clock[0] += 0.1
    assert watch.free() is None  # too short a window to tell (and nothing read: the readings are used up)


def test_training_follows_the_load_when_threads_is_0(tmp_path, tiny_dataset, monkeypatch):
    """A busy program that starts (or ends) mid-run changes the thread count within a step or so (the
    watch is asked at every step); an explicit train.threads is never changed."""
    from mnistlab import resources

    measured = iter([1, 1, 2] * 100)
    monkeypatch.setattr(resources.CoreWatch, "free", lambda self, min_window=0.5: next(measured))
    before = torch.get_num_threads()
    fit(tiny_config(epochs=1, log_every=5), tmp_path / "auto", dataset=tiny_dataset, progress=False)
    changes = [e for e in Run.open(tmp_path / "auto").events() if e["event"] == "threads"]
    assert [e["threads"] for e in changes][:2] == [1, 2] or [e["threads"] for e in changes][:2] == [2, 1]
    assert torch.get_num_threads() == before  # the caller's count, afterwards

    fit(tiny_config(epochs=1, log_every=5, threads=1), tmp_path / "fixed", dataset=tiny_dataset, progress=False)
    assert not [e for e in Run.open(tmp_path / "fixed").events() if e["event"] == "threads"]


def test_fit_gives_the_caller_its_threads_back_when_it_started_with_the_same_count(tmp_path, tiny_dataset,
                                                                                   monkeypatch):
    """On an idle machine fit starts with the caller's own count; following the load then changes it, and the
    caller must still get its count back (it kept the changed one, since `threads` restored only a count it had
    set itself)."""
    from mnistlab import resources
    from mnistlab.train import loop

    before = torch.get_num_threads()
    monkeypatch.setattr(loop, "free_cores", lambda: before)  # every core free at the start
    busier = 1 if before > 1 else 2
    monkeypatch.setattr(resources.CoreWatch, "free", lambda self, min_window=0.5: busier)  # then a program starts
    fit(tiny_config(epochs=1), tmp_path / "r", dataset=tiny_dataset, progress=False)
    assert [e["threads"] for e in Run.open(tmp_path / "r").events() if e["event"] == "threads"] == [busier]
    assert torch.get_num_threads() == before


def test_steps_per_epoch_trains_on_part_of_each_epochs_shuffled_order(tmp_path, tiny_dataset):
    """train.steps_per_epoch (Keras' fit argument): that many batches an epoch, the schedule sized to them."""
    fit(tiny_config(epochs=2, steps_per_epoch=3, schedule="one_cycle", log_every=1), tmp_path / "r",
        dataset=tiny_dataset, progress=False)
    events = Run.open(tmp_path / "r").events()
    start = next(e for e in events if e["event"] == "start")
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert start["steps_per_epoch"] == 3 and steps == [1, 2, 3, 1, 2, 3]
    last = [e for e in events if e["event"] == "step"][-1]
    assert last["learning_rate"] == 0.0  # one-cycle ends at 0 after 2 x 3 steps, not after 2 whole epochs

    whole = -(-(len(tiny_dataset.train_labels) - 200) // 64)  # 1,000 training images in batches of 64
    with pytest.raises(MnistlabError, match=rf"train.steps_per_epoch = 99 is more than the {whole} batches"):
        fit(tiny_config(steps_per_epoch=99), tmp_path / "big", dataset=tiny_dataset, progress=False)


@pytest.mark.parametrize("head, label_smoothing", [("softmax", 0.1), ("softmax", 0.0), ("sigmoid", 0.1)])
def test_val_test_and_evaluate_losses_include_label_smoothing_as_in_keras(tmp_path, tiny_dataset, tiny_idx_dir,
                                                                          capsys, head, label_smoothing):
    """Keras' fit and evaluate report the compiled loss, smoothing included: so do val_loss, result.json's
    test_loss, ml.evaluate and `mnistlab evaluate`, each equal to torch's own loss on the same logits."""
    import torch.nn.functional as F

    import mnistlab as ml
    from mnistlab.data import split_validation

    loss = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy"}[head]
    cfg = tiny_config(epochs=1, threads=1, label_smoothing=label_smoothing).replace(
        **{"model.output": head, "train.loss": loss})
    result = fit(cfg, tmp_path / "r", dataset=tiny_dataset, progress=False)
    run = Run.open(tmp_path / "r")
    model = run.load_model()

    def reference(images, labels, smoothing):  # written from torch's documentation, not from mnistlab's code
        with torch.no_grad():
            logits = model(images.float() / 255)
        if head == "softmax":
            return F.cross_entropy(logits, labels, label_smoothing=smoothing).item()
        target = F.one_hot(labels, 10).float() * (1 - smoothing) + smoothing / 2  # Keras' binary smoothing
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1).mean().item()

    _, (val_x, val_y) = split_validation(tiny_dataset.train_images, tiny_dataset.train_labels, run.meta.validation_size)
    test_x, test_y = tiny_dataset.test_images, tiny_dataset.test_labels
    val_loss, test_loss = reference(val_x, val_y, label_smoothing), reference(test_x, test_y, label_smoothing)
    assert run.metrics()[-1]["val_loss"] == pytest.approx(val_loss, rel=1e-5)
    assert result["test_loss"] == pytest.approx(test_loss, rel=1e-5)
    assert ml.evaluate(run, tiny_dataset).loss == pytest.approx(test_loss, rel=1e-5)
    assert ml.evaluate(run, tiny_dataset, split="val").loss == pytest.approx(val_loss, rel=1e-5)
    from mnistlab.cli import main

    assert main(["evaluate", str(run.path), "--dataset", f"idx:{tiny_idx_dir}", "--device", "cpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loss"] == pytest.approx(test_loss, rel=1e-5)
    unsmoothed = reference(test_x, test_y, 0.0)
    if label_smoothing:
        assert test_loss > unsmoothed + 0.1  # the two definitions are far apart: the comparisons above can tell
        if head == "softmax":  # the smoothed target's own entropy: what even a perfect network would score
            assert val_loss > 0.50 and test_loss > 0.50
    else:
        assert test_loss == pytest.approx(unsmoothed)
