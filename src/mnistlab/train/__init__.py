"""Training: the loop (prepare, epoch, validate, save, finish), optimizers and schedules, checkpoints.

The run folder it writes is `mnistlab.runfolder`; `Run` and `default_run_dir` are re-exported here for
convenience."""

from mnistlab.runfolder import Run, default_run_dir
from mnistlab.train.loop import StopTraining, fit

__all__ = ["Run", "StopTraining", "default_run_dir", "fit"]
