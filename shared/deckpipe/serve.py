"""``deckpipe serve``: the whole service on one machine, and ``deckpipe worker``.

One origin serves what the cloud spreads over four functions, with the same
routes (``BASE/NAME``): the page at ``/``, ``POST /upload``, ``GET /status/<id>``,
``GET /result/<id>``, ``/healthz``. The handlers are ``deckpipe.web``'s, unchanged.
Waitress serves them: pure Python, it buffers slow clients' requests itself
before a thread sees them, so idle or slow connections never hold a thread.

Beside the web server, ``serve`` runs ``--workers`` worker processes (the pull
worker on the SQLite queue), restarts any that dies (its job is taken over once
its lease lapses), and runs a sweeper: the reaper (jobs stuck without a message
or a worker) and the retention sweep (the local backend has no lifecycle rules).

Start-up runs before anything is served: settings, data directory, schema, a
write probe, the port. Any failure stops it with one message.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from . import jobs, logs, reaper, web, webpage, webserver
from .config import Settings, chosen_backend, load_settings
from .errors import ConfigError, TransientError
from .runtime import Runtime, build

log = logs.get_logger(__name__)

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SWEEP_SECONDS = 30.0
RETENTION_EVERY = 20  # sweeps between retention passes (10 min)
WORKER_STOP_GRACE_SECONDS = 30.0
WSGI_THREADS = 16


class StartupError(Exception):
    """Start-up cannot go on; the message says why and what to do."""


# --- the web app ------------------------------------------------------------------------


def create_app(rt: Runtime, supervisor: Supervisor | None = None) -> Any:
    """A Flask app mounting ``deckpipe.web``'s handlers on the cloud's routes."""
    from flask import Flask, request

    app = Flask("deckpipe.serve")

    def route(rule: str, endpoint: str, view) -> None:
        app.add_url_rule(rule, endpoint, view, methods=ALL_METHODS,
                         provide_automatic_options=False, strict_slashes=False)

    def page(asset: str = "index.html"):
        if asset == "config.json":  # the page posts to /upload on its own origin
            response = web.json_response(webpage.page_config(rt.settings, upload_url="upload"))
            response.headers["Cache-Control"] = "no-cache"
            return response
        if asset not in webpage.ASSETS:
            return web.error_response(404, "not_found", "No such page.")
        return web.upload(rt, request)

    def health():
        body: dict[str, Any] = {"status": "ready", "startup_seconds": rt.startup}
        if supervisor is not None:
            body["workers"] = supervisor.alive()
        return web.json_response(body)

    route("/", "page", page)
    route("/<asset>", "asset", page)
    route("/healthz", "healthz", health)
    def mounted(handler):
        return lambda rest="": handler(rt, request)

    for name, handler in (("upload", web.upload), ("status", web.status),
                          ("result", web.result)):
        view = mounted(handler)
        route(f"/{name}", name, view)
        route(f"/{name}/<path:rest>", f"{name}_rest", view)

    # The functions' own handlers: every refusal and crash JSON with a code, as in the cloud.
    webserver.install_error_handlers(app)
    webserver.json_waitress_errors()
    return app


# --- start-up -----------------------------------------------------------------------------


def local_settings(environ=None, *, data_dir: str | None = None) -> Settings:
    """The settings of the local service (``DECKPIPE_BACKEND`` defaults to local)."""
    backend = chosen_backend(environ, "local")
    if backend != "local":
        raise ConfigError(
            f"DECKPIPE_BACKEND={backend} is not valid here: deckpipe serve and "
            "deckpipe worker run the local backend (the google backend runs as Cloud "
            "Functions; `deckpipe dev` runs them on the emulators)"
        )
    settings = load_settings(environ, default_backend="local")
    data = Path(data_dir or settings.data_dir).expanduser().resolve()
    return dataclasses.replace(settings, data_dir=str(data))


def on_origin(settings: Settings, base_url: str) -> Settings:
    """Status, result and upload URLs on the one origin the service answers on."""
    base = base_url.rstrip("/")
    origins = set(settings.allowed_origins)
    host_port = base.split("://", 1)[1]
    if host_port.startswith("127.0.0.1:"):  # the same service, as a browser may name it
        origins.add("http://localhost:" + host_port.split(":", 1)[1])
    return dataclasses.replace(
        settings, status_url=f"{base}/status", result_url=f"{base}/result",
        upload_url=f"{base}/upload", allowed_origins=tuple(sorted(origins)),
    )


def prepare(settings: Settings) -> Runtime:
    """Create the data directory and the schema and prove they are writable."""
    began = time.perf_counter()
    data = Path(settings.data_dir)
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise StartupError(f"the data directory {data} is not writable ({exc.strerror}); "
                           "fix its permissions or set DECKPIPE_DATA_DIR") from None
    try:
        rt = build(settings)
        rt.jobs.get("0" * 32)  # opens the database, creating or migrating its schema
    except (TransientError, ConfigError) as exc:
        raise StartupError(exc.message) from None
    rt.startup.update(data_dir=round(time.perf_counter() - began, 4))
    return rt


# --- workers --------------------------------------------------------------------------------


class Supervisor:
    """Keeps ``count`` worker processes alive and runs the periodic sweeper."""

    def __init__(self, rt: Runtime, count: int, env: dict[str, str]) -> None:
        self.rt, self.count, self.env = rt, count, env
        self.workers: list[subprocess.Popen | None] = [None] * count
        self._started_at = [0.0] * count
        self._failures = [0] * count
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._watch, name="supervisor", daemon=True),
                         threading.Thread(target=self._sweep, name="sweeper", daemon=True)]

    def start(self) -> None:
        for slot in range(self.count):
            self._spawn(slot)
        for thread in self._threads:
            thread.start()

    def alive(self) -> int:
        return sum(1 for p in self.workers if p is not None and p.poll() is None)

    def pids(self) -> list[int]:
        return [p.pid for p in self.workers if p is not None and p.poll() is None]

    def _spawn(self, slot: int) -> None:
        argv = [sys.executable, "-m", "deckpipe.cli", "worker",
                "--data-dir", self.rt.settings.data_dir, "--supervised-by", str(os.getpid())]
        # Each worker leads its own process group, so Ctrl-C in the terminal reaches only
        # this process, which stops the workers in order (a worker whose supervisor dies
        # notices and stops by itself).
        self.workers[slot] = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL,
                                              start_new_session=True)
        self._started_at[slot] = time.monotonic()

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            for slot, process in enumerate(self.workers):
                if process is None or process.poll() is None or self._stopping.is_set():
                    continue
                lived = time.monotonic() - self._started_at[slot]
                self._failures[slot] = self._failures[slot] + 1 if lived < 10 else 0
                delay = min(30.0, 0.5 * 2 ** self._failures[slot]) if lived < 10 else 0.0
                log.error("worker %d (pid %d) exited with %s; restarting in %.1f s",
                          slot, process.pid, process.returncode, delay)
                self.workers[slot] = None
                if self._stopping.wait(delay):
                    return
                self._spawn(slot)

    def _sweep(self) -> None:
        passes = 0
        while not self._stopping.wait(SWEEP_SECONDS):
            try:
                sweep(self.rt, retention=passes % RETENTION_EVERY == 0)
            except Exception as exc:  # the next pass tries again
                log.error("sweep failed: %r", exc)
            passes += 1

    def stop(self, grace: float = WORKER_STOP_GRACE_SECONDS) -> None:
        """SIGTERM each worker (it finishes its job), then SIGTERM again (it gives the job
        back), then SIGKILL: a job cut short is taken over once its lease lapses."""
        self._stopping.set()
        live = [p for p in self.workers if p is not None and p.poll() is None]
        for step, wait in ((signal.SIGTERM, grace), (signal.SIGTERM, 5.0),
                           (signal.SIGKILL, 5.0)):
            for process in live:
                if process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.send_signal(step)
            deadline = time.monotonic() + wait
            for process in live:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(max(0.0, deadline - time.monotonic()))
            live = [p for p in live if p.poll() is None]
            if not live:
                return


def sweep(rt: Runtime, *, retention: bool = True) -> dict[str, int]:
    """One sweeper pass: the reaper, then retention."""
    counts: dict[str, int] = dict(reaper.reap(rt))
    if retention:
        counts["expired"] = expire(rt)
    return counts


def expire(rt: Runtime, *, now=None, batch: int = 500) -> int:
    """Delete decks, PDFs and jobs created more than ``retention_days`` ago (files first,
    so a crash in between leaves a job the next pass deletes, never a lost file)."""
    cutoff = (now or jobs.utcnow()) - timedelta(days=rt.settings.retention_days)
    deleted = 0
    while old := rt.jobs.created_before(cutoff, limit=batch):
        for job in old:
            rt.blobs.delete(job.input_object)
            rt.blobs.delete(job.result_object)
            rt.jobs.delete(job.job_id)
            deleted += 1
        if len(old) < batch:
            break
    rt.blobs.sweep_temporary()
    if deleted:
        log.info("retention: deleted %d job(s) and their files", deleted)
    return deleted


# --- commands --------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    try:
        settings = local_settings(data_dir=args.data_dir)
        logs.configure(settings.log_level)
        base = f"http://{_url_host(args.host)}:{args.port}"
        settings = on_origin(settings, settings.public_url or base)
        rt = prepare(settings)
        env = {**os.environ, "DECKPIPE_BACKEND": "local", "DECKPIPE_DATA_DIR": settings.data_dir}
        supervisor = Supervisor(rt, args.workers, env)
        server = _bind(create_app(rt, supervisor), args.host, args.port, settings)
    except (ConfigError, StartupError) as exc:
        print(f"deckpipe serve: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    supervisor.start()
    print(f"deckpipe is running: open {base}/ (data in {settings.data_dir}, "
          f"{args.workers} worker(s); Ctrl-C stops it)", file=sys.stderr, flush=True)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)  # even if started with SIGINT ignored (a script's &)
    try:
        server.run()  # returns on KeyboardInterrupt (Ctrl-C or SIGTERM)
    except KeyboardInterrupt:
        pass
    finally:
        print("deckpipe: stopping the workers (each finishes its job first)", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.close()  # refuse new connections at once rather than queue them unanswered
        supervisor.stop()
    return 0


def _bind(app: Any, host: str, port: int, settings: Settings) -> Any:
    from waitress import create_server

    try:
        return create_server(
            app, host=host, port=port, threads=WSGI_THREADS, connection_limit=256,
            channel_timeout=60, cleanup_interval=10, asyncore_use_poll=True,
            # A body the upload would refuse by its declared length anyway is refused by
            # waitress at once (413 JSON), before it buffers a byte of it.
            max_request_body_size=settings.max_upload_bytes + web.MULTIPART_SLACK + 1,
            ident="deckpipe",
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is already in use; stop what is "
                               "listening there or choose another with --port") from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _url_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host


def worker(args: argparse.Namespace) -> int:
    from . import convert, pullworker

    try:
        settings = local_settings(data_dir=args.data_dir)
        logs.configure(settings.log_level)
        rt = prepare(settings)
    except (ConfigError, StartupError) as exc:
        print(f"deckpipe worker: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    convert.warm_up()
    # A message held by a worker that died reappears when that worker's lease lapses,
    # which is when another worker may take the job over.
    policy = pullworker.PullPolicy(visibility_timeout=settings.lease_seconds)
    pulled = pullworker.PullWorker(rt, rt.queue, policy=policy)
    pullworker.stop_on_signals(pulled, interrupt=args.supervised_by is None)
    if args.supervised_by is not None:
        pullworker.stop_when_orphaned(pulled, args.supervised_by)
    try:
        pulled.run()
    except KeyboardInterrupt:
        log.info("worker interrupted; its job was given back")
    return 0


def add_arguments(serve_parser: argparse.ArgumentParser,
                  worker_parser: argparse.ArgumentParser) -> None:
    serve_parser.add_argument("--host", default="127.0.0.1",
                              help="address to listen on (default: 127.0.0.1, this machine only)")
    serve_parser.add_argument("--port", type=int, default=8080, help="default: 8080")
    serve_parser.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                              help="worker processes (default: the number of CPUs)")
    for parser in (serve_parser, worker_parser):
        parser.add_argument("--data-dir", help="where jobs, decks and PDFs are kept "
                            "(default: DECKPIPE_DATA_DIR or .deckpipe/data)")
    worker_parser.add_argument("--supervised-by", type=int, metavar="PID",
                               help=argparse.SUPPRESS)  # set by deckpipe serve
    serve_parser.set_defaults(run=serve)
    worker_parser.set_defaults(run=worker)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("expected at least 1")
    return value
