"""Hyperparameter sweeps on Optuna: each trial is a normal run folder, the study lives in a database.

A sweep file (TOML) has three sections:

    [base]                       # the config every trial starts from: a normal config's sections,
    preset = "lenet5"            # optionally on top of a preset
    [base.train]
    epochs = 3

    [space]                      # dotted config keys -> what to try
    "train.learning_rate" = {low = 1e-4, high = 1e-2, log = true}   # a float range
    "train.epochs" = {low = 1, high = 4}                            # an integer range (step 1)
    "model.layers[0].filters" = [8, 16, 32]                         # a choice
    "model.output" = ["softmax", "sigmoid"]     # train.loss follows the head unless the space sets it

    [sweep]
    sampler = "tpe"              # tpe (Optuna's default Bayesian sampler) | random | grid
    n_trials = 20                # trials in the study over all workers and machines; failed ones are redone
    timeout = 3600               # seconds per worker, optional
    pruner = "median"            # median | hyperband | none
    seed = 0
    dataset = "mnist"            # replaces base data.dataset

Trials maximise the last epoch's validation accuracy (never the test set's). After every epoch a trial
reports its validation accuracy to Optuna; when the pruner judges it hopeless it stops, keeping a
complete run folder, and is recorded as pruned. A config that cannot work (an impossible stack, a head
that does not fit the loss) is recorded as pruned with the reason in its `error` attribute.

The study is stored in SQLite (`study.db` in the sweep folder) unless `storage` names another
database Optuna supports (postgresql://, mysql://): workers on many machines then share one study.
`workers` runs that many local processes; each loads the study by name and runs its share of trials.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import re
import tomllib
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnistlab.config import Config, merge, set_dotted
from mnistlab.errors import MnistlabError
from mnistlab.files import write_json

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
SWEEP_KEYS = ("sampler", "n_trials", "timeout", "pruner", "seed", "dataset")
RANGE_KEYS = ("low", "high", "log", "step")
HEADS = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}  # the head each loss fits


def optuna_module():
    try:
        import optuna
    except ImportError:
        raise MnistlabError("sweep.no_optuna") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # mnistlab prints its own line per trial
    return optuna


@dataclass(frozen=True)
class Dimension:
    """One [space] entry: a list of choices, or a numeric range (integer when low, high and step are)."""

    key: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None

    @property
    def integer(self) -> bool:
        return self.choices is None and all(isinstance(v, int) for v in (self.low, self.high, self.step or 1))

    def suggest(self, trial) -> Any:
        if self.choices is not None:
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.key, self.low, self.high, step=self.step or 1, log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)

    def grid(self) -> list:
        if self.choices is not None:
            return list(self.choices)
        if self.step is None and not self.integer:
            raise MnistlabError("sweep.grid_needs_step", key=self.key)
        step = self.step or 1
        # round away float drift (0.1 + 2 * 0.1 = 0.30000000000000004), which would miss the step grid
        return [round(self.low + i * step, 12) for i in range(int((self.high - self.low) // step) + 1)]


@dataclass(frozen=True)
class Sweep:
    name: str  # the Optuna study name
    base: Config
    space: tuple[Dimension, ...]
    sampler: str = "tpe"
    n_trials: int = 20
    timeout: float | None = None
    pruner: str = "median"
    seed: int = 0


# ------------------------------------------------------------------------------------------------
# Reading and checking a sweep file
# ------------------------------------------------------------------------------------------------


def trial_config(base: Config, params: dict[str, Any]) -> Config:
    """The base config with a trial's values; the loss follows a sampled head unless it is sampled too."""
    d = base.to_dict()
    for key, value in params.items():
        set_dotted(d, key, value)
    if "model.output" in params and "train.loss" not in params:
        d["train"]["loss"] = "auto"
    return Config.from_dict(d)


def _check_value(base: Config, key: str, value: Any, where: str) -> None:
    # Each value alone must be a valid setting; a head and a loss are checked as a fitting pair here,
    # since the other half may be sampled too (a mismatched pair is pruned at trial time).
    params = {key: value}
    if key == "train.loss" and value in HEADS:
        params["model.output"] = HEADS[value]
    try:
        trial_config(base, params)
    except MnistlabError as e:
        raise MnistlabError("sweep.in_space", where=where, error=e.message) from None


