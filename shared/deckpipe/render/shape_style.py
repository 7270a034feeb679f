"""A shape's look as the resolver sees it: fill, outline, shadow, background.

These read the inheritance chain (own ``p:spPr``, then the placeholders it
inherits from, then the theme styles named by ``p:style``) and return model
objects. Pictures are loaded through a callback, since only the resolver
knows the package part.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from . import effects, fills, strokes
from .colors import Palette
from .inherit import Lineage, Theme
from .model import RGB, Background, Fill, Shadow, Stroke
from .xml import A, P, local, num

_FILL_TAGS = frozenset(
    A + t for t in ("noFill", "solidFill", "gradFill", "pattFill", "blipFill", "grpFill")
)
_GRAY: RGB = (0.85, 0.85, 0.85)

LoadBlip = Callable[[etree._Element], "bytes | None"]
"""Returns a blipFill's checked picture bytes, ``b""`` for a grey box, None to skip."""


def first_fill(parents: list[etree._Element]) -> etree._Element | None:
    for parent in parents:
        for c in parent:
            if c.tag in _FILL_TAGS:
                return c
    return None


def _ref_idx(ref: etree._Element | None) -> int:
    return int(num(ref.get("idx"), 0)) if ref is not None else 0


def theme_fill_style(theme: Theme, idx: int) -> etree._Element | None:
    """``fillRef``/``bgRef`` idx: 1.. into fillStyleLst, 1001.. into bgFillStyleLst."""
    if idx >= 1001 and idx - 1001 < len(theme.bg_fill_styles):
        return theme.bg_fill_styles[idx - 1001]
    if 1 <= idx <= len(theme.fill_styles):
        return theme.fill_styles[idx - 1]
    return None


def fill_from(
    fill_el: etree._Element,
    palette: Palette,
    load_blip: LoadBlip,
    placeholder: tuple[RGB, float] | None = None,
) -> Fill | None:
    if local(fill_el) == "blipFill":
        data = load_blip(fill_el)
        if data is None:
            return None
        if data == b"":
            return Fill(_GRAY)
        return fills.picture_fill(fill_el, data, palette, placeholder)
    return fills.fill_of(fill_el, palette, placeholder)


def shape_fill(
    lin: Lineage,
    group_fill: etree._Element | None,
    palette: Palette,
    theme: Theme,
    load_blip: LoadBlip,
) -> Fill | None:
    """The fill of a shape: own spPr, inherited placeholders, then ``p:style/a:fillRef``."""
    sp_prs = [sp for e in (lin.shape, *lin.ancestors) if (sp := e.find(P + "spPr")) is not None]
    fill_el = first_fill(sp_prs)
    if fill_el is not None and local(fill_el) == "grpFill":
        fill_el = group_fill
        if fill_el is None:
            return None
    if fill_el is not None:
        return fill_from(fill_el, palette, load_blip)
    ref = lin.shape.find(f"{P}style/{A}fillRef")
    ref_color = strokes.ref_color(ref, palette)
    idx = _ref_idx(ref)
    if idx <= 0 or ref_color is None:
        return None
    style = theme_fill_style(theme, idx)
    if style is None or local(style) == "blipFill":  # a theme picture: its colour stands in
        return Fill(*ref_color)
    if local(style) == "noFill":
        return None
    return fills.fill_of(style, palette, ref_color) or Fill(*ref_color)


def shape_stroke(lin: Lineage, palette: Palette, theme: Theme) -> Stroke | None:
    lns = [ln for e in (lin.shape, *lin.ancestors) if (ln := e.find(f"{P}spPr/{A}ln")) is not None]
    ref = lin.shape.find(f"{P}style/{A}lnRef")
    idx = _ref_idx(ref)
    ref_color = strokes.ref_color(ref, palette) if idx > 0 else None
    theme_ln = None
    if ref_color is not None and 1 <= idx <= len(theme.line_styles):
        theme_ln = theme.line_styles[idx - 1]
    default_width = theme.line_widths[idx - 1] if 1 <= idx <= len(theme.line_widths) else 0.75
    return strokes.stroke_of(lns, palette, theme_ln, ref_color, default_width)


def shape_shadow(lin: Lineage, palette: Palette, theme: Theme) -> tuple[Shadow | None, list[str]]:
    """(outer shadow, effects that are not drawn) from spPr or ``p:style/a:effectRef``."""
    effect_lst = lin.first(f"{P}spPr/{A}effectLst")
    placeholder = None
    if effect_lst is None and lin.first(f"{P}spPr/{A}effectDag") is None:
        ref = lin.shape.find(f"{P}style/{A}effectRef")
        idx = _ref_idx(ref)
        if 1 <= idx <= len(theme.effect_styles):
            effect_lst = theme.effect_styles[idx - 1].find(A + "effectLst")
            placeholder = strokes.ref_color(ref, palette)
    shadow, skipped = effects.shadow_of(effect_lst, palette, placeholder)
    if effects.three_d(lin.first(P + "spPr")):
        skipped.append("3-D")
    return shadow, skipped


def background(
    bg: etree._Element,
    palette: Palette,
    theme: Theme,
    load_blip: LoadBlip,
    load_theme_blip: LoadBlip | None = None,
) -> Background:
    """A ``p:bg`` (own ``p:bgPr`` or theme ``p:bgRef``) as a Background.

    ``p:bgRef idx`` 1001 and up names the theme's ``a:bgFillStyleLst`` (solid,
    gradient, picture), its ``phClr`` standing for the bgRef's own colour; a
    theme picture is loaded by ``load_theme_blip`` (the theme part's relationships).
    """
    bg_pr = bg.find(P + "bgPr")
    fill: Fill | None = None
    if bg_pr is not None:
        fill_el = first_fill([bg_pr])
        if fill_el is None or local(fill_el) == "noFill":
            return Background()
        if local(fill_el) == "blipFill":
            return _picture_background(fill_el, load_blip, palette)
        fill = fills.fill_of(fill_el, palette)
    else:
        ref = bg.find(P + "bgRef")
        ref_color = strokes.ref_color(ref, palette)
        style = theme_fill_style(theme, _ref_idx(ref))
        if style is not None and local(style) == "blipFill" and load_theme_blip is not None:
            found = _picture_background(style, load_theme_blip, palette, ref_color)
            if found.image is not None or found.fill is not None:
                return found
        if style is not None and local(style) not in ("blipFill", "noFill"):
            fill = fills.fill_of(style, palette, ref_color)
        if fill is None and ref_color is not None:
            fill = Fill(*ref_color)
    if fill is None:
        return Background()
    return Background(fill.color, fill=fill if fill.gradient is not None else None)


def _picture_background(
    fill_el: etree._Element,
    load_blip: LoadBlip,
    palette: Palette,
    placeholder: tuple[RGB, float] | None = None,
) -> Background:
    """A picture background: stretched over the page, or as a fill when tiled,
    inset, cropped or transparent."""
    data = load_blip(fill_el)
    if data == b"":
        return Background(_GRAY)
    if data is None:
        return Background()
    pic = fills.picture_fill(fill_el, data, palette, placeholder)
    if pic.image_tile or any(pic.image_rect) or any(pic.image_crop) or pic.alpha < 1:
        return Background(fill=pic)
    return Background(image=pic.image)
