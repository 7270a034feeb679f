"""Resolve a text body (``p:txBody`` / ``a:txBody``) into a ``TextItem``.

Every run property is looked up along the lineage: the run's ``a:rPr``, then
``a:defRPr`` of the paragraph level in each list style (shape, layout
placeholder, master placeholder, master text style), then the shape's
``a:fontRef`` colour, then the defaults (18 pt, ``tx1``, minor theme font).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from pptx.opc.package import Part

from .. import logs
from . import symbols
from .colors import Palette, fill_color, first_color, resolve_color
from .inherit import Lineage, Theme, placeholder_key
from .model import RGB, Box, Bullet, Paragraph, TextItem, TextRun
from .xml import A, R, flag, fraction, local, num, pt

DEFAULT_SIZE = 18.0
# Link schemes a PDF may carry: a javascript:, file:, data: or any other link in a
# deck would run, open or load something in the reader's viewer.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
log = logs.get_logger(__name__)
_FILL_TAGS = frozenset(A + t for t in ("solidFill", "gradFill", "pattFill"))
_BULLET_TAGS = frozenset(A + t for t in ("buNone", "buChar", "buAutoNum", "buBlip"))
_ALIGN = {"l": "l", "ctr": "ctr", "r": "r", "just": "just", "dist": "ctr", "thaiDist": "ctr"}


@dataclass(frozen=True)
class TextContext:
    palette: Palette
    theme: Theme
    slide_number: int
    font_ref_color: RGB | None = None
    part: Part | None = None  # the part whose relationships hold hyperlink targets
    auto_color: RGB = (0.0, 0.0, 0.0)  # for text fills LibreOffice does not draw (gradients)
    # Records a report warning (code, message, dedupe key) for the slide; None: log only.
    warn: Callable[[str, str, str | None], None] | None = None


def _typeface(name: str, theme: Theme) -> str:
    if name.startswith("+mj"):
        return theme.major_font
    if name.startswith("+mn"):
        return theme.minor_font
    return name


class _Level:
    """The property sources for one paragraph level, most specific first."""

    def __init__(self, ppr: etree._Element | None, lineage: Lineage, level: int) -> None:
        self.shape = lineage.shape
        inherited = lineage.level_props(level)
        self.pprs = ([ppr] if ppr is not None else []) + [el for el, _ in inherited]
        # The paragraph's own defRPr: PowerPoint does not apply it to runs, but
        # LibreOffice (the reference) does, as the runs' nearest default.
        para_def = ppr.find(A + "defRPr") if ppr is not None else None
        def_rprs = ([(para_def, True)] if para_def is not None else []) + [
            (d, own) for p, own in inherited if (d := p.find(A + "defRPr")) is not None
        ]
        self.def_rprs = [d for d, _ in def_rprs]
        self.own_def_rprs = [d for d, own in def_rprs if own]

    def ppr_attr(self, name: str) -> str | None:
        for p in self.pprs:
            value = p.get(name)
            if value is not None:
                return value
        return None

    def ppr_child(self, tags: frozenset[str] | str) -> etree._Element | None:
        for p in self.pprs:
            for c in p:
                if (c.tag in tags) if isinstance(tags, frozenset) else (c.tag == tags):
                    return c
        return None

    def run_attr(self, rpr: etree._Element | None, name: str) -> str | None:
        if rpr is not None and rpr.get(name) is not None:
            return rpr.get(name)
        for d in self.def_rprs:
            value = d.get(name)
            if value is not None:
                return value
        return None

    def run_child(
        self, rpr: etree._Element | None, tags: frozenset[str], own_only: bool = False
    ) -> etree._Element | None:
        """First child in ``tags`` on the run, then the level defaults (the
        shape's own list styles only, when ``own_only``)."""
        for el in ([rpr] if rpr is not None else []) + (
            self.own_def_rprs if own_only else self.def_rprs
        ):
            for c in el:
                if c.tag in tags:
                    return c
        return None


def _spacing(el: etree._Element | None, size: float) -> tuple[float | None, float | None]:
    """(multiple, points) from an ``a:lnSpc``/``a:spcBef``/``a:spcAft`` element."""
    if el is None:
        return None, None
    pct = el.find(A + "spcPct")
    if pct is not None:
        return fraction(pct.get("val"), 1.0), None
    pts = el.find(A + "spcPts")
    if pts is not None:
        return None, num(pts.get("val")) / 100
    return None, None


def _space(multiple: float | None, points: float | None, size: float) -> float:
    """Paragraph spacing in points. Percentages are of the paragraph's largest
    font size (not of the 1.2 x size line): measured on the LibreOffice
    references, 20% before a 16 pt paragraph is 3.2 pt."""
    if points is not None:
        return points
    return (multiple or 0.0) * size


def _run(text: str, rpr: etree._Element | None, level: _Level, ctx: TextContext) -> TextRun:
    size = num(level.run_attr(rpr, "sz"), DEFAULT_SIZE * 100) / 100
    # A shape style's fontRef colour outranks master-wide text styles.
    fill = level.run_child(rpr, _FILL_TAGS, own_only=ctx.font_ref_color is not None)
    resolved = fill_color(fill, ctx.palette) if fill is not None else None
    if fill is not None and fill.tag == A + "gradFill":
        color = _gradient_text_color(fill, rpr, level, ctx)
    elif resolved is not None:
        color = resolved[0]
    elif ctx.font_ref_color is not None:
        color = ctx.font_ref_color
    else:
        color = ctx.palette.slot("tx1")
    latin = level.run_child(rpr, frozenset({A + "latin"}))
    name = latin.get("typeface", "+mn-lt") if latin is not None else "+mn-lt"
    typeface = _typeface(name or "+mn-lt", ctx.theme)
    underline = level.run_attr(rpr, "u")
    link = None
    click = rpr.find(A + "hlinkClick") if rpr is not None else None
    if click is not None:
        color, underline = ctx.palette.slot("hlink"), "sng"  # how PowerPoint shows links
        link = _link_target(click, ctx)
    if level.run_attr(rpr, "cap") == "all":
        text = text.upper()
    text, typeface = _symbol_text(text, typeface, level.run_child(rpr, frozenset({A + "sym"})))
    strike = level.run_attr(rpr, "strike")
    highlight = level.run_child(rpr, frozenset({A + "highlight"}))
    hl_color = first_color(highlight) if highlight is not None else None
    hl_resolved = resolve_color(hl_color, ctx.palette) if hl_color is not None else None
    return TextRun(
        text=text,
        font=typeface,
        size=max(size, 1.0),
        bold=flag(level.run_attr(rpr, "b")),
        italic=flag(level.run_attr(rpr, "i")),
        underline=underline is not None and underline != "none",
        color=color,
        strike=strike is not None and strike != "noStrike",
        baseline=num(level.run_attr(rpr, "baseline")) / 100_000,
        highlight=hl_resolved[0] if hl_resolved else None,
        spacing=num(level.run_attr(rpr, "spc")) / 100,
        link=link,
        font_ea=_script_typeface(level, rpr, "ea", ctx.theme),
        font_cs=_script_typeface(level, rpr, "cs", ctx.theme),
    )


def _gradient_text_color(
    fill: etree._Element, rpr: etree._Element | None, level: _Level, ctx: TextContext
) -> RGB:
    """The one colour LibreOffice 7.4 (the reference) draws gradient text in,
    measured on test decks: a gradient on the run or in the shape's own list
    style gives its "best solid colour" (the first stop by position, or the
    second when there are more than two); one inherited from a placeholder or
    the master's text styles is not applied, and the text takes the automatic
    colour (black, or white on a dark background)."""
    own = fill.getparent() is rpr or any(a is level.shape for a in fill.iterancestors())
    if not own:
        return ctx.auto_color
    found = [
        (fraction(gs.get("pos"), 0.0), c)
        for gs in fill.iterfind(f"{A}gsLst/{A}gs")
        if (c := first_color(gs)) is not None
    ]
    stops = sorted(found, key=lambda stop: stop[0])
    if not stops:
        return ctx.auto_color
    chosen = stops[1][1] if len(stops) > 2 else stops[0][1]
    resolved = resolve_color(chosen, ctx.palette)
    return resolved[0] if resolved is not None else ctx.auto_color


# Language tag -> the theme's a:font script for it (ECMA-376 21.1.2.3.1).
_LANG_SCRIPTS = {
    "ja": "Jpan", "zh-cn": "Hans", "zh-sg": "Hans", "zh": "Hans", "zh-tw": "Hant",
    "zh-hk": "Hant", "zh-mo": "Hant", "ko": "Hang", "ar": "Arab", "fa": "Arab", "ur": "Arab",
    "he": "Hebr", "yi": "Hebr", "th": "Thai", "hi": "Deva", "mr": "Deva", "ne": "Deva",
    "bn": "Beng", "ta": "Taml", "te": "Telu", "gu": "Gujr", "km": "Khmr",
}  # fmt: skip
_EA_SCRIPTS = frozenset({"Jpan", "Hans", "Hant", "Hang"})


def _script_typeface(level: _Level, rpr: etree._Element | None, slot: str, theme: Theme) -> str:
    """The run's ``a:ea``/``a:cs`` typeface ("" = as the Latin font). A theme
    reference (``+mn-ea``...) names the theme's ea/cs font or, when that is
    empty, its ``a:font`` for the script of the run's language."""
    el = level.run_child(rpr, frozenset({A + slot}))
    name = el.get("typeface", "") if el is not None else ""
    if not name.startswith("+"):
        return name
    which = "mj" if name.startswith("+mj") else "mn"
    found = theme.script_fonts.get(f"{which}-{slot}", "")
    if found:
        return found
    for attr in ("lang", "altLang"):
        lang = (level.run_attr(rpr, attr) or "").lower()
        script = _LANG_SCRIPTS.get(lang) or _LANG_SCRIPTS.get(lang.split("-")[0])
        if script and (script in _EA_SCRIPTS) == (slot == "ea"):
            return theme.script_fonts.get(f"{which}:{script}", "")
    return ""


def _symbol_text(text: str, typeface: str, sym: etree._Element | None) -> tuple[str, str]:
    """Text set in a symbol font becomes the Unicode characters it shows."""
    if symbols.is_symbol_typeface(typeface):
        return symbols.to_unicode(text, typeface), symbols.SYMBOL_DRAW_FONT
    sym_face = sym.get("typeface", "") if sym is not None else ""
    if sym_face and symbols.is_symbol_typeface(sym_face):
        pua = "".join(ch for ch in text if "\uf000" <= ch <= "\uf0ff")
        if pua:
            mapped = symbols.to_unicode(pua, sym_face)
            table = dict(zip(pua, mapped, strict=True))
            text = "".join(table.get(ch, ch) for ch in text)
    return text, typeface


def _link_target(click: etree._Element, ctx: TextContext) -> str | None:
    """The external URL of an ``a:hlinkClick``, if it has one and a PDF may carry it."""
    rid = click.get(R + "id")
    if not rid or ctx.part is None:
        return None
    try:
        rel = ctx.part.rels[rid]
    except (KeyError, AttributeError):
        return None
    if not rel.is_external:
        return None
    target = rel.target_ref
    # urlsplit drops the leading blanks and embedded tabs and newlines viewers ignore too.
    scheme = urlsplit(target).scheme.lower()
    if scheme not in LINK_SCHEMES:
        message = (f"A hyperlink ({scheme or 'no scheme'}:) was left out; only http, https "
                   "and mailto links are kept.")
        if ctx.warn is not None:
            ctx.warn("link_dropped", message, scheme)
        else:
            log.warning(message)
        return None
    return target


_AUTONUM_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))  # fmt: skip


