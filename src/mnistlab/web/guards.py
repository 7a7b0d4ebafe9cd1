"""What a local server needs before any route runs: a bounded body, a known Host, a same-origin writer.

* Body size: refused on the declared Content-Length, and counted while the body arrives (a client can
  lie or send chunks), so no route ever holds more than `max_body` bytes.
* Host: only the names the server answers to; a web page that re-points its own domain at 127.0.0.1
  (DNS rebinding) would otherwise read and drive this API.
* Origin: a browser names the page behind every cross-site POST; one from another site may not start
  or cancel training here.
* Time: a body must keep arriving (`body_timeout` seconds at most between its parts), so a stalled
  upload does not hold the request open for ever.
* JSON: NaN and Infinity are not JSON, but Python's parser takes them; a request holding one anywhere is
  refused before any route sees it (a NaN learning rate once started a job that broke the job list).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException

from mnistlab.errors import MnistlabError
from mnistlab.i18n import LANGS, t

log = logging.getLogger("mnistlab.web")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
UNSAFE_METHODS = (b"POST", b"PUT", b"PATCH", b"DELETE")
BODY_TIMEOUT = 30.0  # seconds a request body may stall


class BodyTimeout(MnistlabError):
    """A request body that stopped arriving (HTTP 408)."""

    def __init__(self, seconds: float):
        super().__init__("web.body_timeout", seconds=seconds)


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to infinity
        raise _NonFinite(text)
    return value


def non_finite_number(body: bytes) -> str | None:
    """The first NaN, Infinity or overflowing number in a JSON body, else None (also for invalid JSON,
    which the route's own validation answers)."""
    try:
        json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite as e:
        return str(e)
    except ValueError:
        return None
    return None


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int, lang: str = "en"):
        super().__init__(413, t("web.body_too_large", lang, megabytes=limit / 2**20))


def page_lang(scope) -> str:
    """The language a request asks for with ?lang= (the page sends its own), English when none or unknown."""
    lang = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[-1]
    return lang if lang in LANGS else "en"


def _hostname(host: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1', 'LocalHost' -> 'localhost'."""
    return (urlsplit(f"//{host}").hostname or "") if host else ""


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    """ASGI middleware applying the three checks above; `allowed_hosts=None` accepts any Host."""

    def __init__(self, app, max_body: int, allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS,
                 body_timeout: float = BODY_TIMEOUT):
        self.app, self.max_body, self.body_timeout = app, max_body, body_timeout
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers, lang = dict(scope["headers"]), page_lang(scope)
        host = headers.get(b"host", b"").decode("latin-1")
        if self.allowed_hosts is not None and _hostname(host) not in self.allowed_hosts:
            return await _reply(send, 400, t("web.unknown_host", lang, host=host))
        unsafe = scope["method"].encode() in UNSAFE_METHODS
        origin = headers.get(b"origin")
        if unsafe and origin is not None and urlsplit(origin.decode("latin-1")).netloc.lower() != host.lower():
            return await _reply(send, 403, t("web.cross_site", lang))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await _reply(send, 413, BodyTooLarge(self.max_body, lang).detail)

        received, complete = 0, False

        async def counting_receive():
            nonlocal received, complete
            if complete:  # the body is in: what follows is waiting for a disconnect (event streams)
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise BodyTimeout(self.body_timeout) from None  # answered 408 by the app, with one log line
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body, lang)  # the route's exception handler answers 413
            return message

        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # FastAPI parses a body with no content type as JSON too, and so would any +json type
        if unsafe and (content_type in (b"application/json", b"") or content_type.endswith(b"+json")):
            # Read the (bounded) body now, to refuse NaN/Infinity before any route starts work.
            chunks = []
            while True:
                try:
                    message = await counting_receive()
                except BodyTooLarge as e:
                    return await _reply(send, 413, e.detail)
                except BodyTimeout as e:
                    log.warning("%s %s: %s", scope["method"], scope["path"], e)
                    return await _reply(send, 408, e.text(lang))
                if message["type"] != "http.request":
                    log.warning("%s %s: the client went away before sending the whole body",
                                scope["method"], scope["path"])
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            bad = non_finite_number(body)
            if bad is not None:
                return await _reply(send, 400, t("web.not_finite", lang, number=bad))
            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            return await self.app(scope, replay, send)

        await self.app(scope, counting_receive, send)
