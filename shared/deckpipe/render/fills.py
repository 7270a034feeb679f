"""Fills of shapes and backgrounds: solid, gradient, pattern and picture.

``fill_of`` reads one fill element into a ``Fill``. Gradients keep their
stops and direction for the painter; patterns keep their preset and two
colours (drawn as tiles, see ``patterns``), and their representative colour
is the blend weighted by how much of the tile is ink. ``phClr`` in theme
styles takes the colour of the referring ``fillRef``/``bgRef``.
"""

from __future__ import annotations

from lxml import etree

from .colors import Palette, fill_color, first_color, resolve_color
from .model import RGB, Fill, Gradient
from .patterns import TILES, ink_share
from .xml import A, flag, fraction, local, num

_WHITE: RGB = (1.0, 1.0, 1.0)
_BLACK: RGB = (0.0, 0.0, 0.0)


def fill_of(
    fill_el: etree._Element, palette: Palette, placeholder: tuple[RGB, float] | None = None
) -> Fill | None:
    """A ``solidFill``/``gradFill``/``pattFill`` as a Fill; None for ``noFill`` or junk.

    (``blipFill`` needs the package to load the picture: see ``picture_fill``.)
    """
    tag = local(fill_el)
    if tag == "gradFill":
        return _gradient(fill_el, palette, placeholder)
    if tag == "pattFill":
        return _pattern(fill_el, palette, placeholder)
    if tag == "solidFill":
        found = fill_color(fill_el, palette, placeholder)
        return Fill(*found) if found else None
    return None


def _color_in(
    parent: etree._Element | None, palette: Palette, placeholder: tuple[RGB, float] | None
) -> tuple[RGB, float] | None:
    el = first_color(parent)
    return resolve_color(el, palette, placeholder) if el is not None else None


def _gradient(
    el: etree._Element, palette: Palette, placeholder: tuple[RGB, float] | None
) -> Fill | None:
    stops = []
    for gs in el.iterfind(f"{A}gsLst/{A}gs"):
        found = _color_in(gs, palette, placeholder)
        if found is not None:
            stops.append((min(max(fraction(gs.get("pos"), 0.0), 0.0), 1.0), *found))
    if not stops:
        return None
    stops.sort(key=lambda s: s[0])
    lin, path = el.find(A + "lin"), el.find(A + "path")
    if path is not None:
        rect = path.find(A + "fillToRect")
        focus = (
            tuple(fraction(rect.get(k), 0.0) for k in ("l", "t", "r", "b"))
            if rect is not None
            else (0.0, 0.0, 0.0, 0.0)
        )
        gradient = Gradient(tuple(stops), path.get("path", "circle"), focus=focus)  # type: ignore[arg-type]
    else:
        angle = num(lin.get("ang"), 0.0) / 60000 if lin is not None else 90.0
        scaled = flag(lin.get("scaled")) if lin is not None else False
        gradient = Gradient(tuple(stops), "linear", angle % 360, scaled)
    n = len(stops)
    mean: RGB = tuple(sum(s[1][i] for s in stops) / n for i in range(3))  # type: ignore[assignment]
    alpha = sum(s[2] for s in stops) / n
    if n == 1 or all(s[1] == stops[0][1] for s in stops):
        return Fill(stops[0][1], alpha)
    return Fill(mean, alpha, gradient=gradient)


def _pattern(
    el: etree._Element, palette: Palette, placeholder: tuple[RGB, float] | None
) -> Fill | None:
    fg = _color_in(el.find(A + "fgClr"), palette, placeholder) or (_BLACK, 1.0)
    bg = _color_in(el.find(A + "bgClr"), palette, placeholder) or (_WHITE, 1.0)
    prst = el.get("prst")
    if prst is None:  # no preset: nothing is drawn in the foreground (as LibreOffice does)
        return Fill(*bg)
    ink = ink_share(prst)
    color: RGB = tuple(f * ink + b * (1 - ink) for f, b in zip(fg[0], bg[0], strict=True))  # type: ignore[assignment]
    alpha = fg[1] * ink + bg[1] * (1 - ink)
    known = prst if prst in TILES else ""
    return Fill(color, alpha, pattern=known, pattern_colors=(fg[0], bg[0]))


def picture_fill(blip_fill: etree._Element, data: bytes) -> Fill:
    """A picture fill of a shape or background: stretched into ``a:fillRect`` or tiled."""
    src = blip_fill.find(A + "srcRect")
    crop = (
        tuple(fraction(src.get(k), 0.0) for k in ("l", "t", "r", "b")) if src is not None else None
    )
    rect_el = blip_fill.find(f"{A}stretch/{A}fillRect")
    rect = (
        tuple(fraction(rect_el.get(k), 0.0) for k in ("l", "t", "r", "b"))
        if rect_el is not None
        else (0.0, 0.0, 0.0, 0.0)
    )
    alpha_el = blip_fill.find(f"{A}blip/{A}alphaModFix")
    alpha = fraction(alpha_el.get("amt"), 1.0) if alpha_el is not None else 1.0
    tile = blip_fill.find(A + "tile")
    scale = (1.0, 1.0)
    if tile is not None:
        scale = (fraction(tile.get("sx"), 1.0), fraction(tile.get("sy"), 1.0))
    return Fill(
        (0.85, 0.85, 0.85),
        alpha,
        image=data,
        image_rect=rect,  # type: ignore[arg-type]
        image_crop=crop or (0.0, 0.0, 0.0, 0.0),  # type: ignore[arg-type]
        image_tile=tile is not None,
        tile_scale=scale,
    )
