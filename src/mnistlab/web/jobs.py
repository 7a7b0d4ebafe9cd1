"""Training from the browser: `mnistlab.train.fit` in a background thread, its events kept for streaming.

A `Job` records every event `fit` emits (start, step, epoch, end) plus a final `done` event of its own,
and wakes the asyncio tasks streaming them (Server-Sent Events) without polling. Cancelling sets a
flag that the callback checks on every event: on a step event it raises `StopTraining`, which ends
`fit` mid-epoch (the run keeps the checkpoint of its last finished epoch); on an epoch event `fit`
itself stops cleanly and writes its result. `JobManager` allows `max_jobs` jobs at a time. A job trains in
the language of the page that started it (`fit(lang=...)`), so its refusal reads as the page does.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from mnistlab.config import Config
from mnistlab.data import Dataset, dataset_spec, load_dataset
from mnistlab.data.dataset import validation_count
from mnistlab.errors import MnistlabError
from mnistlab.train import StopTraining, fit
from mnistlab.runfolder import CHECKPOINT, check_run_name

log = logging.getLogger(__name__)

DatasetLoader = Callable[[str, "str | None", str], Dataset]  # (dataset, data_dir, color) -> Dataset
KEEP_FINISHED = 20  # finished jobs remembered for the page (their runs stay on disk regardless)


class JobsBusy(MnistlabError):
    """Too many training jobs running (HTTP 409)."""


class RunExists(MnistlabError):
    """The requested run folder already exists (HTTP 409)."""


class UnknownJob(MnistlabError):
    """No training job with that id, or one long finished and forgotten (HTTP 404)."""


class Job:
    """One training run in the background: its events so far, its status, its cancel flag."""

    def __init__(self, run: str, path: Path, config: Config, train_limit: int | None, lang: str = "en"):
        self.id = uuid.uuid4().hex[:12]
        self.run, self.path, self.config, self.train_limit = run, path, config, train_limit
        self.lang = lang  # the page's: fit reports and refuses in it
        self.created = time.time()
        self.status = "running"  # then completed | reached_target | cancelled | failed
        self.error: str | None = None
        self.events: list[dict] = []
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def emit(self, event: dict, status: str | None = None) -> None:
        with self._lock:  # the last event and the final status appear together
            self.events.append(event)
            self.status = status or self.status
            waiters, self._waiters = self._waiters, []
        for loop, flag in waiters:
            try:
                loop.call_soon_threadsafe(flag.set)
            except RuntimeError:  # that stream's event loop is gone
                pass

    def callback(self, event: dict) -> None:
        """Given to `fit`: record the event, then stop if a cancel was asked for."""
        self.emit(event)
        if self.cancel_requested and event["event"] in ("start", "step", "epoch"):
            raise StopTraining

    def finish(self, status: str, error: str | None = None, result: dict | None = None) -> None:
        self.error = error
        self.emit({"event": "done", "status": status, "run": self.run, "error": error, "result": result}, status)

    async def wait(self, seen: int, timeout: float) -> None:
        """Return when there are more than `seen` events, or after `timeout` seconds."""
        flag = asyncio.Event()
        with self._lock:
            if len(self.events) > seen:
                return
            self._waiters.append((asyncio.get_running_loop(), flag))
        try:
            await asyncio.wait_for(flag.wait(), timeout)
        except TimeoutError:
            with self._lock:
                self._waiters = [w for w in self._waiters if w[1] is not flag]

    def to_dict(self) -> dict:
        epochs = [e for e in self.events if e["event"] == "epoch"]
        return {"id": self.id, "run": self.run, "status": self.status, "error": self.error,
                "cancel_requested": self.cancel_requested, "created": self.created,
                "epochs": self.config.train.epochs, "epochs_done": len(epochs), "train_limit": self.train_limit,
                "config": self.config.to_dict(), "events": len(self.events)}


class JobManager:
    """Starts training jobs (at most `max_jobs` at once) writing run folders into `runs_dir`."""

    def __init__(self, runs_dir: Path, max_jobs: int = 1, dataset_loader: DatasetLoader | None = None,
                 budget=None):
        if max_jobs < 1:
            raise MnistlabError("web.max_jobs", max_jobs=max_jobs)
        self.runs_dir, self.max_jobs, self.budget = Path(runs_dir), max_jobs, budget
        self.jobs: dict[str, Job] = {}
        self._custom_loader = dataset_loader is not None
        self._load = dataset_loader or (lambda name, data_dir, color: load_dataset(name, data_dir, color=color,
                                                                                    progress=False))
        self._datasets: dict[tuple, Dataset] = {}  # the last dataset loaded: demos retrain on the same one
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def running(self) -> list[Job]:
        return [j for j in self.jobs.values() if not j.done]

    def start(self, config: Config, run: str, train_limit: int | None = None, lang: str = "en") -> Job:
        check_run_name(run)
        if train_limit is not None:  # a validation_size that would hold out every image is refused now
            validation_count(config.data.validation_size, train_limit, lang)
        path = self.runs_dir / run
        with self._lock:
            busy = self.running()
            if len(busy) >= self.max_jobs:
                raise JobsBusy("web.jobs_busy", run=busy[0].run, max_jobs=self.max_jobs)
            if path.exists() or any(j.run == run for j in busy):
                raise RunExists("web.run_exists", run=run, runs_dir=self.runs_dir)
            config = config.replace(**{"data.train_limit": train_limit}) if train_limit is not None else config
            job = Job(run, path, config, train_limit, lang)
            self.jobs[job.id] = job
            for old in [j for j in self.jobs.values() if j.done][:-KEEP_FINISHED]:
                del self.jobs[old.id]
        job.thread = threading.Thread(target=self._train, args=(job,), name=f"train-{run}", daemon=True)
        job.thread.start()
        return job

    def stop_all(self, timeout: float = 10.0) -> None:
        """Cancel the running jobs and wait (a while) for them to stop: for server shutdown."""
        for job in self.running():
            job.cancel()
        for job in self.running():
            job.thread.join(timeout)

    def _dataset(self, config: Config) -> Dataset:
        key = (config.data.dataset, config.data.data_dir, config.data.color)
        if key not in self._datasets:
            self._datasets = {key: self._load(*key)}
        return self._datasets[key]

    def input_spec(self, config: Config) -> tuple[tuple[int, int, int], int]:
        """(input shape, class count) a recipe will be trained with, without loading (or downloading) the
        dataset just for this: a dataset in memory answers exactly, else `dataset_spec` (no image is read)."""
        key = (config.data.dataset, config.data.data_dir, config.data.color)
        if key in self._datasets or self._custom_loader:
            ds = self._dataset(config)
            return ds.input_shape, ds.num_classes
        return dataset_spec(config.data.dataset, config.data.color)  # also refuses an unknown name or a missing folder

    def _train(self, job: Job) -> None:
        try:
            ds = self._dataset(job.config)
            if self.budget is not None:  # the training set's size is known once it is loaded
                self.budget.check_images(min(len(ds.train_labels), job.train_limit or len(ds.train_labels)), ds.name)
            # fit takes the first data.train_limit images itself, so config.toml records the subset
            result = fit(job.config, job.path, dataset=ds, progress=False, callbacks=[job.callback], lang=job.lang)
            job.finish(result["status"], result=result)
        except StopTraining:  # cancelled mid-epoch: the last finished epoch's checkpoint is the run
            if job.path.is_dir() and not (job.path / CHECKPOINT).exists():
                shutil.rmtree(job.path)  # we created it this job and no epoch finished: nothing worth keeping
            job.finish("cancelled")
        except MnistlabError as e:
            job.finish("failed", error=e.text(job.lang))
        except Exception as e:  # a bug: keep the traceback in the server log, tell the page in one line
            log.exception("training job %s (run %s) crashed", job.id, job.run)
            job.finish("failed", error=f"internal error: {type(e).__name__}: {e}")