def _dimension(base: Config, key: str, spec: Any, source: str) -> Dimension:
    where = f'{source}: [space] "{key}"'
    scalar = (str, int, float, bool)
    if isinstance(spec, list):
        if not spec or not all(isinstance(v, scalar) for v in spec):
            raise MnistlabError("sweep.not_a_list", where=where, spec=spec)
        if len(set(map(repr, spec))) != len(spec):
            raise MnistlabError("sweep.repeated_value", where=where, spec=spec)
        for v in spec:
            _check_value(base, key, v, where)
        return Dimension(key, choices=tuple(spec))
    if not isinstance(spec, dict):
        raise MnistlabError("sweep.not_a_space", where=where, spec=spec)
    unknown = set(spec) - set(RANGE_KEYS)
    if unknown or not {"low", "high"} <= set(spec):
        raise MnistlabError("sweep.range_keys", where=where, keys=", ".join(spec))
    low, high, log, step = spec["low"], spec["high"], spec.get("log", False), spec.get("step")
    numbers = [v for v in (low, high, step) if v is not None]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers) or not isinstance(log, bool):
        raise MnistlabError("sweep.range_types", where=where)
    if not low < high:
        raise MnistlabError("sweep.range_order", where=where, low=low, high=high)
    if log and (step is not None or low <= 0):
        raise MnistlabError("sweep.range_log", where=where)
    if step is not None and step <= 0:
        raise MnistlabError("sweep.range_step", where=where, step=step)
    for v in (low, high):
        _check_value(base, key, v, where)
    return Dimension(key, low=low, high=high, log=log, step=step)


def load_sweep(path: str | Path, *, name: str | None = None, overrides: dict[str, Any] | None = None,
               dataset: str | None = None, data_dir: str | None = None, n_trials: int | None = None,
               timeout: float | None = None) -> Sweep:
    """Read and check a sweep file; the keyword arguments are the command line's overrides."""
    from mnistlab.presets import preset_dict

    path = Path(path)
    if not path.is_file():
        raise MnistlabError("sweep.no_file", path=path)
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise MnistlabError("config.bad_toml", source=path, error=e) from None
    unknown = set(doc) - {"base", "space", "sweep"}
    if unknown:
        raise MnistlabError("sweep.unknown_section", path=path, section=min(unknown))

    base_table = dict(doc.get("base", {}))
    try:
        d = merge(preset_dict(base_table.pop("preset", None) or "default"), base_table)
        settings = dict(doc.get("sweep", {}))
        dataset = dataset or settings.get("dataset")
        for key, value in {"data.dataset": dataset, "data.data_dir": data_dir, **(overrides or {})}.items():
            if value is not None:
                set_dotted(d, key, value)
        base = Config.from_dict(d)
    except MnistlabError as e:
        raise MnistlabError("sweep.in_base", path=path, error=e.message) from None
    if base.data.validation_size == 0:
        raise MnistlabError("sweep.no_validation", path=path)

    space = doc.get("space", {})
    if not isinstance(space, dict) or not space:
        raise MnistlabError("sweep.empty_space", path=path)
    dims = tuple(_dimension(base, key, spec, str(path)) for key, spec in space.items())

    for key in settings:
        if key not in SWEEP_KEYS:
            raise MnistlabError("sweep.unknown_key", path=path, key=key, valid=", ".join(SWEEP_KEYS))
    sampler, pruner = settings.get("sampler", "tpe"), settings.get("pruner", "median")
    if sampler not in SAMPLERS:
        raise MnistlabError("sweep.sampler", path=path, sampler=sampler, choices=", ".join(SAMPLERS))
    if pruner not in PRUNERS:
        raise MnistlabError("sweep.pruner", path=path, pruner=pruner, choices=", ".join(PRUNERS))
    grid_size = None
    if sampler == "grid":
        grid_size = 1
        for dim in dims:
            try:
                grid_size *= len(dim.grid())
            except MnistlabError as e:
                raise MnistlabError("sweep.in_file", path=path, error=e.message) from None
    n_trials = n_trials if n_trials is not None else settings.get("n_trials", grid_size or 20)
    timeout = timeout if timeout is not None else settings.get("timeout")
    seed = settings.get("seed", 0)
    for key, value, minimum in (("n_trials", n_trials, 1), ("seed", seed, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise MnistlabError("sweep.not_an_integer", path=path, key=key, value=value, minimum=minimum)
    if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0):
        raise MnistlabError("sweep.timeout", path=path, timeout=timeout)
    name = name or path.stem
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", name) or ".." in name:
        raise MnistlabError("sweep.bad_name", name=name)
    return Sweep(name, base, dims, sampler, n_trials, timeout, pruner, seed)


# ------------------------------------------------------------------------------------------------
# The study
# ------------------------------------------------------------------------------------------------


def default_storage(folder: Path) -> str:
    return f"sqlite:///{(folder / 'study.db').resolve()}"


def storage(url: str):
    """An Optuna RDB storage. Heartbeats let a crashed worker's trial be marked failed, not running forever."""
    optuna = optuna_module()
    import sqlalchemy.exc  # Optuna's own dependency
    # SQLite serialises writers with a file lock; wait for it rather than fail when workers collide.
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    try:
        with warnings.catch_warnings():  # heartbeats are marked experimental, and have been for years
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=30, grace_period=120)
    except ImportError as e:  # the database driver, e.g. psycopg2 for postgresql://
        raise MnistlabError("sweep.no_driver", url=_redact(url), error=e) from None
    except sqlalchemy.exc.SQLAlchemyError as e:  # a bad URL, an unreachable server, a refused login
        raise MnistlabError("sweep.no_database", url=_redact(url), error=str(e).splitlines()[0]) from None


