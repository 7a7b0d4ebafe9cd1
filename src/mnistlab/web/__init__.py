"""The web studio (`mnistlab serve`): draw a digit and watch the network answer, train with live curves.

`create_app(runs_dir, run)` builds the FastAPI application; `serve` runs it with uvicorn.
"""

from mnistlab.web.app import create_app
from mnistlab.web.server import bind_socket, serve

__all__ = ["bind_socket", "create_app", "serve"]
