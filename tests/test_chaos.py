"""A worker killed mid-conversion on the real emulator stack: the job still ends `done`.

The fast, decisive cases of the chaos campaign (`bench/chaos.py`), on a stack of its own with
short leases and a reaper every second, supervised like `deckpipe dev`: `kill -9` of the
conversion child, of the convert function's worker process, and of its main process. Each
time the job must finish with exactly one PDF (one object, one generation), downloadable.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pptx import Presentation
from pptx.util import Inches
from pypdf import PdfReader

from deckpipe_emulators import wiring
from deckpipe_emulators.processes import free_ports
from deckpipe_emulators.stack import DEFAULT_PORTS, LocalStack, StackConfig
from deckpipe_emulators.supervisor import Supervisor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import chaos  # noqa: E402
import load  # noqa: E402
import stacks  # noqa: E402

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
SLIDES = 600  # about 5 s of rendering: time to kill it in the middle
LEASE_SECONDS = 4


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Supervisor]]:
    config = StackConfig(
        ports=dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True)),
        log_dir=tmp_path_factory.mktemp("chaos-logs"),
        env={
            "DECKPIPE_LEASE_SECONDS": str(LEASE_SECONDS),
            "DECKPIPE_REQUEUE_AFTER_SECONDS": "5",
            "DECKPIPE_PROGRESS_INTERVAL_SECONDS": "0.2",
        },
        reaper_interval=1.0,
        retry_min_backoff=0.1,
        retry_max_backoff=1.0,
    )
    stack = LocalStack(config)
    supervisor = Supervisor(stack, report=lambda line: None, first_delay=0.1)
    stack.start()
    supervisor.start()
    try:
        yield stack, supervisor
    finally:
        supervisor.stop()
        stack.stop()


@pytest.fixture(scope="module")
def chaos_stack(supervised: tuple[LocalStack, Supervisor]) -> LocalStack:
    return supervised[0]


@pytest.fixture(scope="module")
def long_deck() -> bytes:
    prs = Presentation()
    for number in range(SLIDES):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"Slide {number + 1}"
        slide.placeholders[1].text = "\n".join(f"point {j} of slide {number}" for j in range(6))
        for k in range(8):
            slide.shapes.add_shape(1, Inches(k * 0.6), Inches(6), Inches(0.5), Inches(0.5))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def upload(stack: LocalStack, deck: bytes) -> str:
    response = requests.post(
        stack.urls["upload"], files={"file": ("long.pptx", deck, PPTX_TYPE)}, timeout=60
    )
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def status(stack: LocalStack, job_id: str) -> dict:
    response = requests.get(f"{stack.urls['status']}/{job_id}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def wait_until(stack: LocalStack, job_id: str, ready, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = status(stack, job_id)
        if ready(view):
            return view
        time.sleep(0.05)
    raise AssertionError(f"job {job_id}: no {what} within {timeout} s; last {view}")


def convert_processes(stack: LocalStack) -> tuple[int, int, list[int]]:
    """(main, worker, conversion children) of the convert function, from /proc."""
    main = stack.process_groups()["convert"]
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    [worker] = children.get(main, [])
    return main, worker, children.get(worker, [])


def assert_one_pdf(stack: LocalStack, job_id: str, slides: int) -> None:
    config = stack.config
    client = wiring.storage_client(stack.urls["storage"], config.project)
    versions = [
        blob.name for blob in client.list_blobs(config.bucket, prefix="results/", versions=True)
        if job_id in blob.name
    ]
    assert versions == [f"results/{job_id}.pdf"]
    pdf = requests.get(f"{stack.urls['result']}/{job_id}", timeout=60)
    assert pdf.status_code == 200
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == slides


def mid_conversion(view: dict) -> bool:
    progress = view["progress"]
    return view["state"] == "processing" and 0 < progress["done"] < progress["total"] // 2


@pytest.mark.parametrize("victim", ["conversion child", "worker", "main"])
def test_killed_worker_mid_conversion_still_ends_done(
    chaos_stack: LocalStack, long_deck: bytes, victim: str
) -> None:
    job_id = upload(chaos_stack, long_deck)
    wait_until(chaos_stack, job_id, mid_conversion, 60, "progress")
    main, worker, children = convert_processes(chaos_stack)
    targets = {"conversion child": children, "worker": [worker], "main": [main]}[victim]
    assert targets, f"no {victim} process to kill"
    for pid in targets:
        os.kill(pid, signal.SIGKILL)

    view = wait_until(chaos_stack, job_id, lambda v: v["state"] in ("done", "failed"), 120,
                      "end")
    assert view["state"] == "done", view
    assert view["attempts"] >= 2  # the killed attempt, then the one that finished
    assert_one_pdf(chaos_stack, job_id, SLIDES)


def test_campaign_under_faults_reports_nothing_stuck_lost_or_duplicated(
    supervised: tuple[LocalStack, Supervisor], corpus: Path
) -> None:
    """bench/chaos.py's own machinery, small: corpus uploads from two clients while the
    convert worker is killed and Firestore frozen; the campaign's accounting must find every
    job ended, none lost, one PDF each."""
    stack = stacks.EmulatorStack(local=supervised[0], supervisor=supervised[1])
    decks = load.corpus_decks(corpus, max_slides=5, max_bytes=300_000)
    run = load.LoadRun(stack, decks, jobs=8, clients=2, bound=120, pace=0.5)
    faults = chaos.Faults(stack, freeze_seconds=1.0)
    run.start()
    try:
        killed = faults.apply("kill convert worker")
        frozen = faults.apply("freeze firestore")
    finally:
        faults.thaw()
    run.wait()
    summary = load.summarize(run)
    assert killed.pids and frozen.pids
    assert load.verdict(summary) == []
    assert summary["accepted"] == 8
    assert summary["done"] + sum(summary["failed_by_code"].values()) == 8
    assert summary["peak_rss_mib"]["convert worker"] > 0
