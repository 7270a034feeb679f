"""Stack adapters: what the load and chaos campaigns need to know about a running deckpipe.

A campaign talks to a stack over HTTP like any client (upload, status, result URLs) and
needs four more things only the stack knows: its processes (for peak memory and for faults),
the PDFs it stored (to count duplicates), what it restarted, and how to start and stop. Each
stack answers them in one small class; a new stack (AWS on moto, say) is one more class here.

- `EmulatorStack`: the Google emulator stack (`deckpipe_emulators.LocalStack`) on free
  ports, supervised (a killed child is restarted, an emulator comes back empty and says so).
- `ServeStack`: `deckpipe serve` (the local backend: one origin, SQLite, files) with its own
  worker processes.

Everything binds 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Proc:
    """One live process of a stack: the service it belongs to and its role there."""

    pid: int
    service: str  # "convert", "firestore", ...
    role: str  # "main" (the process we started), "worker" (its child), "child" (deeper)


@dataclass(frozen=True)
class Restart:
    """A service the stack restarted; `state_lost` when it came back empty (an emulator)."""

    at: float  # time.time()
    service: str
    state_lost: bool
    message: str


class Stack(Protocol):
    """What a campaign needs from a stack."""

    name: str
    upload_url: str
    status_url: str
    result_url: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def processes(self) -> list[Proc]: ...
    def result_objects(self) -> Counter[str]:
        """Stored result PDFs: object name -> number of versions (generations) of it."""
        ...
    def restarts(self) -> list[Restart]: ...
    def stateful_services(self) -> tuple[str, ...]:
        """Services whose death loses stored state (the emulators); empty if none."""
        ...


def stop_group(popen: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM the process group a stack runs in; SIGKILL it after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGTERM)
    try:
        popen.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()


# -- processes from /proc ------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def process_tree(leaders: dict[str, int]) -> list[Proc]:
    """Every live process descending from each service's leader pid, with its role."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found = []
    for service, leader in leaders.items():
        if leader not in parents:
            continue
        depth = {leader: 0}
        changed = True
        while changed:
            changed = False
            for pid, parent in parents.items():
                if pid not in depth and parent in depth:
                    depth[pid] = depth[parent] + 1
                    changed = True
        for pid, level in depth.items():
            role = ("main", "worker")[level] if level < 2 else "child"
            found.append(Proc(pid, service, role))
    return found


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from each of its threads' /proc children list."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def peak_rss_bytes(pid: int, field: str = "VmHWM") -> int | None:
    """The process's peak resident set so far (VmHWM; or another /proc status field such as
    VmRSS, the resident set now), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


# -- the Google emulator stack ----------------------------------------------------------------


class EmulatorStack:
    """`deckpipe_emulators.LocalStack` on free ports, with a supervisor thread.

    `env` tunes the functions (shorter leases, say) so faults resolve within a campaign.
    Given a running `local` stack and its `supervisor` (a test's), it only adapts them:
    starting and stopping them stays with their owner.
    """

    name = "google-emulators"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        reaper_interval: float = 5.0,
        *,
        local: Any = None,
        supervisor: Any = None,
    ) -> None:
        from deckpipe_emulators.processes import free_ports
        from deckpipe_emulators.stack import DEFAULT_PORTS, LocalStack, StackConfig
        from deckpipe_emulators.supervisor import Supervisor

        self.owned = local is None
        if local is None:
            ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
            config = StackConfig(
                ports=ports, env=dict(env or {}), reaper_interval=reaper_interval,
                log_dir=Path(tempfile.mkdtemp(prefix="deckpipe-campaign-")),
            )
            local = LocalStack(config)
            supervisor = Supervisor(local, report=self._report, first_delay=0.5)
        self.local = local
        self.supervisor = supervisor
        urls = self.local.urls
        self.upload_url, self.status_url, self.result_url = (
            urls["upload"], urls["status"], urls["result"]
        )

    def _report(self, line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} [stack] {line}", file=sys.stderr, flush=True)

    def start(self) -> None:
        if self.owned:
            self.local.start()
            self.supervisor.start()

    def stop(self) -> None:
        if self.owned:
            self.supervisor.stop()
            self.local.stop()

    def processes(self) -> list[Proc]:
        return process_tree(self.local.process_groups())

    def result_objects(self) -> Counter[str]:
        from deckpipe_emulators import wiring

        config = self.local.config
        client = wiring.storage_client(self.local.urls["storage"], config.project)
        blobs = client.list_blobs(config.bucket, prefix="results/", versions=True)
        return Counter(blob.name for blob in blobs)

    def restarts(self) -> list[Restart]:
        return [
            Restart(event.at, event.service, event.kind == "state_lost", event.message)
            for event in self.supervisor.events
            if event.kind in ("restarted", "state_lost")
        ]

    def stateful_services(self) -> tuple[str, ...]:
        from deckpipe_emulators.stack import EMULATORS

        return EMULATORS


# -- deckpipe serve (the local backend) ---------------------------------------------------------


@dataclass
class ServeStack:
    """`deckpipe serve` on a free port with a fresh data directory; one origin, routes
    BASE/upload, BASE/status/<id>, BASE/result/<id>. It restarts its own workers."""

    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    name: str = "deckpipe-serve"

    def __post_init__(self) -> None:
        from deckpipe_emulators.processes import free_ports

        [self.port] = free_ports(1)
        self.data_dir = Path(tempfile.mkdtemp(prefix="deckpipe-serve-"))
        base = f"http://127.0.0.1:{self.port}"
        self.base_url = base
        self.upload_url, self.status_url, self.result_url = (
            f"{base}/upload", f"{base}/status", f"{base}/result"
        )
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [
            sys.executable, "-m", "deckpipe.cli", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(self.workers),
            "--data-dir", str(self.data_dir),
        ]  # fmt: skip
        log = open(self.data_dir / "serve.log", "wb")  # noqa: SIM115 - the child keeps it
        self._popen = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True,
            env={**os.environ, **self.env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            if self._popen.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"deckpipe serve did not start; see {self.data_dir / 'serve.log'}")

    def stop(self) -> None:
        if self._popen is not None:
            stop_group(self._popen, grace=30)

    def processes(self) -> list[Proc]:
        if self._popen is None:
            return []
        return process_tree({"serve": self._popen.pid})

    def result_objects(self) -> Counter[str]:
        """PDFs under the data directory (the files backend writes each once, atomically)."""
        return Counter(
            "results/" + path.name for path in self.data_dir.rglob("results/*.pdf")
        )

    def restarts(self) -> list[Restart]:
        return []  # serve restarts its workers itself and keeps no state in them

    def stateful_services(self) -> tuple[str, ...]:
        return ()


# -- the local AWS stack (moto) ----------------------------------------------------------------


class AwsStack:
    """`python -m deckpipe_emulators.aws_stack` on free ports: moto (S3, DynamoDB, SQS) and
    the Lambda handlers in one process, `convert` in a child it restarts. Its state lives in
    that one process, so only its worker and conversion children are fault targets."""

    name = "aws-moto"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = dict(env or {})
        self.log_path = Path(tempfile.mkdtemp(prefix="deckpipe-aws-")) / "aws_stack.log"
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "deckpipe_emulators.aws_stack"]
        for name in ("upload", "status", "result", "moto"):
            argv += [f"--{name}-port", "0"]
        log = open(self.log_path, "wb")  # noqa: SIM115 - the reader thread keeps it
        self._popen = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=log, cwd=REPO, start_new_session=True,
            env={**os.environ, **self.env},
        )
        found: list[dict[str, str]] = []
        ready = threading.Event()

        def drain(stream: Any) -> None:
            """Its stdout carries log lines too: find the URLs, keep the pipe from filling."""
            for line in stream:
                log.write(line)
                if not found and line.startswith(b"{"):
                    with contextlib.suppress(ValueError):
                        parsed = json.loads(line)
                        if isinstance(parsed, dict) and "upload" in parsed:
                            found.append(parsed)
                            ready.set()
            ready.set()

        threading.Thread(target=drain, args=(self._popen.stdout,), daemon=True).start()
        ready.wait(timeout=120)
        if not found:
            self.stop()
            raise RuntimeError(f"the AWS stack did not start; see {self.log_path}")
        [urls] = found
        self.upload_url, self.status_url, self.result_url = (
            urls["upload"], urls["status"], urls["result"]
        )
        self.moto_url = urls["moto"]

    def stop(self) -> None:
        if self._popen is not None:
            stop_group(self._popen, grace=60)

    def processes(self) -> list[Proc]:
        # main: moto and the HTTP fronts; worker: convert; child: its conversions.
        return process_tree({"aws": self._popen.pid}) if self._popen else []

    def result_objects(self) -> Counter[str]:
        import boto3

        s3 = boto3.client("s3", endpoint_url=self.moto_url, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
        counts: Counter[str] = Counter()
        pages = s3.get_paginator("list_object_versions").paginate(
            Bucket="deckpipe-local", Prefix="results/"
        )
        for page in pages:
            for version in page.get("Versions", []):
                counts[version["Key"]] += 1
        return counts

    def restarts(self) -> list[Restart]:
        return []

    def stateful_services(self) -> tuple[str, ...]:
        return ()


STACKS = {"emulators": EmulatorStack, "serve": ServeStack, "aws": AwsStack}
