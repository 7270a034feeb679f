"""Fills of shapes and backgrounds: solid, gradient, pattern and picture.

``fill_of`` reads one fill element into a ``Fill``. Gradients keep their
stops and direction for the painter; patterns keep their preset and two
colours (drawn as tiles, see ``patterns``), and their representative colour
is the blend weighted by how much of the tile is ink. ``phClr`` in theme
styles takes the colour of the referring ``fillRef``/``bgRef``.
"""

from __future__ import annotations

import math

from lxml import etree

from . import images
from .colors import Palette, fill_color, first_color, resolve_color
from .model import RGB, Fill, Gradient
from .patterns import TILES, ink_share
from .xml import A, emu, flag, fraction, local, num

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


_BACKGROUND_PARENTS = frozenset({"bgPr", "bgFillStyleLst"})


def picture_fill(
    blip_fill: etree._Element,
    data: bytes,
    palette: Palette | None = None,
    placeholder: tuple[RGB, float] | None = None,
) -> Fill:
    """A picture fill of a shape or background, as LibreOffice 7.4 imports it.

    - ``a:tile``: repeated at the picture's own size (its dpi) times sx/sy,
      from the ``algn`` corner shifted by tx/ty (see ``tile_layout``);
      ``flip`` is ignored, as LibreOffice does.
    - ``a:stretch``: the picture fills the box. A ``fillRect`` that only
      reaches outside the box (all insets <= 0) enlarges the picture and the
      box shows its middle; insets into the box are ignored, and a
      background ignores ``fillRect`` altogether (always the whole page).
    - ``a:srcRect`` is ignored (LibreOffice crops only pictures, not fills).
    - ``a:duotone`` recolours the picture (needs ``palette`` for its colours);
      ``a:alphaModFix`` makes the fill transparent.
    """
    parent = blip_fill.getparent()
    background = parent is not None and local(parent) in _BACKGROUND_PARENTS
    tile = blip_fill.find(A + "tile")
    rect = (0.0, 0.0, 0.0, 0.0)
    rect_el = blip_fill.find(f"{A}stretch/{A}fillRect")
    if tile is None and rect_el is not None and not background:
        found = tuple(fraction(rect_el.get(k), 0.0) for k in ("l", "t", "r", "b"))
        if all(v <= 0 for v in found):
            rect = found  # type: ignore[assignment]
    blip = blip_fill.find(A + "blip")
    alpha_el = blip.find(A + "alphaModFix") if blip is not None else None
    alpha = fraction(alpha_el.get("amt"), 1.0) if alpha_el is not None else 1.0
    scale, offset, align, size = (1.0, 1.0), (0.0, 0.0), "tl", (0.0, 0.0)
    if tile is not None:
        scale = (fraction(tile.get("sx"), 1.0), fraction(tile.get("sy"), 1.0))
        align = tile.get("algn", "tl")
        try:
            size = images.natural_size_pt(data)
        except Exception:
            size = (0.0, 0.0)
        if size[0] > 0 and size[1] > 0:  # tx/ty (EMU) as a share of the picture's own size
            offset = (
                emu(tile.get("tx")) / (size[0] * 12700),
                emu(tile.get("ty")) / (size[1] * 12700),
            )
    duo = blip.find(A + "duotone") if blip is not None else None
    if duo is not None and palette is not None:  # after sizing: the recoloured copy has no dpi
        colors = [resolve_color(c, palette, placeholder) for c in duo if local(c) != "extLst"]
        if len(colors) == 2 and all(colors):
            data = images.duotone(data, colors[0][0], colors[1][0])  # type: ignore[index]
    return Fill(
        (0.85, 0.85, 0.85),
        alpha,
        image=data,
        image_rect=rect,
        image_tile=tile is not None,
        tile_scale=scale,
        image_size=size,
        tile_offset=offset,
        tile_align=align,
    )


