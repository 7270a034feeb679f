"""Replaying a metafile's display list (``metafile.read``) on a reportlab canvas.

Paths with GDI fill rules, pens' caps, joins and dashes, hatched brushes as
lines every 8 device pixels, text in the renderer's fonts (symbol fonts
translated to the symbols they show) aligned as GDI aligns it and stretched
to the file's own advances, and bitmaps through the painter's image forms.
Coordinates are the display list's 1000 x 1000 box, flipped to PDF's y up.
"""

from __future__ import annotations

import math
from dataclasses import replace

from reportlab.pdfgen.canvas import Canvas

from . import fonts, symbols
from .gdi import BOX, Op
from .metafile import ImageForm, Picture

_CAPS = {0: 1, 1: 2, 2: 0}  # GDI end cap -> PDF line cap
_JOINS = {0: 1, 1: 2, 2: 0}


def replay(c: Canvas, picture: Picture, image_form: ImageForm) -> int:
    """Draw the display list in the box (0, 0)-(1000, 1000), y up. Image forms
    must already exist (``image_form`` is only looked up). Returns how many
    items failed to draw; it never raises, so an open form is always closed."""
    failed = 0
    clip: tuple = ()
    c.saveState()
    for op in picture.ops:
        if op.clip != clip:
            c.restoreState()
            c.saveState()
            clip = op.clip
            for segs in clip:
                c.clipPath(_path(c, segs), stroke=0, fill=0)
        try:
            if op.kind == "path":
                _draw_path(c, op)
            elif op.kind == "text":
                _draw_text(c, op)
            elif op.kind == "image":
                c.saveState()
                c.translate(op.x, BOX - op.y - op.h)
                c.scale(op.w, op.h)
                c.doForm(image_form(op.png))
                c.restoreState()
        except Exception:
            failed += 1
    c.restoreState()
    return failed


def _path(c: Canvas, segs: tuple):  # noqa: ANN202
    p = c.beginPath()
    for seg in segs:
        op = seg[0]
        if op == "M":
            p.moveTo(seg[1], BOX - seg[2])
        elif op == "L":
            p.lineTo(seg[1], BOX - seg[2])
        elif op == "C":
            p.curveTo(seg[1], BOX - seg[2], seg[3], BOX - seg[4], seg[5], BOX - seg[6])
        else:
            p.close()
    return p


def _draw_path(c: Canvas, op: Op) -> None:
    if op.hatch >= 0 and op.fill is not None:
        _hatch(c, op)
        op = replace(op, fill=None, hatch=-1)
        if op.stroke is None:
            return
    c.saveState()
    if op.fill is not None:
        c.setFillColorRGB(*op.fill)
    if op.stroke is not None:
        c.setStrokeColorRGB(*op.stroke)
        c.setLineWidth(op.width)
        c.setLineCap(_CAPS.get(op.cap, 1))
        c.setLineJoin(_JOINS.get(op.join, 1))
        if op.dash:
            c.setDash([d * max(op.width, 0.5) for d in op.dash], 0)
    c.drawPath(_path(c, op.segs), stroke=int(op.stroke is not None),
               fill=int(op.fill is not None), fillMode=1 if op.evenodd else 0)
    c.restoreState()


