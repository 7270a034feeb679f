"""The resolver: a python-pptx deck in, one ``Page`` of draw items per slide out.

It walks the master's and layout's decorative shapes, then the slide's
shapes, resolving every property along the inheritance chain (see
``inherit``), so the painter receives plain numbers. A shape that fails to
resolve is skipped with a warning; only resource bounds stop the deck.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lxml import etree
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.package import Part
from pptx.presentation import Presentation
from pptx.slide import Slide, SlideLayout, SlideMaster

from ..errors import DeckError
from . import geometry, images
from .colors import Palette, clr_map_from, fill_color, first_color, resolve_color, scheme_from_theme
from .frames import Frame, xfrm_box
from .inherit import (
    LayoutContext,
    Lineage,
    MasterContext,
    c_nv_pr,
    lineage,
    placeholder_key,
    placeholders_of,
    read_theme,
    txstyle,
)
from .model import (
    RGB,
    Background,
    Box,
    DrawItem,
    Fill,
    ImageItem,
    Page,
    RenderWarning,
    ShapeItem,
    Stroke,
)
from .text import TextContext, resolve_text
from .xml import MC, A, P, R, flag, fraction, local, num, pt

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_FILL_TAGS = frozenset(
    A + t for t in ("noFill", "solidFill", "gradFill", "pattFill", "blipFill", "grpFill")
)
_SHAPE_TAGS = frozenset(P + t for t in ("sp", "pic", "graphicFrame", "grpSp", "cxnSp"))
_GRAY: RGB = (0.85, 0.85, 0.85)
DEFAULT_SLIDE_SIZE = (9144000, 6858000)


@dataclass
class Limits:
    max_shapes: int = 100_000
    max_image_pixels: int = 50_000_000


@dataclass
class _Scope:
    """Everything one slide's walk needs, plus what it produces."""

    number: int
    master: MasterContext
    layout: LayoutContext | None
    palette: Palette
    items: list[DrawItem] = field(default_factory=list)
    warnings: list[RenderWarning] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def warn(self, code: str, message: str, key: str | None = None) -> None:
        """Record a warning once per slide per (code, key)."""
        dedupe = (code, key if key is not None else message)
        if dedupe not in self._seen:
            self._seen.add(dedupe)
            self.warnings.append(RenderWarning(code, message, self.number))