def picture_colors(
    blip: etree._Element | None, data: bytes, palette: Palette | None = None
) -> bytes:
    """A picture's (``p:pic``) pixels recoloured by its blip effects as
    LibreOffice 7.4 draws them, in its order: ``a:clrChange`` (a colour,
    within 9 per channel, replaced or made transparent), ``a:duotone`` (two
    colours blended by luminance), then ``a:grayscl``/``a:biLevel`` (greys,
    black and white) and ``a:lum`` brightness/contrast (70%/-70% is its
    "watermark": +50% and -70%; both set are applied first, Office-style).
    The bytes come back unchanged when there is nothing to do."""
    if blip is None:
        return data
    steps: list[tuple] = []
    change = blip.find(A + "clrChange")
    if change is not None and palette is not None:
        source = _color_in(change.find(A + "clrFrom"), palette, None)
        target = _color_in(change.find(A + "clrTo"), palette, None)
        if source and target and (source[0] != target[0] or target[1] < 1):
            steps.append(("change", _rgb255(source[0]), _rgb255(target[0]), target[1]))
    duo = blip.find(A + "duotone")
    if duo is not None and palette is not None:
        colors = [resolve_color(c, palette) for c in duo if local(c) != "extLst"]
        if len(colors) == 2 and all(colors):
            steps.append(("duotone", _rgb255(colors[0][0]), _rgb255(colors[1][0])))  # type: ignore[index]
    mode: list[tuple] = []
    if blip.find(A + "biLevel") is not None:
        mode.append(("mono",))
    elif blip.find(A + "grayscl") is not None:
        mode.append(("greys",))
    lum = blip.find(A + "lum")
    bright = int(fraction(lum.get("bright"), 0.0) * 100) if lum is not None else 0
    contrast = int(fraction(lum.get("contrast"), 0.0) * 100) if lum is not None else 0
    if not mode and (bright, contrast) == (70, -70):  # Office's washout: LibreOffice's watermark
        mode.append(("adjust", 50.0, -70.0, False))
    elif bright and contrast:
        steps.append(("adjust", float(bright), float(contrast), True))
    elif bright or contrast:
        mode.append(("adjust", float(bright), float(contrast), False))
    return images.recolor(data, tuple(steps + mode))


def _rgb255(color: RGB) -> tuple[int, int, int]:
    return tuple(min(255, max(0, round(v * 255))) for v in color)  # type: ignore[return-value]


def shaped_picture_crop(
    crop: tuple[float, float, float, float],
) -> tuple[float, float, float, float]:
    """The ``a:srcRect`` crop of a picture drawn in a non-rectangular geometry:
    LibreOffice fills such a shape with the cropped picture only when every
    side is cut (no side padded); otherwise the whole picture fills it."""
    return crop if all(v >= 0 for v in crop) else (0.0, 0.0, 0.0, 0.0)


_ALIGN_X = {"t": 0.5, "ctr": 0.5, "b": 0.5, "tr": 1.0, "r": 1.0, "br": 1.0}
_ALIGN_Y = {"l": 0.5, "ctr": 0.5, "r": 0.5, "bl": 1.0, "b": 1.0, "br": 1.0}


def tile_layout(
    fill: Fill, w: float, h: float, natural: tuple[float, float]
) -> tuple[float, float, float, float, int, int] | None:
    """Where a tiled picture fill's tiles go in a w × h box, as LibreOffice
    places them: (x, y of the first tile's top-left corner from the box's
    top-left, tile width, tile height, columns, rows covering the box).

    The tile is the picture's own size (``fill.image_size``, else ``natural``)
    times the scale; one tile sits at the ``algn`` corner, edge middle or
    centre, shifted right/down by ``tile_offset`` of a tile, and the tiles
    repeat from there in every direction. None when a tile is degenerate.
    """
    iw, ih = fill.image_size if fill.image_size[0] > 0 and fill.image_size[1] > 0 else natural
    tw, th = iw * fill.tile_scale[0], ih * fill.tile_scale[1]
    if not (tw > 0.05 and th > 0.05) or w <= 0 or h <= 0:
        return None
    across = _ALIGN_X.get(fill.tile_align, 0.0)  # 0 left, 0.5 middle, 1 right
    down = _ALIGN_Y.get(fill.tile_align, 0.0)
    x = _first_tile((w - tw) * across + fill.tile_offset[0] * tw, tw)
    y = _first_tile((h - th) * down + fill.tile_offset[1] * th, th)
    cols = max(1, math.ceil((w - x) / tw - 1e-9))
    rows = max(1, math.ceil((h - y) / th - 1e-9))
    return x, y, tw, th, cols, rows


def _first_tile(start: float, size: float) -> float:
    """The position <= 0 of the tile that covers the box's first edge, for
    tiles repeating every ``size`` from ``start``."""
    start %= size
    return start - size if start > 1e-6 * size else 0.0
