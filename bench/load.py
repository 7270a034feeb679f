"""Load campaign: N uploads of corpus decks from C concurrent clients against a running stack.

Each client uploads like the upload page does (an `Idempotency-Key` per deck, retrying
connection errors, 5xx and 429 with backoff and the same key), then the job is polled on
`status` until it ends or its bound runs out. Afterwards the stack's stored PDFs are listed
(every version of every object) and each done job's PDF is fetched with `HEAD`.

Reported: accepted and refused; done, failed by code, stuck (not ended within the bound),
lost (accepted, then unknown to `status`); duplicate PDFs (an object with more than one
version, a PDF for a job that is not done, or a done job with none); upload latency and
upload-to-done p50/p95; decks per minute; and the peak resident memory (VmHWM, sampled
from /proc) of every process of the stack, by service and role.

    .venv/bin/python bench/load.py --jobs 200 --clients 8            # the emulator stack
    .venv/bin/python bench/load.py --stack serve --jobs 200          # deckpipe serve

Only 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import STACKS, Proc, Stack, peak_rss_bytes  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TERMINAL = ("done", "failed")
UPLOAD_TRIES = 6  # backoff 1, 2, 4, 8, 16 s: a client rides out a restart
POLL_EVERY = 1.0
# A job answered 404 this many times in a row is lost (its record was written before the 202).
LOST_AFTER_404S = 15


# -- decks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deck:
    name: str
    data: bytes
    slides: int


def corpus_decks(
    corpus: Path = CORPUS, *, max_slides: int = 30, max_bytes: int = 3_000_000
) -> list[Deck]:
    """Decks that convert: python-pptx opens them, LibreOffice made a reference PDF, at least
    one slide; bounded in slides and bytes so a campaign fits its time. Sorted by name."""
    decks = []
    with open(corpus / "MANIFEST.tsv", newline="") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            if not row["reference"] or not row["slides"].isdigit():
                continue
            slides, size = int(row["slides"]), int(row["size_bytes"])
            if 0 < slides <= max_slides and size <= max_bytes:
                path = corpus / row["deck"]
                decks.append(Deck(row["deck"].removeprefix("decks/"), path.read_bytes(), slides))
    return sorted(decks, key=lambda deck: deck.name)


# -- what happened --------------------------------------------------------------------------


@dataclass
class Observation:
    """One answer a client got (or the error it hit instead), for fault windows."""

    at: float
    endpoint: str  # "upload", "status", "result"
    outcome: str  # "202", "503 unavailable", "ConnectionError", ...


@dataclass
class Job:
    index: int
    deck: Deck
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    job_id: str | None = None
    upload_outcomes: list[str] = field(default_factory=list)
    upload_seconds: float | None = None  # the accepted attempt
    accepted_at: float | None = None
    refused: str | None = None  # the final refusal when never accepted
    state: str | None = None
    error_code: str | None = None
    finished_at: float | None = None
    status_404s: int = 0
    last_status: int | None = None  # HTTP status of the latest poll
    last_poll: float = 0.0
    result_head: int | None = None

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL


def outcome_of(response: requests.Response) -> str:
    """'202', or '503 unavailable': the status and the JSON error code, 'not-json' if none."""
    if response.status_code < 400 or response.request.method == "HEAD":
        return str(response.status_code)  # a HEAD answer has no body to carry a code
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "not-json"
    return f"{response.status_code} {code}"


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# -- the run ------------------------------------------------------------------------------------


class LoadRun:
    """Uploads `jobs` decks from `clients` threads, polls them, samples memory; bounded."""

    def __init__(
        self,
        stack: Stack,
        decks: list[Deck],
        *,
        jobs: int,
        clients: int,
        bound: float,
        seed: int = 1,
        pollers: int = 4,
        pace: float = 0.0,
        in_order: bool = False,
    ) -> None:
        chooser = random.Random(seed)
        self.stack = stack
        self.jobs = [
            Job(i, decks[i % len(decks)] if in_order else chooser.choice(decks))
            for i in range(jobs)
        ]
        self.clients = clients
        self.bound = bound
        self.pollers = pollers
        self.pace = pace  # seconds each client waits between uploads (spreads the run)
        self.observations: list[Observation] = []
        self.peaks: dict[tuple[str, str], int] = {}
        self.samples: list[tuple[float, Proc, int]] = []
        self.started_at = 0.0
        self.uploads_done_at: float | None = None
        self.ended_at = 0.0
        self._next = itertools.count()
        self._pending: deque[Job] = deque()
        self._lock = threading.Lock()
        self._stop_sampling = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- public ---------------------------------------------------------------------------

    def run(self) -> None:
        self.start()
        self.wait()

    def start(self) -> None:
        # PDFs already stored (by an earlier run on the same stack) are not this run's.
        self.objects_before = self.stack.result_objects()
        self.started_at = time.time()
        uploaders = [
            threading.Thread(target=self._upload_loop, name=f"client-{n}", daemon=True)
            for n in range(self.clients)
        ]
        pollers = [
            threading.Thread(target=self._poll_loop, args=(uploaders,), daemon=True)
            for _ in range(self.pollers)
        ]
        sampler = threading.Thread(target=self._sample_loop, daemon=True)
        self._threads = [*uploaders, *pollers]
        for thread in (*self._threads, sampler):
            thread.start()
        self._uploaders = uploaders

    def wait(self) -> None:
        for thread in self._uploaders:
            thread.join()
        self.uploads_done_at = time.time()
        for thread in self._threads:
            thread.join()
        self._stop_sampling.set()
        self.ended_at = time.time()
        self._check_results()

    def uploading(self) -> bool:
        """True while some client still has decks to upload."""
        return any(thread.is_alive() for thread in self._uploaders)

    def observe(self, endpoint: str, outcome: str) -> None:
        with self._lock:
            self.observations.append(Observation(time.time(), endpoint, outcome))

    # -- clients ----------------------------------------------------------------------------

    def _upload_loop(self) -> None:
        session = requests.Session()
        session.trust_env = False  # 127.0.0.1 only, never through a proxy
        while True:
            index = next(self._next)
            if index >= len(self.jobs):
                return
            job = self.jobs[index]
            self._upload(session, job)
            if job.accepted_at is not None:
                with self._lock:
                    self._pending.append(job)
            if self.pace:
                time.sleep(self.pace)

    def _upload(self, session: requests.Session, job: Job) -> None:
        delay = 1.0
        for attempt in range(UPLOAD_TRIES):
            began = time.monotonic()
            retry_after = None
            try:
                response = session.post(
                    self.stack.upload_url,
                    files={"file": (Path(job.deck.name).name, job.deck.data, PPTX_TYPE)},
                    headers={"Idempotency-Key": job.key},
                    timeout=60,
                )
            except requests.RequestException as error:
                outcome = type(error).__name__
            else:
                outcome = outcome_of(response)
                if response.status_code == 202:
                    job.job_id = response.json()["job_id"]
                    job.upload_seconds = time.monotonic() - began
                    job.accepted_at = time.time()
                    job.upload_outcomes.append(outcome)
                    self.observe("upload", outcome)
                    return
                if response.status_code < 500 and response.status_code != 429:
                    job.refused = outcome
                    job.upload_outcomes.append(outcome)
                    self.observe("upload", outcome)
                    return
                retry_after = response.headers.get("Retry-After")
            job.upload_outcomes.append(outcome)
            self.observe("upload", outcome)
            if attempt + 1 < UPLOAD_TRIES:
                wait = delay
                if retry_after and retry_after.isdigit():
                    wait = min(10.0, float(retry_after))
                time.sleep(wait * random.uniform(0.8, 1.2))
                delay *= 2
        job.refused = f"gave up: {job.upload_outcomes[-1]}"

    def _poll_loop(self, uploaders: list[threading.Thread]) -> None:
        session = requests.Session()
        session.trust_env = False
        while True:
            with self._lock:
                job = self._pending.popleft() if self._pending else None
            if job is None:
                if not any(thread.is_alive() for thread in uploaders):
                    return
                time.sleep(0.2)
                continue
            wait = job.last_poll + POLL_EVERY - time.time()
            if wait > 0:
                time.sleep(min(wait, POLL_EVERY))
            self._poll(session, job)
            assert job.accepted_at is not None
            given_up = job.status_404s >= LOST_AFTER_404S
            if not job.ended and not given_up and time.time() < job.accepted_at + self.bound:
                with self._lock:
                    self._pending.append(job)

    def _poll(self, session: requests.Session, job: Job) -> None:
        job.last_poll = time.time()
        try:
            response = session.get(f"{self.stack.status_url}/{job.job_id}", timeout=30)
        except requests.RequestException as error:
            self.observe("status", type(error).__name__)
            return
        self.observe("status", outcome_of(response))
        job.last_status = response.status_code
        if response.status_code == 404:
            job.status_404s += 1
            return
        job.status_404s = 0
        if response.status_code != 200:
            return
        view = response.json()
        job.state = view["state"]
        if job.ended:
            job.error_code = (view.get("error") or {}).get("code")
            job.finished_at = _epoch(view.get("updated_at")) or time.time()
            if job.state == "done":  # as a client would, fetch the result (headers only)
                self._head_result(session, job)

    def _head_result(self, session: requests.Session, job: Job) -> None:
        try:
            # Followed through a redirect to a signed storage URL, as a browser would.
            response = session.head(f"{self.stack.result_url}/{job.job_id}", timeout=30,
                                    allow_redirects=True)
        except requests.RequestException as error:
            self.observe("result", type(error).__name__)
            job.result_head = 0
            return
        self.observe("result", outcome_of(response))
        job.result_head = response.status_code

    def _sample_loop(self) -> None:
        while not self._stop_sampling.wait(0.25):
            now = time.time()
            try:
                processes = self.stack.processes()
            except OSError:
                continue
            for proc in processes:
                peak = peak_rss_bytes(proc.pid)
                if peak is None:
                    continue
                key = (proc.service, proc.role)
                if peak > self.peaks.get(key, 0):
                    self.peaks[key] = peak
                self.samples.append((now, proc, peak))

    def _check_results(self) -> None:
        session = requests.Session()
        session.trust_env = False
        for job in self.jobs:
            if job.state == "done" and job.result_head != 200:  # a retry, as a client would
                self._head_result(session, job)
        after = self.stack.result_objects()
        self.objects = Counter({
            name: count for name, count in after.items()
            if count > self.objects_before.get(name, 0)
        })


# -- the report -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarize(run: LoadRun, exposed: set[int] | None = None) -> dict[str, Any]:
    """The figures of a run. Jobs in `exposed` (accepted before an emulator lost its state)
    are counted apart: what happens to them says what the emulator lost, not what we did."""
    exposed = exposed or set()
    ours = [job for job in run.jobs if job.index not in exposed]
    accepted = [job for job in ours if job.accepted_at is not None]
    done = [job for job in accepted if job.state == "done"]
    failed = Counter(job.error_code or "?" for job in accepted if job.state == "failed")
    lost = [job for job in accepted if not job.ended and job.last_status == 404]
    stuck = [job for job in accepted if not job.ended and job not in lost]
    objects = getattr(run, "objects", Counter())
    done_names = {f"results/{job.job_id}.pdf" for job in done}
    exposed_names = {
        f"results/{job.job_id}.pdf" for job in run.jobs if job.index in exposed and job.job_id
    }
    versions_over_one = sorted(name for name, count in objects.items() if count > 1)
    stray = sorted(set(objects) - done_names - exposed_names)
    missing = sorted(done_names - set(objects))
    durations = [job.finished_at - job.accepted_at for job in done if job.finished_at]
    uploads = [job.upload_seconds for job in accepted if job.upload_seconds is not None]
    finished = [job.finished_at for job in done if job.finished_at]
    span = (max(finished) - run.started_at) / 60 if finished else 0.0
    return {
        "stack": run.stack.name,
        "jobs": len(run.jobs),
        "clients": run.clients,
        "distinct_decks": len({job.deck.name for job in run.jobs}),
        "slides_uploaded": sum(job.deck.slides for job in run.jobs),
        "accepted": len(accepted),
        "refused": dict(Counter(job.refused for job in ours if job.accepted_at is None)),
        "upload_retries": sum(len(job.upload_outcomes) - 1 for job in ours),
        "done": len(done),
        "failed_by_code": dict(failed),
        "stuck": [job.job_id for job in stuck],
        "lost": [job.job_id for job in lost],
        "pdf_versions_over_one": versions_over_one,
        "pdf_for_unfinished_job": stray,
        "done_without_pdf": missing,
        "done_result_not_200": [job.job_id for job in done if job.result_head != 200],
        "upload_p50_s": percentile(uploads, 0.5),
        "upload_p95_s": percentile(uploads, 0.95),
        "to_done_p50_s": percentile(durations, 0.5),
        "to_done_p95_s": percentile(durations, 0.95),
        "decks_per_minute": len(done) / span if span else 0.0,
        "wall_seconds": run.ended_at - run.started_at,
        "bound_seconds": run.bound,
        "peak_rss_mib": {
            f"{service} {role}": round(peak / 2**20, 1)
            for (service, role), peak in sorted(run.peaks.items())
        },
        "exposed": exposed_summary(run, exposed),
    }


def exposed_summary(run: LoadRun, exposed: set[int]) -> dict[str, Any]:
    jobs = [job for job in run.jobs if job.index in exposed and job.accepted_at is not None]
    return {
        "jobs": len(jobs),
        "ends": dict(Counter(
            (job.state if job.state != "failed" else f"failed {job.error_code}")
            if job.ended else ("unknown to status" if job.status_404s else "not ended")
            for job in jobs
        )),
    }


def markdown(summary: dict[str, Any]) -> str:
    """The summary as the tables bench/README.md carries."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    def listing(values: list[str] | dict) -> str:
        if isinstance(values, dict):
            return ", ".join(f"{key} {count}" for key, count in values.items()) or "0"
        return str(len(values)) if not values else f"{len(values)} ({', '.join(values[:3])}…)"

    rows = [
        ("stack", summary["stack"]),
        ("jobs / clients", f"{summary['jobs']} / {summary['clients']} "
                           f"({summary['distinct_decks']} distinct decks, "
                           f"{summary['slides_uploaded']} slides)"),
        ("accepted", summary["accepted"]),
        ("refused", listing(summary["refused"])),
        ("upload retries", summary["upload_retries"]),
        ("done", summary["done"]),
        ("failed, by code", listing(summary["failed_by_code"])),
        ("stuck (not ended within the bound)", listing(summary["stuck"])),
        ("lost (accepted, then unknown)", listing(summary["lost"])),
        ("PDF objects with more than one version", listing(summary["pdf_versions_over_one"])),
        ("PDFs of jobs not done", listing(summary["pdf_for_unfinished_job"])),
        ("done jobs without a PDF", listing(summary["done_without_pdf"])),
        ("done jobs whose result is not 200", listing(summary["done_result_not_200"])),
        ("upload latency p50 / p95 (s)",
         f"{seconds(summary['upload_p50_s'])} / {seconds(summary['upload_p95_s'])}"),
        ("upload → done p50 / p95 (s)",
         f"{seconds(summary['to_done_p50_s'])} / {seconds(summary['to_done_p95_s'])}"),
        ("decks per minute", f"{summary['decks_per_minute']:.1f}"),
        ("wall time (s), bound per job (s)",
         f"{summary['wall_seconds']:.0f}, {summary['bound_seconds']:.0f}"),
    ]
    if summary["exposed"]["jobs"]:
        rows.append(("accepted before an emulator lost its state (apart)",
                     f"{summary['exposed']['jobs']}: {listing(summary['exposed']['ends'])}"))
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", "| process (service, role) | peak RSS (MiB) |", "|---|---|"]
    lines += [f"| {name} | {mib} |" for name, mib in summary["peak_rss_mib"].items()]
    return "\n".join(lines)


