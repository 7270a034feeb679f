#!/usr/bin/env python3
"""Benchmark deckpipe against the corpus: fidelity, speed and memory, with
LibreOffice timed on the same decks in the same run.

    .venv/bin/python bench/run_bench.py [--sources poi,tika] [--limit N]
        [--no-libreoffice] [--out DIR] [--corpus DIR]

For every deck (one at a time, nothing else of ours running):
- deckpipe renders it in a fresh process (this script re-invoked with
  ``--worker``): the wall time of that process, the render time inside it and
  the process's peak RSS (``wait4``) — the honest number for a 256 MiB function;
- LibreOffice converts it in one ``soffice`` process per deck, and again in one
  warm ``soffice --convert-to pdf`` call per chunk of decks (per source, fewer
  than 246 files, no two with the same stem), with a private profile.
Then every deckpipe PDF is scored against its reference with
``shared/tools/fidelity.py --batch`` (one batch per source, in parallel, after
the timing is over). Decks in ``empty-references.txt`` and decks without a
reference are left out of the fidelity means.

Prints a Markdown table per source plus an overall row, and the cold start of a
one-slide deck; writes ``results.json``, ``table.md`` and the PDFs under --out.
Needs LibreOffice Impress and the reference fonts: see ``bench/setup.sh``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FIDELITY = REPO.parent / "shared" / "tools" / "fidelity.py"
DECK_SUFFIXES = (".pptx", ".pptm", ".ppsx", ".potx", ".potm")
LO_CHUNK = 200  # LibreOffice silently stops after 246 files in one call
DECK_TIMEOUT = 600
MIB = 1024  # ru_maxrss is in KiB on Linux


@dataclass
class Deck:
    source: str
    path: Path
    ref_rel: str  # <source>/<name>.pdf, or <source>/<name.ext>.pdf.pdf for non-.pptx
    has_ref: bool
    empty_ref: bool
    dp_wall: float | None = None
    dp_render: float | None = None
    dp_rss_mib: float | None = None
    dp_pages: int = 0
    dp_error: str | None = None
    lo_wall: float | None = None
    lo_rss_mib: float | None = None
    lo_pages: int = 0
    lo_error: str | None = None
    score: float | None = None
    text_f1: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def slides(self) -> int:
        """The page count both systems' times are divided by."""
        return self.dp_pages or self.lo_pages


def reference_name(deck: Path) -> str:
    return deck.stem + ".pdf" if deck.suffix.lower() == ".pptx" else deck.name + ".pdf.pdf"


def find_decks(corpus: Path, sources: list[str] | None, limit: int | None) -> list[Deck]:
    empty = set((corpus / "empty-references.txt").read_text().split())
    decks = []
    for src_dir in sorted((corpus / "decks").iterdir()):
        if sources and src_dir.name not in sources:
            continue
        for path in sorted(src_dir.iterdir()):
            if path.suffix.lower() not in DECK_SUFFIXES:
                continue
            rel = f"{src_dir.name}/{reference_name(path)}"
            decks.append(Deck(src_dir.name, path, rel, (corpus / "reference" / rel).is_file(),
                              f"reference/{rel}" in empty))
    if limit and limit < len(decks):
        step = len(decks) / limit
        decks = [decks[int(i * step)] for i in range(limit)]
    return decks


# --- measuring a process ----------------------------------------------------------


