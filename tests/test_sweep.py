"""Sweeps: the sweep file's checks, trials as run folders, pruning, two workers on one SQLite study, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from mnistlab.cli import main
from mnistlab.errors import MnistlabError
from mnistlab.sweep import (
    _redact,
    load_sweep,
    objective,
    storage,
    study_from_folder,
    trial_config,
)
from mnistlab.sweep_report import MIN_TRIALS_FOR_IMPORTANCE, importances, write_report

# The tiny network of conftest.tiny_config, as a sweep's [base]: conv (stride 2) -> maxpool -> dense.
BASE = """
[base.data]
validation_size = 200

[[base.model.layers]]
type = "conv2d"
filters = 8
kernel_size = 3
strides = 2
padding = "same"
activation = "relu"

[[base.model.layers]]
type = "maxpool2d"
pool_size = 2

[[base.model.layers]]
type = "flatten"

[[base.model.layers]]
type = "dense"
units = 10

[base.train]
epochs = 1
batch_size = 64
schedule = "constant"
device = "cpu"
threads = 1
"""

SPACE = """
[space]
"train.learning_rate" = {low = 3e-3, high = 3e-2, log = true}
"model.layers[0].filters" = [4, 8]
"train.optimizer" = ["adam", "sgd"]
"model.output" = ["softmax", "sigmoid"]
"""


def write_sweep(tmp_path: Path, space: str = SPACE, sweep: str = "", base: str = BASE, name="tiny") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(base + space + sweep)
    return path


# ------------------------------------------------------------------------------------------------
# The sweep file
# ------------------------------------------------------------------------------------------------


def test_a_sweep_file_reads_into_base_space_and_settings(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, sweep='[sweep]\nsampler = "random"\nn_trials = 7\ntimeout = 60\n'),
                       dataset="idx:/data", overrides={"train.epochs": 3})
    assert (sweep.name, sweep.sampler, sweep.n_trials, sweep.timeout) == ("tiny", "random", 7, 60)
    assert sweep.pruner == "median"
    assert sweep.base.data.dataset == "idx:/data" and sweep.base.train.epochs == 3
    lr = sweep.space[0]
    assert (lr.key, lr.low, lr.high, lr.log, lr.integer) == ("train.learning_rate", 3e-3, 3e-2, True, False)
    assert sweep.space[1].choices == (4, 8)


def test_a_preset_can_be_the_base(tmp_path):
    path = write_sweep(tmp_path, base='[base]\npreset = "lenet5"\n', space='[space]\n"train.batch_size" = [64, 128]\n')
    assert load_sweep(path).base.model.layers[0].kernel_size == 5
    sigmoid = write_sweep(tmp_path, base='[base]\npreset = "lenet5"\n[base.model]\noutput = "sigmoid"\n',
                          space='[space]\n"train.batch_size" = [64, 128]\n', name="sigmoid")
    assert load_sweep(sigmoid).base.train.loss == "binary_cross_entropy"


def test_the_loss_follows_a_sampled_head():
    from conftest import tiny_config

    base = tiny_config()
    assert trial_config(base, {"model.output": "sigmoid"}).train.loss == "binary_cross_entropy"
    assert trial_config(base, {"model.output": "softmax"}).train.loss == "cross_entropy"


@pytest.mark.parametrize("space, sweep, fragment", [
    ('"train.learnig_rate" = [0.1]', "", 'train.learnig_rate'),
    ('"model.layers[0].padding" = ["same", "sme"]', "", 'model.layers[0].padding'),
    ('"model.layers[7].filters" = [8]', "", "model.layers[7].filters"),
    ('"train.learning_rate" = {low = 0.1, high = 0.01}', "", "train.learning_rate"),
    ('"train.learning_rate" = {low = 0.0, high = 0.01, log = true}', "", "train.learning_rate"),
    ('"train.learning_rate" = {low = 0.001, high = 0.01, lo = 1}', "", "train.learning_rate"),
    ('"train.epochs" = [1, 1]', "", "train.epochs"),
    ('"train.epochs" = [0, 1]', "", "train.epochs"),
    ('"train.learning_rate" = {low = 0.001, high = 0.01}', 'sampler = "grid"', "train.learning_rate"),
    ('"train.epochs" = [1, 2]', 'sampler = "bayes"', "sampler"),
    ('"train.epochs" = [1, 2]', 'pruner = "asha"', "pruner"),
    ('"train.epochs" = [1, 2]', "n_trials = 0", "n_trials"),
    ('"train.epochs" = [1, 2]', "trials = 5", "trials"),
])
def test_a_bad_sweep_file_is_one_line_naming_the_key(tmp_path, space, sweep, fragment):
    path = write_sweep(tmp_path, space=f"[space]\n{space}\n", sweep=f"[sweep]\n{sweep}\n")
    with pytest.raises(MnistlabError) as e:
        load_sweep(path)
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_a_sweep_needs_validation_images_and_a_space(tmp_path):
    with pytest.raises(MnistlabError, match="validation_size"):
        load_sweep(write_sweep(tmp_path), overrides={"data.validation_size": 0})
    with pytest.raises(MnistlabError, match=r"\[space\] is empty"):
        load_sweep(write_sweep(tmp_path, space=""))
    with pytest.raises(MnistlabError, match=r"unknown section \[spaces\]"):
        load_sweep(write_sweep(tmp_path, space='[spaces]\n"train.epochs" = [1]\n'))


def test_a_study_name_cannot_leave_the_sweeps_folder(tmp_path):
    with pytest.raises(MnistlabError, match="study name"):
        load_sweep(write_sweep(tmp_path), name="../elsewhere")


def test_database_passwords_stay_out_of_messages_and_files():
    url = "postgresql+psycopg2://me:secret@127.0.0.1:1/optuna"  # port 1: nothing listens there
    assert _redact(url) == "postgresql+psycopg2://me:***@127.0.0.1:1/optuna"
    with pytest.raises(MnistlabError) as e:
        storage(url)
    assert "cannot open the database" in str(e.value) and "secret" not in str(e.value)


def test_a_grid_covers_every_combination(tmp_path):
    space = '[space]\n"train.epochs" = {low = 1, high = 3}\n"train.optimizer" = ["adam", "sgd"]\n'
    path = write_sweep(tmp_path, space=space, sweep='[sweep]\nsampler = "grid"\n')
    sweep = load_sweep(path)
    assert sweep.n_trials == 6 and sweep.space[0].grid() == [1, 2, 3]


# ------------------------------------------------------------------------------------------------
# Trials
# ------------------------------------------------------------------------------------------------


def test_an_impossible_stack_is_pruned_with_its_reason(tmp_path, tiny_idx_dir):
    # pool_size = 20 is a valid setting, but the 14x14 map after the stride-2 conv cannot take a 20x20 window
    path = write_sweep(tmp_path, space='[space]\n"model.layers[1].pool_size" = [2, 20]\n')
    sweep = load_sweep(path, dataset=f"idx:{tiny_idx_dir}")
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"model.layers[1].pool_size": 20})
    study.optimize(objective(sweep, tmp_path / "sweep"), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert "model.layers[1]" in trial.user_attrs["error"] and "too small" in trial.user_attrs["error"]
    assert not (tmp_path / "sweep" / "trials" / "0000").exists()  # it failed before writing anything


def test_a_pruned_trial_keeps_a_complete_run_folder(tmp_path, tiny_idx_dir):
    sweep = load_sweep(write_sweep(tmp_path), dataset=f"idx:{tiny_idx_dir}", overrides={"train.epochs": 3})
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=1.01))
    study.optimize(objective(sweep, tmp_path / "sweep"), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED and trial.user_attrs["pruned_at_epoch"] == 1
    assert list(trial.intermediate_values) == [1]
    result = json.loads((tmp_path / "sweep" / "trials" / "0000" / "result.json").read_text())
    assert result["status"] == "cancelled" and result["epochs_run"] == 1


def test_two_workers_share_one_sqlite_study(tmp_path, tiny_idx_dir, capsys):
    path = write_sweep(tmp_path, sweep='[sweep]\nsampler = "random"\nn_trials = 5\npruner = "none"\nseed = 3\n')
    out = tmp_path / "sweeps" / "tiny"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "2", "--dataset", f"idx:{tiny_idx_dir}"]) == 0
    printed = capsys.readouterr().out
    assert "5 trials: 5 complete" in printed and "best: trial" in printed

    study = study_from_folder(out)
    trials = study.trials
    assert sorted(t.number for t in trials) == [0, 1, 2, 3, 4]  # each trial recorded once, none extra
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    folders = sorted(p.name for p in (out / "trials").iterdir())
    assert folders == ["0000", "0001", "0002", "0003", "0004"]
    assert {Path(t.user_attrs["run"]).name for t in trials} == set(folders)
    for t in trials:
        run = Path(t.user_attrs["run"])
        assert json.loads((run / "result.json").read_text())["val_accuracy"] == pytest.approx(t.value)
        assert f'filters = {t.params["model.layers[0].filters"]}' in (run / "config.toml").read_text()
    assert len({json.dumps(t.params, sort_keys=True) for t in trials}) == 5  # the two workers' seeds differ

    # Running it again finds the study full and adds nothing.
    assert main(["sweep", str(path), "--out", str(out), "--dataset", f"idx:{tiny_idx_dir}", "--quiet"]) == 0
    assert len(study_from_folder(out).trials) == 5

    assert main(["sweep", "report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 4 and "Best trials" in html
    assert "train.learning_rate" in html and (out / "report-train-learning-rate.png").stat().st_size > 1000


# ------------------------------------------------------------------------------------------------
# The report, on studies made without training
# ------------------------------------------------------------------------------------------------


def _study(n: int):
    """n completed trials where the optimizer decides accuracy and filters decide time."""
    dists = {"train.optimizer": optuna.distributions.CategoricalDistribution(["adam", "sgd"]),
             "model.layers[0].filters": optuna.distributions.IntDistribution(4, 64),
             "train.learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)}
    study = optuna.create_study(study_name="synthetic", direction="maximize")
    for i in range(n):
        opt, filters, lr = ["adam", "sgd"][i % 2], 4 + (i * 7) % 61, 10 ** (-4 + (i * 0.37) % 3)
        study.add_trial(optuna.trial.create_trial(
            params={"train.optimizer": opt, "model.layers[0].filters": filters, "train.learning_rate": lr},
            distributions=dists, value=0.99 if opt == "adam" else 0.9 + 0.001 * (i % 3),
            user_attrs={"seconds": filters / 4, "test_accuracy": 0.98, "params": 1000, "run": f"trials/{i:04d}"}))
    study.add_trial(optuna.trial.create_trial(
        params={"train.optimizer": "sgd"}, distributions={"train.optimizer": dists["train.optimizer"]},
        state=optuna.trial.TrialState.PRUNED, user_attrs={"error": "model.layers[1] (maxpool2d): too small"}))
    return study


def test_importance_ranks_what_decides_accuracy_and_time():
    study = _study(16)
    acc, secs, note = importances(study, [t for t in study.trials if t.state.name == "COMPLETE"])
    assert note is None
    assert next(iter(acc)) == "train.optimizer" and next(iter(secs)) == "model.layers[0].filters"


def test_the_report_is_self_contained_and_lists_pruned_reasons(tmp_path):
    out = write_report(_study(16), tmp_path / "report.html")
    html = out.read_text()
    assert "<img" in html and "src='http" not in html and html.count("data:image/png;base64,") == 4
    assert "too small" in html and "Effect of each hyperparameter" in html
    assert {p.name for p in tmp_path.glob("*.png")} == {
        "report-importance.png", "report-train-optimizer.png", "report-model-layers-0-filters.png",
        "report-train-learning-rate.png"}


def test_the_report_says_why_there_is_no_ranking_with_few_trials(tmp_path):
    html = write_report(_study(2), tmp_path / "few.html").read_text()
    assert f"at least {MIN_TRIALS_FOR_IMPORTANCE} completed trials" in html and "this study has 2" in html
    empty = optuna.create_study(study_name="empty", direction="maximize")
    assert "No trial has completed yet" in write_report(empty, tmp_path / "empty.html").read_text()


def test_report_of_a_folder_that_is_not_a_sweep(tmp_path):
    assert main(["sweep", "report", str(tmp_path)]) == 1
