"""Shape effects: outer shadows are drawn (as an offset silhouette); the rest
(glow, soft edges, reflection, inner shadow, 3-D) are reported as approximated.
"""

from __future__ import annotations

import math

from lxml import etree

from .colors import Palette, first_color, resolve_color
from .model import RGB, Shadow
from .xml import A, local, num, pt

_UNDRAWN = {
    "glow": "glow", "softEdge": "soft edges", "reflection": "reflection",
    "innerShdw": "inner shadow", "blur": "blur", "fillOverlay": "fill overlay",
}  # fmt: skip


def shadow_of(
    effect_lst: etree._Element | None,
    palette: Palette,
    placeholder: tuple[RGB, float] | None = None,
) -> tuple[Shadow | None, list[str]]:
    """(the outer shadow of an ``a:effectLst``, names of effects not drawn)."""
    if effect_lst is None:
        return None, []
    shadow = None
    skipped: list[str] = []
    for el in effect_lst:
        name = local(el)
        if name in ("outerShdw", "prstShdw"):
            color_el = first_color(el)
            found = resolve_color(color_el, palette, placeholder) if color_el is not None else None
            rgb, alpha = found if found else ((0.0, 0.0, 0.0), 0.35)
            dist, blur = pt(el.get("dist")), pt(el.get("blurRad"))
            angle = math.radians(num(el.get("dir")) / 60000)
            if blur > 2 * max(dist, 1.0):
                alpha *= 0.6  # a wide blur spreads the shadow thin
            shadow = Shadow(rgb, alpha, dist * math.cos(angle), dist * math.sin(angle), blur)
        elif name in _UNDRAWN:
            skipped.append(_UNDRAWN[name])
    return shadow, skipped


def three_d(sp_pr: etree._Element | None) -> bool:
    """Whether a shape has a visible 3-D bevel or extrusion we draw flat."""
    sp3d = sp_pr.find(A + "sp3d") if sp_pr is not None else None
    if sp3d is None:
        return False
    deep = num(sp3d.get("extrusionH")) > 0 or num(sp3d.get("z")) != 0
    return deep or sp3d.find(A + "bevelT") is not None or sp3d.find(A + "bevelB") is not None