def run_measured(cmd: list[str], timeout: float, **kw) -> tuple[int, float, float, str]:
    """Run ``cmd``; returns (exit status, wall seconds, peak RSS MiB, stdout).

    The peak RSS comes from ``wait4`` on the child, which covers the child and
    the descendants it waited for (soffice's launcher waits for soffice.bin).
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, **kw)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                status = -9 << 8
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status) if status >= 0 else -9
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        if proc.returncode:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
            text += "\n" + json.dumps({"stderr": tail[0][:300] if tail else ""})
    return proc.returncode, wall, usage.ru_maxrss / MIB, text


def worker(deck: str, pdf: str) -> None:
    """Render one deck in this (fresh) process and print what happened as JSON."""
    started = time.perf_counter()
    from deckpipe.errors import DeckError
    from deckpipe.render import render_deck

    imported = time.perf_counter()
    result: dict = {"import_s": imported - started}
    try:
        with open(deck, "rb") as src, open(pdf, "wb") as out:
            report = render_deck(src, out)
        result.update(pages=report.pages, render_s=time.perf_counter() - imported)
    except DeckError as exc:
        os.unlink(pdf)
        result.update(error=exc.code, render_s=time.perf_counter() - imported)
    print(json.dumps(result))


def bench_deckpipe(decks: list[Deck], out: Path) -> None:
    for n, deck in enumerate(decks, 1):
        pdf = out / "deckpipe" / deck.ref_rel
        pdf.parent.mkdir(parents=True, exist_ok=True)
        code, wall, rss, text = run_measured(
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(deck.path), str(pdf)],
            DECK_TIMEOUT,
        )
        deck.dp_wall, deck.dp_rss_mib = wall, rss
        try:
            result = json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            result = {}
        if code:
            result = {"error": f"crash (exit {code}): {result.get('stderr', '')}"}
        deck.dp_render = result.get("render_s")
        deck.dp_pages = int(result.get("pages", 0))
        deck.dp_error = result.get("error")
        _progress("deckpipe", n, len(decks), deck)


# --- LibreOffice ----------------------------------------------------------------


def soffice_cmd(profile: Path, outdir: Path, files: list[Path]) -> list[str]:
    return ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)]


def pdf_pages(pdf: Path) -> int:
    if not pdf.is_file():
        return 0
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    for line in info.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def warm_profile(profile: Path, sample: Path, scratch: Path) -> None:
    """Create the LibreOffice profile once so per-deck timings do not include it."""
    run_measured(soffice_cmd(profile, scratch, [sample]), DECK_TIMEOUT)


def bench_lo_per_deck(decks: list[Deck], out: Path, profile: Path) -> None:
    for n, deck in enumerate(decks, 1):
        outdir = out / "lo-process" / deck.source
        outdir.mkdir(parents=True, exist_ok=True)
        code, wall, rss, _ = run_measured(soffice_cmd(profile, outdir, [deck.path]), DECK_TIMEOUT)
        pdf = outdir / (deck.path.stem + ".pdf")
        deck.lo_wall, deck.lo_rss_mib = wall, rss
        deck.lo_pages = pdf_pages(pdf)
        if not deck.lo_pages:
            deck.lo_error = f"no output (exit {code})"
        pdf.unlink(missing_ok=True)  # the next deck may share the stem
        _progress("LibreOffice per deck", n, len(decks), deck)


def lo_chunks(decks: list[Deck]) -> list[list[Deck]]:
    """Per source, chunks under LO_CHUNK files with no two decks sharing a stem."""
    chunks: list[list[Deck]] = []
    by_source: dict[str, list[Deck]] = defaultdict(list)
    for deck in decks:
        by_source[deck.source].append(deck)
    for group in by_source.values():
        pending = list(group)
        while pending:
            chunk, stems, rest = [], set(), []
            for deck in pending:
                if deck.path.stem in stems or len(chunk) >= LO_CHUNK:
                    rest.append(deck)
                else:
                    chunk.append(deck)
                    stems.add(deck.path.stem)
            chunks.append(chunk)
            pending = rest
    return chunks


def bench_lo_batch(decks: list[Deck], out: Path, profile: Path) -> dict[str, dict]:
    """Time one warm soffice call per chunk; returns per-source seconds and peak RSS."""
    per_source: dict[str, dict] = defaultdict(lambda: {"seconds": 0.0, "rss_mib": 0.0,
                                                       "calls": 0, "outputs": 0})
    for n, chunk in enumerate(lo_chunks(decks), 1):
        outdir = out / "lo-batch" / f"chunk{n:03d}"
        outdir.mkdir(parents=True, exist_ok=True)
        _, wall, rss, _ = run_measured(
            soffice_cmd(profile, outdir, [d.path for d in chunk]), DECK_TIMEOUT * 4
        )
        stats = per_source[chunk[0].source]
        stats["seconds"] += wall
        stats["rss_mib"] = max(stats["rss_mib"], rss)
        stats["calls"] += 1
        stats["outputs"] += sum(1 for _ in outdir.glob("*.pdf"))
        print(f"LibreOffice batch: chunk {n} ({chunk[0].source}, {len(chunk)} decks) "
              f"{wall:.1f} s", file=sys.stderr)
        shutil.rmtree(outdir)
    return dict(per_source)


# --- fidelity ---------------------------------------------------------------------


def score(decks: list[Deck], corpus: Path, out: Path, jobs: int) -> None:
    """``fidelity.py --batch`` per source over a reference tree of just these decks."""
    refs = out / "refs"
    shutil.rmtree(refs, ignore_errors=True)
    sources = sorted({d.source for d in decks})
    for deck in decks:
        if deck.has_ref:
            link = refs / deck.ref_rel
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(corpus / "reference" / deck.ref_rel)

    def batch(source: str) -> Path:
        tsv = out / f"scores-{source}.tsv"
        if (refs / source).is_dir():
            cands = out / "deckpipe" / source
            subprocess.run([sys.executable, str(FIDELITY), "--batch", str(cands),
                            str(refs / source), "--out", str(tsv)], check=True)
        return tsv

    with ThreadPoolExecutor(max(jobs, 1)) as pool:
        tsvs = dict(zip(sources, pool.map(batch, sources), strict=True))
    by_rel = {d.ref_rel: d for d in decks}
    for source, tsv in tsvs.items():
        if not tsv.is_file():
            continue
        lines = tsv.read_text().splitlines()
        head = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(head, line.split("\t"), strict=True))
            deck = by_rel.get(f"{source}/{row['deck']}")
            if deck is not None:
                deck.score, deck.text_f1 = float(row["score"]), float(row["text_f1"])


# --- cold start -------------------------------------------------------------------


def cold_start(out: Path, with_lo: bool) -> dict[str, float]:
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = "Cold start"
    slide.placeholders[1].text = "One slide, one bullet."
    deck = out / "cold" / "one-slide.pptx"
    deck.parent.mkdir(parents=True, exist_ok=True)
    prs.save(deck)
    result = {}
    _, wall, rss, _ = run_measured(
        [sys.executable, "-m", "deckpipe.cli", "convert", str(deck), "-o",
         str(deck.with_suffix(".pdf")), "-q"], DECK_TIMEOUT)
    result.update(deckpipe_s=wall, deckpipe_rss_mib=rss)
    if with_lo:
        with tempfile.TemporaryDirectory(prefix="lo-cold-") as profile:
            _, wall, rss, _ = run_measured(
                soffice_cmd(Path(profile), out / "cold", [deck]), DECK_TIMEOUT)
        result.update(libreoffice_s=wall, libreoffice_rss_mib=rss)
    return result


# --- the table --------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _f(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def summarise(group: list[Deck], lo_batch: dict | None, with_lo: bool) -> dict:
    scored = [d for d in group if d.has_ref and not d.empty_ref]
    scores = [d.score or 0.0 for d in scored]
    texts = [d.text_f1 or 0.0 for d in scored]
    ok = [d for d in group if d.dp_error is None and d.dp_pages]
    slides = sum(d.slides for d in group)
    dp_seconds = sum(d.dp_wall or 0 for d in group)
    per_slide = [d.dp_render / d.dp_pages for d in ok if d.dp_render is not None]
    row = {
        "decks": len(group),
        "scored": len(scored),
        "mean": _mean(scores),
        "median": _median(scores),
        "text_f1": _mean(texts),
        "dp_failed": sum(1 for d in group if d.dp_error),
        "slides": slides,
        "dp_s_per_slide": dp_seconds / slides if slides else None,
        "dp_inproc_median_s_per_slide": _median(per_slide),
        "dp_rss_median": _median([d.dp_rss_mib for d in group if d.dp_rss_mib]),
        "dp_rss_max": max((d.dp_rss_mib or 0 for d in group), default=None),
    }
    if with_lo:
        lo_seconds = sum(d.lo_wall or 0 for d in group)
        batch_seconds = sum(v["seconds"] for v in (lo_batch or {}).values())
        row.update(
            lo_failed=sum(1 for d in group if d.lo_error),
            lo_s_per_slide=lo_seconds / slides if slides else None,
            lo_batch_s_per_slide=batch_seconds / slides if slides else None,
            lo_rss_median=_median([d.lo_rss_mib for d in group if d.lo_rss_mib]),
            lo_rss_max=max((d.lo_rss_mib or 0 for d in group), default=None),
            lo_batch_rss_max=max((v["rss_mib"] for v in (lo_batch or {}).values()), default=None),
        )
        row["ratio_lo"] = (lo_seconds / dp_seconds) if dp_seconds else None
        row["ratio_lo_batch"] = (batch_seconds / dp_seconds) if dp_seconds else None
    return row


def table(decks: list[Deck], lo_batch: dict, with_lo: bool) -> tuple[str, dict]:
    groups: dict[str, list[Deck]] = defaultdict(list)
    for deck in decks:
        groups[deck.source].append(deck)
    rows = {s: summarise(g, {s: lo_batch[s]} if s in lo_batch else {}, with_lo)
            for s, g in sorted(groups.items())}
    rows["overall"] = summarise(decks, lo_batch, with_lo)
    head = ["source", "decks", "scored", "mean", "median", "text_f1", "dp fail",
            "dp s/slide", "dp in-proc median s/slide", "dp peak MiB med/max"]
    if with_lo:
        head += ["LO fail", "LO proc s/slide", "LO batch s/slide", "LO proc / dp",
                 "LO batch / dp", "LO proc peak MiB med/max", "LO batch peak MiB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in rows.items():
        cells = [f"**{name}**" if name == "overall" else name, str(r["decks"]), str(r["scored"]),
                 _f(r["mean"]), _f(r["median"]), _f(r["text_f1"]), str(r["dp_failed"]),
                 _f(r["dp_s_per_slide"]), _f(r["dp_inproc_median_s_per_slide"]),
                 f"{_f(r['dp_rss_median'], 0)}/{_f(r['dp_rss_max'], 0)}"]
        if with_lo:
            cells += [str(r["lo_failed"]), _f(r["lo_s_per_slide"]), _f(r["lo_batch_s_per_slide"]),
                      _f(r["ratio_lo"], 2), _f(r["ratio_lo_batch"], 2),
                      f"{_f(r['lo_rss_median'], 0)}/{_f(r['lo_rss_max'], 0)}",
                      _f(r["lo_batch_rss_max"], 0)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), rows


def _progress(what: str, n: int, total: int, deck: Deck) -> None:
    print(f"\r{what}: {n}/{total} {deck.source}/{deck.path.name[:50]:<50}", end="",
          file=sys.stderr, flush=True)
    if n == total:
        print(file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--sources", help="comma-separated corpus sources (default: all)")
    ap.add_argument("--limit", type=int, help="an evenly spread sample of N decks")
    ap.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice timings")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "deckpipe-bench")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="parallel fidelity batches (scoring only; timing is sequential)")
    ap.add_argument("--worker", nargs=2, metavar=("DECK", "PDF"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0

    with_lo = not args.no_libreoffice
    if with_lo and shutil.which("soffice") is None:
        ap.error("soffice not found: run bench/setup.sh, or pass --no-libreoffice")
    sources = args.sources.split(",") if args.sources else None
    decks = find_decks(args.corpus, sources, args.limit)
    if not decks:
        ap.error("no decks selected")
    out = args.out.resolve()
    shutil.rmtree(out / "deckpipe", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    cold = cold_start(out, with_lo)
    bench_deckpipe(decks, out)
    lo_batch: dict = {}
    if with_lo:
        profile = out / "lo-profile"
        shutil.rmtree(profile, ignore_errors=True)
        warm_profile(profile, out / "cold" / "one-slide.pptx", out / "cold")
        bench_lo_per_deck(decks, out, profile)
        lo_batch = bench_lo_batch(decks, out, profile)
    score(decks, args.corpus, out, args.jobs)

    text, rows = table(decks, lo_batch, with_lo)
    cold_line = (f"Cold start, one-slide deck: deckpipe fresh process {cold['deckpipe_s']:.2f} s "
                 f"({cold['deckpipe_rss_mib']:.0f} MiB peak)")
    if with_lo:
        cold_line += (f"; LibreOffice cold (new profile) {cold['libreoffice_s']:.2f} s "
                      f"({cold['libreoffice_rss_mib']:.0f} MiB peak)")
    report = f"{text}\n\n{cold_line}\n"
    print(report)
    (out / "table.md").write_text(report)
    (out / "results.json").write_text(json.dumps(
        {"rows": rows, "cold_start": cold, "lo_batch": lo_batch,
         "decks": [{**asdict(d), "path": str(d.path)} for d in decks],
         "seconds": time.perf_counter() - started}, indent=1, default=str))
    print(f"results in {out} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
