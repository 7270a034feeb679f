"""Right-to-left text: bidi levels from ``python-bidi`` and the visual order of a line.

``python-bidi`` (the Unicode Bidirectional Algorithm, UAX #9) resolves each
character's embedding level; ``reorder`` then applies rule L2 to whole runs
of a line, so the painter can shape each right-to-left run in logical order
(HarfBuzz joins Arabic letters and emits the glyphs in visual order, with
brackets mirrored). ``visual_order`` does the same per character, for callers
that draw no shaped text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TypeVar

from bidi import algorithm as uba

T = TypeVar("T")


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (Hebrew, Arabic, ...)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def levels(text: str, rtl: bool) -> list[int]:
    """The resolved embedding level of each character of one line (even =
    left-to-right), in a paragraph whose base direction is ``rtl``."""
    storage = uba.get_empty_storage()
    storage["base_level"] = 1 if rtl else 0
    storage["base_dir"] = "R" if rtl else "L"
    uba.get_embedding_levels(text, storage)
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    found = [ch["level"] for ch in storage["chars"]]
    # Rule L1: trailing whitespace takes the paragraph level.
    i = len(text)
    while i > 0 and text[i - 1].isspace():
        i -= 1
        found[i] = storage["base_level"]
    return found


def reorder(units: Sequence[tuple[int, T]]) -> list[tuple[int, T]]:
    """Units (each with its level) in display order, left to right (rule L2:
    from the highest level down to the lowest odd one, reverse every maximal
    sequence at that level or above)."""
    order = list(units)
    if not order:
        return order
    top = max(level for level, _ in order)
    lowest_odd = min((lv for lv, _ in order if lv % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i][0] >= level:
                j = i
                while j < len(order) and order[j][0] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


_MIRROR = dict(zip("()[]{}<>«»", ")(][}{><»«", strict=True))


def visual_order(chars: Sequence[tuple[str, T]], rtl: bool) -> list[tuple[str, T]]:
    """Characters of one line (each with a tag) in display order, left to
    right; brackets inside right-to-left runs are mirrored."""
    text = "".join(ch for ch, _ in chars)
    if not rtl and not has_rtl(text):
        return list(chars)
    found = levels(text, rtl)
    items = [(lv, (_MIRROR.get(ch, ch) if lv % 2 else ch, tag))
             for (ch, tag), lv in zip(chars, found, strict=True)]  # fmt: skip
    return [item for _, item in reorder(items)]
