"""The resolver: a python-pptx deck in, one ``Page`` of draw items per slide out.

It walks the master's and layout's decorative shapes, then the slide's
shapes, resolving every property along the inheritance chain (see
``inherit``), so the painter receives plain numbers. A shape that fails to
resolve is skipped with a warning; only resource bounds stop the deck.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.package import Part
from pptx.presentation import Presentation
from pptx.slide import Slide, SlideLayout, SlideMaster

from ..errors import DeckError
from . import (
    charts,
    diagrams,
    fills,
    geometry,
    graphic_pictures,
    images,
    shape_style,
    table_styles,
    tables,
)
from .colors import (
    Palette,
    auto_text_color,
    clr_map_from,
    effective_clr_map,
    first_color,
    resolve_color,
    scheme_from_theme,
)
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
from .xml import MC, A, C, P, R, flag, fraction, local, num

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
    auto_color: RGB = (0.0, 0.0, 0.0)  # LibreOffice's "automatic" text colour on this slide
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
        self._table_styles: tuple[etree._Element | None] | None = None  # tableStyles.xml
        self._effects_warned: set[str] = set()  # effect_approximated: once per deck
        self._probes: dict[bytes, images.Probe] = {}  # a picture used on many slides: one probe

    # -- per-master / per-layout facts ------------------------------------

    def _master(self, master: SlideMaster) -> MasterContext:
        key = id(master.part)
        if key not in self._masters:
            el = master.element
            try:
                theme_part = master.part.part_related_by(RT.THEME)
                theme_el = _parse(theme_part.blob)
            except Exception:
                theme_part = theme_el = None
            clr_map = clr_map_from(el.find(P + "clrMap"))
            palette = Palette(scheme=scheme_from_theme(theme_el)).with_map(clr_map)
            self._masters[key] = MasterContext(
                element=el,
                theme=read_theme(theme_el),
                palette=palette,
                placeholders=placeholders_of(el.find(f"{P}cSld/{P}spTree")),
                title_style=txstyle(el, "titleStyle"),
                body_style=txstyle(el, "bodyStyle"),
                other_style=txstyle(el, "otherStyle"),
                theme_part=theme_part,
                clr_map=clr_map,
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
        palette = master_ctx.palette.with_map(
            effective_clr_map(
                master_ctx.clr_map, layout_ctx.element if layout_ctx else None, slide.element
            )
        )
        scope = _Scope(number, master_ctx, layout_ctx, palette)
        sources = [(slide.element, slide.part)]
        if layout is not None:
            sources.append((layout.element, layout.part))
        if master is not None:
            sources.append((master.element, master.part))
        background = self._background(sources, scope)
        scope.auto_color = auto_text_color(background.color)

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
            text = resolve_text(tx_body, box, lin, self._text_context(el, scope, part))
            if text is not None:
                scope.items.append(text)

    def _text_context(self, el: etree._Element, scope: _Scope, part: Part) -> TextContext:
        font_ref = el.find(f"{P}style/{A}fontRef")
        color = None
        if font_ref is not None and (c := first_color(font_ref)) is not None:
            resolved = resolve_color(c, scope.palette)
            color = resolved[0] if resolved else None
        return TextContext(
            scope.palette, scope.master.theme, scope.number, color, part=part,
            auto_color=scope.auto_color, warn=scope.warn,
        )  # fmt: skip

    # -- fills and outlines ---------------------------------------------------

    def _fill(
        self, lin: Lineage, part: Part, scope: _Scope, group_fill: etree._Element | None
    ) -> Fill | None:
        """A shape's fill (solid, gradient, pattern or picture); see ``shape_style``."""
        return shape_style.shape_fill(
            lin, group_fill, scope.palette, scope.master.theme,
            lambda blip_fill: self._blip_bytes(blip_fill, part, scope),
        )  # fmt: skip

    def _stroke(self, lin: Lineage, scope: _Scope) -> Stroke | None:
        return shape_style.shape_stroke(lin, scope.palette, scope.master.theme)

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
        fill = None if line_only else self._fill(lin, part, scope, group_fill)
        if fill is None and stroke is None:
            return
        prst = lin.first(f"{P}spPr/{A}prstGeom")
        cust = el.find(f"{P}spPr/{A}custGeom")
        if line_only and prst is None and cust is None:
            prst = etree.Element(A + "prstGeom", prst="line")
        shape = geometry.outline(prst, cust, box.w, box.h)
        if shape.approximated is not None:
            scope.warn(
                "geometry_approximated",
                f"Shape geometry {shape.approximated!r} is drawn as its bounding rectangle.",
                key=shape.approximated,
            )
        shadow, undrawn = shape_style.shape_shadow(lin, scope.palette, scope.master.theme)
        for effect in undrawn:
            if effect not in self._effects_warned:
                self._effects_warned.add(effect)
                scope.warn("effect_approximated", f"A shape effect ({effect}) is not drawn.")
        if shape.open_line:
            fill = None
        scope.items.append(
            ShapeItem(shape.kind, box, fill, stroke, subpaths=shape.subpaths, shadow=shadow)
        )

    # -- pictures ---------------------------------------------------------------

    def _blip_bytes(self, blip_fill: etree._Element, part: Part, scope: _Scope) -> bytes | None:
        """The checked bytes of a ``blipFill``'s image; ``b""`` for a picture to show
        as a grey box (unsupported format) and None for one to skip (with a warning)."""
        blip = blip_fill.find(A + "blip")
        if blip is None:
            return None
        rid = blip.get(R + "embed")
        if not rid:  # never fetched; LibreOffice, offline, draws nothing either
            scope.warn("picture_unsupported", "A linked (external) picture is not drawn.")
            return None
        try:
            data = part.related_part(rid).blob
        except Exception as exc:
            scope.warn("picture_unreadable", f"A picture is missing from the package ({exc}).")
            return None
        key = images.picture_key(data)  # a digest: the deck's pictures are not all kept
        found = self._probes.get(key)
        if found is None:
            found = self._probes[key] = images.probe(data, self.limits.max_image_pixels)
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
        stroke = self._stroke(lin, scope)
        if data == b"":
            scope.items.append(ShapeItem("rect", box, Fill(_GRAY)))
        elif data is not None:
            src = blip_fill.find(A + "srcRect") if blip_fill is not None else None
            crop = (0.0, 0.0, 0.0, 0.0)
            if src is not None:
                crop = tuple(fraction(src.get(k), 0.0) for k in ("l", "t", "r", "b"))  # type: ignore[assignment]
            alpha_el = blip_fill.find(f"{A}blip/{A}alphaModFix") if blip_fill is not None else None
            alpha = fraction(alpha_el.get("amt"), 1.0) if alpha_el is not None else 1.0
            data = fills.picture_colors(blip_fill.find(A + "blip"), data, scope.palette)
            prst = lin.first(f"{P}spPr/{A}prstGeom")
            cust = el.find(f"{P}spPr/{A}custGeom")
            if cust is not None or (prst is not None and prst.get("prst", "rect") != "rect"):
                # a picture in a shape (ellipse, rounded rectangle...): a picture fill clipped to it
                shape = geometry.outline(prst, cust, box.w, box.h)
                if shape.approximated is None and not shape.open_line:
                    crop = fills.shaped_picture_crop(crop)
                    fill = Fill(_GRAY, alpha, image=data, image_crop=crop)
                    item = ShapeItem(shape.kind, box, fill, stroke, subpaths=shape.subpaths)
                    scope.items.append(item)
                    return
            scope.items.append(ImageItem(box, data, crop, alpha))
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
            self._chart(data, part, scope, frame.map(box))
        elif uri.endswith("/diagram"):
            found = diagrams.diagram_shapes(data, part)
            if found is None:
                scope.warn("diagram_skipped", "A SmartArt diagram without saved shapes is skipped.")
            else:  # the saved shapes are in the frame's own coordinates
                inner = Frame(frame, box, 0.0, 0.0, box.w, box.h)
                self._walk(found[0], found[1], scope, inner, False, None)
        else:
            found_pic = graphic_pictures.preview(data, part)
            if found_pic is not None:  # an OLE object's preview picture
                self._picture(found_pic[0], found_pic[1], scope, frame.map(box), lin)
            elif uri.endswith("/ole"):
                scope.warn("ole_skipped", "An embedded object without a preview is not drawn.")
            else:
                scope.warn("shape_skipped", f"A graphic frame ({uri}) is not drawn.", key=uri)

    def _table(self, tbl: etree._Element, scope: _Scope, frame: Frame, box: Box) -> None:
        """The table with its style (see ``tables``); unknown styles draw unstyled."""
        if self._table_styles is None:
            self._table_styles = (self._part_xml(RT.TABLE_STYLES),)
        style, unknown = table_styles.style_of(
            tbl, self._table_styles[0], scope.palette, scope.master.theme
        )
        if unknown:
            scope.warn("table_approximated", "A table's style is unknown; drawn unstyled.")
        defaults = (self.default_text_style, scope.master.other_style)
        styles = tuple(s for s in defaults if s is not None)
        ctx = tables.TableContext(scope.palette, scope.master.theme, scope.number, styles)
        scope.items.extend(tables.table_items(tbl, box, frame, ctx, style))

    def _part_xml(self, reltype: str) -> etree._Element | None:
        """A part related to the presentation part, parsed (None if absent or broken)."""
        try:
            return _parse(self.prs.part.part_related_by(reltype).blob)
        except Exception:
            return None

    def _chart(self, data: etree._Element, part: Part, scope: _Scope, box: Box) -> None:
        """A chart drawn from its part's cached values (see ``charts``)."""
        chart_el = data.find(C + "chart")
        rid = chart_el.get(R + "id") if chart_el is not None else None
        try:
            chart_part = part.related_part(rid) if rid else None
        except Exception:
            chart_part = None
        root = _parse(chart_part.blob) if chart_part is not None else None
        if root is None:
            scope.warn("chart_skipped", "A chart's part is missing or unreadable.")
            return
        chart_ctx = charts.ChartContext(
            scope.palette,
            scope.master.theme,
            lambda blip_fill: self._blip_bytes(blip_fill, chart_part, scope),
        )
        drawn = charts.chart_items(root, box, chart_ctx)
        scope.items.extend(drawn.items)
        for message in drawn.approximations:
            scope.warn("chart_approximated", message)

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
        """Own ``p:bgPr`` pictures are the slide part's relationships; pictures
        of the theme's ``a:bgFillStyleLst`` (``p:bgRef``) are the theme part's."""
        theme_part = scope.master.theme_part
        return shape_style.background(
            bg, scope.palette, scope.master.theme,
            lambda blip_fill: self._blip_bytes(blip_fill, part, scope),
            load_theme_blip=(
                (lambda blip_fill: self._blip_bytes(blip_fill, theme_part, scope))
                if theme_part is not None else None
            ),
        )  # fmt: skip


def _first_fill(sp_prs: list[etree._Element]) -> etree._Element | None:
    for sp in sp_prs:
        for c in sp:
            if c.tag in _FILL_TAGS:
                return c
    return None


__all__ = ["DeckResolver", "Limits"]
