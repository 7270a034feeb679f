"""Each conversion runs in a forked child: a runaway deck fails its job, not the worker."""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from datetime import timedelta

import pytest
from tests_support import ENV

from deckpipe import convert, jobs
from deckpipe.config import load_settings
from deckpipe.errors import DeckError
from deckpipe.jobs import Lease
from deckpipe.runtime import build

FAKE_PDF = b"%PDF-1.4 fake\n%%EOF\n"


class Report:
    def __init__(self, pages: int) -> None:
        self.pages = pages

    def as_dict(self):
        return {"pages": self.pages, "warnings": [], "summary": {"slides_rendered": self.pages}}


def make_rt(**env):
    return build(load_settings({**ENV, "DECKPIPE_RENDER_ISOLATION": "process", **env}))


def queued_job(rt, make_deck, texts=("a",)) -> str:
    job = jobs.new_job(jobs.new_job_id(), "d.pptx", input_bytes=1, input_sha256="x")
    rt.blobs.put(job.input_object, make_deck(list(texts)), content_type="application/zip")
    rt.jobs.create(job)
    return job.job_id


def deliver(rt, job_id, renderer=None):
    return convert.handle(rt, convert.Delivery(job_id, published_at=jobs.utcnow()),
                          render=renderer)


def children() -> set[int]:
    """This process's live children (other fixtures may have started some)."""
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            found.update(int(pid) for pid in f.read().split())
    return found


@pytest.fixture(autouse=True)
def no_child_left_behind():
    """Every conversion child has been reaped when its delivery returns or raises."""
    before = children()
    yield
    assert children() <= before


def test_a_real_deck_is_rendered_in_a_child_and_stored(make_deck):
    rt = make_rt()
    job_id = queued_job(rt, make_deck, ["one", "two", "three"])
    parent = os.getpid()
    assert deliver(rt, job_id) == "done"
    job = rt.jobs.get(job_id)
    assert job.state == jobs.DONE and job.pages == 3
    assert (job.progress_done, job.progress_total) == (3, 3)
    pdf = rt.blobs.objects[job.result_object][0]
    assert pdf.startswith(b"%PDF") and job.result_bytes == len(pdf)
    assert os.getpid() == parent


def test_a_memory_bomb_fails_the_job_and_leaves_the_worker_as_it_was(make_deck):
    rt = make_rt(DECKPIPE_RENDER_MEMORY_MIB="128")

    def greedy(deck, pdf, *, progress):
        progress(0, 1)
        hoard = [bytearray(16 << 20) for _ in range(64)]  # 1 GiB, far over the budget
        return Report(len(hoard))

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job_id = queued_job(rt, make_deck)
    assert deliver(rt, job_id, greedy) == "failed"
    job = rt.jobs.get(job_id)
    assert job.error.code == "too_complex" and "memory" in job.error.message
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 64  # the gigabyte was the child's alone
    assert job.result_object not in rt.blobs.objects


def test_a_slide_that_never_finishes_is_stopped_and_the_job_fails(make_deck):
    rt = make_rt(DECKPIPE_SLIDE_TIMEOUT_SECONDS="1", DECKPIPE_PROGRESS_INTERVAL_SECONDS="0")

    def endless(deck, pdf, *, progress):
        progress(0, 2)
        progress(1, 2)
        while True:
            time.sleep(0.01)

    job_id = queued_job(rt, make_deck)
    assert deliver(rt, job_id, endless) == "failed"
    job = rt.jobs.get(job_id)
    assert job.error.code == "timeout" and "slide" in job.error.message
    assert job.progress_done == 1


def test_the_whole_conversion_has_a_deadline_too(make_deck):
    rt = make_rt(DECKPIPE_RENDER_TIMEOUT_SECONDS="1", DECKPIPE_SLIDE_TIMEOUT_SECONDS="30")

    def slow_but_steady(deck, pdf, *, progress):
        for done in range(1000):
            progress(done, 1000)
            time.sleep(0.05)

    job_id = queued_job(rt, make_deck)
    assert deliver(rt, job_id, slow_but_steady) == "failed"
    job = rt.jobs.get(job_id)
    assert job.error.code == "timeout" and "conversion" in job.error.message


def test_a_child_killed_from_outside_gives_the_job_back_for_a_retry(make_deck):
    rt = make_rt()

    def killed(deck, pdf, *, progress):
        progress(0, 1)
        os.kill(os.getpid(), signal.SIGKILL)

    job_id = queued_job(rt, make_deck)
    with pytest.raises(RuntimeError, match="SIGKILL"):
        deliver(rt, job_id, killed)
    job = rt.jobs.get(job_id)
    assert job.state == jobs.QUEUED and job.lease is None and job.attempts == 1


def test_a_deck_error_in_the_child_fails_the_job_with_its_code(make_deck):
    rt = make_rt()

    def refuses(deck, pdf, *, progress):
        raise DeckError("The deck is encrypted.", code="encrypted")

    job_id = queued_job(rt, make_deck)
    assert deliver(rt, job_id, refuses) == "failed"
    assert rt.jobs.get(job_id).error == jobs.JobError("encrypted", "The deck is encrypted.")


def test_the_lease_is_renewed_while_a_slow_slide_renders(make_deck):
    rt = make_rt(DECKPIPE_LEASE_SECONDS="2", DECKPIPE_SLIDE_TIMEOUT_SECONDS="30")

    def slow_slide(deck, pdf, *, progress):
        progress(0, 1)
        time.sleep(3.5)  # longer than the lease: only the parent's heartbeat keeps it
        progress(1, 1)
        pdf.write(FAKE_PDF)
        return Report(1)

    job_id = queued_job(rt, make_deck)
    assert deliver(rt, job_id, slow_slide) == "done"
    assert rt.jobs.get(job_id).state == jobs.DONE


def test_a_worker_that_loses_its_lease_stops_its_child_and_writes_nothing(make_deck):
    rt = make_rt(DECKPIPE_PROGRESS_INTERVAL_SECONDS="0")
    job_id = queued_job(rt, make_deck)

    def take_over_soon():
        time.sleep(0.5)
        rt.jobs.transact(job_id, lambda j: (j.replace(
            lease=Lease("other", jobs.utcnow() + timedelta(seconds=60))), None))

    def steady(deck, pdf, *, progress):
        for done in range(100):
            progress(done, 100)
            time.sleep(0.05)
        pdf.write(FAKE_PDF)
        return Report(100)

    threading.Thread(target=take_over_soon, daemon=True).start()
    assert deliver(rt, job_id, steady) == "lease_lost"
    job = rt.jobs.get(job_id)
    assert job.lease.token == "other" and job.state == jobs.PROCESSING
    assert job.result_object not in rt.blobs.objects
