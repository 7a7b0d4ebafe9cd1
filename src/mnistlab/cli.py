"""The `mnistlab` command: argument parsing and error printing over the library, nothing more.

Each command is a `cmd_*` function taking the parsed arguments; `build_parser` wires them to sub-parsers.
A `MnistlabError` becomes one line on stderr, in the language of `--lang` (else LANG/LC_ALL), and exit status 1
(`--debug` shows the traceback).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import sys
import textwrap
import typing
import warnings
from pathlib import Path
from typing import NoReturn

from mnistlab import i18n
from mnistlab.errors import MnistlabError, MnistlabWarning

# --------------------------------------------------------------------------------------------
# Config from flags: defaults < preset (--model) < --config FILE < flags
# --------------------------------------------------------------------------------------------

# flag dest -> config key, for the common flags in the notes' words
FLAG_KEYS = {
    "epochs": "train.epochs", "batch_size": "train.batch_size", "shuffle": "train.shuffle",
    "target_accuracy": "train.target_accuracy", "seed": "train.seed", "learning_rate": "train.learning_rate",
    "optimizer": "train.optimizer", "device": "train.device", "dataset": "data.dataset", "data_dir": "data.data_dir",
}


def whole_number(text: str) -> int:
    """An int flag that also takes 1e3 or 100_000; its range is the config's to check (one line naming the key)."""
    try:
        return int(text)
    except ValueError:
        pass
    import decimal

    try:
        value = decimal.Decimal(text.replace("_", ""))  # exact: 1e29 is 10**29, not the nearest float
    except decimal.InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > 10**100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(value)


def add_config_flags(p: argparse.ArgumentParser, training: bool = True) -> None:
    p.add_argument("--config", metavar="FILE", help="TOML config file (sections [data], [model], [train])")
    p.add_argument("--model", metavar="NAME", help="preset recipe to start from (see `mnistlab config list`)")
    p.add_argument("--dataset", help="mnist, fashion-mnist, kmnist, idx:DIR or folder:PATH")
    p.add_argument("--data-dir", metavar="DIR", help="read the dataset files from DIR (also $MNISTLAB_DATA_DIR)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any config key, e.g. --set train.label_smoothing=0.1 --set model.layers[0].filters=16")
    if training:
        from mnistlab.config import TrainConfig

        p.add_argument("--epochs", type=whole_number, metavar="N",
                       help="train.epochs: passes over the whole training set (one row each in metrics.csv)")
        p.add_argument("--batch-size", type=whole_number, metavar="N",
                       help="train.batch_size: images per training step; steps per epoch = "
                            "ceil(training images / batch size)")
        p.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=None,
                       help="reshuffle the training set every epoch")
        p.add_argument("--optimizer", type=str.lower, choices=typing.get_args(typing.get_type_hints(TrainConfig)["optimizer"]),
                       help="train.optimizer: how each step moves the weights along the gradient; its own "
                            "settings with --set (train.momentum, train.beta_1, ...)")
        p.add_argument("--learning-rate", type=float, metavar="LR",
                       help="train.learning_rate: the size of each step (under one_cycle, the peak)")
        p.add_argument("--target-accuracy", type=float, help="stop once validation accuracy reaches this")
        p.add_argument("--seed", type=whole_number, metavar="N",
                       help="train.seed: fixes the initial weights and each epoch's shuffle, so a run can be "
                            "repeated")
        p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="auto = CUDA when present, else CPU")


def add_lang_flag(p: argparse.ArgumentParser) -> None:
    from mnistlab.i18n import LANGS, default_lang

    p.add_argument("--lang", choices=LANGS, default=default_lang(),
                   help="language of the output: en or ko (default from LANG/LC_ALL, else en)")


def config_overrides(args) -> dict:
    """The flags and --set assignments as dotted config keys."""
    from mnistlab.config import parse_assignment

    overrides = {}
    for dest, key in FLAG_KEYS.items():
        value = getattr(args, dest, None)
        if value is not None:
            overrides[key] = value
    for text in args.set:
        key, value = parse_assignment(text)
        overrides[key] = value
    return overrides


