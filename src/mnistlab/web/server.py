"""Running the app: bind the socket ourselves (a taken port is a one-line error, port 0 picks a free one),
then hand it to uvicorn."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from mnistlab.errors import MnistlabError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str = "127.0.0.1", port: int = 8000) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on such sockets, and without it every small
    # response waits ~40 ms on Nagle's algorithm meeting the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart at once after Ctrl-C
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise MnistlabError("web.cannot_listen", host=host, port=port, error=e.strerror or e) from None
    # Listen now: a client that connects while the app is still starting (its prediction workers take a
    # second or two) waits in the backlog instead of being refused.
    sock.listen(2048)
    return sock


def uvicorn_server(app, **options) -> uvicorn.Server:
    """A uvicorn server without per-request logging; open event streams get 2 s to close on shutdown."""
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2, **options)
    return uvicorn.Server(config)


def serve(app, host: str = "127.0.0.1", port: int = 8000, on_ready=None) -> None:
    """Serve `app` until Ctrl-C; `on_ready(url)` is called once the socket is bound."""
    sock = bind_socket(host, port)
    if on_ready:
        name = f"[{host}]" if ":" in host else host
        on_ready(f"http://{name}:{sock.getsockname()[1]}")
    uvicorn_server(app).run(sockets=[sock])


@contextlib.contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 30.0) -> Iterator[str]:
    """Serve `app` from a background thread (tests, notebooks); yields its URL once it answers."""
    sock = bind_socket(host, port)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
