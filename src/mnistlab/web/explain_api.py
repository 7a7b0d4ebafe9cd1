"""The studio's explain endpoints: the same functions as `mnistlab explain conv|loss`, on the picture the
page just sent, and the page's messages in its language.

    POST /api/explain/conv?run=NAME&layer=L&row=R&col=C&filter=F&lang=ko   image bytes -> one conv output
    POST /api/explain/loss?run=NAME&label=K&lang=ko                         image bytes -> the loss of answer K
    GET  /api/i18n?lang=ko                                                  the page's strings (studio.*)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Query, Request

from mnistlab import explain as E
from mnistlab.errors import MnistlabError
from mnistlab.i18n import CATALOGUES, LANGS, t
from mnistlab.runfolder import Run
from mnistlab.web.inference import run_path

Lang = Query("en", pattern="^(" + "|".join(LANGS) + ")$", description="language of the text: en or ko")


def add_explain_routes(app: FastAPI, runs_dir, default_run: str | None,
                       image_bytes: Callable[[Request], Awaitable[bytes]]) -> None:
    """Add the endpoints above to `app`; `image_bytes(request)` reads the image as /api/predict does."""

    def _open(name: str | None) -> Run:
        name = name or default_run
        if not name:
            raise MnistlabError("web.no_run")
        return Run.open(run_path(runs_dir, name))

    def _conv(name, data: bytes, layer: int, at: tuple[int, int], filter: int, lang: str) -> dict:
        run = _open(name)
        d = E.explain_conv(run.load_model(), run.config.model.layers, run.meta.to_input(data), layer, at, filter)
        return {**d, "text": E.format_conv(d, lang)}

    def _loss(name, data: bytes, label: int, lang: str) -> dict:
        run = _open(name)
        d = E.explain_loss(run.load_model(), run.meta.to_input(data), label, run.classes, run.output,
                           run.config.train.loss, run.config.train.label_smoothing)
        return {**d, "text": E.format_loss(d, lang)}

    @app.post("/api/explain/conv", tags=["predict"])
    async def explain_conv(request: Request, run: str | None = Query(None), layer: int = Query(...),
                           row: int = Query(...), col: int = Query(...), filter: int = Query(0), lang: str = Lang):
        """One output value of conv layer `layer` for the posted image: window x kernel + bias, then what
        batchnorm and the activation make of it (as `mnistlab explain conv`)."""
        data = await image_bytes(request)
        return await asyncio.to_thread(_conv, run, data, layer, (row, col), filter, lang)

    @app.post("/api/explain/loss", tags=["predict"])
    async def explain_loss(request: Request, run: str | None = Query(None), label: int = Query(..., ge=0),
                           lang: str = Lang):
        """The loss the network would pay if the posted image were of class `label` (as `mnistlab explain loss`)."""
        data = await image_bytes(request)
        return await asyncio.to_thread(_loss, run, data, label, lang)

    @app.get("/api/i18n", tags=["runs"])
    def messages(lang: str = Lang):
        """The studio page's strings in `lang`."""
        return {"lang": lang, "messages": {k: t(k, lang) for k in CATALOGUES["en"] if k.startswith("studio.")}}
