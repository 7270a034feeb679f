"""Fidelity must not regress: a fixed corpus sample scored against its references.

The sample rule and the scoring live in ``bench/fidelity_sample.py`` (shared
with ``bench/update_baseline.py``, which regenerates the committed baseline
``tests/data/fidelity_baseline.tsv``). A deck fails when its score falls more
than ``MARGIN`` below its baseline; the failure lists every regressed deck.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load_sample_module():
    name = "fidelity_sample"
    if name not in sys.modules:  # registered so forked workers can unpickle its functions
        spec = importlib.util.spec_from_file_location(name, BENCH / "fidelity_sample.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fs = _load_sample_module()


def test_the_sample_is_spread_over_every_source(corpus):
    decks = fs.sample(corpus)
    assert 30 <= len(decks) <= 50
    sources = {d.split("/")[0] for d in decks}
    assert sources == {p.name for p in (corpus / "decks").iterdir() if p.is_dir()}
    assert decks == fs.sample(corpus)  # deterministic
    empty = set((corpus / "empty-references.txt").read_text().split())
    assert not any(f"reference/{d.split('/')[0]}/{fs.reference_name(d.split('/')[1])}" in empty
                   for d in decks)


def test_no_deck_scores_below_its_baseline(corpus):
    if not fs.BASELINE.is_file():
        pytest.fail(f"no baseline at {fs.BASELINE}: run bench/update_baseline.py")
    baseline = fs.read_baseline()
    decks = fs.sample(corpus)
    missing = [d for d in decks if d not in baseline]
    assert not missing, f"decks missing from the baseline (run bench/update_baseline.py): {missing}"
    scores = fs.score_sample(corpus, decks)
    regressed = []
    for deck in decks:
        score, _, error = scores[deck]
        before = baseline[deck][0]
        if score < before - fs.MARGIN:
            why = f" ({error})" if error else ""
            regressed.append(f"{deck}: {before:.3f} -> {score:.3f}{why}")
    assert not regressed, (
        f"{len(regressed)} deck(s) lost more than {fs.MARGIN} fidelity:\n  "
        + "\n  ".join(regressed)
    )
