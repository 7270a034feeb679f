"""The local stack: three emulators, their wiring, and the four functions under Functions Framework.

One object owns every process it starts, so a test session or `deckpipe dev` can always take
the whole thing down again, including after a failed start.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from deckpipe import provision as provisioning
from deckpipe.config import load_settings
from deckpipe.errors import ConfigError
from deckpipe_emulators import wiring
from deckpipe_emulators.processes import ManagedProcess, port_is_free, spawn, stop_groups
from deckpipe_emulators.serve import DEFAULT_IO_TIMEOUT, DEFAULT_THREADS
from deckpipe_emulators.tools import EmulatorTools, ToolsMissing, find_tools

REPO_ROOT = Path(__file__).resolve().parents[1]
EMULATORS = ("storage", "firestore", "pubsub")
HTTP_FUNCTIONS = ("upload", "status", "result")
FUNCTIONS = (*HTTP_FUNCTIONS, "convert")
# Processes with no port: the reaper's timer (Cloud Scheduler's stand-in).
TIMERS = ("reaper",)
DEFAULT_PORTS = {
    "storage": 4443,
    "firestore": 8081,
    "pubsub": 8085,
    "upload": 8091,
    "status": 8092,
    "result": 8093,
    "convert": 8094,
}
READY_TIMEOUT = 60.0


class StackError(RuntimeError):
    """The stack cannot start or has broken; the message says what to do about it."""


@dataclass
class StackConfig:
    project: str = "deckpipe-local"
    bucket: str = "deckpipe-local"
    topic: str = "deckpipe-jobs"
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    functions_dir: Path = REPO_ROOT / "functions"
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    retry_min_backoff: float = 1.0
    retry_max_backoff: float = 10.0
    max_delivery_attempts: int = 5
    ack_deadline: int = 60
    # Threads per HTTP function (idle clients must not take them all) and for convert (each
    # thread may hold a conversion: a handful is what the machine can run at once).
    http_threads: int = DEFAULT_THREADS
    convert_threads: int = 8
    io_timeout: float = DEFAULT_IO_TIMEOUT
    # Seconds between reaper passes (deckpipe.reaper), or None for no reaper process.
    reaper_interval: float | None = 10.0

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic}-dead-letter"


class LocalStack:
    """Starts, wires, resets and stops the emulators and functions described by a StackConfig."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.config.ports = {**DEFAULT_PORTS, **self.config.ports}
        self.log_dir: Path | None = None
        self._processes: list[ManagedProcess] = []
        self._tools: EmulatorTools | None = None
        # Held while starting, restarting or stopping children, so a supervisor thread and
        # stop() never interleave; `_stopping` makes a restart after stop() a no-op.
        self._lock = threading.RLock()
        self._stopping = False

    # -- addresses and environments -------------------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        host = self.config.host
        return {name: f"http://{host}:{port}" for name, port in self.config.ports.items()}

    def client_env(self) -> dict[str, str]:
        """What google-cloud clients need to talk to these emulators."""
        host, ports = self.config.host, self.config.ports
        return {
            "STORAGE_EMULATOR_HOST": f"http://{host}:{ports['storage']}",
            "FIRESTORE_EMULATOR_HOST": f"{host}:{ports['firestore']}",
            "PUBSUB_EMULATOR_HOST": f"{host}:{ports['pubsub']}",
            "GOOGLE_CLOUD_PROJECT": self.config.project,
        }

    def function_env(self) -> dict[str, str]:
        """The complete environment each function process runs with."""
        urls = self.urls
        return {
            **os.environ,
            **self.client_env(),
            "PYTHONUNBUFFERED": "1",
            "DECKPIPE_BUCKET": self.config.bucket,
            "DECKPIPE_TOPIC": self.config.topic,
            "DECKPIPE_UPLOAD_URL": urls["upload"],
            "DECKPIPE_STATUS_URL": urls["status"],
            "DECKPIPE_RESULT_URL": urls["result"],
            **self.config.env,
        }

    def process_groups(self) -> dict[str, int]:
        """Process group id of every current process, by service name (restarts replace)."""
        return {process.name: process.pgid for process in self._processes}

    @property
    def stopping(self) -> bool:
        """True once stop() was called: exits from then on are expected."""
        return self._stopping

    def processes(self) -> dict[str, ManagedProcess]:
        """The current process of every service, by name."""
        return {process.name: process for process in self._processes}

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start and wire everything, or raise StackError having stopped whatever had started."""
        if any(not process.finished() for process in self._processes):
            raise StackError("the stack is already started")
        self._processes = []
        self._check_ports()
        try:
            tools = find_tools()
        except ToolsMissing as missing:
            raise StackError("cannot start the emulators: " + "; ".join(missing.problems)) from None
        self._check_functions_dir()
        self.log_dir = self._make_log_dir()
        self._tools = tools
        self._stopping = False
        atexit.register(self.stop)
        try:
            self._start_emulators(tools)
            self._wire()
            self._start_functions()
            if self.config.reaper_interval is not None:
                self._spawn_reaper()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every process group, functions first; safe to call twice or after a failed start."""
        self._stopping = True
        with self._lock:
            servers = (*FUNCTIONS, *TIMERS)
            functions = [process for process in self._processes if process.name in servers]
            others = [process for process in self._processes if process.name not in servers]
            stop_groups(functions)
            stop_groups(others)
        atexit.unregister(self.stop)

    def restart(self, name: str) -> ManagedProcess:
        """Start service `name` again (whatever is left of its old process group is killed
        first) and wait until it is ready; an emulator comes back empty and is provisioned
        again. Raises StackError if it does not come up, or if the stack is stopping."""
        with self._lock:
            if self._stopping:
                raise StackError("the stack is stopping")
            old = self.processes()[name]
            stop_groups([old], grace=2.0)
            self._processes.remove(old)
            try:
                if name in TIMERS:
                    new = self._spawn_reaper(append=True)
                elif name in FUNCTIONS:
                    new = self._spawn_function(name, append=True)
                    probe = self.urls[name] + "/healthz"
                    self._wait_until_ready([new], {name: probe}, accept=_function_is_ready)
                else:
                    assert self._tools is not None
                    argv = self._emulator_argv(self._tools, name)
                    new = self._spawn(name, argv, env=self._emulator_env(name), append=True)
                    probe = self.urls[name] + _EMULATOR_PROBES[name]
                    self._wait_until_ready([new], {name: probe})
                    self.provision()
            except BaseException:
                # Leave it exited, never half-up, so the next attempt starts from scratch.
                stop_groups([self.processes()[name]], grace=2.0)
                raise
            return new

    def reset(self) -> None:
        """Empty Firestore and the bucket (which itself stays) so each test starts clean."""
        wiring.clear_firestore(self.urls["firestore"], self.config.project)
        wiring.empty_bucket(self.urls["storage"], self.config.project, self.config.bucket)

    def check_alive(self) -> None:
        """Raise StackError, with its log tail, if any started process has exited."""
        for process in self._processes:
            if process.exited():
                raise StackError(self._exit_message(process))

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- start-up steps ---------------------------------------------------------------------

    def _check_ports(self) -> None:
        taken = [
            f"port {port} ({name}) is already in use; stop what holds it or choose another port "
            f"with --{name}-port / DECKPIPE_{name.upper()}_PORT"
            for name, port in self.config.ports.items()
            if not port_is_free(self.config.host, port)
        ]
        if len(set(self.config.ports.values())) != len(self.config.ports):
            taken.append(f"two services share a port: {self.config.ports}")
        if taken:
            raise StackError("; ".join(taken))

    def _check_functions_dir(self) -> None:
        missing = [
            str(self._function_source(name))
            for name in FUNCTIONS
            if not self._function_source(name).is_file()
        ]
        if missing:
            raise StackError(f"function source(s) not found: {', '.join(missing)}")

    def _make_log_dir(self) -> Path:
        if self.config.log_dir is None:
            return Path(tempfile.mkdtemp(prefix="deckpipe-stack-"))
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        return self.config.log_dir

    def _function_source(self, name: str) -> Path:
        return self.config.functions_dir / name / "main.py"

    def _start_emulators(self, tools: EmulatorTools) -> None:
        started = [self._spawn(name, self._emulator_argv(tools, name), env=self._emulator_env(name))
                   for name in EMULATORS]
        probe_urls = {name: self.urls[name] + _EMULATOR_PROBES[name] for name in EMULATORS}
        self._wait_until_ready(started, probe_urls)

    def _emulator_argv(self, tools: EmulatorTools, name: str) -> list[str]:
        host, ports = self.config.host, self.config.ports
        storage = f"{host}:{ports['storage']}"
        commands = {
            "storage": [
                str(tools.fake_gcs), "-scheme", "http", "-backend", "memory",
                "-host", host, "-port", str(ports["storage"]),
                "-external-url", f"http://{storage}", "-public-host", storage,
                # Cloud Storage's Pub/Sub notification for direct uploads: finalize events
                # of inputs/ to <topic>-uploads, which provision pushes to upload/finalized.
                "-event.pubsub-project-id", self.config.project,
                "-event.pubsub-topic", f"{self.config.topic}-uploads",
                "-event.bucket", self.config.bucket, "-event.object-prefix", "inputs/",
                "-event.list", "finalize",
            ],
            "firestore": [
                str(tools.firestore), "start", f"--host={host}", f"--port={ports['firestore']}",
            ],
            "pubsub": [str(tools.pubsub), f"--host={host}", f"--port={ports['pubsub']}"],
        }  # fmt: skip
        return commands[name]

    def _emulator_env(self, name: str) -> dict[str, str] | None:
        """fake-gcs-server publishes its finalize events to the Pub/Sub emulator."""
        if name != "storage":
            return None
        return {**os.environ, "PUBSUB_EMULATOR_HOST": self.client_env()["PUBSUB_EMULATOR_HOST"]}

    def _wire(self) -> None:
        """Provision the emulators before any function starts: `deckpipe provision`'s own
        code, in-process, pushing to the local convert function; on failure nothing starts."""
        self.provision()

    def provision(self, *, dry_run: bool = False) -> provisioning.Report:
        """Run provision for this stack (the functions' settings, its emulators, its convert
        function as the push endpoint), or raise StackError with provision's message."""
        try:
            settings = load_settings(self.function_env())
        except ConfigError as error:
            raise StackError(f"cannot provision the emulators: {error.message}") from None
        try:
            return provisioning.provision(
                settings, self.provision_options(), self.provision_emulators(), dry_run=dry_run
            )
        except (ValueError, provisioning.ProvisionError) as error:
            raise StackError(f"provisioning the emulators failed: {error}") from None

    def provision_options(self) -> provisioning.Options:
        """The stack's push endpoint and Pub/Sub policies, as provision options."""
        config = self.config
        return provisioning.Options(
            push_endpoint=self.urls["convert"],
            min_backoff=config.retry_min_backoff,
            max_backoff=config.retry_max_backoff,
            max_delivery_attempts=config.max_delivery_attempts,
            ack_deadline=config.ack_deadline,
        )

    def provision_emulators(self) -> provisioning.Emulators:
        """This stack's emulator addresses, given explicitly rather than through os.environ."""
        env = self.client_env()
        return provisioning.Emulators(
            storage=env["STORAGE_EMULATOR_HOST"],
            pubsub=env["PUBSUB_EMULATOR_HOST"],
            firestore=env["FIRESTORE_EMULATOR_HOST"],
        )

    def _start_functions(self) -> None:
        started = [self._spawn_function(name) for name in FUNCTIONS]
        probes = {name: self.urls[name] + "/healthz" for name in FUNCTIONS}
        self._wait_until_ready(started, probes, accept=_function_is_ready)

    def _spawn_function(self, name: str, append: bool = False) -> ManagedProcess:
        """Functions Framework's app for `name`, served by `deckpipe_emulators.serve` (more
        threads and socket timeouts than `python -m functions_framework` allows)."""
        config = self.config
        signature = "cloudevent" if name == "convert" else "http"
        threads = config.convert_threads if name == "convert" else config.http_threads
        argv = [
            sys.executable, "-m", "deckpipe_emulators.serve",
            "--source", str(self._function_source(name)), "--target", name,
            "--host", config.host, "--port", str(config.ports[name]),
            "--signature-type", signature,
            "--threads", str(threads), "--io-timeout", str(config.io_timeout),
        ]  # fmt: skip
        return self._spawn(name, argv, env=self.function_env(), cwd=REPO_ROOT, append=append)

    def _spawn_reaper(self, append: bool = False) -> ManagedProcess:
        """`deckpipe reap --every N` with the functions' settings: Cloud Scheduler's stand-in."""
        argv = [
            sys.executable, "-m", "deckpipe.cli", "reap",
            "--every", str(self.config.reaper_interval or 10.0),
        ]  # fmt: skip
        return self._spawn("reaper", argv, env=self.function_env(), cwd=REPO_ROOT, append=append)

    # -- helpers ----------------------------------------------------------------------------

    def _spawn(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        append: bool = False,
    ) -> ManagedProcess:
        assert self.log_dir is not None
        process = spawn(name, argv, self.log_dir, env=env, cwd=cwd, append=append)
        self._processes.append(process)
        return process

    def _wait_until_ready(
        self,
        processes: list[ManagedProcess],
        probe_urls: dict[str, str],
        accept: Callable[[str, int, bytes], bool] | None = None,
    ) -> None:
        """Poll every process's probe URL until all answer; an exit or the timeout is an error."""
        accept = accept or (lambda name, status, body: 200 <= status < 300)
        waiting = {process.name: process for process in processes}
        deadline = time.monotonic() + READY_TIMEOUT
        while waiting:
            for name, process in list(waiting.items()):
                if process.exited():
                    raise StackError(self._exit_message(process))
                answer = _http_get(probe_urls[name])
                if answer is not None and accept(name, *answer):
                    del waiting[name]
                elif answer is not None and name in HTTP_FUNCTIONS:
                    raise StackError(
                        f"{name} answered GET {probe_urls[name]} with HTTP {answer[0]}: "
                        f"{answer[1][:500]!r}\n--- {process.log_path} (tail) ---\n"
                        f"{process.log_tail()}"
                    )
            if waiting and time.monotonic() > deadline:
                name, process = next(iter(waiting.items()))
                raise StackError(
                    f"{name} did not become ready at {probe_urls[name]} within "
                    f"{READY_TIMEOUT:.0f} s\n--- {process.log_path} (tail) ---\n"
                    f"{process.log_tail()}"
                )
            if waiting:
                time.sleep(0.05)

    @staticmethod
    def _exit_message(process: ManagedProcess) -> str:
        return (
            f"{process.name} exited with code {process.popen.returncode}\n"
            f"--- {process.log_path} (tail) ---\n{process.log_tail()}"
        )


_EMULATOR_PROBES = {
    "storage": "/_internal/healthcheck",
    "firestore": "/",
    "pubsub": "/",
}


def _function_is_ready(name: str, status: int, body: bytes) -> bool:
    """HTTP functions must pass their /healthz; convert only needs to answer at all."""
    return name == "convert" or status == 200


def _http_get(url: str) -> tuple[int, bytes] | None:
    """(status, body) of a GET, or None while nothing accepts the connection."""
    try:
        with wiring.LOCAL_OPENER.open(url, timeout=2) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None