def _hatch(c: Canvas, op: Op) -> None:
    """A GDI hatched fill: one-pixel lines every 8 device pixels, clipped to the path,
    over the background colour when the background mode is opaque."""
    xs = [v for seg in op.segs for v in seg[1::2]]
    ys = [v for seg in op.segs for v in seg[2::2]]
    if not xs:
        return
    sx, sy = op.scale
    if sx <= 0 or sy <= 0:
        return
    c.saveState()
    c.clipPath(_path(c, op.segs), stroke=0, fill=0, fillMode=1 if op.evenodd else 0)
    if op.hatch_bg is not None:
        c.setFillColorRGB(*op.hatch_bg)
        c.rect(min(xs), BOX - max(ys), max(xs) - min(xs), max(ys) - min(ys), stroke=0, fill=1)
    c.translate(0, BOX)
    c.scale(sx, -sy)  # device pixels, y down, from the frame's top-left corner
    x0, x1 = math.floor(min(xs) / sx / 8) * 8, math.ceil(max(xs) / sx / 8) * 8
    y0, y1 = math.floor(min(ys) / sy / 8) * 8, math.ceil(max(ys) / sy / 8) * 8
    if (x1 - x0) + (y1 - y0) > 80_000:  # over 20,000 lines: more than a picture can show
        c.restoreState()
        return
    c.setStrokeColorRGB(*op.fill)  # type: ignore[misc]
    c.setLineWidth(1)
    p = c.beginPath()
    if op.hatch in (0, 4):
        for y in range(y0, y1 + 1, 8):
            p.moveTo(x0, y)
            p.lineTo(x1, y)
    if op.hatch in (1, 4):
        for x in range(x0, x1 + 1, 8):
            p.moveTo(x, y0)
            p.lineTo(x, y1)
    span = (x1 - x0) + (y1 - y0)
    if op.hatch in (2, 5):  # "\": down to the right
        for k in range(x0 - (y1 - y0), x1 + 1, 8):
            p.moveTo(k, y0)
            p.lineTo(k + span, y0 + span)
    if op.hatch in (3, 5):  # "/": up to the right
        for k in range(x0, x1 + (y1 - y0) + 1, 8):
            p.moveTo(k, y0)
            p.lineTo(k - span, y0 + span)
    c.drawPath(p, stroke=1, fill=0)
    c.restoreState()


def _ansi_code(ch: str) -> str:
    """The character whose code is ``ch``'s byte in the ANSI code page (how a
    symbol font's 8-bit text read as cp1252 gets its codes back)."""
    try:
        encoded = ch.encode("cp1252")
    except UnicodeEncodeError:
        return ch
    return chr(encoded[0]) if len(encoded) == 1 else ch


def _draw_text(c: Canvas, op: Op) -> None:
    f = op.font
    if f is None or op.size <= 0:
        return
    bold = f.weight >= 600
    text, face = op.text, f.face
    if symbols.is_symbol_typeface(face):  # Symbol's "å" is a sum sign, and so on
        text = symbols.to_unicode("".join(map(_ansi_code, text)), face, unknown="")
        face = symbols.SYMBOL_DRAW_FONT
    pieces, _ = fonts.split_by_font(text, face, bold, f.italic)
    if not pieces:
        return
    first = pieces[0][1]
    size = op.size
    if f.height > 0:  # a cell height: the em is what is left after the line's ascent and descent
        size /= max(first.ascent + first.descent + first.gap, 0.5)
    width = sum(fonts.text_width(text, face.name, size) for text, face in pieces)
    stretch = 1.0
    if op.advance and width > 0:
        stretch = min(max(op.advance / width, 0.5), 2.0)
    width *= stretch
    align = op.align
    x = -width if align & 6 == 2 else -width / 2 if align & 6 == 6 else 0.0
    if align & 24 == 24:  # baseline
        y = 0.0
    elif align & 8:  # bottom
        y = first.descent * size
    else:  # top
        y = -first.ascent * size
    c.saveState()
    c.translate(op.x, BOX - op.y)
    c.scale(*op.scale)
    if op.angle:
        c.rotate(op.angle)
    c.setFillColorRGB(*op.color)
    t = c.beginText(x, y)
    if not math.isclose(stretch, 1.0, abs_tol=0.01):
        t.setHorizScale(stretch * 100)
    for text, face in pieces:
        t.setFont(face.name, size)
        t.textOut(text)
    c.drawText(t)
    if f.underline or f.strike:
        c.setStrokeColorRGB(*op.color)
        c.setLineWidth(size / 14)
        for on, dy in ((f.underline, -size * 0.12), (f.strike, size * 0.28)):
            if on:
                c.line(x, y + dy, x + width, y + dy)
    c.restoreState()
