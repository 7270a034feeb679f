"""The pull worker: take a message, run the worker core, acknowledge or give it back.

Written once for every queue that is pulled rather than pushed (the local SQLite
queue, SQS). The worker core (``convert.handle``) already makes a delivery safe to
repeat; this loop adds what a pushed queue does by itself:

- the message stays hidden while the conversion runs: a background thread extends
  its visibility, and stops doing so if the job's lease lapsed (a stuck worker), so
  the message reappears and another worker takes the job over;
- on return the message is deleted; on ``RetryLater`` it comes back when the lease
  that blocked it lapses; on any other error it comes back after an exponential
  backoff; a message received too often arrives as a dead letter and fails its job;
- the first SIGTERM stops taking work and lets the current conversion finish; a
  second one gives the job and its message back at once.
"""

from __future__ import annotations

import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from . import convert, jobs, logs
from .errors import TransientError
from .jobqueue import PullQueue, Received
from .runtime import Runtime

log = logs.get_logger(__name__)


@dataclass(frozen=True)
class PullPolicy:
    visibility_timeout: float = 30.0  # seconds a received message stays hidden per extension
    poll_seconds: float = 0.2  # idle wait between empty receives
    backoff_seconds: float = 1.0  # first redelivery delay after an error, doubling
    max_backoff_seconds: float = 60.0


class PullWorker:
    def __init__(
        self, rt: Runtime, queue: PullQueue, *, policy: PullPolicy | None = None,
        render: Callable | None = None,
    ) -> None:
        self.rt, self.queue, self.render = rt, queue, render
        self.policy = policy or PullPolicy()
        self.stopping = threading.Event()
        self.handled = 0

    def stop(self) -> None:
        """Take no more messages; the one in hand is finished."""
        self.stopping.set()

    def run(self) -> None:
        """Work until ``stop``: poll, process, repeat."""
        log.info("pull worker started", extra={"visibility_s": self.policy.visibility_timeout})
        while not self.stopping.is_set():
            if not self.run_once():
                self.stopping.wait(self.policy.poll_seconds)
        log.info("pull worker stopped", extra={"handled": self.handled})

    def run_once(self) -> bool:
        """Receive and process one message; False when none was waiting."""
        try:
            received = self.queue.receive(visibility_timeout=self.policy.visibility_timeout)
        except TransientError as exc:
            log.error("cannot receive from the queue: %s", exc)
            self.stopping.wait(self.policy.backoff_seconds)
            return False
        for item in received:
            self.process(item)
        return bool(received)

    def process(self, item: Received) -> str:
        message = item.message
        job_id = message.job_id if jobs.is_job_id(message.job_id) else None
        delivery = convert.Delivery(job_id, message.published_at, message.message_id,
                                    message.dead_letter)
        keeper = _VisibilityKeeper(self, item)
        keeper.start()
        try:
            outcome = convert.handle(self.rt, delivery, render=self.render)
        except convert.RetryLater:
            return self._give_back(item, self._until_lease_lapses(job_id, item), "retry_later")
        except Exception as exc:  # a transient fault or a bug: redeliver after a backoff
            log.error("conversion raised; the message comes back later: %r", exc)
            return self._give_back(item, self._backoff(item), "redeliver")
        except BaseException:  # shutting down now: hand the message straight back
            self._give_back(item, 0.0, "given_back")
            raise
        finally:
            keeper.stop()
        self._acknowledge(item)
        self.handled += 1
        return outcome

    def _acknowledge(self, item: Received) -> None:
        try:
            self.queue.delete(item.receipt)
        except TransientError as exc:  # redelivered later, and found finished: harmless
            log.error("could not acknowledge message %s: %s", item.message.message_id, exc)

    def _give_back(self, item: Received, delay: float, outcome: str) -> str:
        try:
            self.queue.change_visibility(item.receipt, delay)
        except TransientError as exc:  # it reappears when its visibility runs out anyway
            log.error("could not give message %s back: %s", item.message.message_id, exc)
        return outcome

    def _backoff(self, item: Received) -> float:
        delay = self.policy.backoff_seconds * 2 ** max(0, item.receive_count - 1)
        return min(self.policy.max_backoff_seconds, delay) * random.uniform(0.8, 1.2)

    def _until_lease_lapses(self, job_id: str | None, item: Received) -> float:
        """A job held by another worker can be taken over when its lease lapses:
        come back just then rather than polling it."""
        job = self.rt.jobs.get(job_id) if job_id else None
        if job is None or job.lease is None:
            return self._backoff(item)
        remaining = (job.lease.expires_at - jobs.utcnow()).total_seconds()
        return min(self.rt.settings.lease_seconds, max(0.0, remaining)) + random.uniform(0.2, 1)


class _VisibilityKeeper:
    """Extends the message's visibility while the conversion runs, as long as the job
    looks alive (not ``processing`` under a lapsed lease)."""

    def __init__(self, worker: PullWorker, item: Received) -> None:
        self._worker, self._item = worker, item
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visibility", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        timeout = self._worker.policy.visibility_timeout
        queue, receipt = self._worker.queue, self._item.receipt
        job_id = self._item.message.job_id
        while not self._done.wait(timeout / 3):
            try:
                job = self._worker.rt.jobs.get(job_id) if jobs.is_job_id(job_id) else None
                stuck = (job is not None and job.state == jobs.PROCESSING
                         and job.lease is not None and not job.lease.live(jobs.utcnow()))
                if stuck:
                    log.warning("job's lease lapsed; letting its message reappear")
                    return
                if not queue.change_visibility(receipt, timeout):
                    log.warning("message %s was taken by another worker",
                                self._item.message.message_id)
                    return
            except TransientError as exc:
                log.error("could not extend the message's visibility: %s", exc)


def stop_on_signals(worker: PullWorker, *, interrupt: bool = True) -> None:
    """SIGTERM (and SIGINT if ``interrupt``) once: finish the job in hand, then exit;
    twice: give it back now. A supervised worker ignores SIGINT: Ctrl-C in a terminal
    reaches the whole process group, and its supervisor decides when to stop it."""

    def handle(signum: int, frame: object) -> None:
        if worker.stopping.is_set():
            raise KeyboardInterrupt(f"signal {signum}: giving the job back")
        log.info("signal %d: finishing the job in hand, taking no more", signum)
        worker.stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle if interrupt else signal.SIG_IGN)


def stop_when_orphaned(worker: PullWorker, parent_pid: int) -> None:
    """Stop (finishing the job in hand) if the supervising process disappears, so a
    killed service leaves no workers behind taking jobs."""
    import os

    def watch() -> None:
        while not worker.stopping.wait(1.0):
            if os.getppid() != parent_pid:
                log.warning("supervisor %d is gone; stopping", parent_pid)
                worker.stop()

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()