def _redact(url: str) -> str:
    """The URL without its password, for messages and files."""
    head, sep, tail = url.partition("://")
    if "@" in tail and ":" in tail.split("@")[0]:
        user = tail.split("@")[0].split(":")[0]
        return f"{head}{sep}{user}:***@{tail.split('@', 1)[1]}"
    return url


def open_study(sweep: Sweep, url: str, worker: int = 0):
    """Create the study, or load it by name when another worker or an earlier run made it."""
    optuna = optuna_module()
    seed = sweep.seed + worker  # workers with one seed would propose the same trials
    if sweep.sampler == "grid":
        sampler = optuna.samplers.GridSampler({d.key: d.grid() for d in sweep.space}, seed=seed)
    elif sweep.sampler == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:  # the constant liar keeps parallel workers from proposing the same point
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    pruner = {
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=3),
        "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1),  # epochs are the resource
        "none": optuna.pruners.NopPruner,
    }[sweep.pruner]()
    return optuna.create_study(study_name=sweep.name, storage=storage(url), sampler=sampler, pruner=pruner,
                               direction="maximize", load_if_exists=True)


# ------------------------------------------------------------------------------------------------
# Trials and workers
# ------------------------------------------------------------------------------------------------


class _Datasets:
    """Each worker loads a dataset once, not once per trial."""

    def __init__(self):
        self.loaded = {}

    def __call__(self, config: Config):
        from mnistlab.data import load_dataset

        key = (config.data.dataset, config.data.data_dir, config.data.color)
        if key not in self.loaded:
            self.loaded[key] = load_dataset(*key[:2], color=key[2], progress=False)
        return self.loaded[key]


def objective(sweep: Sweep, folder: Path, datasets=None):
    """Optuna's objective: train one trial's config into folder/trials/NNNN; return its validation accuracy."""
    optuna = optuna_module()
    from mnistlab.train import StopTraining, fit

    datasets = datasets or _Datasets()

    def run(trial) -> float:
        params = {dim.key: dim.suggest(trial) for dim in sweep.space}
        out = Path(folder) / "trials" / f"{trial.number:04d}"
        pruned = {}

        def report(event: dict) -> None:
            if event["event"] == "epoch":
                trial.report(event["val_accuracy"], event["epoch"])
                if trial.should_prune():
                    pruned.update(epoch=event["epoch"], val_accuracy=event["val_accuracy"])
                    raise StopTraining  # finish the run folder properly, then tell Optuna below

        try:
            config = trial_config(sweep.base, params)
            if config.data.validation_size == 0:
                raise MnistlabError("sweep.trial_no_validation")
            trial.set_user_attr("run", str(out))
            result = fit(config, out, dataset=datasets(config), progress=False, callbacks=[report])
        except MnistlabError as e:  # a config that cannot work, or a diverging loss
            trial.set_user_attr("error", str(e))
            raise optuna.TrialPruned(str(e)) from None
        for key in ("seconds", "test_accuracy", "params", "epochs_run"):
            trial.set_user_attr(key, result[key])
        if pruned:
            trial.set_user_attr("pruned_at_epoch", pruned["epoch"])
            raise optuna.TrialPruned(f"validation accuracy {pruned['val_accuracy']:.4f} after epoch "
                                     f"{pruned['epoch']} was below the pruner's threshold")
        return result["val_accuracy"]

    return run


def _announce(study, trial) -> None:
    if trial.state.name == "COMPLETE":
        text = f"val_accuracy {trial.value:.4f} in {trial.user_attrs.get('seconds', 0):.1f} s"
    else:
        text = (trial.user_attrs.get("error") or
                f"{trial.state.name.lower()} after epoch {trial.user_attrs.get('pruned_at_epoch', '?')}")
    params = " ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
    print(f"trial {trial.number}: {text}  [{params}]", flush=True)


