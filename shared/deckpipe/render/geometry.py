"""Shape outlines: a few preset geometries and simple custom geometry.

The full preset table (with adjust values and guide formulas) arrives with
the fidelity work; this first version knows the shapes decks use most, as
outlines at their default adjust values, and custom paths whose points are
literal numbers or simple guides. Anything else returns None and the caller
falls back to the bounding rectangle.
"""

from __future__ import annotations

import math

from lxml import etree

from .model import PathOp
from .xml import A, local, num

# Primitive kinds the painter draws directly, with the rounded-corner fraction.
PRIMITIVES: dict[str, tuple[str, float]] = {
    "rect": ("rect", 0.0),
    "flowChartProcess": ("rect", 0.0),
    "roundRect": ("roundRect", 0.16667),
    "flowChartAlternateProcess": ("roundRect", 0.16667),
    "flowChartTerminator": ("roundRect", 0.5),
    "ellipse": ("ellipse", 0.0),
    "flowChartConnector": ("ellipse", 0.0),
}
LINES = frozenset(
    {"line", "straightConnector1", "bentConnector2", "bentConnector3", "bentConnector4",
     "bentConnector5", "curvedConnector2", "curvedConnector3", "curvedConnector4",
     "curvedConnector5", "lineInv"}
)  # fmt: skip

_POLYGONS: dict[str, tuple[tuple[float, float], ...]] = {
    "triangle": ((0.5, 0), (1, 1), (0, 1)),
    "flowChartExtract": ((0.5, 0), (1, 1), (0, 1)),
    "rtTriangle": ((0, 0), (1, 1), (0, 1)),
    "diamond": ((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)),
    "flowChartDecision": ((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)),
    "parallelogram": ((0.25, 0), (1, 0), (0.75, 1), (0, 1)),
    "flowChartInputOutput": ((0.2, 0), (1, 0), (0.8, 1), (0, 1)),
    "trapezoid": ((0.25, 0), (0.75, 0), (1, 1), (0, 1)),
    "pentagon": ((0.5, 0), (1, 0.38), (0.81, 1), (0.19, 1), (0, 0.38)),
    "hexagon": ((0.25, 0), (0.75, 0), (1, 0.5), (0.75, 1), (0.25, 1), (0, 0.5)),
    "octagon": ((0.29, 0), (0.71, 0), (1, 0.29), (1, 0.71), (0.71, 1), (0.29, 1),
                (0, 0.71), (0, 0.29)),
    "homePlate": ((0, 0), (0.8, 0), (1, 0.5), (0.8, 1), (0, 1)),
    "chevron": ((0, 0), (0.8, 0), (1, 0.5), (0.8, 1), (0, 1), (0.2, 0.5)),
    "rightArrow": ((0, 0.25), (0.75, 0.25), (0.75, 0), (1, 0.5), (0.75, 1), (0.75, 0.75),
                   (0, 0.75)),
    "leftArrow": ((1, 0.25), (0.25, 0.25), (0.25, 0), (0, 0.5), (0.25, 1), (0.25, 0.75),
                  (1, 0.75)),
    "upArrow": ((0.25, 1), (0.25, 0.25), (0, 0.25), (0.5, 0), (1, 0.25), (0.75, 0.25),
                (0.75, 1)),
    "downArrow": ((0.25, 0), (0.25, 0.75), (0, 0.75), (0.5, 1), (1, 0.75), (0.75, 0.75),
                  (0.75, 0)),
    "plus": ((0.25, 0), (0.75, 0), (0.75, 0.25), (1, 0.25), (1, 0.75), (0.75, 0.75),
             (0.75, 1), (0.25, 1), (0.25, 0.75), (0, 0.75), (0, 0.25), (0.25, 0.25)),
}  # fmt: skip


def preset_path(name: str) -> tuple[PathOp, ...] | None:
    """A closed outline for a known polygonal preset, else None."""
    points = _POLYGONS.get(name)
    if points is None:
        return None
    ops: list[PathOp] = [("M", points[0])]
    ops += [("L", p) for p in points[1:]]
    ops.append(("Z", ()))
    return tuple(ops)


