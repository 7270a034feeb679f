"""Chaos campaign: faults during load, emulators killed, hostile decks, on a real stack.

Four phases on one stack (the Google emulator stack by default; see `stacks.py`):

1. **Load with faults.** `bench/load.py`'s clients upload `--jobs` corpus decks while, every
   `--fault-every` seconds, the next fault of a cycle is applied: `kill -9` of the convert
   function's conversion child, worker process or main process; `kill -9` of the upload,
   status and result functions' main processes; and each emulator frozen (SIGSTOP, then
   SIGCONT after `--freeze` seconds). Every accepted job must end `done` or `failed` with a
   reason within `--bound` seconds: none stuck, none lost, one PDF per done job.
2. **Emulators killed.** For each emulator, a short load, a `kill -9` of the emulator, and
   the stack's restart. A killed emulator loses its in-memory state, so jobs accepted before
   it came back are *exposed*: their end is reported apart (it says what the emulator lost,
   not what deckpipe did), and every job accepted after must end normally.
3. **Bad input** (`bad_inputs.py`): malformed and hostile requests, each answer's status
   and JSON code against the documented one; the corpus decks python-pptx cannot open, each
   job's end and whether its message is plain words.
4. **Hostile decks** (`hostile_decks.py`), one at a time through the real stack: the upload's
   answer, the job's end state and code, seconds to the end, and the peak memory of the
   conversion child and of the convert worker.

After each fault: what the clients saw (every answer, by endpoint, status and error code,
until the next fault) and how the jobs that were in flight then ended.

    .venv/bin/python bench/chaos.py --jobs 1000 --clients 8 --json chaos.json

Only 127.0.0.1; every loop is bounded in count and time, and a frozen process is always
thawed, even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bad_inputs  # noqa: E402
import load  # noqa: E402
from stacks import Proc, Stack, children_of, peak_rss_bytes  # noqa: E402

FAULT_CYCLE = (
    "kill convert child",
    "kill convert worker",
    "kill upload main",
    "freeze storage",
    "kill convert child",
    "kill status main",
    "freeze firestore",
    "kill convert worker",
    "kill result main",
    "freeze pubsub",
    "kill convert main",
    "kill reaper main",
)
# Issue 9's budget for a hostile deck: failed or converted within 30 s and 256 MiB.
HOSTILE_SECONDS = 30.0
HOSTILE_MIB = 256.0
TOGETHER = ("zeros_media", "shapes_90k_spread", "long_deck")


@dataclass
class FaultRecord:
    name: str
    at: float
    pids: list[int]
    until: float = 0.0  # the end of its window: the next fault, or the end of the phase
    note: str = ""


@dataclass
class Faults:
    """Applies named faults to a stack's processes; remembers frozen ones to thaw them."""

    stack: Stack
    freeze_seconds: float
    records: list[FaultRecord] = field(default_factory=list)
    _frozen: set[int] = field(default_factory=set)

    def apply(self, name: str) -> FaultRecord:
        action, service, *role = name.split()
        if action == "kill":
            pids = self._wait_for(service, role[0] if role else None)
            for pid in pids:
                _signal(pid, signal.SIGKILL)
            record = FaultRecord(name, time.time(), pids)
        else:
            pids = [proc.pid for proc in self._of(service, None)]
            record = FaultRecord(name, time.time(), pids)
            self._frozen.update(pids)
            for pid in pids:
                _signal(pid, signal.SIGSTOP)
            try:
                time.sleep(self.freeze_seconds)
            finally:
                self.thaw()
            record.note = f"frozen {self.freeze_seconds:.0f} s"
        if not pids:
            record.note = "no such process at the time"
        self.records.append(record)
        say(f"{name}: pids {pids} {record.note}")
        return record

    def thaw(self) -> None:
        for pid in self._frozen:
            _signal(pid, signal.SIGCONT)
        self._frozen.clear()

    def _of(self, service: str, role: str | None) -> list[Proc]:
        return [
            proc for proc in self.stack.processes()
            if proc.service == service and (role is None or proc.role == role)
        ]

    def _wait_for(self, service: str, role: str | None, timeout: float = 20.0) -> list[int]:
        """The pids to kill. A conversion child exists only while a deck renders, and a
        converting service's worker or main process is killed while it converts (it has a
        conversion child), so the kill strands a job: wait for that, up to `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            found = [proc.pid for proc in self._of(service, role)]
            if service in CONVERTING_SERVICES and role in ("worker", "main"):
                busy = {proc.pid for proc in self._of(service, "child")}
                if not busy and time.monotonic() <= deadline:
                    found = []
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} [chaos] {line}", file=sys.stderr, flush=True)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


# -- phases ---------------------------------------------------------------------------------


def load_with_faults(
    stack: Stack, decks: list[load.Deck], args: argparse.Namespace
) -> tuple[load.LoadRun, list[FaultRecord]]:
    faults = Faults(stack, args.freeze)
    run = load.LoadRun(stack, decks, jobs=args.jobs, clients=args.clients, bound=args.bound,
                       seed=args.seed, pace=args.pace)
    run.start()
    try:
        time.sleep(args.warmup)
        for index in range(args.max_faults):
            if not run.uploading():
                break
            faults.apply(args.faults[index % len(args.faults)])
            _sleep_while_uploading(run, args.fault_every)
    finally:
        faults.thaw()
    run.wait()
    _close_windows(faults.records, run.ended_at)
    return run, faults.records


def _sleep_while_uploading(run: load.LoadRun, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and run.uploading():
        time.sleep(0.2)


def _close_windows(records: list[FaultRecord], end: float) -> None:
    for record, following in zip(records, [*records[1:], None], strict=True):
        record.until = following.at if following else end


def emulator_kills(
    stack: Stack, decks: list[load.Deck], args: argparse.Namespace
) -> list[dict[str, Any]]:
    results = []
    for name in (f"kill {service}" for service in stack.stateful_services()):
        faults = Faults(stack, args.freeze)
        service = name.split()[1]
        run = load.LoadRun(stack, decks, jobs=args.kill_jobs, clients=2, bound=args.bound,
                           seed=args.seed + len(results) + 1, pace=args.kill_pace)
        run.start()
        time.sleep(args.kill_after)
        record = faults.apply(name)
        back = _wait_for_restart(stack, service, record.at, timeout=120)
        run.wait()
        record.until = run.ended_at
        exposed = {
            job.index for job in run.jobs
            if job.accepted_at is not None and (back is None or job.accepted_at < back)
        }
        summary = load.summarize(run, exposed)
        results.append({
            "fault": name,
            "restarted_after_s": None if back is None else round(back - record.at, 1),
            "stack_said": _restart_messages(stack, service, record.at),
            "clients_saw": clients_saw(run, record),
            "summary": summary,
            "run": run,
        })
    return results


def exposed_by_state_loss(stack: Stack, run: load.LoadRun) -> set[int]:
    """Jobs accepted before an emulator came back empty during the run (none is killed in
    phase 1, but one may die on its own): counted apart, as in phase 2."""
    losses = [r.at for r in stack.restarts() if r.state_lost and r.at >= run.started_at]
    if not losses:
        return set()
    last = max(losses)
    return {job.index for job in run.jobs if job.accepted_at and job.accepted_at < last}


def _wait_for_restart(stack: Stack, service: str, since: float, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for restart in stack.restarts():
            if restart.service == service and restart.at >= since:
                return restart.at
        time.sleep(0.2)
    return None


def _restart_messages(stack: Stack, service: str, since: float) -> list[str]:
    return [r.message for r in stack.restarts() if r.service == service and r.at >= since]


class ChildPeak:
    """The highest peak RSS of any conversion child while it runs, sampled every 10 ms:
    a child may live a tenth of a second, far less than the load run's sampling period."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.peak: int | None = None
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ChildPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        self._thread.join()

    def _run(self) -> None:
        worker, refreshed = None, 0.0
        while not self._halt.wait(0.01):
            if worker is None or time.monotonic() - refreshed > 0.5:
                worker, refreshed = _convert_worker(self.stack), time.monotonic()
            for child in children_of(worker) if worker else ():
                peak = peak_rss_bytes(child)
                if peak is not None and peak > (self.peak or 0):
                    self.peak = peak


