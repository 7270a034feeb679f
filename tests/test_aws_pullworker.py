"""The pull worker (``deckpipe.pullworker``, written once for every pulled queue) on SQS,
S3 and DynamoDB (moto): a real deck converted once, a duplicate message ignored, a dead
worker's message taken over after its visibility timeout, a message past the redrive
policy's maxReceiveCount failing its job through the dead-letter queue."""

from __future__ import annotations

import io
import time

import pytest
from aws_moto import aws_env
from pypdf import PdfReader

from deckpipe import jobs, pullworker
from deckpipe.config import load_settings
from deckpipe.jobqueue import JobMessage
from deckpipe.runtime import build

LEASE_SECONDS = 3


def aws_runtime(moto_endpoint: str, **plan):
    env = aws_env(moto_endpoint, **plan)
    return build(load_settings({**env, "DECKPIPE_RENDER_ISOLATION": "inline",
                                "DECKPIPE_LEASE_SECONDS": str(LEASE_SECONDS)}))


@pytest.fixture
def rt(moto_endpoint):
    return aws_runtime(moto_endpoint)


def queued(rt, make_deck, titles=("Quarterly numbers", "Next steps")) -> str:
    """A deck in S3, its job in DynamoDB, its message on SQS: what ``upload`` leaves."""
    deck = make_deck(list(titles))
    job = jobs.new_job(jobs.new_job_id(), "talk.pptx", input_bytes=len(deck),
                       input_sha256="-")
    rt.blobs.put(job.input_object, deck, content_type="application/octet-stream")
    rt.jobs.create(job)
    rt.queue.publish(JobMessage(job.job_id))
    return job.job_id


def worker(rt, **policy) -> pullworker.PullWorker:
    return pullworker.PullWorker(rt, rt.queue, policy=pullworker.PullPolicy(**policy))


def results(rt) -> list[str]:
    return [info.name for info in rt.blobs.list("results/")]


def test_a_deck_is_converted_once_and_a_duplicate_message_does_nothing(rt, make_deck):
    job_id = queued(rt, make_deck)
    assert worker(rt).run_once()
    job = rt.jobs.get(job_id)
    assert job.state == jobs.DONE and job.pages == 2 and job.attempts == 1
    pdf = PdfReader(io.BytesIO(b"".join(rt.blobs.read_range(job.result_object, 0,
                                                            job.result_bytes))))
    assert len(pdf.pages) == 2
    assert "Quarterly numbers" in pdf.pages[0].extract_text()
    assert results(rt) == [job.result_object]
    assert rt.queue.receive(visibility_timeout=0) == []  # acknowledged

    rt.queue.publish(JobMessage(job_id))  # at-least-once: the same job again
    (duplicate,) = rt.queue.receive(visibility_timeout=30)
    assert worker(rt).process(duplicate) == "duplicate"
    assert rt.jobs.get(job_id) == job  # not one write
    assert results(rt) == [job.result_object]
    assert rt.queue.receive(visibility_timeout=0) == []


def test_a_dead_workers_message_reappears_and_the_next_receive_finishes_the_job(
    rt, make_deck
):
    job_id = queued(rt, make_deck)
    (taken,) = rt.queue.receive(visibility_timeout=LEASE_SECONDS)  # taken, claimed, then dies
    rt.jobs.transact(job_id, lambda job: jobs.claim(
        job, jobs.utcnow(), lease_seconds=LEASE_SECONDS, max_attempts=5, token="dead"))
    assert not worker(rt).run_once()  # hidden while its visibility lasts
    time.sleep(LEASE_SECONDS + 0.3)  # both the visibility and the lease have lapsed
    assert worker(rt).run_once()
    job = rt.jobs.get(job_id)
    assert job.state == jobs.DONE and job.attempts == 2 and job.lease is None
    assert results(rt) == [job.result_object]
    assert rt.queue.receive(visibility_timeout=0) == []


def test_a_message_past_max_receives_fails_its_job_through_the_dead_letter_queue(
    moto_endpoint, make_deck
):
    rt = aws_runtime(moto_endpoint, max_receives=2)
    job_id = queued(rt, make_deck)
    for _ in range(2):  # two workers took it and vanished before claiming
        (lost,) = rt.queue.receive(visibility_timeout=0)
        assert not lost.message.dead_letter
    pulled = worker(rt)
    assert pulled.run_once()  # SQS moved it to the dead-letter queue; read from there
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error.code == "delivery_failed"
    assert results(rt) == [] and pulled.handled == 1
    assert rt.queue.receive(visibility_timeout=0) == []  # deleted from the dead-letter queue
