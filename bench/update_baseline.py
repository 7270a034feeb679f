#!/usr/bin/env python3
"""Regenerate ``tests/data/fidelity_baseline.tsv`` from the current renderer.

    .venv/bin/python bench/update_baseline.py [--corpus ../shared/corpus]

Run it after a change that is meant to move fidelity, and commit the new file
with the change; print-out shows the decks whose score moved by more than the
test's margin.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fidelity_sample as fs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    ap.add_argument("--out", type=Path, default=fs.BASELINE)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    decks = fs.sample(args.corpus)
    scores = fs.score_sample(args.corpus, decks)
    old = fs.read_baseline(args.out) if args.out.is_file() else {}
    for deck in decks:
        score, _, error = scores[deck]
        before = old.get(deck, (None, None))[0]
        if error:
            print(f"  {deck}: failed: {error}")
        if before is not None and abs(score - before) > fs.MARGIN:
            print(f"  {deck}: {before:.3f} -> {score:.3f}")
    fs.write_baseline(scores, args.out)
    values = [scores[d][0] for d in decks]
    print(f"{len(decks)} decks, mean {statistics.fmean(values):.3f}, median "
          f"{statistics.median(values):.3f}; wrote {args.out} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
