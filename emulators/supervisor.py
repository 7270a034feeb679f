"""Keep a local stack running: restart any child that exits, and say what that cost.

A function process holds nothing a restart loses (jobs live in the emulators), so it is
simply started again. An emulator keeps everything in memory: a new one starts empty, so the
stack provisions it again (bucket, topics, subscriptions) and says plainly what is gone.
Restarts back off (doubling up to a cap) while a child keeps dying; a child that stayed up
for a while starts again from the shortest delay.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from deckpipe_emulators.stack import EMULATORS, LocalStack, StackError

# What each emulator held, for the message that it is gone.
LOST_STATE = {
    "storage": "every deck and PDF stored before it died is gone (the bucket was re-created "
    "empty); jobs accepted before then cannot finish and their results cannot be downloaded",
    "firestore": "every job record written before it died is gone; status answers 404 for "
    "jobs accepted before then",
    "pubsub": "messages not yet delivered are gone (topics and subscriptions were re-created); "
    "jobs still queued then are left to the reaper",
}


@dataclass(frozen=True)
class StackEvent:
    """One thing the supervisor did, for a log line and for the campaign's accounting."""

    at: float  # time.time()
    service: str
    kind: str  # "exited", "restarted", "restart_failed", "state_lost"
    message: str


@dataclass
class _Backoff:
    failures: int = 0
    next_attempt: float = 0.0
    started_at: float = field(default_factory=time.monotonic)


class Supervisor:
    """Restarts the children of a LocalStack that exit; `check()` once, or `start()` a thread.

    `report` receives one plain line per event (default: standard error).
    """

    def __init__(
        self,
        stack: LocalStack,
        *,
        report: Callable[[str], None] | None = None,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        stable_after: float = 60.0,
        interval: float = 0.5,
    ) -> None:
        self.stack = stack
        self.report = report or _to_stderr
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.stable_after = stable_after
        self.interval = interval
        self.events: list[StackEvent] = []
        self._backoff: dict[str, _Backoff] = {}
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()

    def check(self) -> list[StackEvent]:
        """One pass: note every child that exited, restart those whose delay has passed."""
        new: list[StackEvent] = []
        if self.stack.stopping:
            return new
        for name, process in self.stack.processes().items():
            if not process.exited():
                continue
            backoff = self._backoff.setdefault(name, _Backoff())
            now = time.monotonic()
            if backoff.next_attempt == 0.0:  # first sight of this exit
                if now - backoff.started_at >= self.stable_after:
                    backoff.failures = 0
                backoff.failures += 1
                delay = min(self.max_delay, self.first_delay * 2 ** (backoff.failures - 1))
                backoff.next_attempt = now + delay
                new.append(self._event(name, "exited", (
                    f"{name} exited with code {process.popen.returncode}; restarting it in "
                    f"{delay:.1f} s (restart {backoff.failures} in a row)"
                )))
            if now >= backoff.next_attempt:
                new.extend(self._restart(name, backoff))
        return new

    def _restart(self, name: str, backoff: _Backoff) -> list[StackEvent]:
        try:
            self.stack.restart(name)
        except StackError as error:
            if self._halt.is_set() or self.stack.stopping:
                return []
            backoff.next_attempt = 0.0  # counted as a new exit on the next pass
            backoff.started_at = time.monotonic()
            return [self._event(name, "restart_failed", f"{name} failed to restart: {error}")]
        backoff.next_attempt = 0.0
        backoff.started_at = time.monotonic()
        events = [self._event(name, "restarted", f"{name} restarted")]
        if name in EMULATORS:  # functions and the reaper's timer hold no state
            events.append(self._event(name, "state_lost", (
                f"{name} emulator restarted EMPTY: its in-memory state is gone. "
                f"{LOST_STATE.get(name, '')}"
            )))
        return events

    def _event(self, service: str, kind: str, message: str) -> StackEvent:
        event = StackEvent(time.time(), service, kind, message)
        self.events.append(event)
        self.report(message)
        return event

    # -- as a background thread (test sessions, the campaign) ---------------------------------

    def start(self) -> Supervisor:
        self._halt.clear()
        self._thread = threading.Thread(target=self._run, name="stack-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            self._thread = None

    def _run(self) -> None:
        while not self._halt.wait(self.interval):
            self.check()


def _to_stderr(message: str) -> None:
    print(f"deckpipe dev: {message}", file=sys.stderr, flush=True)
