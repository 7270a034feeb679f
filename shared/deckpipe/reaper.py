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
INPUTS = "inputs/"
# A deck with no job this long after it was stored is an orphan: an upload that stored it
# and then lost the job store (its own clean-up failed too). Far longer than any upload.
ORPHAN_AGE = timedelta(hours=1)


def policy(rt: Runtime) -> jobs.ReapPolicy:
    settings = rt.settings
    return jobs.ReapPolicy(
        max_attempts=settings.max_attempts,
        requeue_after_seconds=settings.requeue_after_seconds,
        max_requeues=settings.max_requeues,
        max_job_seconds=settings.max_event_age_seconds,
    )


def reap(rt: Runtime, *, now: datetime | None = None) -> dict[str, int]:
    """One pass; returns how many jobs were requeued, failed or left alone, and, in
    the first pass of each hour, how many orphaned decks were deleted.

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
        with logs.job_context(stale.job_id):
            try:
                action = rt.jobs.transact(
                    stale.job_id, lambda job: jobs.reap(job, now, policy=rule)
                )
            except TransientError:
                raise  # the store is down: the next scheduled pass starts over
            except Exception:  # one unreadable job must not stop the pass for the others
                log.exception("reaper could not handle this job")
                counts["errors"] += 1
                continue
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
    if counts["errors"]:
        result["errors"] = counts["errors"]
    if now.minute < 2:  # listing every deck is not free: once an hour is plenty
        result["orphans_deleted"] = sweep_orphans(rt, now=now)
    if any(result[key] for key in ("requeued", "failed", "publish_failed", "orphans_deleted",
                                   "errors") if key in result):
        log.info("reaper pass", extra={"reaped": result})
    return result


def sweep_orphans(rt: Runtime, *, now: datetime | None = None) -> int:
    """Delete decks under ``inputs/`` older than ``ORPHAN_AGE`` that no job refers to.

    Only names of the form ``inputs/<job id>.<ext>`` are considered, so nothing
    deckpipe did not write is ever touched. The bucket's lifecycle rule (or the
    local retention sweep) removes everything after the retention days anyway;
    this frees an orphan's storage in hours rather than days.
    """
    now = now or jobs.utcnow()
    deleted = 0
    try:
        listing = list(rt.blobs.list(INPUTS))
    except NotImplementedError as exc:
        log.info("orphan sweep skipped: %s", exc)
        return 0
    for info in listing:
        job_id = info.name[len(INPUTS):].split(".", 1)[0]
        if not jobs.is_job_id(job_id) or info.created_at is None:
            continue
        if now - info.created_at < ORPHAN_AGE or rt.jobs.get(job_id) is not None:
            continue
        rt.blobs.delete(info.name)
        log.warning("deleted a deck no job refers to", extra={"object": info.name})
        deleted += 1
    return deleted