def hostile(stack: Stack, args: argparse.Namespace) -> list[dict[str, Any]]:
    import hostile_decks

    built = {
        name: load.Deck(f"hostile/{name}.pptx", build(), 0)
        for name, build in hostile_decks.HOSTILE_DECKS.items()
        if not args.hostile or name in args.hostile
    }
    rows = [_hostile_row(stack, name, [deck], args.hostile_bound)
            for name, deck in built.items()]
    # Issue 9 saw three big decks together take one worker to 4.7 GB: all at once now.
    together = [built[name] for name in TOGETHER if name in built]
    if len(together) > 1:
        rows.append(_hostile_row(stack, " + ".join(TOGETHER), together, args.hostile_bound))
    return rows


def _hostile_row(
    stack: Stack, name: str, decks: list[load.Deck], bound: float
) -> dict[str, Any]:
    """Upload `decks` at once (one client each), wait for their ends; one row."""
    worker_before = _convert_worker(stack)
    run = load.LoadRun(stack, decks, jobs=len(decks), clients=len(decks), bound=bound,
                       in_order=True)
    with ChildPeak(stack) as child:
        run.run()
    ends, seconds = [], []
    for job in run.jobs:
        if job.accepted_at is None:
            ends.append(f"refused at upload: {job.refused}")
            continue
        ends.append((job.state or "not ended") + (f" {job.error_code}" if job.error_code else ""))
        if job.finished_at:
            seconds.append(job.finished_at - job.accepted_at)
    worker_after = _convert_worker(stack)
    row = {
        "deck": name,
        "bytes": sum(len(deck.data) for deck in decks),
        "end": ", ".join(ends),
        "seconds_to_end": round(max(seconds), 1) if seconds else None,
        "child_peak_mib": _mib(child.peak),
        "worker_peak_mib": _mib(max(
            (peak for (service, role), peak in run.peaks.items()
             if service in CONVERTING_SERVICES and role == "worker"), default=None)),
        "worker_rss_after_mib": _mib(
            peak_rss_bytes(worker_after, "VmRSS") if worker_after else None
        ),
        "worker_survived": worker_before is not None and worker_before == worker_after,
    }
    row["within_budget"] = (
        all(job.accepted_at is None or job.ended for job in run.jobs)
        and (row["seconds_to_end"] or 0.0) <= HOSTILE_SECONDS
        and (row["child_peak_mib"] or 0.0) <= HOSTILE_MIB
    )
    say(f"hostile {name}: {row}")
    return row


