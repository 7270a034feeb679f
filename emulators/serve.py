"""Serve one function as Functions Framework does, but able to survive slow and idle clients.

`python -m functions_framework` runs gunicorn's threaded worker with 4 threads per core and
no socket timeouts, and offers no option to change either. A dozen connections that open and
say nothing, or send half a request and stop, then hold every thread: the function stops
answering, `/healthz` included. This launcher builds the same app (`functions_framework
.create_app`) and serves it with gunicorn's threaded worker, configured for a server that
faces clients directly:

- enough threads that idle connections cannot take all of them (gunicorn gives a new
  connection's thread back after a few seconds without data, but only after those seconds);
- a receive and send timeout on every connection (`SO_RCVTIMEO`/`SO_SNDTIMEO`, set on the
  listening socket and inherited by each accepted one), so a client that stalls mid-request
  or stops reading its answer is dropped instead of holding its thread forever;
- a short keep-alive, after which idle kept-alive connections are closed.

    python -m deckpipe_emulators.serve --source functions/upload/main.py --target upload \
        --signature-type http --host 127.0.0.1 --port 8091 [--threads 64] [--io-timeout 15]
"""

from __future__ import annotations

import argparse
import socket
import struct
from typing import Any

import functions_framework
import gunicorn.app.base

DEFAULT_THREADS = 64
DEFAULT_IO_TIMEOUT = 15.0
DEFAULT_KEEPALIVE = 5


class FunctionServer(gunicorn.app.base.BaseApplication):
    """One gunicorn worker with threads, serving an app built by Functions Framework."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def server_options(
    host: str, port: int, *, threads: int, io_timeout: float, keepalive: int
) -> dict[str, Any]:
    """Gunicorn settings: Functions Framework's own (one gthread worker, no request-line
    limit, quiet log), with more threads, a keep-alive bound and socket timeouts."""

    def set_socket_timeouts(worker: Any) -> None:
        # Accepted sockets inherit these from the listener (Linux copies them at accept).
        seconds = int(io_timeout)
        timeval = struct.pack("ll", seconds, int((io_timeout - seconds) * 1_000_000))
        for listener in worker.sockets:
            listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)

    return {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": max(1000, threads * 4),
        "keepalive": keepalive,
        "timeout": 0,  # as Functions Framework: no arbiter kill of a busy worker
        "loglevel": "error",
        "limit_request_line": 0,
        "post_worker_init": set_socket_timeouts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deckpipe_emulators.serve")
    parser.add_argument("--source", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument(
        "--signature-type", default="http", choices=["http", "event", "cloudevent", "typed"]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--io-timeout", type=float, default=DEFAULT_IO_TIMEOUT)
    parser.add_argument("--keepalive", type=int, default=DEFAULT_KEEPALIVE)
    args = parser.parse_args(argv)
    app = functions_framework.create_app(args.target, args.source, args.signature_type)
    options = server_options(
        args.host, args.port, threads=args.threads, io_timeout=args.io_timeout,
        keepalive=args.keepalive,
    )
    FunctionServer(app, options).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
