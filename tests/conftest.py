"""Shared fixtures: where the corpus lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from deckpipe import logs

pytest_plugins = ["deckpipe_emulators.pytest_plugin"]

# Log everything in tests, so a bad log call fails here rather than in production.
logs.configure("DEBUG")

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DECKPIPE_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only corpus beside the checkout; its absence is an error, not a skip."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        raise RuntimeError(f"corpus not found at {CORPUS}; set DECKPIPE_CORPUS")
    return CORPUS


def build_deck(texts: list[str], *, hidden: tuple[int, ...] = ()) -> bytes:
    """A small real deck made with python-pptx: one title slide per text."""
    import io

    from pptx import Presentation

    prs = Presentation()
    for index, text in enumerate(texts):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        slide.shapes.title.text = text
        if index in hidden:
            slide._element.set("show", "0")
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def make_deck():
    return build_deck