def input_spec(cfg, classes: int | None) -> tuple[tuple[int, int, int], int]:
    """(input shape, class count) of a config without a run: its dataset's, or `--classes N` when given."""
    from mnistlab.data import dataset_spec

    shape, n = dataset_spec(cfg.data.dataset, cfg.data.color)
    return shape, classes or n


def config_from_args(args):
    from mnistlab.presets import resolve

    return resolve(args.model, args.config, config_overrides(args))


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


# what `train --resume RUN` may change (flag dest -> config key); any other setting is the run's own
RESUME_FLAGS = {"epochs": "train.epochs", "data_dir": "data.data_dir", "device": "train.device"}


def resumed_config(args):
    """RUN's own config, with what --resume may change (more epochs, a moved data folder, another device)."""
    from mnistlab.runfolder import Run

    # every config flag but the resumable ones, and whatever else would name another config or folder
    others = ["config", "model", *(dest for dest in FLAG_KEYS if dest not in RESUME_FLAGS), "out"]
    refused = [f"--{dest.replace('_', '-')}" for dest in others
               if getattr(args, dest, None) not in (None, False)] + (["--set"] if args.set else [])
    if refused:
        raise MnistlabError("cli.resume_refused", run=args.resume, refused=", ".join(refused))
    overrides = {key: getattr(args, dest) for dest, key in RESUME_FLAGS.items() if getattr(args, dest) is not None}
    return Run.open(args.resume).config.replace(**overrides)


def cmd_train(args) -> int:
    from mnistlab import distributed
    from mnistlab.i18n import t
    from mnistlab.train import default_run_dir, fit

    if args.nproc:  # this same command again, under torchrun, as N data-parallel processes
        return distributed.launch(args.argv, args.nproc)
    main_process = distributed.from_env().is_main  # under torchrun, rank 0 speaks for all
    if args.resume:
        out, config, resume = Path(args.resume), resumed_config(args), True
    else:
        config = config_from_args(args)
        out, resume = Path(args.out) if args.out else default_run_dir(), False
    callbacks = [lambda e: print(json.dumps(e), flush=True)] if args.json_log else []
    if args.tensorboard:  # made before training, so a missing package fails at once, not at the end
        from mnistlab.tensorboard import TensorBoardLogger

        callbacks.append(TensorBoardLogger(out))
    progress = not (args.quiet or args.json_log)
    if progress and main_process:
        print(t("train.run_folder", args.lang, path=out), flush=True)
    result = fit(config, out, resume=resume, progress=progress, callbacks=callbacks, lang=args.lang)
    if args.quiet and main_process:
        print(t("train.quiet_result", args.lang, path=out, accuracy=f"{result['test_accuracy']:.4f}"))
    return 0


def _dataset_for_run(run, args):
    from mnistlab.data import load_dataset

    name = args.dataset or run.config.data.dataset
    data_dir = args.data_dir or (run.config.data.data_dir if name == run.config.data.dataset else None)
    ds = load_dataset(name, data_dir, color=run.config.data.color, progress=not getattr(args, "json", False))
    if len(ds.classes) != len(run.classes) or tuple(ds.input_shape) != run.input_shape:
        raise MnistlabError("cli.dataset_mismatch", dataset=name, classes=len(ds.classes), shape=list(ds.input_shape),
                            run=run.name, run_classes=len(run.classes), run_shape=list(run.input_shape))
    return ds


