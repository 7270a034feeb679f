"""Axis scales and the drawing of axes: lines, tick marks, tick labels, gridlines.

Automatic value scales follow LibreOffice's rules (what the references
show): at most 10 intervals of 1, 2 or 5 times a power of ten; a value axis
of positive values starts at zero unless the smallest value is above 5/6 of
the largest; when the largest value falls exactly on the last tick one more
interval is added. Horizontal value axes of scatter charts do not reach to
zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from ..model import Box, ShapeItem, Stroke
from ..xml import C, num
from .numfmt import fmt
from .part import on, val
from .style import Canvas, Font, label, line_height, text_width

MAX_INTERVALS = 10
TICK = 4.0  # tick mark length, pt
# a tick mark (1.5 mm) and the tick-label spacing (1 mm), LibreOffice's 2-D axis defaults
LABEL_GAP = (150 + 100) * 72 / 2540


def nice_scale(
    lo: float,
    hi: float,
    fixed_min: float | None = None,
    fixed_max: float | None = None,
    unit: float | None = None,
    steps: float = MAX_INTERVALS,
    expand_to_zero: bool = False,
    close_to_border: bool = True,
) -> tuple[float, float, float]:
    """(min, max, major unit) with round steps covering [lo, hi], by LibreOffice's
    ScaleAutomatism for linear axes.

    ``expand_to_zero`` (its y axes, never an XY chart's x axis): an automatic
    minimum of same-signed data goes to zero when the smallest value is below
    5/6 of the largest (or all are equal), else it is moved toward zero by half
    the data's range. ``close_to_border`` (2-D charts, not percent axes): an
    interval is added when the data reach within 1/21 of the rounded range's
    end; for the minimum this is measured against the unrounded maximum."""
    swap = lo < 0 and hi <= 0 and not (lo == hi == 0)
    if swap:  # all negative: work on the mirrored range, as LibreOffice does
        lo, hi = -hi, -lo
        fixed_min, fixed_max = (
            -fixed_max if fixed_max is not None else None,
            -fixed_min if fixed_min is not None else None,
        )
    src_lo, src_hi = lo, hi
    if fixed_min is not None:
        lo = fixed_min
    if fixed_max is not None:
        hi = fixed_max
    if lo > hi:
        if fixed_max is None or fixed_min is not None:
            hi = lo
        else:
            lo = hi
    if expand_to_zero and fixed_min is None and lo > 0:
        if lo == hi or lo / hi < 5 / 6:
            lo = 0.0
        else:
            lo -= (hi - lo) / 2
    if lo == hi:
        if fixed_max is None or fixed_min is not None:
            hi = 1.0 if hi == 0 else hi * 2
        else:
            lo = -1.0 if lo == 0 else lo / 2
    base = fixed_min if fixed_min is not None else fixed_max if fixed_max is not None else 0.0
    if unit is not None and unit > 0:
        step = unit
        auto_step = False
    else:
        raw = (hi - lo) / max(steps, 1)
        mag = 10 ** math.floor(math.log10(raw))
        norm = raw / mag
        norm = next((m for m in (1, 2, 5) if norm <= m * (1 + 1e-9)), 10)
        step = norm * mag
        auto_step = True
    start = end = 0.0
    for _ in range(60):
        start, end = lo, hi
        if fixed_min is None:
            start = base + math.floor((lo - base) / step + 1e-9) * step
            if close_to_border and start != 0 and (hi - src_lo) / (hi - start) > 20 / 21:
                start -= step
        if fixed_max is None:
            end = base + math.ceil((hi - base) / step - 1e-9) * step
            if close_to_border and end != 0 and (src_hi - start) / (end - start) > 20 / 21:
                end += step
        count = math.floor((end - start) / step + 1e-9)
        limit = steps if auto_step else 500
        if count <= limit:
            break
        auto_step = True
        mag = 10 ** math.floor(math.log10(step) + 1e-9)
        norm = round(step / mag, 6)
        step = (2 if norm < 2 else 5 if norm < 5 else 10) * mag
    if end <= start:
        end = start + step
    if swap:
        start, end = -end + 0.0, -start + 0.0
    return start, end, step


@dataclass
class Scale:
    lo: float
    hi: float
    step: float
    reverse: bool = False
    log: float = 0.0  # logarithm base (0 = linear)

    def frac(self, v: float) -> float:
        """Where ``v`` falls along the axis, 0 at its start and 1 at its end."""
        if self.log:
            lo, hi = math.log(self.lo, self.log), math.log(self.hi, self.log)
            f = (math.log(max(v, 1e-300), self.log) - lo) / ((hi - lo) or 1.0)
        else:
            f = (v - self.lo) / ((self.hi - self.lo) or 1.0)
        return 1 - f if self.reverse else f

    def ticks(self) -> list[float]:
        out, v = [], self.lo
        while v <= self.hi + self.step * 1e-6 and len(out) < 200:
            out.append(0.0 if abs(v) < self.step * 1e-9 else v)
            v = v * self.log if self.log else v + self.step
        return out

    def minor_ticks(self, axis: etree._Element | None) -> list[float]:
        unit = num(val(axis, "minorUnit"), 0) or self.step / 5
        out, v = [], self.lo
        while v <= self.hi + unit * 1e-6 and len(out) < 1000 and not self.log:
            out.append(v)
            v += unit
        return out


def value_scale(
    axis: etree._Element | None,
    lo: float,
    hi: float,
    *,
    percent: bool = False,
    expand_to_zero: bool = True,
    close_to_border: bool = True,
    steps: float = MAX_INTERVALS,
) -> Scale:
    """The scale of a value axis over data from ``lo`` to ``hi`` (``c:scaling`` wins);
    ``close_to_border`` as in ``nice_scale`` (LibreOffice: not for XY/bubble charts)."""
    scaling = axis.find(C + "scaling") if axis is not None else None
    fmin = num(val(scaling, "min")) if val(scaling, "min") is not None else None
    fmax = num(val(scaling, "max")) if val(scaling, "max") is not None else None
    unit = num(val(axis, "majorUnit"), 0) or None
    reverse = val(scaling, "orientation", "minMax") == "maxMin"
    log = num(val(scaling, "logBase"), 0)
    if log > 1 and lo > 0:
        low = fmin or 10 ** math.floor(math.log(lo, log) + 1e-9) if lo > 0 else 1.0
        high = fmax or log ** math.ceil(math.log(max(hi, low * log), log) - 1e-9)
        return Scale(low, max(high, low * log), log, reverse, log)
    if percent:
        fmin = 0.0 if fmin is None and lo >= 0 else fmin
        fmax = 1.0 if fmax is None else fmax
    start, end, step = nice_scale(lo, hi, fmin, fmax, unit, steps, expand_to_zero, close_to_border)
    return Scale(start, end, step, reverse)


def deleted(axis: etree._Element | None) -> bool:
    return axis is None or on(axis, "delete")


def axis_stroke(canvas: Canvas, axis: etree._Element | None) -> Stroke | None:
    """An axis line: its ``c:spPr`` line, else the default thin grey line."""
    if deleted(axis):
        return None
    line = canvas.line(axis.find(C + "spPr"))  # type: ignore[union-attr]
    if line is False:
        return None
    if isinstance(line, Stroke):
        return line
    width = canvas.line_width(axis.find(C + "spPr")) or 0.75  # type: ignore[union-attr]
    return Stroke(canvas.line_grey, width)


def gridlines(canvas: Canvas, axis: etree._Element | None, tag: str) -> Stroke | None:
    el = axis.find(C + tag) if axis is not None else None
    if el is None:
        return None
    line = canvas.line(el.find(C + "spPr"))
    if line is False:
        return None
    return line if isinstance(line, Stroke) else Stroke(canvas.line_grey, 0.75)


def tick_labels_shown(axis: etree._Element | None) -> bool:
    return not deleted(axis) and val(axis, "tickLblPos", "nextTo") != "none"


def draw_ticks(
    canvas: Canvas,
    axis: etree._Element | None,
    stroke: Stroke | None,
    positions: list[float],
    at: float,
    vertical_axis: bool,
    outward: float,
    tag: str = "majorTickMark",
) -> None:
    """Tick marks across an axis line at ``at``; ``outward`` is -1 or +1 (away from the plot)."""
    mark = val(axis, tag, "cross" if tag == "majorTickMark" else "none")
    if stroke is None or mark == "none":
        return
    a = {"out": 0.0, "in": -TICK, "cross": -TICK}.get(mark or "", 0.0)
    b = {"out": TICK, "in": 0.0, "cross": TICK}.get(mark or "", 0.0)
    if tag == "minorTickMark":
        a, b = a / 2, b / 2
    for p in positions:
        lo, hi = sorted((at + a * outward, at + b * outward))
        box = Box(lo, p, hi - lo, 0) if vertical_axis else Box(p, lo, 0, hi - lo)
        canvas.items.append(ShapeItem("line", box, None, stroke))


def value_labels(
    canvas: Canvas,
    texts: list[tuple[float, str]],
    font: Font,
    at: float,
    vertical_axis: bool,
    side: int,
) -> None:
    """Tick labels of a value axis: ``side`` -1 places them left of / below ``at``... see code."""
    for p, text in texts:
        if vertical_axis:
            w = max(text_width(text, font) + 8, 40)
            x = at - LABEL_GAP - w if side < 0 else at + LABEL_GAP
            b = Box(x, p - font.size * 0.7, w, font.size * 1.4)
            canvas.items.append(label(text, b, font, "r" if side < 0 else "l"))
        else:
            w = max(text_width(text, font) + 8, 40)
            h = line_height(font, leading=False)
            y = at + LABEL_GAP if side > 0 else at - LABEL_GAP - h
            canvas.items.append(label(text, Box(p - w / 2, y, w, h), font, "ctr", "t"))


def tick_texts(scale: Scale, code: str) -> list[tuple[float, str]]:
    return [(t, fmt(t, code)) for t in scale.ticks()]
