"""`mnistlab train --tensorboard`: a `fit` callback that logs to RUN/tensorboard/ in TensorBoard's format.

Scalars per logged step and per epoch while training; at the end, from the run folder (the saved
weights, not the trainer's memory), the test confusion matrix and the feature maps of a few test
images, drawn by the same figure code as `mnistlab report`. View with `tensorboard --logdir runs`.
"""

from __future__ import annotations

from pathlib import Path

from mnistlab.data import Dataset
from mnistlab.errors import MnistlabError

INSTALL = 'pip install "mnistlab[tensorboard]"'


class TensorBoardLogger:
    """Call with every training event; `samples` test images (one per class) get feature-map pictures."""

    def __init__(self, run_dir: str | Path, dataset: Dataset | None = None, samples: int = 3):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # torch raises this when the `tensorboard` package is missing
            raise MnistlabError("tensorboard.missing", install=INSTALL) from None
        self._writer_class = SummaryWriter
        self.run_dir, self.dataset, self.samples = Path(run_dir), dataset, samples
        self.writer = None

    def __call__(self, event: dict) -> None:
        kind = event["event"]
        if kind == "start":
            # Opened here, not in __init__, so that nothing is written before fit has checked the folder.
            if self.writer is None:
                self.writer = self._writer_class(log_dir=str(self.run_dir / "tensorboard"))
        elif self.writer is None:
            return
        elif kind == "step":
            for key in ("loss", "accuracy", "learning_rate"):
                self.writer.add_scalar(f"step/{key}", event[key], event["global_step"])
        elif kind == "epoch":
            for key, value in event.items():
                if key not in ("event", "epoch") and isinstance(value, (int, float)):
                    self.writer.add_scalar(f"epoch/{key}", value, event["epoch"])
            self.writer.flush()
        elif kind == "end":
            try:
                self._log_test(event)
            finally:
                self.writer.close()
                self.writer = None

    def _log_test(self, result: dict) -> None:
        from mnistlab.data import load_dataset
        from mnistlab.evaluate import metrics_from_logits, predict_logits, probabilities
        from mnistlab.report import figures as F
        from mnistlab.data.dataset import first_of_each_class
        from mnistlab.report import sample_maps
        from mnistlab.runfolder import Run

        epoch = result["epochs_run"]
        for key in ("test_accuracy", "test_loss", "test_f1"):
            if result.get(key) is not None:
                self.writer.add_scalar(f"test/{key[5:]}", result[key], epoch)
        run = Run.open(self.run_dir)
        dc = run.config.data
        ds = self.dataset or load_dataset(dc.dataset, dc.data_dir, color=dc.color, progress=False)
        model = run.load_model("cpu")
        logits = predict_logits(model, ds.test_images, run.config.train.eval_batch_size)
        test = metrics_from_logits(logits, ds.test_labels, run.config.train.loss, run.classes,
                                   label_smoothing=run.config.train.label_smoothing)
        fig = F.confusion_figure(test["confusion_matrix"], run.classes, f"{run.name}: test confusion matrix")
        self.writer.add_image("test/confusion_matrix", F.rgb_array(fig), epoch, dataformats="HWC")

        labels = ds.test_labels
        picks = first_of_each_class(labels, len(run.classes), self.samples)
        images = ds.test_images[picks].numpy()
        stages, sample_logits = sample_maps(model, run.config.model.layers, images)
        probs = probabilities(sample_logits, run.output)
        for n, i in enumerate(picks):
            best = int(probs[n].argmax())
            title = (f"test #{i}, true {run.classes[labels[i]]}  ->  predicted {run.classes[best]} "
                     f"({probs[n, best]:.1%})")
            fig = F.feature_maps_figure(images[n], [(label, maps[n]) for label, maps in stages], title)
            self.writer.add_image(f"feature_maps/test_{i}", F.rgb_array(fig), epoch, dataformats="HWC")