def cmd_evaluate(args) -> int:
    from mnistlab.data import split_validation
    from mnistlab.device import select_device
    from mnistlab.evaluate import evaluate, format_evaluation
    from mnistlab.i18n import t
    from mnistlab.runfolder import Run

    run = Run.open(args.run)
    ds = _dataset_for_run(run, args)
    if args.split == "test":
        images, labels = ds.test_images, ds.test_labels
    else:
        train, val = split_validation(ds.train_images, ds.train_labels, run.meta.validation_size)
        images, labels = train if args.split == "train" else val
        if len(images) == 0:
            raise MnistlabError("cli.no_validation", run=run.name)
    model = run.load_model(select_device(args.device))
    tc = run.config.train  # the run's own loss, label smoothing included: the numbers its training reported
    m = evaluate(model, images, labels, tc.loss, run.classes, tc.eval_batch_size, label_smoothing=tc.label_smoothing)
    if args.json:
        print(json.dumps({"run": str(run.path), "dataset": ds.name, "split": args.split, **m}, indent=2))
    else:
        print(format_evaluation(m, t("evaluate.title", args.lang, run=run.name, dataset=ds.name, split=args.split),
                                args.lang))
    return 0


def cmd_predict(args) -> int:
    from mnistlab.predict import (  # an .onnx model never imports torch
        format_predictions,
        predict_files,
    )

    results = predict_files(args.run, args.images, top=args.top, device=args.device)
    print(json.dumps(results, indent=2) if args.json else format_predictions(results))
    return 0


def cmd_export(args) -> int:
    if args.format == "keras":
        from mnistlab.export.keras import export_keras

        info = export_keras(args.run, args.out)
        h, w, c = info["input_shape"]
        print(json.dumps(info, indent=2) if args.json else
              f"wrote {info['path']} ({info['bytes'] / 1024:.0f} KiB): float32 N x {h} x {w} x {c} (channels last) "
              f"in 0..1 -> {info['head']} probabilities; matches PyTorch to {info['max_abs_diff']:.1e} on Keras' "
              f"{info['backend']} backend")
        return 0
    from mnistlab.export import export_onnx

    info = export_onnx(args.run, args.out)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        shape = " x ".join(map(str, info["input_shape"]))
        print(f"wrote {info['path']} ({info['bytes'] / 1024:.0f} KiB): pixels N x {shape} in 0..1 -> logits; "
              f"head {info['head']} and class names in its metadata; "
              f"onnxruntime matches PyTorch to {info['max_abs_diff']:.1e}")
    return 0


