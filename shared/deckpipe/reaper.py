"""The reaper: the periodic pass that guarantees every accepted job ends.

Deliveries do most of the work: a redelivered message takes over a job whose
worker died once its lease lapses. But a queue gives up on a message in the
end, an upload can die between creating its job and publishing it, and a
message can be lost. So something must look at the jobs themselves. The
reaper reads the few unfinished jobs nobody has written to for a while and
moves each towards an end with the pure rule ``jobs.reap``: publish it again,
or fail it with a reason. Each platform runs it on a schedule (Cloud Scheduler
on Google Cloud, a timer in the local service); the rule is the same.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from . import jobs, logs
from .errors import TransientError
from .jobqueue import JobMessage
from .runtime import Runtime

log = logs.get_logger(__name__)

BATCH = 500


def policy(rt: Runtime) -> jobs.ReapPolicy:
    settings = rt.settings
    return jobs.ReapPolicy(
        max_attempts=settings.max_attempts,
        requeue_after_seconds=settings.requeue_after_seconds,
        max_requeues=settings.max_requeues,
        max_job_seconds=settings.max_event_age_seconds,
    )


def reap(rt: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """One pass; returns how many jobs were requeued, failed or left alone.

    A publish that fails leaves its job ``queued`` with a fresh time, so the
    next pass tries again; a job store that is down raises ``TransientError``
    and the scheduler's next run picks up where this one stopped.
    """
    now = now or jobs.utcnow()
    settings = rt.settings
    quiet_for = min(settings.lease_seconds, settings.requeue_after_seconds)
    rule = policy(rt)
    counts: Counter[str] = Counter()
    for stale in rt.jobs.unfinished(updated_before=now - timedelta(seconds=quiet_for),
                                    limit=BATCH):
        action = rt.jobs.transact(
            stale.job_id, lambda job: jobs.reap(job, now, policy=rule)
        )
        with logs.job_context(stale.job_id):
            if action == "requeue":
                try:
                    rt.queue.publish(JobMessage(stale.job_id))
                except TransientError as exc:
                    log.error("reaper could not publish the job again: %s", exc)
                    counts["publish_failed"] += 1
                    continue
                log.warning("reaper published a %s job again", stale.state)
                counts["requeued"] += 1
            elif action == "fail":
                log.warning("reaper failed a %s job", stale.state)
                counts["failed"] += 1
            else:
                counts["left"] += 1
    result = {key: counts.get(key, 0) for key in ("requeued", "failed", "left", "publish_failed")}
    if any(result[key] for key in ("requeued", "failed", "publish_failed")):
        log.info("reaper pass", extra={"reaped": result})
    return result