# The service whose "worker" processes convert decks, per stack (see stacks.py).
CONVERTING_SERVICES = ("convert", "serve", "aws")


def _convert_worker(stack: Stack) -> int | None:
    workers = [
        p.pid for p in stack.processes()
        if p.service in CONVERTING_SERVICES and p.role == "worker"
    ]
    return workers[0] if workers else None


def _mib(value: int | None) -> float | None:
    return None if value is None else round(value / 2**20, 1)


# -- what clients saw -----------------------------------------------------------------------------


def clients_saw(run: load.LoadRun, record: FaultRecord) -> dict[str, Any]:
    """Answers in the fault's window by endpoint, and how the jobs in flight then ended."""
    answers: dict[str, Counter[str]] = {}
    for observation in run.observations:
        if record.at <= observation.at < record.until:
            answers.setdefault(observation.endpoint, Counter())[observation.outcome] += 1
    in_flight = [
        job for job in run.jobs
        if job.accepted_at is not None and job.accepted_at <= record.at
        and (job.finished_at is None or job.finished_at > record.at)
    ]
    ends = Counter(
        (job.state + (f" {job.error_code}" if job.error_code else "")) if job.ended
        else "not ended" for job in in_flight
    )
    latest = max(
        (job.finished_at - record.at for job in in_flight if job.finished_at), default=None
    )
    return {
        "answers": {endpoint: dict(counts.most_common()) for endpoint, counts in answers.items()},
        "in_flight": len(in_flight),
        "in_flight_ends": dict(ends),
        "last_in_flight_ended_after_s": None if latest is None else round(latest, 1),
    }


def _answers_text(answers: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{endpoint}: " + ", ".join(f"{outcome} ×{count}" for outcome, count in counts.items())
        for endpoint, counts in sorted(answers.items())
    ) or "none"


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {count}" for key, count in counts.items()) or "-"


def restarted_after(stack: Stack, record: FaultRecord) -> float | None:
    """Seconds from a kill to the stack's restart of that service (None: not restarted by
    the stack, as a worker or child that its own parent replaces)."""
    service = record.name.split()[1]
    times = [r.at for r in stack.restarts() if r.service == service and r.at >= record.at]
    return round(min(times) - record.at, 1) if times and "main" in record.name else None


