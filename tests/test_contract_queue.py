"""The pulled queue's contract (visibility, redelivery, dead letter), for every queue a
worker pulls from: SQLite now, SQS when the AWS backend joins. Pub/Sub pushes, so its
redelivery is Pub/Sub's own and is covered by the emulator tests."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from aws_moto import aws_env

from deckpipe.config import load_settings
from deckpipe.jobqueue import JobMessage, PullQueue
from deckpipe.runtime import build

PULLED = ["local", "aws"]


@pytest.fixture(params=PULLED)
def env(request, tmp_path) -> dict[str, str]:
    if request.param == "aws":  # SQS and its dead-letter queue on moto, provisioned afresh
        return aws_env(request.getfixturevalue("moto_endpoint"))
    return {"DECKPIPE_BACKEND": "local", "DECKPIPE_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def queue(env) -> PullQueue:
    return build(load_settings(env)).queue


def test_a_received_message_is_hidden_then_redelivered_after_the_timeout(env, queue):
    queue.publish(JobMessage("a" * 32))
    (first,) = queue.receive(visibility_timeout=1)  # SQS counts whole seconds
    assert first.message.job_id == "a" * 32 and first.receive_count == 1
    assert not first.message.dead_letter and first.message.published_at is not None
    assert queue.receive(visibility_timeout=1) == []
    time.sleep(1.2)
    (again,) = queue.receive(visibility_timeout=30)
    assert again.message.message_id == first.message.message_id
    assert again.receive_count == 2 and again.receipt != first.receipt
    if env["DECKPIPE_BACKEND"] != "aws":  # SQS: a stale receipt "might" still delete
        queue.delete(first.receipt)  # a stale receipt acknowledges nothing
        assert not queue.change_visibility(first.receipt, 0)
    assert queue.change_visibility(again.receipt, 0)
    (third,) = queue.receive(visibility_timeout=30)
    queue.delete(third.receipt)
    time.sleep(0.1)
    assert queue.receive(visibility_timeout=0) == []


def test_extending_visibility_keeps_a_message_hidden(queue):
    queue.publish(JobMessage("b" * 32))
    (held,) = queue.receive(visibility_timeout=0.3)
    for _ in range(3):
        time.sleep(0.2)
        assert queue.change_visibility(held.receipt, 0.3)
        assert queue.receive(visibility_timeout=5) == []


def test_a_message_received_too_often_comes_back_as_a_dead_letter(queue):
    queue.max_receives = 3
    queue.publish(JobMessage("c" * 32))
    counts = []
    for _ in range(3):
        (got,) = queue.receive(visibility_timeout=0)
        counts.append((got.receive_count, got.message.dead_letter))
    assert counts == [(1, False), (2, False), (3, False)]
    (dead,) = queue.receive(visibility_timeout=0)
    assert dead.message.dead_letter and dead.receive_count == 4
    queue.delete(dead.receipt)
    assert queue.receive(visibility_timeout=0) == []


def test_each_message_goes_to_one_of_several_consumer_processes(env, queue):
    for n in range(30):
        queue.publish(JobMessage(f"{n:032x}"))
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 2.0
    with context.Pool(3) as pool:
        taken = pool.starmap(_drain, [(env, start_at)] * 3)
    every = [job_id for batch in taken for job_id in batch]
    assert sorted(every) == [f"{n:032x}" for n in range(30)]


def _drain(env: dict[str, str], start_at: float) -> list[str]:
    queue = build(load_settings(env)).queue
    time.sleep(max(0.0, start_at - time.time()))
    taken = []
    while received := queue.receive(visibility_timeout=60):
        taken += [r.message.job_id for r in received]
    return taken