def _autonum(scheme: str, n: int) -> str:
    """Label ``n`` in a numbering scheme such as ``arabicPeriod`` or ``alphaUcParenR``."""
    if scheme.startswith("alpha"):
        label = _AUTONUM_LETTERS[(n - 1) % 26] * ((n - 1) // 26 + 1)
    elif scheme.startswith("roman"):
        label, rest = "", n
        for value, numeral in _ROMAN:
            while rest >= value:
                label, rest = label + numeral, rest - value
    elif scheme.startswith("circleNum") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)  # ① .. ⑳
    else:
        label = str(n)
        if "Db" in scheme:  # double-byte (full-width) digits
            label = label.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    if "Uc" in scheme:
        label = label.upper()
    if scheme.endswith("Minus"):
        return f"{label}-"
    if scheme.endswith("ParenBoth"):
        return f"({label})"
    if scheme.endswith("ParenR"):
        return f"{label})"
    if scheme.endswith("Plain"):
        return label
    return f"{label}."


def _bullet(level: _Level, first: TextRun | None, ctx: TextContext, number: int) -> Bullet | None:
    if first is None:
        return None
    kind = level.ppr_child(_BULLET_TAGS)
    if kind is None or local(kind) == "buNone":
        return None
    if local(kind) == "buBlip":
        char = "\u2022"  # a picture bullet, approximated by a round bullet
    elif local(kind) == "buChar":
        char = kind.get("char", "\u2022")[:1] or "\u2022"
    else:
        char = _autonum(kind.get("type", "arabicPeriod"), number + num(kind.get("startAt"), 1) - 1)
    bu_font = level.ppr_child(A + "buFont")
    typeface = first.font
    if bu_font is not None and bu_font.get("typeface"):
        typeface = _typeface(bu_font.get("typeface", ""), ctx.theme)
    if symbols.is_symbol_typeface(typeface):
        char, typeface = symbols.to_unicode(char, typeface), symbols.SYMBOL_DRAW_FONT
    elif not char.isprintable():
        char, typeface = "\u2022", first.font
    size = first.size
    bu_size = level.ppr_child(A + "buSzPct")
    if bu_size is not None:
        size *= fraction(bu_size.get("val"), 1.0)
    bu_pts = level.ppr_child(A + "buSzPts")
    if bu_pts is not None:
        size = num(bu_pts.get("val"), size * 100) / 100
    color = first.color
    bu_clr = level.ppr_child(A + "buClr")
    if bu_clr is not None and (c := first_color(bu_clr)) is not None:
        resolved = resolve_color(c, ctx.palette)
        if resolved is not None:
            color = resolved[0]
    return Bullet(char, typeface, max(size, 1.0), color)