def _short(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _counted() -> tuple:
    """The trials n_trials counts: all but failed ones (a crash or Ctrl-C), which a re-run replaces."""
    from optuna.trial import TrialState

    return (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)


def _worker(sweep: Sweep, url: str, folder: Path, index: int, n_trials: int, workers: int, quiet: bool,
            datasets: _Datasets | None = None) -> None:
    optuna = optuna_module()

    from mnistlab.device import set_process_threads

    if sweep.base.train.threads == 0 and workers > 1:  # share the cores instead of oversubscribing them
        set_process_threads(max(1, (os.cpu_count() or 1) // workers))  # this worker process is ours
    study = open_study(sweep, url, worker=index)
    # Our share keeps the local total exact; the callback stops us once the study as a whole (other
    # machines included) holds n_trials trials, counting the ones still running.
    callbacks = [optuna.study.MaxTrialsCallback(sweep.n_trials, states=_counted())] + ([] if quiet else [_announce])
    study.optimize(objective(sweep, folder, datasets), n_trials=n_trials, timeout=sweep.timeout, callbacks=callbacks)


def run_sweep(sweep: Sweep, folder: str | Path, url: str | None = None, workers: int = 1,
              quiet: bool = False) -> dict:
    """Run the sweep's remaining trials in `workers` local processes; returns `summary()`."""
    if workers < 1:
        raise MnistlabError("sweep.workers", workers=workers)
    folder = Path(folder)
    url = url or default_storage(folder)
    folder.mkdir(parents=True, exist_ok=True)
    datasets = _Datasets()
    datasets(sweep.base)  # a missing dataset fails here, once, not in every trial of every worker
    study = open_study(sweep, url)  # created (tables and all) before workers race to load it
    write_json(folder / "sweep.json", {  # what `sweep report FOLDER` reads, and a record of the sweep
        "study": sweep.name, "storage": "study.db" if url == default_storage(folder) else _redact(url),
        "sampler": sweep.sampler, "pruner": sweep.pruner, "n_trials": sweep.n_trials, "timeout": sweep.timeout,
        "seed": sweep.seed, "space": [dataclasses.asdict(d) for d in sweep.space], "base": sweep.base.to_dict(),
    })
    remaining = sweep.n_trials - len(study.get_trials(deepcopy=False, states=_counted()))
    shares = [remaining // workers + (i < remaining % workers) for i in range(workers)] if remaining > 0 else []
    if workers == 1 and shares:
        _worker(sweep, url, folder, 0, shares[0], 1, quiet, datasets)
    elif shares:
        # spawn, not fork: a forked copy of a process that already holds torch threads and DB
        # connections is unsafe; each worker starts clean and opens its own connection.
        context = multiprocessing.get_context("spawn")
        procs = [context.Process(target=_worker, args=(sweep, url, folder, i, n, workers, quiet),
                                 name=f"mnistlab-sweep-{i}") for i, n in enumerate(shares) if n > 0]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        failed = [f"{p.name} (exit {p.exitcode})" for p in procs if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"sweep worker(s) failed: {', '.join(failed)}; their tracebacks are printed above")
    return summary(open_study(sweep, url))


def summary(study) -> dict:
    trials = study.trials
    done = [t for t in trials if t.state.name == "COMPLETE"]
    best = max(done, key=lambda t: t.value) if done else None
    states = dict(Counter(t.state.name.lower() for t in trials))
    return {"study": study.study_name, "trials": len(trials), "states": states,
            "best": None if best is None else {"trial": best.number, "val_accuracy": best.value,
                                                "hyperparameters": best.params, **best.user_attrs}}


def load_study(name: str, url: str):
    optuna = optuna_module()
    try:
        return optuna.load_study(study_name=name, storage=storage(url))
    except KeyError:
        raise MnistlabError("sweep.no_study", name=name, url=_redact(url)) from None


def study_from_folder(folder: str | Path):
    """The study a sweep folder's sweep.json names, from the folder's study.db."""
    folder = Path(folder)
    info = folder / "sweep.json"
    if not info.is_file():
        raise MnistlabError("sweep.not_a_sweep", folder=folder)
    info = json.loads(info.read_text())
    if info["storage"] != "study.db":
        raise MnistlabError("sweep.study_elsewhere", folder=folder, storage=info["storage"], study=info["study"])
    return load_study(info["study"], default_storage(folder))
