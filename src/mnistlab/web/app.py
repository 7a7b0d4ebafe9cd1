"""The web studio's FastAPI application: the page, and the JSON API it runs on.

    GET  /                          the page (plain HTML, CSS and JavaScript modules, nothing from a CDN)
    GET  /api/runs                  run folders with their results; GET /api/runs/{name} for one in full
    POST /api/predict?run=NAME      image bytes (or a multipart `file`) -> probabilities, input, feature maps
    GET  /api/presets               the preset recipes, to start the training form from
    GET  /api/layers                every layer type with its settings, defaults and choices (the form's fields)
    POST /api/summary               a recipe -> layer shapes and their arithmetic, or the reason it cannot work
    POST /api/code?framework=keras  a recipe -> a standalone Keras (or PyTorch) training script
    POST /api/train                 start a training job (202); 409 while another one runs
    GET  /api/train/{id}/events     the job's progress as Server-Sent Events
    POST /api/train/{id}/cancel     stop it

    GET  /openapi.json              the API's schema; GET /docs shows it with Swagger UI when the `docs` extra
                                    (swagger-ui-bundle) is installed, served from here, never from a CDN

Errors are JSON `{"detail": "one line"}`: 400 for bad input (a dataset outside the data folders, a recipe
over the budget, NaN in a request, a damaged run), 404 for an unknown run or job, 408 for a stalled body,
409 for a busy trainer or a taken run name, 413 for an oversized body, 422 for a malformed request.
The line is in the language of the request's `lang` query parameter (en, ko), which the page adds to every
call (static/util.js); API clients that send none get English. A training job reports in it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from mnistlab.config import Config
from mnistlab.errors import MnistlabError
from mnistlab.export.code import generate
from mnistlab.models import LAYERS, format_summary, summarize
from mnistlab.presets import PRESETS, preset
from mnistlab.runfolder import Run, default_run_dir, is_run, weights_stamp
from mnistlab.web.explain_api import Lang, add_explain_routes
from mnistlab.web.guards import BODY_TIMEOUT, LOOPBACK_HOSTS, BodyTimeout, RequestGuard, page_lang
from mnistlab.web.inference import Predictor, UnknownRun, default_processes, run_path
from mnistlab.web.jobs import DatasetLoader, JobManager, JobsBusy, RunExists, UnknownJob
from mnistlab.web.limits import Budget, DataFolders
from mnistlab.web.schemas import ModelSettings, TrainRequest

log = logging.getLogger("mnistlab.web")
STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 2 * 2**20
KEEPALIVE_SECONDS = 15.0  # an SSE comment this often keeps proxies from closing a quiet stream

PREDICT_BODY = {"requestBody": {"required": True, "content": {
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
}}}


def create_app(runs_dir: str | Path = "runs", run: str | Path | None = None, *, device: str = "cpu",
               max_jobs: int = 1, dataset_loader: DatasetLoader | None = None,
               max_upload_bytes: int = MAX_UPLOAD_BYTES,
               allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS,
               predict_processes: int | None = None, data_dirs=(), budget: Budget | None = None,
               body_timeout: float = BODY_TIMEOUT) -> FastAPI:
    """The app serving the runs in `runs_dir`; `run` (a name in it, or its path) is the one drawn against
    first. `dataset_loader(dataset, data_dir, color)` replaces `load_dataset` (tests). Predictions run in
    `predict_processes` worker processes (0: threads of this process; None: `default_processes`).
    Datasets are read by name, or inside `data_dirs` only; training jobs stay within `budget`."""
    runs_dir = Path(runs_dir)
    default_run = _default_run(runs_dir, run)
    folders, budget = DataFolders.of(data_dirs), budget or Budget()
    processes = default_processes(device) if predict_processes is None else predict_processes
    predictor = Predictor(runs_dir, device, processes)
    jobs = JobManager(runs_dir, max_jobs, dataset_loader, budget)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await predictor.start(default_run)
        yield
        predictor.close()
        await asyncio.to_thread(jobs.stop_all)  # a job stopped now leaves its run tidy, as a cancel does

    # /docs only with Swagger UI served from this machine (the `docs` extra): from a CDN it is blank offline
    app = FastAPI(title="mnistlab studio", version="1", summary="Draw digits, watch the network answer, train.",
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(RequestGuard, max_body=max_upload_bytes, allowed_hosts=allowed_hosts, body_timeout=body_timeout)
    offline_docs(app)

    @app.exception_handler(ClientDisconnect)
    async def aborted(request: Request, e: ClientDisconnect):
        log.warning("%s %s: the client went away before sending the whole body", request.method, request.url.path)
        return Response(status_code=400)  # nobody is listening; this only ends the request quietly

    @app.exception_handler(MnistlabError)
    async def user_error(request: Request, e: MnistlabError):
        status = (404 if isinstance(e, (UnknownRun, UnknownJob)) else 409 if isinstance(e, (JobsBusy, RunExists))
                  else 400)
        if isinstance(e, BodyTimeout):
            log.warning("%s %s: %s", request.method, request.url.path, e)
            status = 408
        return JSONResponse({"detail": e.text(page_lang(request.scope))}, status)

    @app.exception_handler(Exception)
    async def bug(request: Request, e: Exception):
        # A bug, not the user's mistake: the traceback goes to the server log, the client still gets JSON
        # (a plain-text 500 that closes the connection tells a page nothing).
        return JSONResponse({"detail": f"internal error: {type(e).__name__}: {' '.join(str(e).split())[:300]}"}, 500)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, e: RequestValidationError):
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "body") or "request"
        return JSONResponse({"detail": f"{where}: {first['msg']}"}, 422)

    # -- the page ---------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # -- runs -------------------------------------------------------------------------------------
    @app.get("/api/runs", tags=["runs"])
    def list_runs(lang: str = Lang):
        """Every run folder, newest first, with its status and results (why one is unreadable, in `lang`)."""
        training = {j.run for j in jobs.running()}
        found = sorted((p for p in runs_dir.iterdir() if is_run(p)),
                       key=_mtime, reverse=True) if runs_dir.is_dir() else []
        return {"runs_dir": str(runs_dir), "default": default_run,
                "runs": [_run_row(p, p.name in training, lang) for p in found]}

    @app.get("/api/runs/{name:path}", tags=["runs"])
    def run_details(name: str):
        """One run: config, per-epoch metrics, result and layer summary."""
        path = run_path(runs_dir, name)
        r = Run.open(path)
        row = _run_row(path, any(j.run == name for j in jobs.running()))
        s = summarize(r.config.model, r.input_shape, len(r.classes))
        steps = [{"x": e["x"], "loss": e["loss"], "accuracy": e["accuracy"]} for e in r.steps()]
        return {**row, "config": r.config.to_dict(), "meta": r.meta.to_dict(), "metrics": r.metrics(),
                "steps": steps, "result": r.result(), "summary": s}

    # -- predict ----------------------------------------------------------------------------------
    @app.post("/api/predict", tags=["predict"], openapi_extra=PREDICT_BODY)
    async def predict(request: Request, run: str | None = Query(None, description="run name (default: the served run)"),
                      features: bool = Query(True, description="include each conv block's feature maps")):
        """Classify one image: PNG/JPEG bytes as the body, or a multipart form with a `file` field."""
        name = run or default_run
        if not name:
            raise MnistlabError("web.no_run")
        data = await _image_bytes(request)
        body = await predictor.predict(name, data, features)  # JSON, encoded off the event loop: the hot path
        return Response(body, media_type="application/json")

    add_explain_routes(app, runs_dir, default_run, _image_bytes)  # click-to-explain and the page's language

    # -- recipes and training ---------------------------------------------------------------------
    @app.get("/api/presets", tags=["train"])
    def presets():
        """The preset recipes as full configs (the form starts from one)."""
        return {"presets": [{"name": n, "doc": _preset_doc(n), "config": preset(n).to_dict()} for n in PRESETS]}

    @app.get("/api/layers", tags=["train"])
    def layer_types():
        """Every layer type the recipe can use: its settings with kind, default, choices and range."""
        return {"layers": [{"type": kind.type, "doc": kind.doc, "settings": [s.to_dict() for s in kind.settings()]}
                           for kind in LAYERS.values()]}

    def checked_config(body: ModelSettings, train_limit: int | None = None) -> tuple[Config, tuple, int]:
        """The request's config, its dataset allowed and its size within the budget, before anything is
        loaded or allocated (an impossible stack fails here too, naming the layer)."""
        config = body.to_config()
        if dataset_loader is None:  # a loader of one's own (tests) decides what its names mean
            config = folders.resolve(config)
        shape, classes = jobs.input_spec(config)
        budget.check(config, shape, classes, train_limit)
        return config, shape, classes

    @app.post("/api/summary", tags=["train"])
    def summary(body: ModelSettings):
        """The resolved config and each layer's output shape with its arithmetic; 400 with the reason if
        the stack cannot work."""
        config, shape, classes = checked_config(body)
        s = summarize(config.model, shape, classes)
        return {"summary": s, "text": format_summary(s), "config": config.to_dict(), "toml": config.to_toml()}

    @app.post("/api/code", tags=["train"])
    def code(body: ModelSettings, framework: str = Query("keras", description="keras or pytorch")):
        """The recipe as one standalone training script (what `mnistlab code` writes); 400 with the reason if
        a setting has no faithful Keras equivalent."""
        config, shape, classes = checked_config(body)
        title = f"preset {body.preset} as edited in the studio"
        return {"framework": framework, "code": generate(config, shape, classes, framework, title)}

    @app.post("/api/train", tags=["train"], status_code=202)
    def train(body: TrainRequest, lang: str = Lang):
        """Check the recipe, then train it in the background; follow it at /api/train/{id}/events."""
        config, _, _ = checked_config(body, body.train_limit)  # refused now, not in the thread
        name = body.name or default_run_dir(runs_dir).name
        return jobs.start(config, name, body.train_limit, lang).to_dict()

    @app.get("/api/train", tags=["train"])
    def list_jobs():
        return {"jobs": [j.to_dict() for j in jobs.jobs.values()]}

    def job_or_404(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            raise UnknownJob("web.unknown_job", job_id=job_id)
        return job

    @app.get("/api/train/{job_id}", tags=["train"])
    def job_status(job_id: str):
        job = job_or_404(job_id)
        return {**job.to_dict(), "history": list(job.events)}

    @app.post("/api/train/{job_id}/cancel", tags=["train"])
    def cancel(job_id: str):
        """Stop the job at its next progress event; the run keeps its last finished epoch."""
        job = job_or_404(job_id)
        job.cancel()
        return job.to_dict()

    @app.get("/api/train/{job_id}/events", tags=["train"])
    async def events(job_id: str, last_event_id: str | None = Header(None)):
        """Server-Sent Events: each event's `event:` is its kind (start, step, epoch, end, done), `data:` its JSON.
        A reconnecting EventSource sends Last-Event-ID and gets only what it missed."""
        job = job_or_404(job_id)
        start = int(last_event_id) + 1 if last_event_id and last_event_id.isdigit() else 0
        if job.done and start >= len(job.events):
            return Response(status_code=204)  # tells EventSource not to reconnect
        return StreamingResponse(_event_stream(job, start), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return app


def offline_docs(app: FastAPI) -> bool:
    """/docs with the Swagger UI files of the `swagger-ui-bundle` package, if it is installed; else no /docs
    (/openapi.json stays). Returns whether /docs is offered."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return False
    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="mnistlab studio API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")
    return True