def _runs(p: etree._Element, level: _Level, ctx: TextContext) -> list[TextRun]:
    runs = []
    for el in p:
        tag = local(el)
        if tag == "r":
            t = el.find(A + "t")
            text = t.text if t is not None and t.text else ""
            if text:
                runs.append(_run(text, el.find(A + "rPr"), level, ctx))
        elif tag == "fld":
            t = el.find(A + "t")
            text = t.text if t is not None and t.text else ""
            if el.get("type") == "slidenum":
                text = str(ctx.slide_number)
            if text:
                runs.append(_run(text, el.find(A + "rPr"), level, ctx))
        elif tag == "br":
            runs.append(_run("\n", el.find(A + "rPr"), level, ctx))
    return runs


def resolve_text(
    tx_body: etree._Element, box: Box, lineage: Lineage, ctx: TextContext
) -> TextItem | None:
    """The shape's text as a ``TextItem``, or None when it has no visible text."""
    body_pr = [b for el in (tx_body, *(a.find(_TXBODY) for a in lineage.ancestors))
               if el is not None and (b := el.find(A + "bodyPr")) is not None]  # fmt: skip

    def body_attr(name: str) -> str | None:
        for b in body_pr:
            if b.get(name) is not None:
                return b.get(name)
        return None

    # normAutofit: the file's saved fontScale is the painter's starting cap
    # (``TextItem.shrink``), and the painter shrinks further only if the text
    # would still overflow with our fonts, as LibreOffice (the reference)
    # re-solves the fit. The saved lnSpcReduction is not applied: LibreOffice
    # 7.4 ignores it (on the 21 corpus decks that carry one, applying it scores
    # 0.726, leaving it 0.827). The mode comes from the shape's own bodyPr only,
    # not from its placeholders (measured on the corpus: inheriting it shrinks
    # text the references don't).
    own = tx_body.find(A + "bodyPr")
    fit = own.find(A + "normAutofit") if own is not None else None
    shrink = 0.0 if fit is None else min(1.0, max(0.01, num(fit.get("fontScale"), 100000) / 1e5))

    paragraphs: list[Paragraph] = []
    numbering: dict[int, int] = {}
    for p in tx_body.iterfind(A + "p"):
        ppr = p.find(A + "pPr")
        lvl = int(num(ppr.get("lvl") if ppr is not None else None, 0))
        level = _Level(ppr, lineage, lvl)
        runs = _runs(p, level, ctx)
        end = _run("", p.find(A + "endParaRPr"), level, ctx)
        numbering = {k: v for k, v in numbering.items() if k <= lvl}
        kind = level.ppr_child(_BULLET_TAGS)
        if kind is not None and local(kind) == "buAutoNum" and runs:
            numbering[lvl] = numbering.get(lvl, 0) + 1
        first = runs[0] if runs else None
        size = max((r.size for r in runs), default=end.size)
        line_mult, line_pts = _spacing(level.ppr_child(A + "lnSpc"), size)
        before_mult, before_pts = _spacing(level.ppr_child(A + "spcBef"), size)
        after_mult, after_pts = _spacing(level.ppr_child(A + "spcAft"), size)
        paragraphs.append(
            Paragraph(
                runs=tuple(runs),
                align=_align(level.ppr_attr("algn"), flag(level.ppr_attr("rtl"))),
                line_spacing=max(0.1, line_mult if line_mult is not None else 1.0),
                line_spacing_pt=line_pts,
                space_before=_space(before_mult, before_pts, size),
                space_after=_space(after_mult, after_pts, size),
                margin_left=pt(level.ppr_attr("marL")),
                indent=pt(level.ppr_attr("indent")),
                bullet=_bullet(level, first, ctx, numbering.get(lvl, 1)),
                empty_size=end.size,
                rtl=flag(level.ppr_attr("rtl")),
                tab_stops=_tab_stops(level.ppr_child(A + "tabLst")),
                default_tab=pt(level.ppr_attr("defTabSz"), 72.0) or 72.0,
            )
        )
    if not any(p.runs for p in paragraphs):
        return None
    vert = body_attr("vert") or "horz"
    if vert in ("vert", "eaVert", "vert270", "wordArtVertRtl"):
        # Vertical text: lay out in the box turned a quarter, then rotate it back.
        turn = 270 if vert == "vert270" else 90
        box = Box(box.cx - box.h / 2, box.cy - box.w / 2, box.h, box.w, (box.rot + turn) % 360)
    turn_text = num(body_attr("rot")) / 60000
    if turn_text:
        box = Box(box.x, box.y, box.w, box.h, (box.rot + turn_text) % 360)
    return TextItem(
        box=box,
        paragraphs=tuple(paragraphs),
        insets=(
            pt(body_attr("lIns"), 7.2),
            pt(body_attr("tIns"), 3.6),
            pt(body_attr("rIns"), 7.2),
            pt(body_attr("bIns"), 3.6),
        ),
        anchor={"ctr": "ctr", "b": "b", "dist": "ctr", "just": "ctr"}.get(
            body_attr("anchor") or "t", "t"
        ),
        # LibreOffice 7.4 wraps placeholder text whatever wrap="none" says (measured
        # on titles with own and inherited wrap="none"); text boxes keep it.
        wrap=body_attr("wrap") != "none" or placeholder_key(lineage.shape) is not None,
        grow=_autofit(body_pr) == "spAutoFit",
        shrink=shrink,
        columns=max(1, min(16, int(num(body_attr("numCol"), 1)))),
        column_gap=max(0.0, pt(body_attr("spcCol"))),
    )


def _align(algn: str | None, rtl: bool) -> str:
    """The painter's alignment: l, ctr, r or just. A justified paragraph's wrapped
    lines fill the width; its last line sits at its start side, the left or the
    right in a right-to-left paragraph (as LibreOffice 7.4 places it)."""
    return _ALIGN.get(algn or "l", "l")


def _autofit(body_prs: list[etree._Element]) -> str | None:
    """The autofit mode (``normAutofit``, ``spAutoFit``, ``noAutofit``) of the
    first ``a:bodyPr`` along the chain that names one."""
    for body in body_prs:
        for child in body:
            if child.tag in _AUTOFIT_TAGS:
                return local(child)
    return None


_AUTOFIT_TAGS = frozenset(A + t for t in ("normAutofit", "spAutoFit", "noAutofit"))


def _tab_stops(tab_lst: etree._Element | None) -> tuple[float, ...]:
    """Explicit tab positions in points, in order."""
    if tab_lst is None:
        return ()
    return tuple(sorted(pt(t.get("pos")) for t in tab_lst.iterfind(A + "tab")))


_TXBODY = "{http://schemas.openxmlformats.org/presentationml/2006/main}txBody"
