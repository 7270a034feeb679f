"""Shape outlines: preset geometries (see ``presets``) and custom geometry.

Both are evaluated with the same guide-formula engine (``guides``), so a
``a:custGeom`` with its own ``a:gdLst`` and adjust values is exact. The
result is an ``Outline``: the draw-item kind plus the sub-paths in box
fractions. Unknown presets fall back to the bounding rectangle and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from . import presets
from .guides import Guides, PathBuilder
from .model import PathOp, SubPath
from .xml import A, local, num

_EMU = 12700.0


@dataclass(frozen=True)
class Outline:
    """``kind`` is ``rect`` or ``path``; ``open_line`` marks lines and connectors
    (stroked only); ``approximated`` names what was drawn as a rectangle."""

    kind: str = "rect"
    subpaths: tuple[SubPath, ...] = ()
    open_line: bool = False
    approximated: str | None = None


def adjust_values(gd_parent: etree._Element | None) -> dict[str, float]:
    """``a:avLst`` entries (``<a:gd name="adj" fmla="val 25000"/>``) as numbers."""
    values: dict[str, float] = {}
    if gd_parent is None:
        return values
    for gd in gd_parent.iterfind(A + "gd"):
        parts = (gd.get("fmla") or "").split()
        if len(parts) == 2 and parts[0] == "val":
            try:
                values[gd.get("name", "")] = float(parts[1])
            except ValueError:
                continue
    return values


def outline(
    prst: etree._Element | None, cust: etree._Element | None, w: float, h: float
) -> Outline:
    """The outline of a shape ``w`` × ``h`` points from its prstGeom or custGeom."""
    if prst is not None:
        name = prst.get("prst", "rect")
        if name == "rect":
            return Outline()
        if not presets.known(name):
            return Outline(approximated=name)
        adjust = adjust_values(prst.find(A + "avLst"))
        paths = presets.preset_paths(name, w * _EMU, h * _EMU, adjust)
        return Outline("path", tuple(paths), presets.is_line(name))
    if cust is not None:
        try:
            return Outline("path", custom_paths(cust, w * _EMU, h * _EMU))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return Outline(approximated=f"custGeom ({exc})")
    return Outline()


def custom_paths(cust_geom: etree._Element, w_emu: float, h_emu: float) -> tuple[SubPath, ...]:
    """The paths of an ``a:custGeom``; raises ValueError when it has none."""
    g = Guides(w_emu, h_emu)
    for lst in (cust_geom.find(A + "avLst"), cust_geom.find(A + "gdLst")):
        if lst is not None:
            for gd in lst.iterfind(A + "gd"):
                if gd.get("fmla"):
                    g.define(gd.get("name", ""), gd.get("fmla", ""))
    result: list[SubPath] = []
    for path in cust_geom.iterfind(f"{A}pathLst/{A}path"):
        b = PathBuilder(g, w_emu, h_emu, num(path.get("w"), 0.0), num(path.get("h"), 0.0))
        for cmd in path:
            name = local(cmd)
            pts = [(p.get("x"), p.get("y")) for p in cmd.iterfind(A + "pt")]
            if name == "moveTo" and pts:
                b.move(*pts[0])
            elif name == "lnTo" and pts:
                b.line(*pts[0])
            elif name == "cubicBezTo" and len(pts) == 3:
                b.cubic(*pts[0], *pts[1], *pts[2])
            elif name == "quadBezTo" and len(pts) == 2:
                b.quad(*pts[0], *pts[1])
            elif name == "arcTo":
                b.arc(cmd.get("wR"), cmd.get("hR"), cmd.get("stAng"), cmd.get("swAng"))
            elif name == "close":
                b.close()
        if b.ops:
            fill = path.get("fill", "norm")
            stroke = path.get("stroke", "1") not in ("0", "false")
            result.append(SubPath(tuple(b.ops), fill, stroke))
    if not result:
        raise ValueError("empty custom geometry")
    return tuple(result)


def custom_path(cust_geom: etree._Element, w_emu: float, h_emu: float) -> tuple[PathOp, ...]:
    """All of a custom geometry's commands as one path (for callers wanting one outline)."""
    return tuple(op for sub in custom_paths(cust_geom, w_emu, h_emu) for op in sub.ops)
