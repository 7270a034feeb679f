"""Faults of ``deckpipe serve``: a worker killed mid-conversion, the whole service killed
with jobs in flight, a data directory that turns read-only or fills up.

Each test runs its own service (the faults are destructive) with a 4-second lease, so a
dead worker's job is taken over within seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from local_service import Service
from pypdf import PdfReader

MIB = 1 << 20


@pytest.fixture(scope="module")
def slow_deck() -> bytes:
    """60 slides of 120 text boxes each: a few seconds to render, long enough to kill."""
    from pptx import Presentation
    from pptx.util import Emu

    prs = Presentation()
    for number in range(60):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        for box in range(120):
            frame = slide.shapes.add_textbox(
                Emu(100_000 + (box % 12) * 700_000), Emu(100_000 + (box // 12) * 600_000),
                Emu(650_000), Emu(500_000))
            frame.text_frame.text = f"Box {box} on slide {number} with words to wrap around"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.fixture
def service_factory(tmp_path):
    started: list[Service] = []

    def start(data_dir: Path | None = None, **options) -> Service:
        service = Service(data_dir or tmp_path / "data", tmp_path / "serve.log", **options)
        started.append(service)
        return service.start()

    yield start
    for service in started:
        service.stop()


def done_lines(service: Service) -> dict[str, int]:
    """How many times each job logged "done" (a conversion that stored its PDF), over every
    run of the service that wrote this log."""
    counts: dict[str, int] = {}
    for line in service.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == "done":
                counts[entry["job_id"]] = counts.get(entry["job_id"], 0) + 1
    return counts


def result_files(data_dir: Path) -> list[str]:
    folder = data_dir / "blobs" / "results"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_worker_killed_mid_conversion_its_job_still_ends_done_with_one_pdf(
    service_factory, slow_deck
):
    service = service_factory(workers=1)
    job_id = service.upload(slow_deck, name="slow.pptx").json()["job_id"]
    deadline = time.monotonic() + 60
    while service.status(job_id)["progress"]["done"] < 3:
        assert time.monotonic() < deadline, service.log_tail()
        time.sleep(0.05)
    (victim,) = service.worker_pids()
    os.kill(victim, signal.SIGKILL)

    view = service.wait_for(job_id, timeout=120)
    assert view["state"] == "done", view
    assert view["attempts"] == 2  # the dead worker's attempt, then the one that finished
    assert victim not in service.worker_pids() and len(service.worker_pids()) == 1  # restarted
    assert result_files(service.data_dir) == [f"{job_id}.pdf"]
    assert done_lines(service) == {job_id: 1}
    pdf = (service.data_dir / "blobs" / "results" / f"{job_id}.pdf").read_bytes()
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 60


def test_the_whole_service_killed_with_twenty_jobs_in_flight(
    service_factory, slow_deck, corpus, make_deck
):
    service = service_factory(workers=2)
    decks = [make_deck([f"deck {n} slide {s}" for s in range(1 + n % 4)]) for n in range(17)]
    decks += [slow_deck, slow_deck, (corpus / "decks/poi/testPPT.pptx").read_bytes()]
    accepted = {}
    for n, deck in enumerate(decks[::-1]):  # the slow decks first, so they are in flight
        response = service.upload(deck, name=f"deck{n}.pptx")
        assert response.status_code == 202, response.text
        accepted[response.json()["job_id"]] = deck
    deadline = time.monotonic() + 60
    while not any(service.status(j)["state"] == "processing" for j in list(accepted)[:2]):
        assert time.monotonic() < deadline, service.log_tail()
        time.sleep(0.05)
    service.kill()

    restarted = service_factory(service.data_dir, workers=2)
    views = {job_id: restarted.wait_for(job_id, timeout=180) for job_id in accepted}
    for view in views.values():
        assert view["state"] in ("done", "failed"), view
        if view["state"] == "failed":
            assert view["error"]["code"] and view["error"]["message"]
    done = sorted(j for j, v in views.items() if v["state"] == "done")
    assert len(done) == len(accepted), {j: v["error"] for j, v in views.items()}
    assert result_files(service.data_dir) == sorted(f"{j}.pdf" for j in done)
    assert all(count == 1 for count in done_lines(restarted).values())
    assert sorted(done_lines(restarted)) == done
    for job_id in done:
        pdf = (service.data_dir / "blobs" / "results" / f"{job_id}.pdf").read_bytes()
        assert len(PdfReader(io.BytesIO(pdf)).pages) == views[job_id]["result"]["pages"]


@contextlib.contextmanager
def small_filesystem(folder: Path, size: str = "16m"):
    """A tmpfs of ``size`` at ``folder`` (as root), to turn read-only or fill up."""
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                   check=True)
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)]).returncode:
            subprocess.run(["umount", "-l", str(folder)], check=True)


def make_read_only(folder: Path) -> None:
    if os.geteuid() == 0:  # root writes through permissions: a read-only bind mount instead
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
    else:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)


def make_writable(folder: Path) -> None:
    if os.geteuid() == 0:
        if subprocess.run(["umount", str(folder)]).returncode:
            subprocess.run(["umount", "-l", str(folder)], check=True)
    else:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def assert_database_intact(data_dir: Path) -> None:
    with contextlib.closing(sqlite3.connect(data_dir / "deckpipe.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_read_only_data_dir_gives_503_json_and_no_corrupt_database(
    service_factory, tmp_path, make_deck
):
    deck = make_deck(["before", "the fault"])
    data = tmp_path / "data"
    service = service_factory(data, workers=1)
    first = service.upload(deck).json()["job_id"]
    assert service.wait_for(first)["state"] == "done"
    make_read_only(data)
    try:
        for _ in range(3):  # whichever server thread answers
            refused = service.upload(deck)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Content-Type"] == "application/json"
            assert refused.json()["error"]["code"] == "unavailable"
            assert "Traceback" not in refused.text
            assert service.status(first)["state"] == "done"  # reading still works
    finally:
        make_writable(data)
    again = service.upload(deck)  # mended: the service recovers without a restart
    assert again.status_code == 202, again.text
    assert service.wait_for(again.json()["job_id"])["state"] == "done"
    service.stop()
    assert_database_intact(data)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small filesystem")
def test_a_full_disk_gives_503_json_and_no_corrupt_database(service_factory, tmp_path,
                                                           slow_deck, make_deck):
    with small_filesystem(tmp_path / "mnt", size="4m") as mount:
        data = mount / "data"
        service = service_factory(data, workers=1)
        first = service.upload(make_deck(["fits"])).json()["job_id"]
        assert service.wait_for(first)["state"] == "done"
        filler = mount / "filler"
        with open(filler, "wb") as out, contextlib.suppress(OSError):
            while True:  # fill the filesystem up to its last block
                out.write(b"\0" * (64 << 10))
                out.flush()
        refused = service.upload(slow_deck)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "unavailable"
        filler.unlink()
        assert list((data / "blobs" / ".tmp").iterdir()) == []  # the aborted upload is gone
        again = service.upload(make_deck(["room again"]))
        assert again.status_code == 202, again.text
        assert service.wait_for(again.json()["job_id"])["state"] == "done"
        service.stop()
        assert_database_intact(data)
