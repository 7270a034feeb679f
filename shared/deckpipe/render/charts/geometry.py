"""The mapping from data to page points inside a plot area, and path helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..model import Box, Fill, PathOp, ShapeItem, Stroke
from .axes import Scale


@dataclass
class Plane:
    """A cartesian plot area: categories (or x values) along one side, values along the other.

    ``horizontal`` is the bar-chart layout: categories run upwards, values to the right.
    """

    rect: Box
    n_cat: int
    horizontal: bool = False
    between: bool = True
    cat_reverse: bool = False
    x_scale: Scale | None = None

    @property
    def cat_length(self) -> float:
        return self.rect.h if self.horizontal else self.rect.w

    def cat(self, i: float) -> float:
        """Page coordinate of category ``i``'s centre along the category direction."""
        n = max(self.n_cat, 1)
        f = (i + 0.5) / n if self.between or n < 2 else i / (n - 1)
        if self.cat_reverse:
            f = 1 - f
        r = self.rect
        return r.y + r.h - f * r.h if self.horizontal else r.x + f * r.w

    def value(self, v: float, scale: Scale) -> float:
        """Page coordinate of value ``v`` along the value direction."""
        f = scale.frac(v)
        r = self.rect
        return r.x + f * r.w if self.horizontal else r.y + r.h - f * r.h

    def x(self, v: float) -> float:
        assert self.x_scale is not None
        return self.rect.x + self.x_scale.frac(v) * self.rect.w

    def point(self, i: int, v: float, scale: Scale) -> tuple[float, float]:
        c, p = self.cat(i), self.value(v, scale)
        return (p, c) if self.horizontal else (c, p)


def polygon(
    points: list[tuple[float, float]],
    fill: Fill | None,
    stroke: Stroke | None,
    closed: bool,
    smooth: bool = False,
) -> ShapeItem:
    """A path item over the points' bounding box (path coordinates are fractions of it)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = Box(min(xs), min(ys), max(max(xs) - min(xs), 1e-3), max(max(ys) - min(ys), 1e-3))

    def f(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] - box.x) / box.w, (p[1] - box.y) / box.h

    ops: list[PathOp] = [("M", f(points[0]))]
    if smooth and len(points) > 2:
        for i in range(len(points) - 1):
            p0 = points[max(i - 1, 0)]
            p1, p2 = points[i], points[i + 1]
            p3 = points[min(i + 2, len(points) - 1)]
            c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
            c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
            ops.append(("C", (*f(c1), *f(c2), *f(p2))))
    else:
        ops += [("L", f(p)) for p in points[1:]]
    if closed:
        ops.append(("Z", ()))
    return ShapeItem("path", box, fill, stroke, 0.0, tuple(ops))


def sector(start: float, sweep: float, hole: float) -> tuple[PathOp, ...]:
    """A pie slice (or doughnut segment) in a unit box; angles clockwise from 12 o'clock."""
    steps = max(2, int(sweep / 3) + 1)

    def at(angle: float, r: float) -> tuple[float, float]:
        a = math.radians(angle)
        return 0.5 + r * math.sin(a), 0.5 - r * math.cos(a)

    outer = [at(start + sweep * i / steps, 0.5) for i in range(steps + 1)]
    if hole > 0:
        inner = [at(start + sweep * i / steps, 0.5 * hole) for i in reversed(range(steps + 1))]
    else:
        inner = [(0.5, 0.5)]
    pts = outer + inner
    if sweep >= 359.99 and hole <= 0:
        pts = outer
    ops: list[PathOp] = [("M", pts[0])]
    ops += [("L", p) for p in pts[1:]]
    ops.append(("Z", ()))
    return tuple(ops)