def _parse(blob: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(blob, _PARSER)
    except etree.XMLSyntaxError:
        return None


class DeckResolver:
    """Resolves slides of one presentation; caches per-master and per-layout facts."""

    def __init__(self, prs: Presentation, limits: Limits | None = None) -> None:
        self.prs = prs
        self.limits = limits or Limits()
        sld_sz = prs.element.find(P + "sldSz")
        cx = num(sld_sz.get("cx") if sld_sz is not None else None, DEFAULT_SLIDE_SIZE[0])
        cy = num(sld_sz.get("cy") if sld_sz is not None else None, DEFAULT_SLIDE_SIZE[1])
        if cx <= 0 or cy <= 0:
            cx, cy = DEFAULT_SLIDE_SIZE
        self.width, self.height = cx / 12700, cy / 12700
        self.default_text_style = prs.element.find(P + "defaultTextStyle")
        self.shape_count = 0
        self._masters: dict[int, MasterContext] = {}
        self._layouts: dict[int, LayoutContext] = {}

    # -- per-master / per-layout facts ------------------------------------

    def _master(self, master: SlideMaster) -> MasterContext:
        key = id(master.part)
        if key not in self._masters:
            el = master.element
            try:
                theme_el = _parse(master.part.part_related_by(RT.THEME).blob)
            except Exception:
                theme_el = None
            palette = Palette(scheme=scheme_from_theme(theme_el)).with_map(
                clr_map_from(el.find(P + "clrMap"))
            )
            self._masters[key] = MasterContext(
                element=el,
                theme=read_theme(theme_el),
                palette=palette,
                placeholders=placeholders_of(el.find(f"{P}cSld/{P}spTree")),
                title_style=txstyle(el, "titleStyle"),
                body_style=txstyle(el, "bodyStyle"),
                other_style=txstyle(el, "otherStyle"),
            )
        return self._masters[key]

    def _layout(self, layout: SlideLayout) -> LayoutContext:
        key = id(layout.part)
        if key not in self._layouts:
            el = layout.element
            self._layouts[key] = LayoutContext(el, placeholders_of(el.find(f"{P}cSld/{P}spTree")))
        return self._layouts[key]

    # -- slides -------------------------------------------------------------

    def resolve_slide(self, slide: Slide, number: int) -> tuple[Page, list[RenderWarning]]:
        """One slide as a ``Page``; problems become warnings, bounds raise ``DeckError``."""
        layout = master = None
        try:
            layout = slide.slide_layout
            master = layout.slide_master
        except Exception:
            pass
        if master is None:
            master_ctx = MasterContext(
                etree.Element(P + "sldMaster"), read_theme(None), Palette(), [], None, None, None
            )
        else:
            master_ctx = self._master(master)
        layout_ctx = self._layout(layout) if layout is not None else None
        palette = master_ctx.palette
        for el in (layout_ctx.element if layout_ctx else None, slide.element):
            if el is not None:
                palette = palette.with_map(
                    clr_map_from(el.find(f"{P}clrMapOvr/{A}overrideClrMapping"))
                )
        scope = _Scope(number, master_ctx, layout_ctx, palette)
        sources = [(slide.element, slide.part)]
        if layout is not None:
            sources.append((layout.element, layout.part))
        if master is not None:
            sources.append((master.element, master.part))
        background = self._background(sources, scope)

        show_layout = flag(slide.element.get("showMasterSp"), True)
        show_master = show_layout and (
            layout is None or flag(layout.element.get("showMasterSp"), True)
        )
        if master is not None and show_master:
            self._walk_tree(master.element, master.part, scope, decorative=True)
        if layout is not None and show_layout:
            self._walk_tree(layout.element, layout.part, scope, decorative=True)
        self._walk_tree(slide.element, slide.part, scope, decorative=False)
        page = Page(self.width, self.height, background, tuple(scope.items))
        return page, scope.warnings

    def blank_page(self) -> Page:
        return Page(self.width, self.height)

    def _walk_tree(self, el: etree._Element, part: Part, scope: _Scope, decorative: bool) -> None:
        tree = el.find(f"{P}cSld/{P}spTree")
        if tree is not None:
            self._walk(tree, part, scope, Frame(), decorative, None)

    def _walk(
        self,
        container: etree._Element,
        part: Part,
        scope: _Scope,
        frame: Frame,
        decorative: bool,
        group_fill: etree._Element | None,
    ) -> None:
        for el in container:
            if el.tag == MC + "AlternateContent":
                branch = el.find(MC + "Fallback")
                if branch is None:
                    branch = el.find(MC + "Choice")
                if branch is not None:
                    self._walk(branch, part, scope, frame, decorative, group_fill)
                continue
            if el.tag not in _SHAPE_TAGS:
                continue
            self.shape_count += 1
            if self.shape_count > self.limits.max_shapes:
                raise DeckError(
                    f"The deck has more than {self.limits.max_shapes:,} shapes.",
                    code="too_complex",
                )
            nv = c_nv_pr(el)
            if nv is not None and flag(nv.get("hidden")):
                continue
            if decorative and placeholder_key(el) is not None:
                continue  # layout/master placeholders are prompts, not content
            try:
                self._shape(el, part, scope, frame, decorative, group_fill)
            except DeckError:
                raise
            except Exception as exc:
                name = nv.get("name", "") if nv is not None else ""
                scope.warn(
                    "shape_skipped",
                    f"Shape {name!r} ({local(el)}) could not be drawn: {type(exc).__name__}: {exc}",
                )

    def _shape(
        self,
        el: etree._Element,
        part: Part,
        scope: _Scope,
        frame: Frame,
        decorative: bool,
        group_fill: etree._Element | None,
    ) -> None:
        tag = local(el)
        if tag == "grpSp":
            grp_pr = el.find(P + "grpSpPr")
            xfrm = grp_pr.find(A + "xfrm") if grp_pr is not None else None
            fill = _first_fill([grp_pr]) if grp_pr is not None else None
            self._walk(
                el,
                part,
                scope,
                frame.enter_group(xfrm),
                decorative,
                fill if fill is not None else group_fill,
            )
            return
        lin = lineage(
            el, scope.layout, scope.master, self.default_text_style, on_master_or_layout=decorative
        )
        if tag == "graphicFrame":
            self._graphic_frame(el, part, scope, frame, lin)
            return
        box = xfrm_box(lin.first(f"{P}spPr/{A}xfrm"))
        if box is None:
            return
        box = frame.map(box)
        if tag == "pic":
            self._picture(el, part, scope, box, lin)
            return
        self._geometry(el, part, scope, box, lin, group_fill, line_only=(tag == "cxnSp"))
        tx_body = el.find(P + "txBody")
        if tx_body is not None:
            text = resolve_text(tx_body, box, lin, self._text_context(el, scope))
            if text is not None:
                scope.items.append(text)

    def _text_context(self, el: etree._Element, scope: _Scope) -> TextContext:
        font_ref = el.find(f"{P}style/{A}fontRef")
        color = None
        if font_ref is not None and (c := first_color(font_ref)) is not None:
            resolved = resolve_color(c, scope.palette)
            color = resolved[0] if resolved else None
        return TextContext(scope.palette, scope.master.theme, scope.number, color)

    # -- fills and outlines ---------------------------------------------------

    def _fill(
        self, lin: Lineage, part: Part, scope: _Scope, group_fill: etree._Element | None
    ) -> tuple[Fill | None, bytes | None]:
        """(solid fill, picture-fill bytes) of a shape, own spPr first, then p:style."""
        sp_prs = [sp for e in (lin.shape, *lin.ancestors) if (sp := e.find(P + "spPr")) is not None]
        fill_el = _first_fill(sp_prs)
        if fill_el is not None and local(fill_el) == "grpFill":
            fill_el = group_fill
        if fill_el is None:
            ref = lin.shape.find(f"{P}style/{A}fillRef")
            if ref is None:
                return None, None
            idx = int(num(ref.get("idx"), 0))
            color_el = first_color(ref)
            ref_color = resolve_color(color_el, scope.palette) if color_el is not None else None
            styles = scope.master.theme.fill_styles
            if idx <= 0 or ref_color is None:
                return None, None
            if 1 <= idx <= len(styles) and local(styles[idx - 1]) != "blipFill":
                resolved = fill_color(styles[idx - 1], scope.palette, ref_color)
                return (Fill(*resolved) if resolved else Fill(*ref_color)), None
            return Fill(*ref_color), None
        if local(fill_el) == "blipFill":
            return None, self._blip_bytes(fill_el, part, scope)
        resolved = fill_color(fill_el, scope.palette)
        return (Fill(*resolved) if resolved else None), None

    def _stroke(self, lin: Lineage, scope: _Scope) -> Stroke | None:
        ln = lin.first(f"{P}spPr/{A}ln")
        ref = lin.shape.find(f"{P}style/{A}lnRef")
        ref_idx = int(num(ref.get("idx"), 0)) if ref is not None else 0
        widths = scope.master.theme.line_widths
        width = widths[ref_idx - 1] if 1 <= ref_idx <= len(widths) else 0.75
        color: tuple[RGB, float] | None = None
        dashed = False
        if ln is not None:
            if ln.find(A + "noFill") is not None:
                return None
            if ln.get("w") is not None:
                width = pt(ln.get("w"), 0.75)
            fill_el = next((c for c in ln if c.tag in _FILL_TAGS), None)
            if fill_el is not None:
                color = fill_color(fill_el, scope.palette)
            dash = ln.find(A + "prstDash")
            dashed = dash is not None and dash.get("val", "solid") != "solid"
        if color is None and ref is not None and ref_idx > 0:
            color_el = first_color(ref)
            color = resolve_color(color_el, scope.palette) if color_el is not None else None
        if color is None:
            return None
        return Stroke(color[0], max(width, 0.25), color[1], dashed)

    def _geometry(
        self,
        el: etree._Element,
        part: Part,
        scope: _Scope,
        box: Box,
        lin: Lineage,
        group_fill: etree._Element | None,
        line_only: bool,
    ) -> None:
        stroke = self._stroke(lin, scope)
        fill, picture = (None, None) if line_only else self._fill(lin, part, scope, group_fill)
        if fill is None and stroke is None and picture is None:
            return
        prst = lin.first(f"{P}spPr/{A}prstGeom")
        cust = el.find(f"{P}spPr/{A}custGeom")
        kind, corner, path = "rect", 0.0, ()
        if line_only or (prst is not None and prst.get("prst") in geometry.LINES):
            kind = "line"
        elif prst is not None:
            name = prst.get("prst", "rect")
            if name in geometry.PRIMITIVES:
                kind, corner = geometry.PRIMITIVES[name]
            elif (found := geometry.preset_path(name)) is not None:
                kind, path = "path", found
            else:
                scope.warn(
                    "geometry_approximated",
                    f"Preset shape {name!r} is drawn as its bounding rectangle.",
                    key=name,
                )
        elif cust is not None:
            try:
                kind = "path"
                path = geometry.custom_path(cust, box.w * 12700, box.h * 12700)
            except ValueError as exc:
                kind = "rect"
                scope.warn(
                    "geometry_approximated",
                    f"A custom shape is drawn as its bounding rectangle ({exc}).",
                    key="custGeom",
                )
        if kind == "line":
            fill, picture = None, None
        if picture == b"":
            fill, picture = Fill(_GRAY), None
        if picture is not None:
            scope.items.append(ImageItem(box, picture))
            if stroke is None:
                return
        scope.items.append(ShapeItem(kind, box, fill, stroke, corner, path))

    # -- pictures ---------------------------------------------------------------

    def _blip_bytes(self, blip_fill: etree._Element, part: Part, scope: _Scope) -> bytes | None:
        """The checked bytes of a ``blipFill``'s image; ``b""`` for a picture to show
        as a grey box (unsupported format) and None for one to skip (with a warning)."""
        blip = blip_fill.find(A + "blip")
        if blip is None:
            return None
        rid = blip.get(R + "embed")
        if not rid:
            scope.warn("picture_unsupported", "A linked (external) picture is drawn as a grey box.")
            return b""
        try:
            data = part.related_part(rid).blob
        except Exception as exc:
            scope.warn("picture_unreadable", f"A picture is missing from the package ({exc}).")
            return None
        found = images.probe(data, self.limits.max_image_pixels)
        if found.status == "ok":
            return data
        if found.status == "too_large":
            scope.warn(
                "picture_too_large",
                f"A picture of {found.detail} exceeds the "
                f"{self.limits.max_image_pixels:,}-pixel limit and is not drawn.",
            )
        elif found.status == "unsupported":
            scope.warn("picture_unsupported", f"A {found.detail} is drawn as a grey box.")
            return b""
        else:
            scope.warn("picture_unreadable", f"A picture could not be read ({found.detail}).")
        return None

    def _picture(
        self, el: etree._Element, part: Part, scope: _Scope, box: Box, lin: Lineage
    ) -> None:
        blip_fill = el.find(P + "blipFill")
        data = self._blip_bytes(blip_fill, part, scope) if blip_fill is not None else None
        if data == b"":
            scope.items.append(ShapeItem("rect", box, Fill(_GRAY)))
        elif data is not None:
            src = blip_fill.find(A + "srcRect") if blip_fill is not None else None
            crop = (0.0, 0.0, 0.0, 0.0)
            if src is not None:
                crop = tuple(fraction(src.get(k), 0.0) for k in ("l", "t", "r", "b"))  # type: ignore[assignment]
            alpha_el = blip_fill.find(f"{A}blip/{A}alphaModFix") if blip_fill is not None else None
            alpha = fraction(alpha_el.get("amt"), 1.0) if alpha_el is not None else 1.0
            scope.items.append(ImageItem(box, data, crop, alpha))
        stroke = self._stroke(lin, scope)
        if stroke is not None:
            scope.items.append(ShapeItem("rect", box, None, stroke))

    # -- graphic frames -------------------------------------------------------------

    def _graphic_frame(
        self, el: etree._Element, part: Part, scope: _Scope, frame: Frame, lin: Lineage
    ) -> None:
        box = xfrm_box(el.find(P + "xfrm")) or xfrm_box(lin.first(P + "xfrm"))
        data = el.find(f"{A}graphic/{A}graphicData")
        if box is None or data is None:
            return
        uri = data.get("uri", "")
        tbl = data.find(A + "tbl")
        if tbl is not None:
            self._table(tbl, scope, frame, box)
        elif uri.endswith("/chart"):
            scope.warn("chart_skipped", "Charts are not drawn yet.")
        elif uri.endswith("/diagram"):
            scope.warn("diagram_skipped", "SmartArt diagrams are not drawn yet.")
        else:
            pic = next(data.iter(P + "pic"), None)
            if pic is not None:  # an OLE object's preview picture
                self._picture(pic, part, scope, frame.map(box), lin)
            elif uri.endswith("/ole"):
                scope.warn("ole_skipped", "An embedded object without a preview is not drawn.")
            else:
                scope.warn("shape_skipped", f"A graphic frame ({uri}) is not drawn.", key=uri)

    def _table(self, tbl: etree._Element, scope: _Scope, frame: Frame, box: Box) -> None:
        """Cells as a grid of text boxes with explicit fills and thin rules."""
        scope.warn("table_approximated", "Tables are drawn without their table style.")
        cols = [pt(g.get("w")) for g in tbl.iterfind(f"{A}tblGrid/{A}gridCol")]
        rows = list(tbl.iterfind(A + "tr"))
        heights = [pt(r.get("h")) for r in rows]
        rule = Stroke((0.6, 0.6, 0.6), 0.5)
        lin = Lineage(
            tbl,
            (),
            tuple(s for s in (self.default_text_style, scope.master.other_style) if s is not None),
        )
        ctx = TextContext(scope.palette, scope.master.theme, scope.number)
        y = box.y
        for r, row in enumerate(rows):
            x = box.x
            for c, tc in enumerate(row.iterfind(A + "tc")):
                width = cols[c] if c < len(cols) else 0.0
                if not (flag(tc.get("hMerge")) or flag(tc.get("vMerge"))):
                    span = int(num(tc.get("gridSpan"), 1))
                    rspan = int(num(tc.get("rowSpan"), 1))
                    w = sum(cols[c : c + span])
                    h = sum(heights[r : r + rspan])
                    cell = frame.map(Box(x, y, w, h))
                    self._cell(tc, cell, lin, ctx, scope, rule)
                x += width
            y += heights[r]

    def _cell(
        self,
        tc: etree._Element,
        cell: Box,
        lin: Lineage,
        ctx: TextContext,
        scope: _Scope,
        rule: Stroke,
    ) -> None:
        tc_pr = tc.find(A + "tcPr")
        fill_el = _first_fill([tc_pr]) if tc_pr is not None else None
        resolved = fill_color(fill_el, scope.palette) if fill_el is not None else None
        scope.items.append(ShapeItem("rect", cell, Fill(*resolved) if resolved else None, rule))
        tx_body = tc.find(A + "txBody")
        if tx_body is None:
            return
        text = resolve_text(tx_body, cell, lin, ctx)
        if text is None:
            return

        def margin(name: str, default: float) -> float:
            return pt(tc_pr.get(name), default) if tc_pr is not None else default

        anchor = tc_pr.get("anchor", "t") if tc_pr is not None else "t"
        scope.items.append(
            replace(
                text,
                insets=(
                    margin("marL", 7.2),
                    margin("marT", 3.6),
                    margin("marR", 7.2),
                    margin("marB", 3.6),
                ),  # fmt: skip
                anchor={"ctr": "ctr", "b": "b"}.get(anchor, "t"),
            )
        )

    # -- backgrounds --------------------------------------------------------------

    def _background(self, sources: list[tuple[etree._Element, Part]], scope: _Scope) -> Background:
        """The first background along slide → layout → master; white if none."""
        for el, part in sources:
            bg = el.find(f"{P}cSld/{P}bg")
            if bg is None:
                continue
            try:
                return self._background_of(bg, part, scope)
            except Exception as exc:
                scope.warn("background_skipped", f"The background could not be read: {exc}")
                return Background()
        return Background()

    def _background_of(self, bg: etree._Element, part: Part, scope: _Scope) -> Background:
        bg_pr = bg.find(P + "bgPr")
        if bg_pr is not None:
            fill_el = _first_fill([bg_pr])
            if fill_el is None or local(fill_el) == "noFill":
                return Background()
            if local(fill_el) == "blipFill":
                data = self._blip_bytes(fill_el, part, scope)
                return Background(_GRAY if data == b"" else (1.0, 1.0, 1.0), data or None)
            resolved = fill_color(fill_el, scope.palette)
            return Background(resolved[0]) if resolved else Background()
        ref = bg.find(P + "bgRef")
        if ref is None:
            return Background()
        color_el = first_color(ref)
        ref_color = resolve_color(color_el, scope.palette) if color_el is not None else None
        idx = int(num(ref.get("idx"), 0))
        theme = scope.master.theme
        style = None
        if idx >= 1001 and idx - 1001 < len(theme.bg_fill_styles):
            style = theme.bg_fill_styles[idx - 1001]
        elif 1 <= idx <= len(theme.fill_styles):
            style = theme.fill_styles[idx - 1]
        resolved = fill_color(style, scope.palette, ref_color) if style is not None else None
        color = resolved or ref_color
        return Background(color[0]) if color else Background()


def _first_fill(sp_prs: list[etree._Element]) -> etree._Element | None:
    for sp in sp_prs:
        for c in sp:
            if c.tag in _FILL_TAGS:
                return c
    return None


__all__ = ["DeckResolver", "Limits"]
