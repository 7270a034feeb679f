#!/usr/bin/env python3
"""Peak memory of one conversion, per deck, as a ratio to a one-slide deck.

    .venv/bin/python bench/render_memory.py [--corpus] [--only long_deck,zeros_media]

Each deck is converted by a fresh Python process (``render_deck`` to a file,
as the worker's forked child does); its peak RSS comes from ``wait4``. The
reference is a one-slide deck measured in the same run, so the *ratio* column
compares like with like on a busy machine; the MiB column is there for the
256 MiB budget of issue 9. Decks: the one-slide reference, a 336-slide deck
built from a corpus deck (``big_deck.py``), every hostile deck of
``hostile_decks.py``, a 75 MB deck of photos and, with ``--corpus``, every corpus deck (summarised:
median and largest, and any deck over the budget by name).

A hostile deck passes when it either converts or fails with a ``DeckError``,
within ``--timeout`` seconds and the budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import hostile_decks  # noqa: E402

CORPUS = HERE.parents[1] / "shared" / "corpus"
BUDGET_MIB = 256
_CHILD = (
    "import sys\n"
    "from deckpipe.errors import DeckError\n"
    "from deckpipe.render import render_deck\n"
    "try:\n"
    "    report = render_deck(sys.argv[1], open(sys.argv[2], 'wb'))\n"
    "    print(f'{report.pages} pages')\n"
    "except DeckError as exc:\n"
    "    print(f'failed: {exc.code}')\n"
)


def measure(deck: Path, timeout: float) -> tuple[str, float, float]:
    """(outcome, seconds, peak MiB) of converting ``deck`` in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out.txt")
        start = time.perf_counter()
        with open(out_path, "w") as out:
            child = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(deck), os.path.join(tmp, "out.pdf")],
                stdout=out, stderr=subprocess.DEVNULL,
            )
        deadline = start + timeout
        status = usage = None
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                _, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.02)
        child.returncode = 0  # reaped here; keep Popen from waiting again
        seconds = time.perf_counter() - start
        text = Path(out_path).read_text().strip()
        if seconds > timeout:
            outcome = "timeout"
        else:
            outcome = text.splitlines()[-1] if text else f"crashed (status {status})"
    return outcome, seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="also every corpus deck")
    parser.add_argument("--only", help="comma-separated hostile deck names")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()

    names = list(hostile_decks.HOSTILE_DECKS) + list(hostile_decks.MEMORY_DECKS)
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # Built by another process: a child's peak RSS (ru_maxrss) starts from its
        # parent's at fork on Linux, so this process must stay small.
        subprocess.run([sys.executable, str(HERE / "hostile_decks.py"), tmp, "one_slide",
                        *names], check=True, stdout=subprocess.DEVNULL)
        ref_outcome, ref_seconds, ref_peak = measure(Path(tmp) / "one_slide.pptx", args.timeout)
        rows.append(("one-slide reference", ref_outcome, ref_seconds, ref_peak))
        for name in names:
            rows.append((name, *measure(Path(tmp) / f"{name}.pptx", args.timeout)))
        corpus_peaks: list[tuple[float, str]] = []
        if args.corpus:
            for deck in sorted((CORPUS / "decks").glob("*/*.pptx")):
                outcome, seconds, peak = measure(deck, args.timeout)
                corpus_peaks.append((peak, f"{deck.parent.name}/{deck.name}"))

    print(f"| deck | outcome | seconds | peak MiB | peak / one-slide | within {BUDGET_MIB} MiB "
          f"and {args.timeout:.0f} s |")
    print("|---|---|---|---|---|---|")
    for name, outcome, seconds, peak in rows:
        ok = peak < BUDGET_MIB and seconds <= args.timeout and outcome not in ("timeout",) \
            and not outcome.startswith("crashed")
        print(f"| {name} | {outcome} | {seconds:.1f} | {peak:.0f} | {peak / ref_peak:.2f} | "
              f"{'yes' if ok else 'NO'} |")
    if corpus_peaks:
        peaks = [p for p, _ in corpus_peaks]
        worst = max(corpus_peaks)
        over = [name for peak, name in corpus_peaks if peak >= BUDGET_MIB]
        print(f"\nCorpus, {len(peaks)} decks: peak MiB median {statistics.median(peaks):.0f} "
              f"({statistics.median(peaks) / ref_peak:.2f}x), largest {worst[0]:.0f} "
              f"({worst[0] / ref_peak:.2f}x, {worst[1]}); over {BUDGET_MIB} MiB: "
              f"{', '.join(over) if over else 'none'}")


if __name__ == "__main__":
    main()
