"""Latency and throughput of ``deckpipe serve`` (the local backend), in one run.

- **Latency**: upload -> done for one 10-slide corpus deck, 20 runs one after another,
  with 1 worker (the status is polled every 20 ms): p50 and p95. The reference, measured
  in the same run, is the renderer alone on the same deck in this process.
- **Throughput**: 100 corpus decks uploaded at once, decks per minute from the first upload
  to the last job's end, with 1 and with 2 workers. The reference is the renderer alone
  converting the same 100 decks one after another in this process.

    .venv/bin/python bench/local_latency.py                     # the table, in Markdown
    .venv/bin/python bench/local_latency.py --runs 5 --decks 20  # a quick look

Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DECKPIPE_CORPUS", REPO.parent / "shared" / "corpus"))
LATENCY_DECK = "decks/tika/testPPT_various2.pptx"  # else the first 10-slide deck listed
POLL_SECONDS = 0.02
JOB_BOUND_SECONDS = 600


def corpus_decks(limit: int) -> list[tuple[str, int]]:
    """(path, slides) of the first ``limit`` decks python-pptx can open, under 5 MB,
    in MANIFEST order (a fixed, mixed sample of every source)."""
    found = []
    with open(CORPUS / "MANIFEST.tsv", newline="") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            if row["slides"].isdigit() and int(row["slides"]) and int(row["size_bytes"]) < 5e6:
                found.append((row["deck"], int(row["slides"])))
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def ten_slide_deck() -> str:
    with open(CORPUS / "MANIFEST.tsv", newline="") as manifest:
        rows = list(csv.DictReader(manifest, delimiter="\t"))
    tens = [row["deck"] for row in rows if row["slides"] == "10"]
    return LATENCY_DECK if LATENCY_DECK in tens else tens[0]


class Service:
    """``deckpipe serve`` on a free port with a fresh data directory."""

    def __init__(self, workers: int) -> None:
        from deckpipe_emulators.processes import free_ports

        self.folder = tempfile.TemporaryDirectory(prefix="deckpipe-bench-")
        self.url = f"http://127.0.0.1:{free_ports(1)[0]}"
        port = self.url.rsplit(":", 1)[1]
        self.log = open(Path(self.folder.name) / "serve.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deckpipe.cli", "serve", "--port", port, "--workers",
             str(workers), "--data-dir", str(Path(self.folder.name) / "data")],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "DECKPIPE_LOG_LEVEL": "warning"},
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=2).json()["workers"] == workers:
                    time.sleep(2.0)  # let the workers load the renderer
                    return
            except (requests.RequestException, KeyError, ValueError):
                pass
            time.sleep(0.2)
        raise RuntimeError("deckpipe serve did not start")

    def upload(self, deck: bytes, name: str) -> str:
        response = requests.post(self.url + "/upload", files={"file": (name, deck)}, timeout=60)
        response.raise_for_status()
        return response.json()["job_id"]

    def state(self, job_id: str) -> str:
        return requests.get(f"{self.url}/status/{job_id}", timeout=10).json()["state"]

    def close(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()
        self.folder.cleanup()


def render_alone(decks: list[bytes]) -> float:
    """Seconds the renderer alone takes for ``decks``, one after another, in this process."""
    from deckpipe.errors import DeckError
    from deckpipe.render import render_deck

    started = time.perf_counter()
    for deck in decks:
        with contextlib.suppress(DeckError):
            render_deck(io.BytesIO(deck), io.BytesIO())
    return time.perf_counter() - started


def latency(runs: int) -> dict:
    path = ten_slide_deck()
    deck = (CORPUS / path).read_bytes()
    render_alone([deck])  # warm the fonts once, as the workers do at start
    alone = statistics.median(render_alone([deck]) for _ in range(5))
    service = Service(workers=1)
    try:
        seconds = []
        for run in range(runs):
            started = time.perf_counter()
            job_id = service.upload(deck, f"latency-{run}.pptx")
            while (state := service.state(job_id)) not in ("done", "failed"):
                if time.perf_counter() - started > JOB_BOUND_SECONDS:
                    raise RuntimeError(f"job {job_id} did not end")
                time.sleep(POLL_SECONDS)
            if state != "done":
                raise RuntimeError(f"the latency deck failed: {job_id}")
            seconds.append(time.perf_counter() - started)
    finally:
        service.close()
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return {"deck": path, "runs": runs, "p50": statistics.median(seconds), "p95": p95,
            "render_alone": alone}


def throughput(count: int, workers: int, decks: list[tuple[str, bytes]]) -> dict:
    service = Service(workers=workers)
    try:
        started = time.perf_counter()
        pending = [service.upload(deck, Path(path).name) for path, deck in decks]
        states: dict[str, int] = {}
        # Jobs are taken roughly in order: watch the oldest unfinished one, so the poller
        # costs the server one status request per 50 ms rather than a hundred.
        while pending:
            if time.perf_counter() - started > JOB_BOUND_SECONDS:
                raise RuntimeError(f"{len(pending)} jobs did not end")
            state = service.state(pending[0])
            if state in ("done", "failed"):
                states[state] = states.get(state, 0) + 1
                pending.pop(0)
            else:
                time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        service.close()
    return {"workers": workers, "decks": count, "seconds": elapsed,
            "per_minute": 60 * count / elapsed, **states}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--decks", type=int, default=100)
    args = parser.parse_args(argv)

    lat = latency(args.runs)
    sample = [(path, (CORPUS / path).read_bytes()) for path, _ in corpus_decks(args.decks)]
    alone = render_alone([deck for _, deck in sample])
    rows = [throughput(len(sample), workers, sample) for workers in (1, 2)]
    alone_rate = 60 * len(sample) / alone

    print(f"Latency, upload -> done, `{lat['deck']}` (10 slides), {lat['runs']} runs, "
          "1 worker:\n")
    print("| p50 | p95 | renderer alone (same run) | p50 / renderer alone |")
    print("|---|---|---|---|")
    print(f"| {lat['p50']:.2f} s | {lat['p95']:.2f} s | {lat['render_alone']:.2f} s | "
          f"{lat['p50'] / lat['render_alone']:.1f} |")
    print(f"\nThroughput, {len(sample)} corpus decks uploaded at once (renderer alone in "
          f"this process, same run: {alone_rate:.0f} decks/min):\n")
    print("| workers | decks/min | x renderer alone | done | failed | seconds |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['workers']} | {row['per_minute']:.0f} | "
              f"{row['per_minute'] / alone_rate:.2f} | {row.get('done', 0)} | "
              f"{row.get('failed', 0)} | {row['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
