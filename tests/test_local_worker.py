"""The pull worker on the local backend (in process, scripted renderers), the sweeper's
retention pass, and ``deckpipe serve``'s start-up checks."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from test_worker_memory import ScriptedRenderer

from deckpipe import jobs, pullworker, serve
from deckpipe.config import load_settings
from deckpipe.errors import TransientError
from deckpipe.jobqueue import JobMessage
from deckpipe.runtime import build


@pytest.fixture
def rt(tmp_path):
    return build(load_settings({
        "DECKPIPE_BACKEND": "local", "DECKPIPE_DATA_DIR": str(tmp_path / "data"),
        "DECKPIPE_RENDER_ISOLATION": "inline", "DECKPIPE_LEASE_SECONDS": "30",
    }))


def queued(rt, make_deck, **changes) -> str:
    job = jobs.new_job(jobs.new_job_id(), "d.pptx", input_bytes=1, input_sha256="x")
    rt.blobs.put(job.input_object, make_deck(["a"]), content_type="application/octet-stream")
    rt.jobs.create(job.replace(**changes))
    rt.queue.publish(JobMessage(job.job_id))
    return job.job_id


def worker(rt, renderer, **policy) -> pullworker.PullWorker:
    return pullworker.PullWorker(rt, rt.queue, render=renderer,
                                 policy=pullworker.PullPolicy(**policy))


def test_a_message_is_converted_then_acknowledged(rt, make_deck):
    job_id = queued(rt, make_deck)
    assert worker(rt, ScriptedRenderer()).run_once()
    assert rt.jobs.get(job_id).state == jobs.DONE
    assert rt.blobs.stat(f"results/{job_id}.pdf") is not None
    assert rt.queue.depth() == {"waiting": 0, "in_flight": 0, "dead": 0}
    assert not worker(rt, ScriptedRenderer()).run_once()  # nothing left


def test_the_message_stays_hidden_while_the_conversion_runs(rt, make_deck):
    import time

    seen = []

    def slow_finish():
        time.sleep(1.0)  # longer than the visibility timeout below
        seen.append(rt.queue.receive(visibility_timeout=5))

    queued(rt, make_deck)
    worker(rt, ScriptedRenderer(before_finish=slow_finish), visibility_timeout=0.4).run_once()
    assert seen == [[]]


def test_a_transient_error_gives_the_job_and_message_back_with_a_backoff(rt, make_deck):
    import time

    job_id = queued(rt, make_deck)
    failing = ScriptedRenderer(fail_with=TransientError("disk hiccup"))
    pulled = worker(rt, failing, backoff_seconds=0.5)
    assert pulled.run_once()
    assert rt.jobs.get(job_id).state == jobs.QUEUED  # released for the retry
    assert rt.queue.depth()["in_flight"] == 1 and rt.queue.receive(visibility_timeout=1) == []
    time.sleep(0.7)
    healthy = worker(rt, ScriptedRenderer())
    assert healthy.run_once()
    job = rt.jobs.get(job_id)
    assert job.state == jobs.DONE and job.attempts == 2


def test_a_job_held_by_a_live_lease_comes_back_when_the_lease_lapses(rt, make_deck):
    expires = jobs.utcnow() + timedelta(seconds=20)
    job_id = queued(rt, make_deck, state=jobs.PROCESSING, attempts=1,
                    lease=jobs.Lease("other-worker", expires))
    renderer = ScriptedRenderer()
    item = rt.queue.receive(visibility_timeout=30)[0]
    assert worker(rt, renderer).process(item) == "retry_later"
    assert renderer.calls == 0 and rt.jobs.get(job_id).lease.token == "other-worker"
    (visible_at,) = rt.queue._db.read("SELECT visible_at FROM messages")[0]
    assert expires.timestamp() <= visible_at <= expires.timestamp() + 1.5


def test_a_message_received_too_often_fails_its_job_as_delivery_failed(rt, make_deck):
    rt.queue.max_receives = 1
    job_id = queued(rt, make_deck)
    rt.queue.receive(visibility_timeout=0)  # a worker took it and vanished
    renderer = ScriptedRenderer()
    assert worker(rt, renderer).run_once()
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error.code == "delivery_failed"
    assert renderer.calls == 0
    assert rt.queue.depth() == {"waiting": 0, "in_flight": 0, "dead": 0}


def test_stop_finishes_the_job_in_hand_and_an_interrupt_gives_it_back(rt, make_deck):
    first = queued(rt, make_deck)
    pulled = worker(rt, None)
    pulled.render = ScriptedRenderer(before_finish=pulled.stop)
    pulled.run()  # returns after the job in hand
    assert rt.jobs.get(first).state == jobs.DONE and pulled.handled == 1

    second = queued(rt, make_deck)

    def interrupted():
        raise KeyboardInterrupt("second SIGTERM")

    with pytest.raises(KeyboardInterrupt):
        worker(rt, ScriptedRenderer(before_finish=interrupted)).run_once()
    assert rt.jobs.get(second).state == jobs.QUEUED  # given back, not held
    assert rt.queue.depth()["waiting"] == 1  # its message is visible again at once


def test_retention_deletes_old_jobs_and_their_files(rt, make_deck):
    old = queued(rt, make_deck)
    recent = queued(rt, make_deck)
    ten_days_ago = jobs.utcnow() - timedelta(days=10)
    rt.jobs.transact(old, lambda j: (j.replace(created_at=ten_days_ago), None))
    rt.blobs.put(f"results/{old}.pdf", b"%PDF", content_type="application/pdf")
    assert serve.expire(rt) == 1
    assert rt.jobs.get(old) is None and rt.blobs.stat(f"inputs/{old}.pptx") is None
    assert rt.blobs.stat(f"results/{old}.pdf") is None
    assert rt.jobs.get(recent) is not None and rt.blobs.stat(f"inputs/{recent}.pptx")
    assert rt.queue.depth()["waiting"] == 1  # the old job's message went with it


def run_serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "deckpipe.cli", "serve", "--workers", "1", *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )


def test_start_up_stops_with_one_clear_message(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        port = str(holder.getsockname()[1])
        taken = run_serve("--port", port, "--data-dir", str(tmp_path / "data"))
    finally:
        holder.close()
    assert taken.returncode == 1
    assert taken.stderr.strip() == (f"deckpipe serve: port {port} on 127.0.0.1 is already in "
                                    "use; stop what is listening there or choose another with "
                                    "--port")
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    blocked = run_serve("--port", "0", "--data-dir", str(not_a_dir / "data"))
    assert blocked.returncode == 1 and "is not writable" in blocked.stderr
    assert len(blocked.stderr.strip().splitlines()) == 1 and "Traceback" not in blocked.stderr
    google = run_serve("--port", "0", env={"DECKPIPE_BACKEND": "google"})
    assert google.returncode == 1 and "DECKPIPE_BACKEND=google is not valid here" in google.stderr
    broken = run_serve("--port", "0", env={"DECKPIPE_MAX_ATTEMPTS": "many"})
    assert broken.returncode == 1 and "DECKPIPE_MAX_ATTEMPTS='many'" in broken.stderr


def test_the_sweeper_requeues_a_job_that_lost_its_message(rt, make_deck):
    """An upload that died between creating its job and publishing it: the reaper pass of
    the sweeper publishes it again, and a worker converts it."""
    job = jobs.new_job(jobs.new_job_id(), "d.pptx", input_bytes=1, input_sha256="x")
    rt.blobs.put(job.input_object, make_deck(["a"]), content_type="application/octet-stream")
    ten_minutes_ago = jobs.utcnow() - timedelta(minutes=10)
    rt.jobs.create(job.replace(created_at=ten_minutes_ago, updated_at=ten_minutes_ago))
    assert rt.queue.depth()["waiting"] == 0
    counts = serve.sweep(rt)
    assert counts["requeued"] == 1 and counts["expired"] == 0
    assert worker(rt, ScriptedRenderer()).run_once()
    assert rt.jobs.get(job.job_id).state == jobs.DONE


def test_the_schema_version_is_stored_and_a_newer_database_is_refused(tmp_path):
    import sqlite3

    from deckpipe.backends import sqlite as local_db
    from deckpipe.errors import ConfigError

    data = tmp_path / "data"
    local_db.open_database(data)
    local_db.open_database(data)  # opening again migrates nothing and keeps the data
    with sqlite3.connect(data / local_db.DATABASE_FILE) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == local_db.SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.execute(f"PRAGMA user_version = {local_db.SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="newer than this deckpipe"):
        local_db.open_database(data)