def verdict(summary: dict[str, Any]) -> list[str]:
    """What breaks the guarantees: empty when nothing is stuck, lost or duplicated."""
    problems = []
    for key in ("stuck", "lost", "pdf_versions_over_one", "pdf_for_unfinished_job",
                "done_without_pdf", "done_result_not_200"):
        if summary[key]:
            problems.append(f"{key}: {len(summary[key])}")
    return problems


# -- command line -------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", choices=sorted(STACKS), default="emulators")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bound", type=float, default=300.0,
                        help="seconds after acceptance by which a job must have ended")
    parser.add_argument("--max-slides", type=int, default=30)
    parser.add_argument("--max-bytes", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the summary here too")


# Short leases and a quick reaper, so a killed worker's job is taken over within a campaign.
CAMPAIGN_ENV = {
    "DECKPIPE_LEASE_SECONDS": "20",
    "DECKPIPE_REQUEUE_AFTER_SECONDS": "30",
    "DECKPIPE_LOG_LEVEL": "warning",
}


def make_stack(name: str) -> Stack:
    return STACKS[name](env=dict(CAMPAIGN_ENV))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    decks = corpus_decks(max_slides=args.max_slides, max_bytes=args.max_bytes)
    stack = make_stack(args.stack)
    print(f"starting {stack.name}; {len(decks)} candidate decks", file=sys.stderr)
    stack.start()
    try:
        run = LoadRun(stack, decks, jobs=args.jobs, clients=args.clients, bound=args.bound,
                      seed=args.seed)
        run.run()
    finally:
        stack.stop()
    summary = summarize(run)
    print(markdown(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    problems = verdict(summary)
    if problems:
        print("NOT MET: " + "; ".join(problems), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
