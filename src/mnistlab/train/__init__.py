"""Training: the loop, optimizers and schedules, checkpoints, and the run folder."""

from mnistlab.train.loop import StopTraining, fit
from mnistlab.train.runs import Run, default_run_dir

__all__ = ["Run", "StopTraining", "default_run_dir", "fit"]
