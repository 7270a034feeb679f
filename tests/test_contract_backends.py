"""One contract for the blob store and the job store, run against every backend.

memory (threads in one process), local (SQLite and files, from several processes)
and google (the emulators, from several processes): the rules the worker and the
upload rely on must hold the same on each. A new backend joins by adding a case.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aws_moto import aws_env

from deckpipe import jobs
from deckpipe.blobs import BlobExists, BlobNotFound
from deckpipe.config import load_settings
from deckpipe.errors import TransientError
from deckpipe.runtime import Runtime, build

BACKENDS = ["memory", "local", "google", "aws"]
PDF = "application/pdf"


@dataclass
class Backend:
    name: str
    env: dict[str, str]  # rebuilds the same backends in another process
    rt: Runtime
    data_dir: Path | None = None

    @property
    def uses_processes(self) -> bool:
        return self.name != "memory"  # the memory backend lives in one process


def backend_env(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if name == "memory":
        return {"DECKPIPE_BACKEND": "memory"}
    if name == "local":
        return {"DECKPIPE_BACKEND": "local", "DECKPIPE_DATA_DIR": str(tmp_path / "data")}
    if name == "aws":  # S3, DynamoDB, SQS on the session's moto server, provisioned afresh
        return aws_env(request.getfixturevalue("moto_endpoint"))
    stack = request.getfixturevalue("stack")  # the session's emulators, emptied
    return {
        "DECKPIPE_BACKEND": "google",
        "GOOGLE_CLOUD_PROJECT": stack.config.project,
        "DECKPIPE_BUCKET": stack.config.bucket,
        "DECKPIPE_TOPIC": stack.config.topic,
        "DECKPIPE_STATUS_URL": stack.urls["status"],
        "DECKPIPE_RESULT_URL": stack.urls["result"],
    }


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    env = backend_env(request.param, request, tmp_path)
    rt = build(load_settings(env))
    return Backend(request.param, env, rt, tmp_path / "data" if request.param == "local" else None)


def together(backend: Backend, task, argument_lists: list[tuple]) -> list:
    """Run ``task(rt, *args)`` for each argument list at the same moment: in separate
    processes (each with its own clients) where the backend allows, else in threads."""
    start_at = time.time() + (2.0 if backend.uses_processes else 0.2)
    if not backend.uses_processes:
        with ThreadPoolExecutor(len(argument_lists)) as pool:
            futures = [pool.submit(_at, start_at, task, backend.rt, *args)
                       for args in argument_lists]
            return [future.result() for future in futures]
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(argument_lists)) as pool:
        return pool.starmap(_in_child, [(backend.env, start_at, task, *args)
                                        for args in argument_lists])


def _in_child(env: dict[str, str], start_at: float, task, *args):
    return _at(start_at, task, build(load_settings(env)), *args)


def _at(start_at: float, task, rt: Runtime, *args):
    time.sleep(max(0.0, start_at - time.time()))
    return task(rt, *args)


def new_job(**changes) -> jobs.Job:
    job = jobs.new_job(jobs.new_job_id(), "deck.pptx", input_bytes=1, input_sha256="-")
    return job.replace(**changes)


# --- tasks run in other processes (module level, so they can be pickled) -----------


def _put(rt: Runtime, name: str, data: bytes, streamed: bool) -> str:
    try:
        if streamed:
            upload = rt.blobs.upload(name, content_type=PDF)
            for offset in range(0, len(data), 1 << 16):
                upload.write(data[offset : offset + (1 << 16)])
            upload.commit()
        else:
            rt.blobs.put(name, data, content_type=PDF)
    except BlobExists:
        return "exists"
    return "created"


def _count_up(rt: Runtime, job_id: str, times: int) -> int:
    """Increment ``times`` times; a ``TransientError`` (Firestore aborts a contended
    transaction, as the interface allows) is retried like the worker's caller would."""
    for _ in range(times):
        for attempt in range(10):
            try:
                rt.jobs.transact(job_id, lambda j: (j.replace(attempts=j.attempts + 1), None))
                break
            except TransientError:
                time.sleep(0.05 * (attempt + 1))
        else:
            raise AssertionError("transact kept failing under contention")
    return times


def _create_with_key(rt: Runtime, key: str) -> tuple[str, str]:
    job = new_job()
    return job.job_id, rt.jobs.create(job, idempotency_key=key).job_id


# --- blobs ------------------------------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True], ids=["put", "upload"])
def test_create_only_holds_when_two_writers_race(backend, streamed):
    name = f"results/{jobs.new_job_id()}.pdf"
    payloads = [bytes([65 + n]) * 300_000 for n in range(2)]
    outcomes = together(backend, _put, [(name, data, streamed) for data in payloads])
    assert sorted(outcomes) == ["created", "exists"]
    winner = payloads[outcomes.index("created")]
    with backend.rt.blobs.open(name) as reader:
        assert reader.read() == winner
    assert backend.rt.blobs.stat(name).size == len(winner)


def test_aborted_upload_leaves_nothing(backend):
    name = f"inputs/{jobs.new_job_id()}.pptx"
    upload = backend.rt.blobs.upload(name, content_type=PDF)
    upload.write(b"half a deck" * 1000)
    upload.abort()
    assert backend.rt.blobs.stat(name) is None
    with pytest.raises(BlobNotFound):
        backend.rt.blobs.open(name)
    backend.rt.blobs.put(name, b"the real deck", content_type=PDF)  # the name is still free
    if backend.data_dir is not None:
        assert os.listdir(backend.data_dir / "blobs" / ".tmp") == []