class _Guides:
    """Values of custom-geometry guide names: builtins plus ``val`` formulas."""

    def __init__(self, w: float, h: float, gd_lst: etree._Element | None) -> None:
        ss = min(w, h)
        self.values = {
            "w": w, "h": h, "l": 0.0, "t": 0.0, "r": w, "b": h, "wd2": w / 2, "hd2": h / 2,
            "wd4": w / 4, "hd4": h / 4, "hc": w / 2, "vc": h / 2, "ss": ss, "ls": max(w, h),
            "cd2": 10800000.0, "cd4": 5400000.0, "3cd4": 16200000.0,
        }  # fmt: skip
        if gd_lst is not None:
            for gd in gd_lst.iterfind(A + "gd"):
                parts = (gd.get("fmla") or "").split()
                if len(parts) == 2 and parts[0] == "val":
                    self.values[gd.get("name", "")] = self.get(parts[1])

    def get(self, token: str | None) -> float:
        if token is None:
            raise ValueError("missing coordinate")
        try:
            return float(token)
        except ValueError:
            pass
        if token in self.values:
            return self.values[token]
        raise ValueError(f"unsupported guide {token!r}")


def custom_path(cust_geom: etree._Element, w_emu: float, h_emu: float) -> tuple[PathOp, ...]:
    """Outline of an ``a:custGeom`` in box fractions; raises ValueError when unsupported."""
    ops: list[PathOp] = []
    guides = _Guides(w_emu, h_emu, cust_geom.find(A + "gdLst"))
    for path in cust_geom.iterfind(f"{A}pathLst/{A}path"):
        pw = num(path.get("w"), w_emu) or 1.0
        ph = num(path.get("h"), h_emu) or 1.0
        cur = (0.0, 0.0)

        def point(pt_el: etree._Element, pw: float = pw, ph: float = ph) -> tuple[float, float]:
            return guides.get(pt_el.get("x")) / pw, guides.get(pt_el.get("y")) / ph

        for cmd in path:
            name = local(cmd)
            pts = [point(p) for p in cmd.iterfind(A + "pt")]
            if name == "moveTo" and pts:
                ops.append(("M", pts[0]))
                cur = pts[0]
            elif name == "lnTo" and pts:
                ops.append(("L", pts[0]))
                cur = pts[0]
            elif name == "cubicBezTo" and len(pts) == 3:
                ops.append(("C", (*pts[0], *pts[1], *pts[2])))
                cur = pts[2]
            elif name == "quadBezTo" and len(pts) == 2:
                (qx, qy), (ex, ey) = pts
                c1 = (cur[0] + 2 / 3 * (qx - cur[0]), cur[1] + 2 / 3 * (qy - cur[1]))
                c2 = (ex + 2 / 3 * (qx - ex), ey + 2 / 3 * (qy - ey))
                ops.append(("C", (*c1, *c2, ex, ey)))
                cur = (ex, ey)
            elif name == "arcTo":
                cur = _arc(ops, cur, guides, cmd, pw, ph)
            elif name == "close":
                ops.append(("Z", ()))
    if not ops:
        raise ValueError("empty custom geometry")
    return tuple(ops)


def _arc(
    ops: list[PathOp],
    cur: tuple[float, float],
    guides: _Guides,
    cmd: etree._Element,
    pw: float,
    ph: float,
) -> tuple[float, float]:
    """Append an elliptical arc as short line segments; returns the end point."""
    wr = guides.get(cmd.get("wR")) / pw
    hr = guides.get(cmd.get("hR")) / ph
    start = math.radians(guides.get(cmd.get("stAng")) / 60000)
    sweep = math.radians(guides.get(cmd.get("swAng")) / 60000)
    cx, cy = cur[0] - wr * math.cos(start), cur[1] - hr * math.sin(start)
    steps = max(2, int(abs(sweep) / (math.pi / 16)) + 1)
    x, y = cur
    for i in range(1, steps + 1):
        a = start + sweep * i / steps
        x, y = cx + wr * math.cos(a), cy + hr * math.sin(a)
        ops.append(("L", (x, y)))
    return x, y
