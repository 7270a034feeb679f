"""The reaper's rules on the in-memory backends: every accepted job ends."""

from __future__ import annotations

import json
from datetime import timedelta

from tests_support import ENV

from deckpipe import jobs, reaper
from deckpipe.config import load_settings
from deckpipe.jobs import Lease
from deckpipe.runtime import build


def make_rt(**env):
    return build(load_settings({**ENV, "DECKPIPE_LEASE_SECONDS": "60",
                                "DECKPIPE_REQUEUE_AFTER_SECONDS": "300",
                                "DECKPIPE_MAX_REQUEUES": "2", "DECKPIPE_MAX_ATTEMPTS": "3",
                                "DECKPIPE_MAX_EVENT_AGE_SECONDS": "3600", **env}))


def put_job(rt, *, age: float, quiet: float, **changes) -> str:
    """A job created ``age`` seconds ago and last written ``quiet`` seconds ago."""
    now = jobs.utcnow()
    job = jobs.new_job(jobs.new_job_id(), "d.pptx", input_bytes=1, input_sha256="x")
    job = job.replace(created_at=now - timedelta(seconds=age),
                      updated_at=now - timedelta(seconds=quiet), **changes)
    rt.jobs.create(job)
    return job.job_id


def job_counts(result: dict[str, int]) -> dict[str, int]:
    """The job pass's counts (the hourly orphan sweep adds its own in some passes)."""
    return {key: value for key, value in result.items() if key != "orphans_deleted"}


def dead_holder(seconds_ago: float) -> Lease:
    return Lease("dead-worker", jobs.utcnow() - timedelta(seconds=seconds_ago))


def test_a_processing_job_whose_worker_died_is_published_again():
    rt = make_rt()
    job_id = put_job(rt, age=200, quiet=120, state=jobs.PROCESSING, attempts=1,
                     lease=dead_holder(60))
    assert reaper.reap(rt)["requeued"] == 1
    job = rt.jobs.get(job_id)
    assert job.state == jobs.QUEUED and job.lease is None and job.requeues == 1
    assert [m.job_id for m in rt.queue.messages] == [job_id]


def test_a_live_holder_is_left_alone_however_quiet_its_record():
    rt = make_rt()
    live = Lease("alive", jobs.utcnow() + timedelta(seconds=30))
    job_id = put_job(rt, age=500, quiet=400, state=jobs.PROCESSING, attempts=1, lease=live)
    assert job_counts(reaper.reap(rt)) == {
        "requeued": 0, "failed": 0, "left": 1, "publish_failed": 0}
    assert rt.jobs.get(job_id).state == jobs.PROCESSING and not rt.queue.messages


def test_a_dead_holder_past_the_attempt_limit_fails_the_job():
    rt = make_rt()
    job_id = put_job(rt, age=200, quiet=120, state=jobs.PROCESSING, attempts=3,
                     lease=dead_holder(60))
    assert reaper.reap(rt)["failed"] == 1
    assert rt.jobs.get(job_id).error.code == "too_many_attempts"
    assert not rt.queue.messages


def test_a_queued_job_whose_message_never_came_is_published_then_given_up():
    rt = make_rt()
    job_id = put_job(rt, age=400, quiet=400)  # upload died between the job and the publish
    assert reaper.reap(rt)["requeued"] == 1
    # A fresh requeue is not repeated at once: its message may be on its way.
    assert reaper.reap(rt)["requeued"] == 0
    later = jobs.utcnow() + timedelta(seconds=301)
    assert reaper.reap(rt, now=later)["requeued"] == 1
    assert rt.jobs.get(job_id).requeues == 2
    even_later = later + timedelta(seconds=301)
    assert reaper.reap(rt, now=even_later)["failed"] == 1
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error.code == "stranded"
    assert len(rt.queue.messages) == 2


def test_the_rule_fails_a_job_after_its_requeues_and_bounds_every_job_by_age():
    policy = reaper.policy(make_rt())
    now = jobs.utcnow()
    job = jobs.new_job(jobs.new_job_id(), "d.pptx", input_bytes=1, input_sha256="x")
    stranded = job.replace(requeues=2, updated_at=now - timedelta(seconds=301))
    new, action = jobs.reap(stranded, now, policy=policy)
    assert action == "fail" and new.error.code == "stranded" and new.state == jobs.FAILED
    ancient = job.replace(created_at=now - timedelta(hours=2), updated_at=now)
    new, action = jobs.reap(ancient, now, policy=policy)
    assert action == "fail" and new.error.code == "expired"
    fresh = job.replace(updated_at=now - timedelta(seconds=10))
    assert jobs.reap(fresh, now, policy=policy) == (None, None)
    done = job.replace(state=jobs.DONE, updated_at=now - timedelta(days=1))
    assert jobs.reap(done, now, policy=policy) == (None, None)


