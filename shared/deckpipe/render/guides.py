"""DrawingML guide formulas and path commands, shared by preset and custom geometry.

A shape's outline is written in terms of *guides*: named values computed by
small formulas (``*/ w adj 100000``) from the shape's size, its adjust values
and earlier guides. ``Guides`` evaluates those formulas; ``trace`` turns path
commands (moveTo, lnTo, arcTo, cubic/quadratic Béziers, close) into
``PathOp``s in box fractions. Angles are in 60000ths of a degree, clockwise
(y grows downwards), as in the file format.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .model import PathOp

_DEG = 60000.0


def _angle(v: float) -> float:
    return math.radians(v / _DEG)


def _at2(x: float, y: float) -> float:
    return math.degrees(math.atan2(y, x)) * _DEG


_FORMULAS = {
    "*/": lambda x, y, z: x * y / z if z else 0.0,
    "+-": lambda x, y, z: x + y - z,
    "+/": lambda x, y, z: (x + y) / z if z else 0.0,
    "?:": lambda x, y, z: y if x > 0 else z,
    "abs": lambda x: abs(x),
    "at2": _at2,
    "cat2": lambda x, y, z: x * math.cos(math.atan2(z, y)),
    "sat2": lambda x, y, z: x * math.sin(math.atan2(z, y)),
    "cos": lambda x, y: x * math.cos(_angle(y)),
    "sin": lambda x, y: x * math.sin(_angle(y)),
    "tan": lambda x, y: x * math.tan(_angle(y)),
    "max": max,
    "min": min,
    "mod": lambda x, y, z: math.sqrt(x * x + y * y + z * z),
    "pin": lambda x, y, z: x if y < x else z if y > z else y,
    "sqrt": lambda x: math.sqrt(max(x, 0.0)),
    "val": lambda x: x,
}


class Guides:
    """Guide values for one shape: builtins, then adjust values, then formulas."""

    def __init__(self, w: float, h: float) -> None:
        ss, ls = min(w, h), max(w, h)
        v: dict[str, float] = {
            "w": w, "h": h, "l": 0.0, "t": 0.0, "r": w, "b": h, "hc": w / 2, "vc": h / 2,
            "ss": ss, "ls": ls, "cd2": 10800000.0, "cd4": 5400000.0, "cd8": 2700000.0,
            "3cd4": 16200000.0, "3cd8": 8100000.0, "5cd8": 13500000.0, "7cd8": 18900000.0,
        }  # fmt: skip
        for n in (2, 3, 4, 5, 6, 8, 10, 12, 16, 32):
            v[f"wd{n}"], v[f"hd{n}"], v[f"ssd{n}"] = w / n, h / n, ss / n
        self.values = v

    def get(self, token: str | None) -> float:
        if token is None:
            raise ValueError("missing coordinate")
        found = self.values.get(token)
        if found is not None:
            return found
        try:
            return float(token)
        except ValueError:
            raise ValueError(f"unknown guide {token!r}") from None

    def define(self, name: str, fmla: str) -> None:
        """Evaluate one formula (``"*/ w adj 100000"``) into guide ``name``."""
        op, *args = fmla.split()
        func = _FORMULAS.get(op)
        if func is None:
            raise ValueError(f"unsupported guide formula {op!r}")
        try:
            self.values[name] = float(func(*(self.get(a) for a in args)))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            self.values[name] = 0.0

    def define_all(self, pairs: Iterable[tuple[str, str]]) -> None:
        for name, fmla in pairs:
            self.define(name, fmla)


class PathBuilder:
    """Accumulates path commands given in a path's own coordinate space."""

    def __init__(self, guides: Guides, w: float, h: float, pw: float = 0.0, ph: float = 0.0):
        self.g = guides
        # path units → box fractions
        self.sx = (1 / pw) if pw else (1 / w if w else 0.0)
        self.sy = (1 / ph) if ph else (1 / h if h else 0.0)
        self.ops: list[PathOp] = []
        self.cur = (0.0, 0.0)  # in path units

    def _pt(self, x: float, y: float) -> tuple[float, float]:
        return x * self.sx, y * self.sy

    def move(self, x: str, y: str) -> None:
        self.cur = (self.g.get(x), self.g.get(y))
        self.ops.append(("M", self._pt(*self.cur)))

    def line(self, x: str, y: str) -> None:
        self.cur = (self.g.get(x), self.g.get(y))
        self.ops.append(("L", self._pt(*self.cur)))

    def cubic(self, *coords: str) -> None:
        v = [self.g.get(c) for c in coords]
        self.cur = (v[4], v[5])
        self.ops.append(("C", (*self._pt(v[0], v[1]), *self._pt(v[2], v[3]), *self._pt(*self.cur))))

    def quad(self, *coords: str) -> None:
        qx, qy, ex, ey = (self.g.get(c) for c in coords)
        cx, cy = self.cur
        c1 = (cx + 2 / 3 * (qx - cx), cy + 2 / 3 * (qy - cy))
        c2 = (ex + 2 / 3 * (qx - ex), ey + 2 / 3 * (qy - ey))
        self.cur = (ex, ey)
        self.ops.append(("C", (*self._pt(*c1), *self._pt(*c2), *self._pt(ex, ey))))

    def arc(self, wr: str, hr: str, st: str, sw: str) -> None:
        self.arc_values(self.g.get(wr), self.g.get(hr), self.g.get(st), self.g.get(sw))

    def arc_values(self, wr: float, hr: float, st_ang: float, sw_ang: float) -> None:
        """An elliptical arc from the current point, as Bézier curves.

        ``st_ang``/``sw_ang`` are visual angles (as drawn on the stretched
        ellipse); they are converted to the ellipse's parametric angles.
        """
        st, sw = _angle(st_ang), _angle(sw_ang)
        t0 = _parametric(st, wr, hr)
        t1 = _parametric(st + sw, wr, hr)
        span = t1 - t0
        if sw > 0:
            while span <= 0:
                span += 2 * math.pi
            if sw >= 2 * math.pi - 1e-9:
                span = 2 * math.pi
        elif sw < 0:
            while span >= 0:
                span -= 2 * math.pi
            if sw <= -2 * math.pi + 1e-9:
                span = -2 * math.pi
        else:
            return
        if abs(span - sw) > math.pi:  # wrapped the wrong way round a near-full sweep
            span = sw
        cx = self.cur[0] - wr * math.cos(t0)
        cy = self.cur[1] - hr * math.sin(t0)
        n = max(1, math.ceil(abs(span) / (math.pi / 2) - 1e-9))
        step = span / n
        k = 4 / 3 * math.tan(step / 4)
        a = t0
        for _ in range(n):
            b = a + step
            p1 = (
                cx + wr * (math.cos(a) - k * math.sin(a)),
                cy + hr * (math.sin(a) + k * math.cos(a)),
            )
            p2 = (
                cx + wr * (math.cos(b) + k * math.sin(b)),
                cy + hr * (math.sin(b) - k * math.cos(b)),
            )
            end = (cx + wr * math.cos(b), cy + hr * math.sin(b))
            self.ops.append(("C", (*self._pt(*p1), *self._pt(*p2), *self._pt(*end))))
            a = b
        self.cur = (cx + wr * math.cos(a), cy + hr * math.sin(a))

    def close(self) -> None:
        self.ops.append(("Z", ()))


def _parametric(angle: float, wr: float, hr: float) -> float:
    """The parametric angle of the point seen at ``angle`` from the ellipse centre."""
    if wr == 0 or hr == 0:
        return angle
    return math.atan2(wr * math.sin(angle), hr * math.cos(angle))
