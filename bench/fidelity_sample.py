"""The fixed corpus sample of the fidelity regression test, and how it is scored.

Shared by ``tests/test_fidelity_regression.py`` and ``bench/update_baseline.py``
so the test and its baseline always mean the same decks. The rule: per corpus
source, the decks whose reference is a real (non-empty) page of at most
``MAX_SLIDES`` slides, sorted by name, every ``STEP``-th one from the first.
That gives about 40 decks over the six sources, cheap enough for < 60 s.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
FIDELITY_TOOL = REPO.parent / "shared" / "tools" / "fidelity.py"
BASELINE = REPO / "tests" / "data" / "fidelity_baseline.tsv"
STEP = 9
MAX_SLIDES = 8
MARGIN = 0.03


def fidelity_module() -> ModuleType:
    """``shared/tools/fidelity.py`` loaded by path (it is a script, not a package)."""
    name = "deckpipe_fidelity_tool"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FIDELITY_TOOL)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def reference_name(deck: str) -> str:
    stem, _, ext = deck.rpartition(".")
    return f"{stem}.pdf" if ext.lower() == "pptx" else f"{deck}.pdf.pdf"


def sample(corpus: Path) -> list[str]:
    """Deck paths relative to ``corpus/decks`` (``source/name``), deterministic."""
    empty = set((corpus / "empty-references.txt").read_text().split())
    by_source: dict[str, list[str]] = {}
    with (corpus / "MANIFEST.tsv").open(newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            deck = row["deck"].removeprefix("decks/")
            source, _, name = deck.partition("/")
            ref = f"reference/{source}/{reference_name(name)}"
            slides = row.get("slides") or ""
            if not slides.isdigit() or not 1 <= int(slides) <= MAX_SLIDES:
                continue
            if ref in empty or not (corpus / ref).is_file():
                continue
            by_source.setdefault(source, []).append(deck)
    chosen = []
    for source in sorted(by_source):
        chosen += sorted(by_source[source])[::STEP]
    return chosen


def score_deck(corpus: str, deck: str) -> tuple[str, float, float, str]:
    """Render one deck and score it: (deck, score, text_f1, error or "")."""
    import tempfile

    from deckpipe.errors import DeckError
    from deckpipe.render import render_deck

    source, _, name = deck.partition("/")
    ref = Path(corpus) / "reference" / source / reference_name(name)
    with tempfile.TemporaryDirectory(prefix="fid-reg-") as tmp:
        pdf = Path(tmp) / "cand.pdf"
        try:
            buffer = io.BytesIO()
            render_deck(Path(corpus) / "decks" / deck, buffer)
            pdf.write_bytes(buffer.getvalue())
        except DeckError as exc:
            return deck, 0.0, 0.0, f"{exc.code}: {exc.message}"
        except Exception as exc:  # a renderer bug is a regression too, not a crash of the run
            return deck, 0.0, 0.0, f"{type(exc).__name__}: {exc}"
        result, _ = fidelity_module().compare(str(pdf), str(ref))
    return deck, float(result["score"]), float(result["text_f1"]), ""


def score_sample(corpus: Path, decks: list[str], jobs: int | None = None) -> dict[str, tuple]:
    """Scores of ``decks`` keyed by deck, computed in parallel processes."""
    jobs = jobs or os.cpu_count() or 1
    fidelity_module()  # load once before forking
    with ProcessPoolExecutor(jobs) as pool:
        results = pool.map(score_deck, [str(corpus)] * len(decks), decks)
        return {deck: (score, text, error) for deck, score, text, error in results}


def read_baseline(path: Path = BASELINE) -> dict[str, tuple[float, float]]:
    rows = {}
    with path.open(newline="") as f:
        for row in csv.DictReader((line for line in f if not line.startswith("#")),
                                  delimiter="\t"):
            rows[row["deck"]] = (float(row["score"]), float(row["text_f1"]))
    return rows


def write_baseline(scores: dict[str, tuple], path: Path = BASELINE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        f.write("# Fidelity regression baseline: regenerate with bench/update_baseline.py\n")
        f.write("deck\tscore\ttext_f1\n")
        for deck in sorted(scores):
            score, text, _ = scores[deck]
            f.write(f"{deck}\t{score:.4f}\t{text:.4f}\n")
