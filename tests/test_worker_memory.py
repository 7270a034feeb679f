"""The worker's delivery rules on the in-memory backends, with scripted renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from tests_support import ENV

from deckpipe import convert, jobs
from deckpipe.config import load_settings
from deckpipe.errors import DeckError, TransientError
from deckpipe.runtime import build


@dataclass
class Report:
    pages: int
    warnings: list = field(default_factory=list)

    def as_dict(self):
        return {"pages": self.pages, "warnings": self.warnings}


class ScriptedRenderer:
    """Writes a fixed PDF after reporting ``slides`` progress steps; counts its calls."""

    def __init__(self, slides=3, fail_with=None, before_finish=None):
        self.slides, self.fail_with, self.before_finish = slides, fail_with, before_finish
        self.calls = 0

    def __call__(self, deck, pdf, *, progress):
        self.calls += 1
        assert deck.read(2) == b"PK"
        progress(0, self.slides)
        for done in range(1, self.slides + 1):
            if self.fail_with is not None and done == 2:
                raise self.fail_with
            progress(done, self.slides)
        if self.before_finish:
            self.before_finish()
        pdf.write(b"%PDF-1.4 fake\n%%EOF\n")
        return Report(self.slides, [{"code": "w", "message": "m", "slide": 1}])


def make_rt(**env):
    """The worker's rules with a scripted renderer run in-process, so a test can count
    its calls and act between its steps (isolation has its own tests)."""
    return build(load_settings({**ENV, "DECKPIPE_RENDER_ISOLATION": "inline", **env}))


def queued_job(rt, make_deck) -> str:
    job = jobs.new_job(jobs.new_job_id(), "d.pptx", input_bytes=1, input_sha256="x")
    rt.blobs.put(job.input_object, make_deck(["a"]), content_type="application/octet-stream")
    rt.jobs.create(job)
    return job.job_id


def deliver(rt, job_id, renderer, **kw):
    delivery = convert.Delivery(job_id, published_at=kw.pop("published_at", jobs.utcnow()), **kw)
    return convert.handle(rt, delivery, render=renderer)


def test_a_delivery_converts_the_job_once(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    renderer = ScriptedRenderer()
    assert deliver(rt, job_id, renderer) == "done"
    job = rt.jobs.get(job_id)
    assert job.state == jobs.DONE and job.pages == 3 and job.attempts == 1
    assert job.result_bytes == len(rt.blobs.objects[job.result_object][0])
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.lease is None and job.warnings[0]["code"] == "w"
    assert job.duration_seconds is not None
    # A duplicate delivery of a finished job does nothing.
    assert deliver(rt, job_id, renderer) == "duplicate"
    assert renderer.calls == 1


def test_delivery_while_another_worker_holds_a_live_lease_is_retried(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    renderer = ScriptedRenderer()

    def duplicate_arrives():
        with pytest.raises(convert.RetryLater):
            deliver(rt, job_id, renderer)

    first = ScriptedRenderer(before_finish=duplicate_arrives)
    assert deliver(rt, job_id, first) == "done"
    assert renderer.calls == 0
    assert deliver(rt, job_id, renderer) == "duplicate"


def test_expired_lease_is_taken_over_and_the_old_worker_cannot_finish(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)

    def lease_lapses_and_another_worker_takes_over():
        job = rt.jobs.get(job_id)
        rt.jobs.jobs[job_id] = job.replace(
            lease=jobs.Lease(job.lease.token, jobs.utcnow() - timedelta(seconds=1)))
        assert deliver(rt, job_id, ScriptedRenderer()) == "done"

    slow = ScriptedRenderer(before_finish=lease_lapses_and_another_worker_takes_over)
    assert deliver(rt, job_id, slow) == "lease_lost"
    job = rt.jobs.get(job_id)
    assert job.state == jobs.DONE and job.attempts == 2
    assert len([n for n in rt.blobs.objects if n.startswith("results/")]) == 1


def test_worker_death_the_next_delivery_finishes_the_job(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    job = rt.jobs.get(job_id)
    rt.jobs.jobs[job_id] = job.replace(  # claimed by a worker that then died
        state=jobs.PROCESSING, attempts=1,
        lease=jobs.Lease("dead-worker", jobs.utcnow() - timedelta(seconds=5)))
    assert deliver(rt, job_id, ScriptedRenderer()) == "done"
    assert rt.jobs.get(job_id).attempts == 2


def test_bad_deck_fails_for_good_and_is_acknowledged(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    renderer = ScriptedRenderer(fail_with=DeckError("broken slide part", code="corrupt_deck"))
    assert deliver(rt, job_id, renderer) == "failed"
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error == jobs.JobError("corrupt_deck",
                                                                    "broken slide part")
    assert deliver(rt, job_id, renderer) == "duplicate" and renderer.calls == 1


def test_transient_fault_releases_the_job_and_raises(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    with pytest.raises(TransientError):
        deliver(rt, job_id, ScriptedRenderer(fail_with=TransientError("storage down")))
    job = rt.jobs.get(job_id)
    assert job.state == jobs.QUEUED and job.lease is None and job.attempts == 1
    assert deliver(rt, job_id, ScriptedRenderer()) == "done"


def test_attempts_are_bounded(make_deck):
    rt = make_rt(DECKPIPE_MAX_ATTEMPTS="2")
    job_id = queued_job(rt, make_deck)
    crashing = ScriptedRenderer(fail_with=RuntimeError("bug"))
    for _ in range(2):
        with pytest.raises(RuntimeError):
            deliver(rt, job_id, crashing)
    assert deliver(rt, job_id, crashing) == "exhausted"
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error.code == "too_many_attempts"
    assert crashing.calls == 2


def test_old_events_are_dropped_and_the_job_fails(make_deck):
    rt = make_rt(DECKPIPE_MAX_EVENT_AGE_SECONDS="60")
    job_id = queued_job(rt, make_deck)
    renderer = ScriptedRenderer()
    old = jobs.utcnow() - timedelta(minutes=5)
    assert deliver(rt, job_id, renderer, published_at=old) == "expired"
    assert rt.jobs.get(job_id).error.code == "expired" and renderer.calls == 0


def test_dead_letter_fails_an_unfinished_job_but_not_a_done_one(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    assert deliver(rt, job_id, ScriptedRenderer(), dead_letter=True) == "dead_letter"
    assert rt.jobs.get(job_id).error.code == "delivery_failed"
    done_id = queued_job(rt, make_deck)
    deliver(rt, done_id, ScriptedRenderer())
    deliver(rt, done_id, ScriptedRenderer(), dead_letter=True)
    assert rt.jobs.get(done_id).state == jobs.DONE


def test_dead_letter_waits_for_a_live_holder_and_fails_a_dead_one(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    job = rt.jobs.get(job_id)
    rt.jobs.jobs[job_id] = job.replace(
        state=jobs.PROCESSING, attempts=1,
        lease=jobs.Lease("busy-worker", jobs.utcnow() + timedelta(seconds=30)))
    with pytest.raises(convert.RetryLater):  # the holder may still finish it
        deliver(rt, job_id, ScriptedRenderer(), dead_letter=True)
    assert rt.jobs.get(job_id).state == jobs.PROCESSING
    rt.jobs.jobs[job_id] = rt.jobs.get(job_id).replace(  # ... but it died
        lease=jobs.Lease("busy-worker", jobs.utcnow() - timedelta(seconds=1)))
    assert deliver(rt, job_id, ScriptedRenderer(), dead_letter=True) == "dead_letter"
    assert rt.jobs.get(job_id).error.code == "delivery_failed"


def test_missing_input_fails_the_job(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck)
    rt.blobs.delete(rt.jobs.get(job_id).input_object)
    assert deliver(rt, job_id, ScriptedRenderer()) == "failed"
    assert rt.jobs.get(job_id).error.code == "input_missing"


def test_unknown_job_and_malformed_message_are_acknowledged():
    rt = make_rt()
    assert deliver(rt, "0" * 32, ScriptedRenderer()) == "missing"
    assert deliver(rt, None, ScriptedRenderer()) == "malformed"


def test_progress_writes_are_throttled(make_deck):
    rt = make_rt(DECKPIPE_PROGRESS_INTERVAL_SECONDS="3600")
    job_id = queued_job(rt, make_deck)
    writes = []
    transact = rt.jobs.transact

    def counting(job_id, decide):
        writes.append(decide)
        return transact(job_id, decide)

    rt.jobs.transact = counting
    assert deliver(rt, job_id, ScriptedRenderer(slides=200)) == "done"
    # claim + first progress + last progress + complete
    assert len(writes) == 4
    assert rt.jobs.get(job_id).progress_done == 200


def test_event_parsing():
    import base64
    import json

    data = {"message": {"data": base64.b64encode(json.dumps({"job_id": "a" * 32}).encode()),
                        "attributes": {"job_id": "a" * 32}, "messageId": "7",
                        "publishTime": "2026-01-02T03:04:05.123456789Z"}}
    attrs = {"id": "7", "source": "//pubsub.googleapis.com/projects/p/topics/jobs-dead-letter",
             "time": "2026-01-02T03:04:05.123456789Z"}
    delivery = convert.delivery_from_event(data, attrs, "jobs-dead-letter")
    assert delivery.job_id == "a" * 32 and delivery.dead_letter
    assert delivery.published_at.isoformat() == "2026-01-02T03:04:05.123456+00:00"
    assert not convert.delivery_from_event(data, {**attrs, "source": "x/topics/jobs"},
                                           "jobs-dead-letter").dead_letter
    bad = convert.delivery_from_event({"message": {"data": "!!"}}, {}, "d")
    assert bad.job_id is None