async def _event_stream(job, seen: int):
    yield "retry: 2000\n\n"
    while True:
        new = job.events[seen:]  # append-only list: a slice is a consistent snapshot
        for i, event in enumerate(new, seen):
            yield f"id: {i}\nevent: {event['event']}\ndata: {json.dumps(event)}\n\n"
            if event["event"] == "done":
                return
        seen += len(new)
        if not new:
            yield ": keep-alive\n\n"
        await job.wait(seen, KEEPALIVE_SECONDS)


async def _image_bytes(request: Request) -> bytes:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=8)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise MnistlabError("web.no_file_field")
        data = await upload.read()
    else:
        data = await request.body()
    if not data:
        raise MnistlabError("web.no_image")
    return data


def _default_run(runs_dir: Path, run: str | Path | None) -> str | None:
    """`run` is a name inside `runs_dir`, or a path to a folder in it."""
    if run is None:
        return None
    path = Path(run)
    if len(path.parts) > 1 and path.resolve().parent != runs_dir.resolve():
        raise MnistlabError("web.run_outside", run=run, runs_dir=runs_dir, parent=path.parent)
    run_path(runs_dir, path.name)
    return path.name


def _preset_doc(name: str) -> str:
    recipe = PRESETS[name]
    if recipe is Config:  # the defaults themselves: a dataclass's __doc__ is only its signature, so say what they are
        c = Config()
        params = summarize(c.model, (1, 28, 28), 10)["total_params"]
        return (f"The recommended recipe (mnistlab's defaults): {params:,} parameters, {c.train.optimizer} at "
                f"learning_rate {c.train.learning_rate:g} with a {c.train.schedule} schedule, "
                f"{c.train.epochs} epoch{'s' if c.train.epochs > 1 else ''}.")
    return " ".join((recipe.__doc__ or "").split())


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed while we listed (a cancelled job cleaning up)
        return 0.0


def _run_row(path: Path, training: bool, lang: str = "en") -> dict:
    """One line of the runs table. A folder that cannot be read is listed with the reason, not skipped."""
    try:
        r = Run.open(path)
        result, metrics = r.result(), r.metrics()
    except (MnistlabError, OSError, ValueError) as e:  # ValueError: a damaged JSON file
        error = e.text(lang) if isinstance(e, MnistlabError) else str(e)
        return {"name": path.name, "status": "unreadable", "error": error, "has_weights": False}
    last = metrics[-1] if metrics else {}
    status = "training" if training else result["status"] if result else "unfinished"
    return {
        "name": r.name, "status": status, "dataset": r.meta.dataset, "head": r.output,
        "classes": r.classes, "params": r.meta.params,
        "epochs_done": len(metrics), "epochs": r.config.train.epochs,
        "test_accuracy": result and result.get("test_accuracy"), "val_accuracy": last.get("val_accuracy"),
        "accuracy": last.get("accuracy"), "seconds": result["seconds"] if result else last.get("elapsed"),
        "train_size": result and result.get("train_size"),
        "has_weights": weights_stamp(path) is not None, "modified": _mtime(path),
    }