def test_a_failed_publish_is_counted_and_retried_on_the_next_pass():
    rt = make_rt()
    job_id = put_job(rt, age=400, quiet=400)
    rt.queue.fail_next = 1
    assert reaper.reap(rt)["publish_failed"] == 1
    later = jobs.utcnow() + timedelta(seconds=301)
    assert reaper.reap(rt, now=later)["requeued"] == 1
    assert [m.job_id for m in rt.queue.messages] == [job_id]


def test_finished_and_recent_jobs_are_not_read_twice():
    rt = make_rt()
    put_job(rt, age=400, quiet=400, state=jobs.DONE)
    put_job(rt, age=10, quiet=10)
    assert job_counts(reaper.reap(rt)) == {
        "requeued": 0, "failed": 0, "left": 0, "publish_failed": 0}


def test_the_reap_command_runs_one_pass_and_names_a_broken_setting(monkeypatch, capsys):
    from deckpipe import cli, runtime

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    runtime.load.cache_clear()
    try:
        assert cli.main(["reap"]) == 0
        last_line = capsys.readouterr().out.splitlines()[-1]  # after the start-up log line
        assert job_counts(json.loads(last_line)) == {
            "requeued": 0, "failed": 0, "left": 0, "publish_failed": 0}
        runtime.load.cache_clear()
        monkeypatch.setenv("DECKPIPE_MAX_REQUEUES", "many")
        assert cli.main(["reap"]) == 2
        assert "DECKPIPE_MAX_REQUEUES='many'" in capsys.readouterr().err
    finally:
        runtime.load.cache_clear()


def test_decks_no_job_refers_to_are_deleted_after_an_hour_and_only_those():
    rt = make_rt()
    kept = put_job(rt, age=4000, quiet=10)  # a job, however old its deck
    orphan, young = jobs.new_job_id(), jobs.new_job_id()
    for name in (f"inputs/{kept}.pptx", f"inputs/{orphan}.pptx", f"inputs/{young}.pptx",
                 "inputs/not-ours.pptx", f"results/{orphan}.pdf"):
        rt.blobs.put(name, b"PK", content_type="application/zip")
    two_hours_ago = jobs.utcnow() - timedelta(hours=2)
    for name in (f"inputs/{kept}.pptx", f"inputs/{orphan}.pptx", "inputs/not-ours.pptx"):
        rt.blobs.created[name] = two_hours_ago
    assert reaper.sweep_orphans(rt) == 1
    assert sorted(rt.blobs.objects) == sorted([
        f"inputs/{kept}.pptx", f"inputs/{young}.pptx", "inputs/not-ours.pptx",
        f"results/{orphan}.pdf"])


def test_the_orphan_sweep_runs_in_the_first_pass_of_each_hour_only():
    rt = make_rt()
    on_the_hour = jobs.utcnow().replace(minute=0, second=30)
    assert reaper.reap(rt, now=on_the_hour)["orphans_deleted"] == 0
    assert "orphans_deleted" not in reaper.reap(rt, now=on_the_hour.replace(minute=7))


def test_a_direct_upload_that_never_arrives_fails_upload_expired_after_its_link_and_margin():
    rt = make_rt()
    now = jobs.utcnow()
    waiting = jobs.new_awaiting_job(jobs.new_job_id(), "big.pptx", announced_bytes=40 << 20,
                                    upload_expires_at=now + timedelta(minutes=15))
    waiting = waiting.replace(created_at=now - timedelta(minutes=20),
                              updated_at=now - timedelta(minutes=20))
    rt.jobs.create(waiting)
    # Within the link's lifetime plus the margin: left alone, and never published.
    late_but_in_margin = now + timedelta(minutes=15) + jobs.UPLOAD_EXPIRY_MARGIN
    assert job_counts(reaper.reap(rt, now=late_but_in_margin))["left"] == 1
    assert rt.jobs.get(waiting.job_id).state == jobs.AWAITING_UPLOAD
    result = reaper.reap(rt, now=late_but_in_margin + timedelta(seconds=1))
    assert job_counts(result)["failed"] == 1
    job = rt.jobs.get(waiting.job_id)
    assert job.state == jobs.FAILED and job.error.code == "upload_expired"
    assert not rt.queue.messages


def test_one_job_the_rule_cannot_handle_does_not_stop_the_pass(monkeypatch):
    rt = make_rt()
    broken = put_job(rt, age=400, quiet=400)
    fine = put_job(rt, age=400, quiet=399)
    real_reap = jobs.reap

    def reap_or_choke(job, now, *, policy):
        if job is not None and job.job_id == broken:
            raise TypeError("not one of ours")
        return real_reap(job, now, policy=policy)

    monkeypatch.setattr(jobs, "reap", reap_or_choke)
    result = reaper.reap(rt)
    assert result["errors"] == 1 and result["requeued"] == 1
    assert [m.job_id for m in rt.queue.messages] == [fine]