def fault_table(stack: Stack, run: load.LoadRun, records: list[FaultRecord]) -> str:
    lines = [
        "| # | fault | t (s) | pids | restarted after (s) | clients saw until the next fault "
        "| in flight | their ends | last ended after (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, record in enumerate(records, 1):
        saw = clients_saw(run, record)
        lines.append(
            f"| {number} | {record.name} {record.note} | {record.at - run.started_at:.0f} | "
            f"{', '.join(map(str, record.pids)) or '-'} | "
            f"{restarted_after(stack, record) or '-'} | {_answers_text(saw['answers'])} | "
            f"{saw['in_flight']} | {_counts_text(saw['in_flight_ends'])} | "
            f"{saw['last_in_flight_ended_after_s'] or '-'} |"
        )
    return "\n".join(lines)


def emulator_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| fault | back after (s) | clients saw until the end | accepted before it came back "
        "(apart): ends | accepted after: done / failed / stuck / lost / duplicate PDFs | "
        "the stack said |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        summary = result["summary"]
        duplicates = (len(summary["pdf_versions_over_one"]) + len(summary["pdf_for_unfinished_job"])
                      + len(summary["done_without_pdf"]))
        after = (
            f"{summary['done']} / {_counts_text(summary['failed_by_code'])} / "
            f"{len(summary['stuck'])} / {len(summary['lost'])} / {duplicates}"
        )
        said = " ".join(result["stack_said"]).replace("|", "/")
        lines.append(
            f"| {result['fault']} | {result['restarted_after_s']} | "
            f"{_answers_text(result['clients_saw']['answers'])} | "
            f"{summary['exposed']['jobs']}: {_counts_text(summary['exposed']['ends'])} | "
            f"{after} | {said} |"
        )
    return "\n".join(lines)


def hostile_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| deck | bytes | end | seconds to end | conversion child peak (MiB) | "
        "convert worker peak (MiB) | worker RSS after (MiB) | worker survived | "
        f"within {HOSTILE_SECONDS:.0f} s and {HOSTILE_MIB:.0f} MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['deck']} | {row['bytes']:,} | {row['end']} | {row['seconds_to_end']} | "
            f"{row['child_peak_mib'] or '-'} | {row['worker_peak_mib'] or '-'} | "
            f"{row['worker_rss_after_mib'] or '-'} | "
            f"{'yes' if row['worker_survived'] else 'NO'} | "
            f"{'yes' if row['within_budget'] else 'NO'} |"
        )
    return "\n".join(lines)


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# -- command line ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    load.add_arguments(parser)
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds each client waits between uploads in phase 1")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--fault-every", type=float, default=15.0)
    parser.add_argument("--max-faults", type=int, default=200)
    parser.add_argument("--freeze", type=float, default=10.0)
    parser.add_argument("--faults", type=lambda text: [f.strip() for f in text.split(",")],
                        default=list(FAULT_CYCLE),
                        help="comma-separated cycle of faults for phase 1 (default: all)")
    parser.add_argument("--kill-jobs", type=int, default=30)
    parser.add_argument("--kill-pace", type=float, default=1.5,
                        help="seconds between a client's uploads around an emulator kill")
    parser.add_argument("--kill-after", type=float, default=5.0)
    parser.add_argument("--hostile", nargs="*", help="only these hostile decks (default: all)")
    parser.add_argument("--hostile-bound", type=float, default=120.0)
    parser.add_argument("--phases", default="load,emulators,inputs,hostile")
    args = parser.parse_args()
    phases = set(args.phases.split(","))

    decks = load.corpus_decks(max_slides=args.max_slides, max_bytes=args.max_bytes)
    stack = load.make_stack(args.stack)
    say(f"starting {stack.name}")
    stack.start()
    report: dict[str, Any] = {"commit": _commit(), "argv": sys.argv[1:],
                              "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    out: list[str] = []
    problems: list[str] = []
    try:
        if "load" in phases:
            run, records = load_with_faults(stack, decks, args)
            summary = load.summarize(run, exposed_by_state_loss(stack, run))
            report["load"] = summary
            report["faults"] = [
                {"fault": r.name, "at_s": round(r.at - run.started_at, 1), "pids": r.pids,
                 "note": r.note, "restarted_after_s": restarted_after(stack, r),
                 **clients_saw(run, r)} for r in records
            ]
            problems += load.verdict(summary)
            out += ["### Load with faults", "", load.markdown(summary), "",
                    fault_table(stack, run, records), ""]
        if "emulators" in phases and stack.stateful_services():
            results = emulator_kills(stack, decks, args)
            report["emulator_kills"] = [
                {key: value for key, value in result.items() if key != "run"}
                for result in results
            ]
            for result in results:
                problems += [f"after {result['fault']}: {p}"
                             for p in load.verdict(result["summary"])]
            out += ["### Emulators killed", "", emulator_table(results), ""]
        if "inputs" in phases:
            probes = bad_inputs.run_probes(stack)
            messages = bad_inputs.failed_job_messages(stack)
            report["bad_inputs"] = {"probes": probes, "broken_corpus_decks": messages}
            problems += [f"bad input {row['probe']}: not as documented"
                         for row in probes if not row["as_documented"]]
            problems += [f"message of {row['deck']} is not plain words"
                         for row in messages if not row["plain"]]
            out += ["### Bad input", "", bad_inputs.markdown(probes), "",
                    bad_inputs.messages_markdown(messages), ""]
        if "hostile" in phases:
            rows = hostile(stack, args)
            report["hostile"] = rows
            problems += [f"hostile {row['deck']}: {row['end']}, {row['seconds_to_end']} s, "
                         f"{row['child_peak_mib']} MiB" for row in rows
                         if not row["within_budget"] or not row["worker_survived"]]
            out += ["### Hostile decks", "", hostile_table(rows), ""]
    finally:
        stack.stop()
    print("\n".join(out))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if problems:
        print("NOT MET: " + "; ".join(problems), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
