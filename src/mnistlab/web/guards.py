"""What a local server needs before any route runs: a bounded body, a known Host, a same-origin writer.

* Body size: refused on the declared Content-Length, and counted while the body arrives (a client can
  lie or send chunks), so no route ever holds more than `max_body` bytes.
* Host: only the names the server answers to; a web page that re-points its own domain at 127.0.0.1
  (DNS rebinding) would otherwise read and drive this API.
* Origin: a browser names the page behind every cross-site POST; one from another site may not start
  or cancel training here.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
UNSAFE_METHODS = (b"POST", b"PUT", b"PATCH", b"DELETE")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is over the {limit / 2**20:g} MB limit; "
                              "send a smaller image (crop it to the digit or scale it down)")


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

    def __init__(self, app, max_body: int, allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS):
        self.app, self.max_body = app, max_body
        self.allowed_hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        if self.allowed_hosts is not None and _hostname(host) not in self.allowed_hosts:
            return await _reply(send, 400, f"unknown Host {host!r}; open the page as http://127.0.0.1:PORT")
        unsafe = scope["method"].encode() in UNSAFE_METHODS
        origin = headers.get(b"origin")
        if unsafe and origin is not None and urlsplit(origin.decode("latin-1")).netloc.lower() != host.lower():
            return await _reply(send, 403, "cross-site request refused: this API only takes orders from its own page")
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await _reply(send, 413, BodyTooLarge(self.max_body).detail)

        received = 0

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)  # the route's exception handler answers 413
            return message

        await self.app(scope, counting_receive, send)
