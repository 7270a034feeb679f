"""Axis titles and the rotation of crowded category labels.

Axis titles (``c:title`` inside an axis) sit outside the tick labels: the
title of a vertical axis is turned 90° counter-clockwise and centred on the
plot's height, the title of a horizontal axis is centred under (or, for the
secondary axis of a bar chart, over) the plot. A title's own
``a:bodyPr rot`` overrides the turn (``rot="0"`` keeps a vertical axis's
title horizontal). The room they take is reserved before the plot area is
placed, as LibreOffice does.

Category labels that do not fit side by side are turned 45° (LibreOffice's
automatic choice for charts that leave rotation to the application: no
``rot`` or ``rot="-60000000"`` on the axis text); an explicit rotation is
kept. When even turned labels would overlap, only every n-th is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from ..model import Box
from ..xml import A, C, num
from .part import strings, val
from .style import Canvas, Font, label, line_height, text_width, wrap

GAP = 4.0  # pt between a title and the tick labels
Y_INSET, X_INSET = 0.30, 0.18  # a title's text distances, em (LibreOffice's VTitle)
AUTO_ROT = "-60000000"  # DrawingML's "let the application decide"


@dataclass(frozen=True)
class AxisTitle:
    text: str
    font: Font
    turned: bool  # drawn at 90° counter-clockwise

    @property
    def thick(self) -> float:
        """The title's text shape across the text lines: their height and LibreOffice's
        0.3 em text distance above and below (VTitle)."""
        lines = self.text.count("\n") + 1
        return line_height(self.font, leading=False) * lines + 2 * Y_INSET * self.font.size

    def across(self, side: str) -> float:
        """How far the title reaches from the plot on ``side`` (l, r, t, b)."""
        if side in ("l", "r") and not self.turned:
            return text_width(self.text, self.font) + 2 * X_INSET * self.font.size
        return self.thick


def axis_title(canvas: Canvas, axis: etree._Element | None, vertical: bool) -> AxisTitle | None:
    """The title of ``axis`` (None when it has none, or it is deleted or empty)."""
    title = axis.find(C + "title") if axis is not None else None
    if title is None or val(axis, "delete") in ("1", "true"):
        return None
    rich = title.find(f"{C}tx/{C}rich")
    if rich is not None:
        text = "\n".join(
            "".join(t.text or "" for t in p.iter(A + "t")) for p in rich.iterfind(A + "p")
        ).strip()
    elif (tx := title.find(C + "tx")) is not None:
        text = " ".join(strings(tx.find(C + "strRef")) or strings(tx)).strip()
    else:
        text = "Axis Title"  # PowerPoint's placeholder text, which LibreOffice also shows
    if not text:
        return None
    base = Font(canvas.font.face, canvas.font.size, canvas.font.color, True)
    font = canvas.text_font(title.find(C + "txPr"), canvas.text_font(rich, base))
    body = rich.find(A + "bodyPr") if rich is not None else None
    if body is None:
        body = title.find(f"{C}txPr/{A}bodyPr")
    rot = body.get("rot") if body is not None else None
    turned = vertical if rot in (None, AUTO_ROT) else abs(num(rot) / 60000) >= 45
    return AxisTitle(text, font, turned)


def fit_title(title: AxisTitle, side: str, chart: Box) -> AxisTitle:
    """``title`` wrapped at LibreOffice's limits: a y-axis title at 20 % of the
    chart's width when horizontal (80 % of its height when turned), an x-axis
    title at 80 % of the width."""
    if side in ("l", "r"):
        limit = chart.h * 0.8 if title.turned else chart.w * 0.2
    else:
        limit = chart.w * 0.8
    limit -= 2 * X_INSET * title.font.size
    lines = [ln for part in title.text.split("\n") for ln in wrap(part, title.font, limit)]
    return AxisTitle("\n".join(lines), title.font, title.turned)


def draw_axis_title(canvas: Canvas, title: AxisTitle, plot: Box, edge: float, side: str) -> None:
    """Draw ``title`` beside ``plot``, its outer edge at ``edge`` on ``side`` (l, r, t, b)."""
    across = title.across(side)
    text_h = title.thick - 2 * Y_INSET * title.font.size
    if side in ("l", "r"):
        x = edge if side == "l" else edge - across
        if title.turned:
            length = plot.h
            box = Box(x + across / 2 - length / 2, plot.cy - text_h / 2, length, text_h, 270.0)
        else:
            box = Box(x, plot.cy - text_h / 2, across, text_h)
    else:
        y = edge - across if side == "b" else edge
        box = Box(plot.x, y + Y_INSET * title.font.size, plot.w, text_h)
    canvas.items.append(label(title.text, box, title.font, "ctr", "ctr", wrap=True))


def label_rotation(axis: etree._Element | None) -> float | None:
    """The category labels' explicit rotation in degrees counter-clockwise, or
    None when the application decides."""
    body = axis.find(f"{C}txPr/{A}bodyPr") if axis is not None else None
    rot = body.get("rot") if body is not None else None
    if rot in (None, AUTO_ROT):
        return None
    return max(-90.0, min(90.0, -num(rot) / 60000))


def crowded(labels: list[str], font: Font, slot: float) -> bool:
    """Whether the labels overlap side by side: a word wider than its slot."""
    widest = max(
        (max((text_width(w, font) for w in t.split()), default=0.0) for t in labels), default=0.0
    )
    return widest > slot * 1.05


def rotated_depth(labels: list[str], font: Font, angle: float) -> float:
    """How far turned labels reach below the axis."""
    a = math.radians(abs(angle))
    widest = max((text_width(t, font) for t in labels), default=0.0) + 4
    return widest * math.sin(a) + font.size * 1.25 * math.cos(a)


def rotated_skip(font: Font, slot: float, angle: float) -> int:
    """Draw every n-th turned label so neighbours do not overlap."""
    a = math.radians(abs(angle))
    needed = font.size * 1.25 / max(math.sin(a), 0.01)
    return max(1, math.ceil(needed / max(slot, 1.0) - 0.05))


def rotated_label(canvas: Canvas, text: str, font: Font, x: float, y: float, angle: float) -> None:
    """One label turned ``angle`` degrees counter-clockwise, ending at the tick
    (``x``, ``y`` on the axis side of the label)."""
    a = math.radians(angle)
    side = 1 if angle > 0 else -1  # text ends at the tick, or (clockwise) starts there
    w = text_width(text, font) + 4
    h = font.size * 1.25
    cx = x - side * w / 2 * math.cos(a)
    cy = y + side * w / 2 * math.sin(a) + h / 2 * math.cos(a)
    box = Box(cx - w / 2, cy - h / 2, w, h, (360.0 - angle) % 360.0)
    canvas.items.append(label(text, box, font, "r" if angle > 0 else "l", "ctr"))
