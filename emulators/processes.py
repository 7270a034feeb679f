"""Child processes of the local stack: each in its own process group, logging to its own file.

A process group per child matters because some launchers fork (the Firestore emulator's
shell script starts `java` as a child): signalling the group reaches the whole tree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ManagedProcess:
    """A started child: its name in the stack, its Popen handle and its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pgid(self) -> int:
        """The child's process group id (it leads its own group)."""
        return self.popen.pid

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def finished(self) -> bool:
        """Leader reaped and no live member left: signalling the pgid now could hit a stranger."""
        return self.exited() and not group_members(self.pgid)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the child's log, to put in error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(log {self.log_path} unreadable: {error})"
        tail = "\n".join(text.rstrip().splitlines()[-lines:])
        return tail or "(log is empty)"


def spawn(
    name: str,
    argv: Sequence[str],
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    append: bool = False,
) -> ManagedProcess:
    """Start argv in a new session (hence its own process group), output to <log_dir>/<name>.log
    (appended to when `append`, so a restarted service keeps its predecessor's log)."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "ab" if append else "wb") as log:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    return ManagedProcess(name, popen, log_path)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids in a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        fields = stat.rpartition(")")[2].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def stop_groups(processes: Iterable[ManagedProcess], grace: float = 5.0) -> None:
    """SIGTERM every group, wait up to `grace` seconds for them to empty, then SIGKILL the rest."""
    processes = list(processes)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        running = [process for process in processes if not process.finished()]
        for process in running:
            _signal_group(process.pgid, signum)
        _wait_for_groups(running, time.monotonic() + grace)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _wait_for_groups(processes: list[ManagedProcess], deadline: float) -> None:
    """Reap the leaders (our children) and wait until no live member of any group is left."""
    while True:
        if all(process.finished() for process in processes):
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.05)


def port_is_free(host: str, port: int) -> bool:
    """True if a server could bind host:port now (SO_REUSEADDR, like the servers themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Ports the kernel reports free right now, all distinct (for tests beside a running stack)."""
    sockets = []
    try:
        for _ in range(count):
            holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(holder)
            holder.bind((host, 0))
        return [holder.getsockname()[1] for holder in sockets]
    finally:
        for holder in sockets:
            holder.close()