def test_ranged_reads_and_whole_reads(backend):
    name = f"results/{jobs.new_job_id()}.pdf"
    data = os.urandom(200_000)
    info = backend.rt.blobs.put(name, data, content_type=PDF)
    assert info.size == len(data) and info.etag
    stat = backend.rt.blobs.stat(name)
    assert stat.size == len(data) and stat.content_type == PDF and stat.etag == info.etag
    for start, length in [(0, 8), (1000, 70_000), (len(data) - 5, 5), (0, len(data))]:
        got = b"".join(backend.rt.blobs.read_range(name, start, length))
        assert got == data[start : start + length], (start, length)
    with backend.rt.blobs.open(name) as reader:
        reader.seek(150_000)
        assert reader.read(10) == data[150_000:150_010]
    import io

    sink = io.BytesIO()
    assert backend.rt.blobs.download(name, sink) == len(data) and sink.getvalue() == data
    backend.rt.blobs.delete(name)
    backend.rt.blobs.delete(name)  # a missing object is not an error
    assert backend.rt.blobs.stat(name) is None


def test_list_names_the_objects_under_a_prefix_with_their_creation_time(backend):
    before = jobs.utcnow() - timedelta(minutes=5)  # emulators' clocks may differ a little
    ids = sorted(jobs.new_job_id() for _ in range(3))
    for job_id in ids:
        backend.rt.blobs.put(f"inputs/{job_id}.pptx", b"deck", content_type=PDF)
    backend.rt.blobs.put(f"results/{ids[0]}.pdf", b"%PDF", content_type=PDF)
    upload = backend.rt.blobs.upload(f"inputs/{jobs.new_job_id()}.pptx", content_type=PDF)
    upload.write(b"not committed")  # an upload in progress is not an object yet
    try:
        listed = list(backend.rt.blobs.list("inputs/"))
    finally:
        upload.abort()
    assert [info.name for info in listed] == [f"inputs/{job_id}.pptx" for job_id in ids]
    for info in listed:
        assert info.size == 4 and info.created_at is not None
        assert before <= info.created_at <= jobs.utcnow() + timedelta(minutes=5)


# --- jobs -------------------------------------------------------------------------


def test_transact_is_atomic_under_contention(backend):
    job = backend.rt.jobs.create(new_job())
    writers, times = (2, 5) if backend.name == "google" else (3, 25)
    together(backend, _count_up, [(job.job_id, times)] * writers)
    assert backend.rt.jobs.get(job.job_id).attempts == writers * times


def test_transact_writes_only_what_decide_returns(backend):
    job = backend.rt.jobs.create(new_job())
    assert backend.rt.jobs.transact(job.job_id, lambda j: (None, j.state)) == jobs.QUEUED
    assert backend.rt.jobs.get(job.job_id) == job
    missing = jobs.new_job_id()
    assert backend.rt.jobs.transact(missing, lambda j: (None, j is None)) is True
    assert backend.rt.jobs.get(missing) is None
    lease = jobs.Lease("token", jobs.utcnow() + timedelta(seconds=60))
    changed = job.replace(state=jobs.PROCESSING, lease=lease, warnings=({"code": "w"},))
    backend.rt.jobs.transact(job.job_id, lambda j: (changed, None))
    stored = backend.rt.jobs.get(job.job_id)
    assert stored.lease.token == "token"
    assert abs((stored.lease.expires_at - lease.expires_at).total_seconds()) < 0.01
    assert stored.state == jobs.PROCESSING and stored.warnings == ({"code": "w"},)


def test_idempotency_key_yields_one_job_under_concurrent_creates(backend):
    writers = 2 if backend.name == "google" else 4
    results = together(backend, _create_with_key, [("the-same-key",)] * writers)
    winners = {stored for _, stored in results}
    assert len(winners) == 1
    winner = winners.pop()
    assert backend.rt.jobs.get(winner) is not None
    losers = [own for own, _ in results if own != winner]
    assert len(losers) == writers - 1
    assert all(backend.rt.jobs.get(own) is None for own in losers)


def test_forgotten_idempotency_key_makes_a_new_job(backend):
    first = backend.rt.jobs.create(new_job(), idempotency_key="k1")
    backend.rt.jobs.forget_idempotency_key("k1", "0" * 32)  # another job's: kept
    assert backend.rt.jobs.create(new_job(), idempotency_key="k1").job_id == first.job_id
    backend.rt.jobs.forget_idempotency_key("k1", first.job_id)
    assert backend.rt.jobs.create(new_job(), idempotency_key="k1").job_id != first.job_id


def test_unfinished_lists_old_queued_and_processing_jobs_oldest_first(backend):
    now = jobs.utcnow()
    ago = [now - timedelta(minutes=m) for m in (50, 40, 30, 20, 1)]
    made = [
        new_job(updated_at=ago[0]),
        new_job(state=jobs.PROCESSING, updated_at=ago[1]),
        new_job(state=jobs.DONE, updated_at=ago[1]),
        new_job(state=jobs.FAILED, updated_at=ago[2]),
        new_job(updated_at=ago[3]),
        new_job(updated_at=ago[4]),  # too recent
    ]
    for job in made:
        backend.rt.jobs.create(job)
    cutoff = now - timedelta(minutes=10)
    found = backend.rt.jobs.unfinished(updated_before=cutoff)
    assert [j.job_id for j in found] == [made[0].job_id, made[1].job_id, made[4].job_id]
    assert [j.job_id for j in backend.rt.jobs.unfinished(updated_before=cutoff, limit=2)] == [
        made[0].job_id, made[1].job_id]
