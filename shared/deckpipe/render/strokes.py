"""Outlines (``a:ln``): width, colour, dashes, caps, joins and line ends.

A shape's outline is assembled property by property from, in order, its
own ``spPr/a:ln``, those of the placeholders it inherits from, and the
theme line style its ``p:style/a:lnRef`` names (whose ``phClr`` takes the
reference's colour). The first source that says something wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from .colors import Palette, fill_color, first_color, resolve_color
from .model import RGB, Arrow, Stroke
from .xml import A, local, num, pt

# Dash patterns of a:prstDash as on/off lengths in line widths.
DASHES: dict[str, tuple[float, ...]] = {
    "solid": (), "dot": (1, 1), "dash": (4, 3), "lgDash": (8, 3), "dashDot": (4, 3, 1, 3),
    "lgDashDot": (8, 3, 1, 3), "lgDashDotDot": (8, 3, 1, 3, 1, 3), "sysDash": (3, 1),
    "sysDot": (1, 1), "sysDashDot": (3, 1, 1, 1), "sysDashDotDot": (3, 1, 1, 1, 1, 1),
}  # fmt: skip
_FILLS = frozenset(A + t for t in ("noFill", "solidFill", "gradFill", "pattFill"))
_JOINS = {"round": "round", "bevel": "bevel", "miter": "miter"}


def stroke_of(
    lns: Sequence[etree._Element],
    palette: Palette,
    theme_ln: etree._Element | None = None,
    ref_color: tuple[RGB, float] | None = None,
    default_width: float = 0.75,
) -> Stroke | None:
    """The outline from ``a:ln`` elements (highest priority first) and a theme style."""
    sources = [(ln, None) for ln in lns]
    if theme_ln is not None:
        sources.append((theme_ln, ref_color))
    color: tuple[RGB, float] | None = None
    for ln, placeholder in sources:
        fill = next((c for c in ln if c.tag in _FILLS), None)
        if fill is None:
            continue
        if local(fill) == "noFill":
            return None
        color = fill_color(fill, palette, placeholder)
        break
    if color is None and theme_ln is None and ref_color is not None:
        color = ref_color
    if color is None:
        return None

    def attr(name: str) -> str | None:
        return next((v for ln, _ in sources if (v := ln.get(name)) is not None), None)

    def child(tag: str) -> etree._Element | None:
        return next((c for ln, _ in sources if (c := ln.find(A + tag)) is not None), None)

    width = pt(attr("w"), default_width) if attr("w") is not None else default_width
    dash: tuple[float, ...] = ()
    dash_el = next(
        (c for ln, _ in sources for c in ln if c.tag in (A + "prstDash", A + "custDash")), None
    )
    if dash_el is not None and local(dash_el) == "prstDash":
        dash = DASHES.get(dash_el.get("val", "solid"), ())
    elif dash_el is not None:
        dash = tuple(
            max(num(v, 100000.0) / 100000, 0.01)
            for ds in dash_el.iterfind(A + "ds")
            for v in (ds.get("d"), ds.get("sp"))
        )
    join = next((_JOINS[local(c)] for ln, _ in sources for c in ln if local(c) in _JOINS), "round")
    return Stroke(
        color[0],
        max(width, 0.25),
        color[1],
        dashed=bool(dash),
        dash=dash,
        cap=attr("cap") or "flat",
        join=join,
        head=_arrow(child("headEnd")),
        tail=_arrow(child("tailEnd")),
        compound=attr("cmpd") or "sng",
    )


def _arrow(el: etree._Element | None) -> Arrow | None:
    if el is None or el.get("type", "none") == "none":
        return None
    return Arrow(el.get("type", "triangle"), el.get("w", "med"), el.get("len", "med"))


def ref_color(ref: etree._Element | None, palette: Palette) -> tuple[RGB, float] | None:
    """The colour given by a ``lnRef``/``fillRef``/``effectRef``, if any."""
    el = first_color(ref)
    return resolve_color(el, palette) if el is not None else None
