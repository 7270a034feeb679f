#!/usr/bin/env python3
"""Profile the renderer in process over a corpus sample.

    .venv/bin/python bench/profile_render.py [--sample 70 | --all] [--profile]
        [--repeat N] [--out DIR] [--top 30] [--sources poi,tika]

Renders each deck with ``render_deck`` into memory (or into ``--out``) and
prints the median, mean and max seconds per slide, the total PDF bytes and,
with ``--profile``, cProfile's top functions by own time and by cumulative
time. Times are CPU time of this process (``time.process_time``), the
minimum over ``--repeat`` runs, so other jobs on a shared machine inflate
them little. One deck is rendered first and thrown away, so the numbers are
warm (fonts registered, modules imported): cold start is a separate figure,
``python -X importtime -m deckpipe.cli convert ONE.pptx``.

``--fresh`` renders each deck in a new process instead (as the benchmark and
the service do): the per-deck time is then the first rendering in that
process, after ``import deckpipe.render``, and the peak RSS is reported.

The deck sample is deterministic: every k-th deck of the sorted corpus.
``--pkg DIR`` puts DIR first on ``sys.path`` (compare against an old copy of
the package).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DECK_SUFFIXES = (".pptx", ".pptm", ".ppsx", ".potx", ".potm")


def find_decks(corpus: Path, sources: list[str] | None, sample: int | None) -> list[Path]:
    decks = sorted(
        p
        for p in (corpus / "decks").glob("*/*")
        if p.suffix.lower() in DECK_SUFFIXES and (not sources or p.parent.name in sources)
    )
    if sample and sample < len(decks):
        step = len(decks) / sample
        decks = [decks[int(i * step)] for i in range(sample)]
    return decks


def render_once(render_deck, deck: Path) -> tuple[float, int, bytes, str | None]:
    """CPU seconds, pages, the PDF and the error code of one rendering."""
    from deckpipe.errors import DeckError

    buf = io.BytesIO()
    started = time.process_time()
    try:
        report = render_deck(deck, buf)
    except DeckError as exc:
        return time.process_time() - started, 0, b"", exc.code
    return time.process_time() - started, report.pages, buf.getvalue(), None


def worker(deck: Path) -> None:
    """Print JSON: CPU seconds of the import and of the first rendering."""
    started = time.process_time()
    from deckpipe.render import render_deck

    imported = time.process_time()
    profile_to = os.environ.get("PROFILE_RENDER_STATS")
    profiler = cProfile.Profile() if profile_to else None
    if profiler:
        profiler.enable()
    seconds, pages, pdf, error = render_once(render_deck, deck)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile_to)
    print(json.dumps({"import_s": imported - started, "render_s": seconds, "pages": pages,
                      "bytes": len(pdf), "error": error}))


def fresh(
    deck: Path, pkg: Path | None, stats: str | None = None
) -> tuple[float, int, int, str | None, float]:
    """Render ``deck`` in a new process; returns what ``render_once`` does plus
    peak MiB. With ``stats``, the process dumps its cProfile stats there."""
    env = dict(os.environ)
    if stats:
        env["PROFILE_RENDER_STATS"] = stats
    if pkg:
        env["PYTHONPATH"] = str(pkg)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", str(deck)], stdout=subprocess.PIPE, env=env
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, _, usage = os.wait4(proc.pid, 0)
    result = json.loads(out.decode().strip().splitlines()[-1])
    return (result["render_s"], result["pages"], result["bytes"], result["error"],
            usage.ru_maxrss / 1024)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--sources", help="comma-separated corpus sources")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--sample", type=int, default=70, help="number of decks (default 70)")
    group.add_argument("--all", action="store_true", help="every deck")
    ap.add_argument("--profile", action="store_true", help="run under cProfile")
    ap.add_argument("--repeat", type=int, default=1, help="renderings per deck; min is kept")
    ap.add_argument("--top", type=int, default=30, help="functions listed per profile table")
    ap.add_argument("--out", type=Path, help="write the PDFs here (stem.pdf)")
    ap.add_argument("--pkg", type=Path, help="import deckpipe from this directory")
    ap.add_argument("--fresh", action="store_true", help="one new process per deck")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--slowest", type=int, default=5, help="slowest decks listed")
    args = ap.parse_args(argv)

    if args.pkg:
        sys.path.insert(0, str(args.pkg))
    if args.worker:
        worker(args.worker)
        return 0
    if args.fresh:
        return main_fresh(args)
    from deckpipe.render import render_deck

    sources = args.sources.split(",") if args.sources else None
    decks = find_decks(args.corpus, sources, None if args.all else args.sample)
    if not decks:
        print("no decks", file=sys.stderr)
        return 1
    render_once(render_deck, decks[0])  # warm: imports, fonts

    profiler = cProfile.Profile() if args.profile else None
    rows: list[tuple[Path, float, int, int, str | None]] = []
    for deck in decks:
        best = None
        for _ in range(max(1, args.repeat)):
            if profiler:
                profiler.enable()
            result = render_once(render_deck, deck)
            if profiler:
                profiler.disable()
            if best is None or result[0] < best[0]:
                best = result
        seconds, pages, pdf, error = best
        rows.append((deck, seconds, pages, len(pdf), error))
        if args.out and pdf:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{deck.parent.name}__{deck.name}.pdf").write_bytes(pdf)

    per_slide = [(t / pages, deck) for deck, t, pages, _, err in rows if pages and not err]
    values = [v for v, _ in per_slide]
    total_t = sum(t for _, t, _, _, _ in rows)
    total_pages = sum(p for _, _, p, _, _ in rows)
    failed = [(d.name, err) for d, _, _, _, err in rows if err]
    print(f"decks {len(rows)}  pages {total_pages}  failed {len(failed)}  cpu {total_t:.2f} s")
    if values:
        print(
            f"s/slide median {statistics.median(values):.4f}  mean {statistics.mean(values):.4f}"
            f"  overall {total_t / max(total_pages, 1):.4f}"
        )
    worst = sorted(rows, key=lambda r: -r[1])[: args.slowest]
    print("slowest decks (cpu s, pages): " + ", ".join(
        f"{d.parent.name}/{d.name} {t:.2f}/{p}" for d, t, p, _, _ in worst))
    print(f"PDF bytes total {sum(b for _, _, _, b, _ in rows):,}")
    if profiler:
        print_profile(pstats.Stats(profiler), args.top)
    return 0


def print_profile(stats: pstats.Stats, top: int) -> None:
    """The ``top`` functions by own time, then by cumulative time."""
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(key).print_stats(top)
        text = out.getvalue()
        print(text[text.find("   ncalls"):])


def main_fresh(args: argparse.Namespace) -> int:
    sources = args.sources.split(",") if args.sources else None
    decks = find_decks(args.corpus, sources, None if args.all else args.sample)
    rows = []
    merged = None
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "stats") if args.profile else None
        for deck in decks:
            rows.append((deck, *fresh(deck, args.pkg, stats)))
            if stats and os.path.exists(stats):
                if merged is None:
                    merged = pstats.Stats(stats, stream=sys.stdout)
                else:
                    merged.add(stats)
                os.unlink(stats)
    values = [t / p for _, t, p, _, err, _ in rows if p and not err]
    print(f"fresh processes: decks {len(rows)}  pages {sum(r[2] for r in rows)}")
    print(f"s/slide median {statistics.median(values):.4f}  mean {statistics.mean(values):.4f}"
          f"  per-deck max {max(values):.4f}")
    worst = max(rows, key=lambda r: r[5])
    print(f"peak MiB median {statistics.median(r[5] for r in rows):.0f}  max {worst[5]:.0f}"
          f" ({worst[0].parent.name}/{worst[0].name})")
    print(f"PDF bytes total {sum(r[3] for r in rows):,}")
    if merged is not None:
        print_profile(merged, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
