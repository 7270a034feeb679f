"""Namespaces and tolerant attribute readers shared by the resolver modules.

Real decks (and Strict-format decks mapped to transitional names) put odd
values in numeric attributes: ``"50%"``, ``"2.5in"``, floats, junk. The
readers here never raise; they return the default instead, so one odd value
costs one property, not the shape.
"""

from __future__ import annotations

import re

from lxml import etree

NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
}
A = f"{{{NS['a']}}}"
P = f"{{{NS['p']}}}"
R = f"{{{NS['r']}}}"
MC = f"{{{NS['mc']}}}"
C = f"{{{NS['c']}}}"

EMU_PER_PT = 12700
_UNIT_EMU = {"in": 914400, "cm": 360000, "mm": 36000, "pt": 12700, "pc": 152400, "pi": 152400}
_MEASURE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(in|cm|mm|pt|pc|pi)?\s*$")


def local(el: etree._Element) -> str:
    """The tag without its namespace (comments and PIs have none)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def emu(value: str | None, default: float = 0.0) -> float:
    """An EMU coordinate attribute (or a Strict universal measure) as EMU."""
    if value is None:
        return default
    m = _MEASURE.match(value)
    if not m:
        return default
    number = float(m.group(1))
    return number * _UNIT_EMU[m.group(2)] if m.group(2) else number


def pt(value: str | None, default: float = 0.0) -> float:
    """An EMU attribute converted to points."""
    return emu(value, default * EMU_PER_PT) / EMU_PER_PT


def num(value: str | None, default: float = 0.0) -> float:
    """A plain number attribute; junk gives the default."""
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        return default


def fraction(value: str | None, default: float = 1.0) -> float:
    """A DrawingML percentage (``"50000"`` or Strict ``"50%"``) as a fraction."""
    if value is None:
        return default
    value = value.strip()
    try:
        if value.endswith("%"):
            return float(value[:-1]) / 100.0
        return float(value) / 100000.0
    except ValueError:
        return default


def flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "on")


def child(el: etree._Element | None, tag: str) -> etree._Element | None:
    """First child with the Clark-notation ``tag`` (None-safe)."""
    if el is None:
        return None
    return el.find(tag)
