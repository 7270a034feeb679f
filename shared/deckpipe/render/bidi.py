"""Right-to-left text: the visual order of a line (a compact Unicode bidi algorithm).

This covers what slides need: Arabic and Hebrew words mixed with Latin words
and numbers, in left-to-right or right-to-left paragraphs. Characters get a
level from their bidi class (strong letters, numbers, neutrals resolved by
their neighbours, as rules W1-W7/N1-N2 of UAX #9 do in the common case), then
runs are reversed from the highest level down (rule L2) and brackets in
right-to-left runs are mirrored (L4). Explicit embedding controls are ignored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_MIRROR = dict(zip("()[]{}<>«»", ")(][}{><»«", strict=True))


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (Hebrew, Arabic, ...)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _levels(text: str, rtl: bool) -> list[int]:
    base = 1 if rtl else 0
    kinds = []
    for ch in text:
        b = unicodedata.bidirectional(ch)
        kinds.append("R" if b in ("R", "AL") else "L" if b == "L" else
                     "N" if b in ("EN", "AN") else "_")  # fmt: skip
    # Numbers take the direction of the strong letter before them (W2/W7):
    # after a right-to-left letter they are a left-to-right island at level 2.
    strong = "R" if rtl else "L"
    for i, k in enumerate(kinds):
        if k in "RL":
            strong = k
        elif k == "N":
            kinds[i] = "N" if strong == "R" else "L"
    # Neutrals between two of the same direction take it; others the paragraph's (N1/N2).
    resolved = ["R" if k in ("R", "N") else k for k in kinds]
    i = 0
    while i < len(resolved):
        if resolved[i] != "_":
            i += 1
            continue
        j = i
        while j < len(resolved) and resolved[j] == "_":
            j += 1
        before = resolved[i - 1] if i else ("R" if rtl else "L")
        after = resolved[j] if j < len(resolved) else ("R" if rtl else "L")
        fill = before if before == after else ("R" if rtl else "L")
        resolved[i:j] = [fill] * (j - i)
        i = j
    levels = []
    for k, r in zip(kinds, resolved, strict=True):
        if k == "N":
            levels.append(base + 2 if base % 2 == 0 else base + 1)
        elif r == "R":
            levels.append(base + 1 if base % 2 == 0 else base)
        else:
            levels.append(base if base % 2 == 0 else base + 1)
    return levels


def visual_order(chars: Sequence[tuple[str, T]], rtl: bool) -> list[tuple[str, T]]:
    """Characters of one line (each with a tag, e.g. its fragment) in display
    order, left to right; brackets inside right-to-left runs are mirrored."""
    text = "".join(ch for ch, _ in chars)
    if not rtl and not has_rtl(text):
        return list(chars)
    levels = _levels(text, rtl)
    items = [(_MIRROR.get(ch, ch) if lvl % 2 else ch, tag)
             for (ch, tag), lvl in zip(chars, levels, strict=True)]  # fmt: skip
    order = list(range(len(items)))
    top = max(levels, default=0)
    lowest_odd = min((lv for lv in levels if lv % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return [items[k] for k in order]
