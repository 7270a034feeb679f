"""Property inheritance: slide shape → layout placeholder → master placeholder → text styles.

A placeholder on a slide says little about itself; its position, body
properties and list styles come from the placeholder it matches on the
layout, then from the master's, then from the master's ``p:txStyles``.
This module finds those ancestors and answers "first value along the chain"
questions; it does not decide what to draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from pptx.opc.package import Part

from .colors import Palette
from .xml import A, P

TITLE_TYPES = frozenset({"title", "ctrTitle"})
# Placeholder types that match the master's body placeholder and use bodyStyle.
BODY_LIKE = frozenset({"body", "subTitle", "obj", "chart", "tbl", "clipArt", "dgm", "media", "pic"})
_SHAPE_TAGS = frozenset(P + t for t in ("sp", "pic", "graphicFrame", "grpSp", "cxnSp"))


def category(ph_type: str) -> str:
    """Group placeholder types the way layouts and masters match them."""
    if ph_type in TITLE_TYPES:
        return "title"
    if ph_type in BODY_LIKE:
        return "body"
    return ph_type


@dataclass(frozen=True)
class PlaceholderKey:
    type: str
    idx: int | None


def nv_pr(shape: etree._Element) -> etree._Element | None:
    """The ``p:nvPr`` of any shape kind (``p:nvSpPr/p:nvPr``, ``p:nvPicPr/p:nvPr`` ...)."""
    for nv in shape:
        if isinstance(nv.tag, str) and nv.tag.startswith(P + "nv"):
            return nv.find(P + "nvPr")
    return None


def c_nv_pr(shape: etree._Element) -> etree._Element | None:
    for nv in shape:
        if isinstance(nv.tag, str) and nv.tag.startswith(P + "nv"):
            return nv.find(P + "cNvPr")
    return None


def placeholder_key(shape: etree._Element) -> PlaceholderKey | None:
    """The ``p:ph`` of a shape as (type, idx); type defaults to ``obj`` as the spec says."""
    nv = nv_pr(shape)
    ph = nv.find(P + "ph") if nv is not None else None
    if ph is None:
        return None
    idx_text = ph.get("idx")
    try:
        idx = int(idx_text) if idx_text is not None else None
    except ValueError:
        idx = None
    return PlaceholderKey(ph.get("type", "obj"), idx)


def placeholders_of(sp_tree: etree._Element | None) -> list[tuple[PlaceholderKey, etree._Element]]:
    """The placeholders of a layout or master shape tree."""
    if sp_tree is None:
        return []
    found = []
    for shape in sp_tree:
        if shape.tag in _SHAPE_TAGS:
            key = placeholder_key(shape)
            if key is not None:
                found.append((key, shape))
    return found


def match_placeholder(
    key: PlaceholderKey, candidates: list[tuple[PlaceholderKey, etree._Element]], by_idx: bool
) -> etree._Element | None:
    """The ancestor placeholder for ``key``.

    Layouts are matched by ``idx`` (preferring the same kind), masters by
    kind only, as PowerPoint does. On a layout a ``title`` does not match a
    ``ctrTitle`` (a ``ctrTitle`` may fall back to a ``title``): LibreOffice places
    a slide's ``title`` on a title-slide layout where the master's title is.
    """
    cat = category(key.type)

    def same_kind(other: str) -> bool:
        if by_idx and cat == "title":  # a ctrTitle may fall back to a title, not the reverse
            return other == key.type or (key.type, other) == ("ctrTitle", "title")
        return category(other) == cat

    if by_idx:
        idx = key.idx if key.idx is not None else 0
        same_idx = [s for k, s in candidates if (k.idx if k.idx is not None else 0) == idx]
        for k, s in candidates:
            if s in same_idx and same_kind(k.type):
                return s
    for k, s in candidates:
        if k.type == key.type:
            return s
    for k, s in candidates:
        if same_kind(k.type):
            return s
    if by_idx and key.idx is not None:
        for k, s in candidates:
            if k.idx == key.idx:
                return s
    return None


@dataclass
class Theme:
    """What the resolver needs from a theme part."""

    major_font: str = "Calibri Light"
    minor_font: str = "Calibri"
    fill_styles: list[etree._Element] = field(default_factory=list)
    bg_fill_styles: list[etree._Element] = field(default_factory=list)
    line_widths: list[float] = field(default_factory=list)  # points
    line_styles: list[etree._Element] = field(default_factory=list)  # a:lnStyleLst/a:ln
    effect_styles: list[etree._Element] = field(default_factory=list)  # a:effectStyle
    # Script fonts: "mj-ea", "mn-cs"... -> a:ea/a:cs typeface ("" when the theme
    # leaves it empty), and "mj:Jpan", "mn:Arab"... -> a:font script="..." typeface.
    script_fonts: dict[str, str] = field(default_factory=dict)


def _children(el: etree._Element | None) -> list[etree._Element]:
    return [] if el is None else [c for c in el if isinstance(c.tag, str)]


def read_theme(theme: etree._Element | None) -> Theme:
    result = Theme()
    if theme is None:
        return result
    elements = theme.find(A + "themeElements")
    if elements is None:
        return result
    major = elements.find(f"{A}fontScheme/{A}majorFont/{A}latin")
    minor = elements.find(f"{A}fontScheme/{A}minorFont/{A}latin")
    if major is not None and major.get("typeface"):
        result.major_font = major.get("typeface", result.major_font)
    if minor is not None and minor.get("typeface"):
        result.minor_font = minor.get("typeface", result.minor_font)
    for prefix, tag in (("mj", "majorFont"), ("mn", "minorFont")):
        for el in elements.iterfind(f"{A}fontScheme/{A}{tag}/*"):
            slot = el.get("script") if el.tag == A + "font" else etree.QName(el).localname
            if slot in ("ea", "cs"):
                result.script_fonts[f"{prefix}-{slot}"] = el.get("typeface", "")
            elif slot and el.get("typeface"):
                result.script_fonts[f"{prefix}:{slot}"] = el.get("typeface", "")
    fmt = elements.find(A + "fmtScheme")
    if fmt is not None:
        result.fill_styles = _children(fmt.find(A + "fillStyleLst"))
        result.bg_fill_styles = _children(fmt.find(A + "bgFillStyleLst"))
        result.line_styles = list(fmt.iterfind(f"{A}lnStyleLst/{A}ln"))
        result.effect_styles = list(fmt.iterfind(f"{A}effectStyleLst/{A}effectStyle"))
        for ln in fmt.iterfind(f"{A}lnStyleLst/{A}ln"):
            try:
                result.line_widths.append(int(ln.get("w", "9525")) / 12700)
            except ValueError:
                result.line_widths.append(0.75)
    return result


@dataclass
class MasterContext:
    """Per-master facts shared by every slide that uses the master."""

    element: etree._Element
    theme: Theme
    palette: Palette
    placeholders: list[tuple[PlaceholderKey, etree._Element]]
    title_style: etree._Element | None
    body_style: etree._Element | None
    other_style: etree._Element | None
    # The theme's package part: pictures in its background styles are its relationships.
    theme_part: Part | None = None
    clr_map: dict[str, str] = field(default_factory=dict)  # the master's own p:clrMap


@dataclass
class LayoutContext:
    element: etree._Element
    placeholders: list[tuple[PlaceholderKey, etree._Element]]


def txstyle(master: etree._Element, name: str) -> etree._Element | None:
    return master.find(f"{P}txStyles/{P}{name}")


@dataclass(frozen=True)
class Lineage:
    """A shape with its inherited placeholders and the text style that ends its chain.

    ``ancestors`` are (layout placeholder, master placeholder) where found;
    ``list_styles`` are the ``a:lstStyle``-like elements (each with
    ``a:lvlNpPr`` children) in priority order, shape's own first.
    """

    shape: etree._Element
    ancestors: tuple[etree._Element, ...]
    list_styles: tuple[etree._Element, ...]
    own_styles: int = 0  # how many leading list_styles belong to the shape or its placeholders

    def first(self, path: str) -> etree._Element | None:
        """First match of ``path`` on the shape, then on each ancestor."""
        for el in (self.shape, *self.ancestors):
            found = el.find(path)
            if found is not None:
                return found
        return None

    def level_props(self, level: int) -> list[tuple[etree._Element, bool]]:
        """The ``a:lvlNpPr`` elements for paragraph level ``level`` (0-based), in
        priority order, each flagged True when it is the shape's own (not a
        master-wide text style)."""
        tag = f"{A}lvl{min(max(level, 0), 8) + 1}pPr"
        return [
            (el, i < self.own_styles)
            for i, style in enumerate(self.list_styles)
            if (el := style.find(tag)) is not None
        ]


def lineage(
    shape: etree._Element,
    layout: LayoutContext | None,
    master: MasterContext,
    default_text_style: etree._Element | None,
    on_master_or_layout: bool = False,
) -> Lineage:
    """Build the inheritance chain for one shape of a slide (or of a layout/master)."""
    key = placeholder_key(shape)
    ancestors: list[etree._Element] = []
    if key is not None and not on_master_or_layout:
        if layout is not None:
            found = match_placeholder(key, layout.placeholders, by_idx=True)
            if found is not None:
                ancestors.append(found)
        found = match_placeholder(key, master.placeholders, by_idx=False)
        if found is not None and found is not shape:
            ancestors.append(found)
    styles = [
        s for el in (shape, *ancestors) if (s := el.find(f"{P}txBody/{A}lstStyle")) is not None
    ]
    own = len(styles)
    if key is None:  # a plain shape: the deck's default text style, never the
        # master's otherStyle (LibreOffice does not apply it to them: a master whose
        # otherStyle is right-aligned 12 pt leaves text boxes left-aligned 18 pt)
        styles += [s for s in (default_text_style,) if s is not None]
    elif category(key.type) == "title":
        styles += [master.title_style] if master.title_style is not None else []
    elif category(key.type) == "body":
        styles += [master.body_style] if master.body_style is not None else []
    else:
        styles += [s for s in (master.other_style,) if s is not None]
    return Lineage(shape, tuple(ancestors), tuple(styles), own)
