"""Placement: ``a:xfrm`` to boxes in points, and group coordinate spaces.

A group's children live in the group's child space (``a:chOff``/``a:chExt``),
which the group maps onto its own frame (``a:off``/``a:ext``) and then rotates
or flips about its centre. Frames chain, so nested groups compose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from .model import Box
from .xml import A, flag, num, pt


def xfrm_box(xfrm: etree._Element | None) -> Box | None:
    """The box of an ``a:xfrm`` / ``p:xfrm`` in points, or None without off/ext."""
    if xfrm is None:
        return None
    off, ext = xfrm.find(A + "off"), xfrm.find(A + "ext")
    if off is None or ext is None:
        return None
    return Box(
        pt(off.get("x")),
        pt(off.get("y")),
        max(0.0, pt(ext.get("cx"))),
        max(0.0, pt(ext.get("cy"))),
        (num(xfrm.get("rot")) / 60000) % 360,
        flag(xfrm.get("flipH")),
        flag(xfrm.get("flipV")),
    )


@dataclass(frozen=True)
class Frame:
    """Maps boxes from a coordinate space to slide points; the root frame is identity."""

    parent: Frame | None = None
    group: Box | None = None  # the group's own box, in the parent's space
    child_x: float = 0.0
    child_y: float = 0.0
    child_w: float = 0.0
    child_h: float = 0.0

    def enter_group(self, xfrm: etree._Element | None) -> Frame:
        """The frame of a group's children, given the group's ``a:xfrm``."""
        box = xfrm_box(xfrm)
        if box is None:
            return self
        ch_off = xfrm.find(A + "chOff") if xfrm is not None else None
        ch_ext = xfrm.find(A + "chExt") if xfrm is not None else None
        return Frame(
            parent=self,
            group=box,
            child_x=pt(ch_off.get("x")) if ch_off is not None else box.x,
            child_y=pt(ch_off.get("y")) if ch_off is not None else box.y,
            child_w=pt(ch_ext.get("cx")) if ch_ext is not None else box.w,
            child_h=pt(ch_ext.get("cy")) if ch_ext is not None else box.h,
        )

    def map(self, b: Box) -> Box:
        if self.parent is None or self.group is None:
            return b
        g = self.group
        sx = g.w / self.child_w if self.child_w else 1.0
        sy = g.h / self.child_h if self.child_h else 1.0
        w, h = b.w * sx, b.h * sy
        cx = g.x + (b.cx - self.child_x) * sx
        cy = g.y + (b.cy - self.child_y) * sy
        rot, flip_h, flip_v = b.rot, b.flip_h, b.flip_v
        if g.flip_h:
            cx, flip_h, rot = 2 * g.cx - cx, not flip_h, -rot
        if g.flip_v:
            cy, flip_v, rot = 2 * g.cy - cy, not flip_v, -rot
        if g.rot:
            a = math.radians(g.rot)
            dx, dy = cx - g.cx, cy - g.cy
            cx = g.cx + dx * math.cos(a) - dy * math.sin(a)
            cy = g.cy + dx * math.sin(a) + dy * math.cos(a)
            rot += g.rot
        return self.parent.map(Box(cx - w / 2, cy - h / 2, w, h, rot % 360, flip_h, flip_v))
