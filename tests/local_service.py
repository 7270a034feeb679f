"""A real ``deckpipe serve`` in a child process, for the end-to-end and fault tests."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from tests_support import STACK_FUNCTION_ENV

from deckpipe_emulators.processes import free_ports

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
SERVICE_ENV = {**STACK_FUNCTION_ENV, "DECKPIPE_LEASE_SECONDS": "4",
               "DECKPIPE_LOG_LEVEL": "info"}


@dataclass
class Service:
    data_dir: Path
    log_path: Path
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    process: subprocess.Popen | None = None
    url: str = ""

    def start(self, timeout: float = 90.0) -> Service:
        port = free_ports(1)[0]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, **SERVICE_ENV, **self.env}
        env.pop("DECKPIPE_BACKEND", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "deckpipe.cli", "serve", "--port", str(port),
                 "--workers", str(self.workers), "--data-dir", str(self.data_dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True, user=self.user,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"deckpipe serve exited:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                health = requests.get(self.url + "/healthz", timeout=2).json()
                if health.get("workers") == self.workers and self.worker_pids():
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"deckpipe serve not ready in {timeout} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 60.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """kill -9 of the whole service: the server, and each worker with its render
        children (every worker leads a process group of its own)."""
        groups = [self.process.pid, *self.worker_pids()]
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        self.process.wait(10)

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- the API, as a client uses it ------------------------------------------------

    def upload(self, data: bytes, name: str = "deck.pptx", headers=None) -> requests.Response:
        return requests.post(self.url + "/upload",
                             files={"file": (name, io.BytesIO(data), PPTX_TYPE)},
                             headers=headers or {}, timeout=60)

    def status(self, job_id: str) -> dict:
        response = requests.get(f"{self.url}/status/{job_id}", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, job_id: str, states=("done", "failed"), timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        view: dict = {}
        while time.monotonic() < deadline:
            view = self.status(job_id)
            if view["state"] in states:
                return view
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} still {view.get('state')} after {timeout} s\n"
                             f"{self.log_tail()}")


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)