def cmd_code(args) -> int:
    from mnistlab.export.code import generate
    from mnistlab.files import write_text
    from mnistlab.runfolder import Run

    if args.run:
        if args.config or args.model:
            raise MnistlabError("cli.run_or_config")
        run = Run.open(args.run)
        cfg = run.config.replace(**config_overrides(args))  # train's flags and --set apply on top
        shape, n, title = run.input_shape, len(run.classes), f"run {run.name}"
    else:
        cfg = config_from_args(args)
        shape, n = input_spec(cfg, args.classes)
        title = f"config {args.config}" if args.config else f"preset {args.model or 'default'}"
    text = generate(cfg, shape, n, args.framework, title)
    if args.out:
        write_text(args.out, text)
        print(f"wrote {args.out}: {args.framework} script for {title}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_summary(args) -> int:
    from mnistlab.i18n import t
    from mnistlab.models import format_summary, summarize
    from mnistlab.runfolder import Run

    if args.run:
        if args.config or args.model or args.set:
            raise MnistlabError("cli.run_or_config")
        run = Run.open(args.run)
        cfg, shape, n = run.config, run.input_shape, len(run.classes)
    else:
        cfg = config_from_args(args)
        shape, n = input_spec(cfg, args.classes)
    import torch

    with torch.device("meta"):  # shapes and counts only: even a 100,000-filter stack allocates nothing
        s = summarize(cfg.model, shape, n)
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        tc = cfg.train
        print(format_summary(s, args.lang))
        print(t("summary.metrics", args.lang, metrics=", ".join(tc.metrics), loss=t(f"name.{tc.loss}", args.lang)))
    return 0


def cmd_report(args) -> int:
    from mnistlab.report import write_report
    from mnistlab.runfolder import Run

    run = Run.open(args.run)
    path = write_report(run.path, args.out, dataset=_dataset_for_run(run, args), images=args.image or (),
                        device=args.device, lang=args.lang)
    print(f"wrote {path}")
    if args.open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    return 0


def _explain_image(run, args):
    """The image `explain loss/conv` works on: uint8 [C, H, W], its true class (or None) and a caption."""
    from mnistlab.i18n import t

    if args.image:
        return run.meta.to_input(args.image), None, t("loss.user_image", args.lang, image=args.image)
    ds = _dataset_for_run(run, args)
    if not 0 <= args.index < len(ds.test_labels):
        raise MnistlabError("cli.index_range", index=args.index, dataset=ds.name, last=len(ds.test_labels) - 1)
    return (ds.test_images[args.index].numpy(), int(ds.test_labels[args.index]),
            t("loss.test_image", args.lang, index=args.index, dataset=ds.name))


def cmd_explain(args) -> int:
    from mnistlab import explain as E
    from mnistlab.i18n import t

    if args.explain_command in ("padding", "strides"):
        from mnistlab.files import write_bytes
        from mnistlab.report.figures import render
        from mnistlab.report.notes import padding_figure

        d = E.explain_padding(args.size, args.kernel_size, args.strides)
        out = Path(args.out or f"{args.explain_command}.png")
        write_bytes(out, render(padding_figure(d, args.lang), out.name, "").png)
        print(json.dumps({**d, "picture": str(out)}, indent=2) if args.json
              else E.format_padding(d, args.lang) + "\n" + t("padding.wrote", args.lang, path=out))
        return 0

    from mnistlab.runfolder import Run

    run = Run.open(args.run)
    image, label, caption = _explain_image(run, args)
    model = run.load_model("cpu")
    if args.explain_command == "loss":
        if args.label is not None:
            if args.label not in run.classes:
                raise MnistlabError("cli.label_unknown", label=args.label, classes=", ".join(run.classes))
            label = run.classes.index(args.label)
        tc = run.config.train
        d = E.explain_loss(model, image, label, run.classes, run.output, tc.loss, tc.label_smoothing)
        print(json.dumps(d, indent=2) if args.json else E.format_loss(d, args.lang, caption))
    else:
        d = E.explain_conv(model, run.config.model.layers, image, args.layer, E.parse_at(args.at), args.filter)
        print(json.dumps(d, indent=2) if args.json else E.format_conv(d, args.lang, caption))
    return 0


def cmd_compare(args) -> int:
    from mnistlab.report import compare_runs, format_comparison, write_comparison

    data = compare_runs(args.runs)
    print(format_comparison(data))
    print(f"\nwrote {write_comparison(data, args.out)}")
    return 0


def cmd_serve(args) -> int:
    from mnistlab.web import create_app, serve
    from mnistlab.web.guards import LOOPBACK_HOSTS
    from mnistlab.web.limits import Budget
    from mnistlab.web.server import is_loopback

    runs_dir = Path(args.runs_dir) if args.runs_dir else Path(args.run).parent if args.run else Path("runs")
    local = is_loopback(args.host)  # then only loopback Host names are answered (no DNS rebinding)
    budget = Budget(max_params=args.max_params, max_batch_memory=int(args.max_batch_memory * 2**20),
                    max_epochs=args.max_epochs, max_train_images=args.max_train_images)
    app = create_app(runs_dir, args.run, device=args.device, max_jobs=args.max_jobs,
                     allowed_hosts=LOOPBACK_HOSTS if local else None, data_dirs=args.data_dir, budget=budget)
    if not local:
        data = ", ".join(args.data_dir) if args.data_dir else "none"
        print(f"warning: serving on {args.host}:{args.port}: anyone who can reach this machine on that port can "
              f"see every run in {runs_dir}/ (configs, metrics, results), classify images with them, start and cancel "
              f"training jobs here (up to {args.max_jobs} at once, each within --max-params {args.max_params:,} and "
              f"--max-epochs {args.max_epochs}), and train on the datasets in --data-dir folders ({data})",
              file=sys.stderr)

    def ready(url: str) -> None:
        print(f"mnistlab studio: {url}  (runs from {runs_dir}/; Ctrl-C to stop)", flush=True)

    try:
        serve(app, args.host, args.port, on_ready=ready)
    except KeyboardInterrupt:  # uvicorn shut down gracefully on Ctrl-C, then passed the signal on
        print("mnistlab studio: stopped", flush=True)
    return 0


def cmd_data_info(args) -> int:
    from mnistlab.data import dataset_info, format_info

    info = dataset_info(args.name, args.data_dir, progress=not args.json)
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0


def cmd_data_show(args) -> int:
    from mnistlab.data import load_dataset, save_sample_grid

    ds = load_dataset(args.name, args.data_dir)
    out = Path(args.out or f"{args.name.replace(':', '_').replace('/', '_')}-samples.png")
    save_sample_grid(ds, out, n=args.count, split=args.split, seed=args.seed)
    print(f"wrote {out}")
    return 0


def cmd_sweep(args) -> int:
    if args.sweep == "report":
        return _sweep_report(args)
    from mnistlab.config import parse_assignment
    from mnistlab.sweep import load_sweep, run_sweep

    if args.study_name:  # only `sweep report` takes a second argument
        raise MnistlabError("cli.sweep_argument", name=args.study_name)
    sweep = load_sweep(args.sweep, name=args.study, overrides=dict(parse_assignment(t) for t in args.set),
                       dataset=args.dataset, data_dir=args.data_dir, n_trials=args.n_trials, timeout=args.timeout)
    folder = Path(args.out) if args.out else Path("sweeps") / sweep.name
    print(f"sweep {sweep.name}: {sweep.n_trials} trials ({sweep.sampler}, pruner {sweep.pruner}) in {folder}, "
          f"{args.workers} worker(s)", flush=True)
    s = run_sweep(sweep, folder, args.storage, args.workers, quiet=args.quiet)
    states = ", ".join(f"{n} {state}" for state, n in sorted(s["states"].items()))
    print(f"{s['trials']} trials: {states}")
    if s["best"]:
        b = s["best"]
        print(f"best: trial {b['trial']}, val_accuracy {b['val_accuracy']:.4f}, run {b.get('run')}\n"
              f"      {json.dumps(b['hyperparameters'])}\nreport: mnistlab sweep report "
              + (f"{sweep.name} --storage URL" if args.storage else str(folder)))
    return 0


def _sweep_report(args) -> int:
    from mnistlab.sweep import load_study, study_from_folder
    from mnistlab.sweep_report import write_report

    if not args.study_name:
        raise MnistlabError("cli.sweep_report_study")
    if args.storage:
        study = load_study(args.study_name, args.storage)
        default_out = Path("sweeps") / args.study_name / "report.html"
    else:
        study = study_from_folder(args.study_name)
        default_out = Path(args.study_name) / "report.html"
    print(f"wrote {write_report(study, Path(args.out) if args.out else default_out)}")
    return 0


def cmd_config_show(args) -> int:
    print(config_from_args(args).to_toml(), end="")
    return 0


def cmd_config_list(args) -> int:
    from mnistlab.models import summarize
    from mnistlab.presets import PRESETS, preset

    width = max(shutil.get_terminal_size().columns, 80)
    for name in PRESETS:
        cfg = preset(name)
        s = summarize(cfg.model, *input_spec(cfg, None))
        head = f"{name:<14} {s['total_params']:>9,} params  {cfg.train.epochs:>3} epochs  "
        summary = " ".join(PRESETS[name].__doc__.split("\n\n")[0].split())  # the docstring's first paragraph
        print(textwrap.fill(summary, width - 1, initial_indent=head, subsequent_indent=" " * len(head)))
    return 0


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from mnistlab.resources import STUDIO_BUDGET

    parser = argparse.ArgumentParser(
        prog="mnistlab", description="Train, explain and serve small CNNs on the MNIST family.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train a model and write a run folder")
    add_config_flags(p)
    p.add_argument("--out", metavar="DIR", help="run folder to write (default runs/<timestamp>)")
    p.add_argument("--resume", metavar="RUN", help="continue RUN from its last checkpoint")
    p.add_argument("--quiet", action="store_true", help="no progress bars, only the final line")
    p.add_argument("--json-log", action="store_true", help="print every event as a JSON line (for machines)")
    p.add_argument("--tensorboard", action="store_true",
                   help="also log to RUN/tensorboard/ (needs: pip install \"mnistlab[tensorboard]\")")
    add_lang_flag(p)
    p.add_argument("--nproc", type=int, metavar="N",
                   help="data-parallel training in N processes on this machine (runs torchrun; for several "
                        "machines use torchrun -m mnistlab train ... directly)")
    p.set_defaults(func=cmd_train, quick_exit=True)

    p = sub.add_parser("evaluate", help="loss, accuracy, top-k, per-class metrics, confusion matrix")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--split", choices=["test", "val", "train"], default="test")
    add_lang_flag(p)
    p.add_argument("--dataset", help="evaluate on another dataset with the same classes")
    p.add_argument("--data-dir", metavar="DIR")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate, computing=True, quick_exit=True)

    p = sub.add_parser("predict", help="classify PNG/JPG images with a trained run or an exported .onnx model")
    p.add_argument("run", metavar="RUN", help="a run folder, or a .onnx file from `mnistlab export` (needs no torch)")
    p.add_argument("images", metavar="IMAGE", nargs="+")
    p.add_argument("--top", type=int, default=3, help="how many classes to show per image")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict, quick_exit=True)

    p = sub.add_parser("export", help="write a run as an ONNX model, or a .keras file, checked against PyTorch")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--format", choices=["onnx", "keras"], default="onnx")
    p.add_argument("--out", metavar="FILE", help="file to write (default RUN/model.onnx or RUN/model.keras)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export, computing=True)

    p = sub.add_parser("code", help="a config as one standalone Keras (or PyTorch) training script")
    p.add_argument("run", metavar="RUN", nargs="?", help="a run folder (or use --config/--model)")
    add_config_flags(p)
    p.add_argument("--framework", choices=["keras", "pytorch"], default="keras")
    p.add_argument("--classes", type=int, metavar="N",
                   help="number of classes (without a RUN; default: the dataset's own count)")
    p.add_argument("--out", metavar="FILE.py", help="write the script here (default: print it)")
    p.set_defaults(func=cmd_code)

    p = sub.add_parser("summary", help="each layer's output shape, the arithmetic behind it, params, mult-adds")
    p.add_argument("run", metavar="RUN", nargs="?", help="a run folder (or use --config/--model)")
    add_config_flags(p, training=False)
    p.add_argument("--classes", type=int, metavar="N",
                   help="number of classes (without a RUN; default: the dataset's)")
    add_lang_flag(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("report", help="an HTML page of what a run learned: curves, test results, filters, feature maps")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--out", metavar="DIR", help="folder for report.html and its PNGs (default RUN/report)")
    p.add_argument("--image", metavar="FILE", action="append",
                   help="show the feature maps of this image instead of one test image per class (repeatable)")
    p.add_argument("--open", action="store_true", help="open the report in the web browser")
    add_lang_flag(p)
    p.add_argument("--dataset", help="evaluate on another dataset with the same classes")
    p.add_argument("--data-dir", metavar="DIR")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(func=cmd_report, computing=True)

    p = sub.add_parser("explain", help="the notes' arithmetic on a run: one image's loss, one conv output, padding")
    explain_sub = p.add_subparsers(dest="explain_command", required=True, metavar="SUBCOMMAND")
    for name, text in (("loss", "logits -> softmax/sigmoid -> the loss of one image, with the numbers"),
                       ("conv", "one output value of a conv layer: window x kernel + bias, then batchnorm/activation")):
        q = explain_sub.add_parser(name, help=text)
        q.add_argument("run", metavar="RUN")
        if name == "conv":
            q.add_argument("--layer", type=int, required=True,
                           help="the conv layer's index (see `mnistlab summary RUN`)")
            q.add_argument("--at", required=True, metavar="ROW,COL", help="the output position, e.g. 3,5")
            q.add_argument("--filter", type=int, default=0, help="which filter (output channel), default 0")
        else:
            q.add_argument("--label", metavar="CLASS", help="the true class of --image (default: the network's answer)")
        which = q.add_mutually_exclusive_group()
        which.add_argument("--index", type=int, default=0, help="which test image (default 0)")
        which.add_argument("--image", metavar="FILE", help="explain this PNG/JPG instead of a test image")
        q.add_argument("--dataset", help="take the test image from another dataset with the same classes")
        q.add_argument("--data-dir", metavar="DIR")
        q.add_argument("--json", action="store_true")
        add_lang_flag(q)
        q.set_defaults(func=cmd_explain, computing=True)
    for name, k, s, n in (("padding", 3, 1, 7), ("strides", 3, 2, 8)):
        q = explain_sub.add_parser(name, help="VALID against SAME padding: a picture and the formula (no run needed)")
        q.add_argument("--kernel-size", type=int, default=k, metavar="K", help=f"default {k}")
        q.add_argument("--strides", type=int, default=s, metavar="S", help=f"default {s}")
        q.add_argument("--size", type=int, default=n, metavar="N", help=f"input size in pixels, default {n}")
        q.add_argument("--out", metavar="FILE", help=f"PNG to write (default ./{name}.png)")
        q.add_argument("--json", action="store_true")
        add_lang_flag(q)
        q.set_defaults(func=cmd_explain, computing=True)

    p = sub.add_parser("compare", help="the settings that differ between runs, their results and curves")
    p.add_argument("runs", metavar="RUN", nargs="+")
    p.add_argument("--out", metavar="DIR", default="compare",
                   help="folder for compare.html and its PNG (default ./compare)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("serve", help="the web studio: draw a digit, watch the network answer, train with live curves")
    p.add_argument("run", metavar="RUN", nargs="?", help="the run to draw against first (a folder in the runs folder)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--runs-dir", metavar="DIR",
                   help="where runs are listed and trained (default: RUN's folder, else ./runs)")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"], help="device for predictions")
    p.add_argument("--max-jobs", type=int, default=1, metavar="N", help="training jobs allowed at once")
    p.add_argument("--data-dir", metavar="DIR", action="append", default=[],
                   help="a folder the page may read datasets from (repeatable): the mnist/fashion-mnist/kmnist files, "
                        "and idx:/folder: datasets inside it; nothing outside these folders is read")
    budget = STUDIO_BUDGET
    p.add_argument("--max-params", type=whole_number, default=budget["max_params"], metavar="N",
                   help=f"largest model a page may train (default {budget['max_params']:,} parameters)")
    p.add_argument("--max-batch-memory", type=float, default=budget["max_batch_memory"] / 2**20, metavar="MIB",
                   help=f"activation memory one training batch may take (default {budget['max_batch_memory'] // 2**20} MiB)")
    p.add_argument("--max-epochs", type=whole_number, default=budget["max_epochs"], metavar="N",
                   help=f"most epochs a page may ask for (default {budget['max_epochs']})")
    p.add_argument("--max-train-images", type=whole_number, default=budget["max_train_images"], metavar="N",
                   help=f"most training images a page may train on (default {budget['max_train_images']:,})")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("data", help="dataset information and sample pictures")
    data_sub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    q = data_sub.add_parser("info", help="counts, class balance, checksums, where the files are")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--data-dir", metavar="DIR")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_data_info)
    q = data_sub.add_parser("show", help="a PNG grid of samples with their labels")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--data-dir", metavar="DIR")
    q.add_argument("--out", metavar="FILE", help="PNG to write (default NAME-samples.png)")
    q.add_argument("--count", type=int, default=64)
    q.add_argument("--split", choices=["train", "test"], default="train")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(func=cmd_data_show)

    p = sub.add_parser(
        "sweep", help="hyperparameter search (Optuna) over a SWEEP.toml; `sweep report STUDY` writes its report",
        usage="mnistlab sweep SWEEP.toml [options]\n       mnistlab sweep report STUDY [--storage URL] [--out FILE]",
        description="Run the trials a sweep file describes (each a normal run folder), or with `report`, "
                    "write the HTML report of a study: STUDY is a sweep folder, or a study name with --storage.")
    p.add_argument("sweep", metavar="SWEEP.toml", help="the sweep file, or the word `report`")
    p.add_argument("study_name", metavar="STUDY", nargs="?",
                   help="(report) a sweep folder or, with --storage, a study name")
    p.add_argument("--storage", metavar="URL",
                   help="an Optuna database URL (postgresql://user:pw@host/db, mysql://...) shared by workers on "
                        "many machines (default: SQLite in the sweep folder)")
    p.add_argument("--study", metavar="NAME", help="study name (default: the sweep file's name)")
    p.add_argument("--out", metavar="PATH", help="sweep folder (default sweeps/NAME); for report, the HTML file")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="local worker processes (default 1)")
    p.add_argument("--n-trials", type=int, metavar="N", help="trials in the study in all (overrides [sweep] n_trials)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="stop starting trials after this long")
    p.add_argument("--dataset", help="dataset for every trial (overrides [sweep] dataset), e.g. idx:DIR")
    p.add_argument("--data-dir", metavar="DIR")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a [base] config key")
    p.add_argument("--quiet", action="store_true", help="no line per finished trial")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("config", help="print resolved configs and the presets")
    config_sub = p.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    q = config_sub.add_parser("show", help="the resolved config as TOML")
    q.add_argument("name", metavar="PRESET", nargs="?", help="shorthand for --model PRESET")
    add_config_flags(q)
    q.set_defaults(func=cmd_config_show)
    q = config_sub.add_parser("list", help="the preset recipes")
    q.set_defaults(func=cmd_config_list)
    return parser


def _compute_threads(args):
    """For a computing command (`computing=True` in its parser: PyTorch arithmetic on this machine's CPU):
    one thread per core that other programs leave free (threads that share a busy core stall each other),
    restored afterwards. `train` chooses its own in fit; predict of an .onnx file must not even import torch."""
    if not getattr(args, "computing", False):
        return contextlib.nullcontext()
    from mnistlab.device import threads
    from mnistlab.resources import free_cores

    return threads(free_cores())


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"mnistlab: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None, *, owns_process: bool = False) -> int:
    """Run one command; its exit status. `owns_process` (the `mnistlab` command itself, not a caller
    in Python): a command whose parser sets `quick_exit` leaves at once when done, see `_leave`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `train --nproc` re-runs the command line
    if getattr(args, "name", None) and getattr(args, "config_command", None) == "show":
        args.model = args.model or args.name
    code = _run(args)
    if owns_process and (getattr(args, "quick_exit", False) or "WORLD_SIZE" in os.environ):
        _leave(code)
    return code


def command() -> int:
    """The installed `mnistlab` command (pyproject's console script), as `python -m mnistlab`."""
    return main(owns_process=True)


def _run(args) -> int:
    try:
        with warnings.catch_warnings():  # mnistlab's own warnings as one line each; no other library's noise
            warnings.simplefilter("ignore")
            warnings.simplefilter("default", MnistlabWarning)
            warnings.showwarning = _show_warning
            with _compute_threads(args):
                return args.func(args)
    except MnistlabError as e:
        if args.debug:
            raise
        # in the language of the command's output: its --lang, else (no such flag) the one LANG/LC_ALL names
        lang = getattr(args, "lang", None) or i18n.default_lang()
        print(f"mnistlab: error: {e.text(lang)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `mnistlab summary | head` closed the pipe: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("mnistlab: interrupted; a run can be continued with `mnistlab train --resume RUN`", file=sys.stderr)
        return 130


def _leave(code: int) -> NoReturn:
    """Exit without the interpreter's teardown, once the work is done and every file written and closed.

    Tearing down a process that imported torch took 0.6-0.8 s on a 2-core machine (freeing thousands of
    modules and objects that the exit frees anyway): a tenth of the main job. Under torchrun it also
    avoids gloo's threads aborting the process after a successful run ("terminate called without an
    active exception"), which made torchrun report a failure. atexit handlers still run."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (`| head`) has nothing left to flush
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
