"""Chart colours, lines, fonts and labels, with the defaults LibreOffice and Office use.

Where a chart element has no ``c:spPr``/``c:txPr`` the automatic format
applies: text in ``tx1`` at the chart's base size (10 pt unless the chart
space's ``c:txPr`` says otherwise; titles 1.2 times that, bold), axis and
gridlines in ``tx1`` at 75 % tint (a mid grey), series colours from the
chart style (``c:style``): accents 1..6 for the colourful styles, shades of
one accent for the monochrome ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from .. import fonts
from ..colors import Palette, fill_color
from ..fills import fill_of, picture_fill
from ..inherit import Theme
from ..model import RGB, Box, DrawItem, Fill, Paragraph, Stroke, TextItem, TextRun
from ..xml import A, flag, local, num, pt

BASE_SIZE = 10.0
TITLE_SCALE = 1.2


def _tint(c: RGB, t: float) -> RGB:
    """Towards white by ``1 - t`` (``t`` = 1 keeps the colour)."""
    return tuple(x + (1 - x) * (1 - t) for x in c)  # type: ignore[return-value]


def _shade(c: RGB, s: float) -> RGB:
    return tuple(x * s for x in c)  # type: ignore[return-value]


@dataclass(frozen=True)
class Font:
    face: str
    size: float
    color: RGB
    bold: bool = False
    italic: bool = False


@dataclass
class Canvas:
    """What every chart piece draws with: colours, base font, output lists."""

    palette: Palette
    theme: Theme
    style: int = 2
    items: list[DrawItem] = field(default_factory=list)
    approximations: list[str] = field(default_factory=list)
    font: Font = field(default_factory=lambda: Font("Calibri", BASE_SIZE, (0.0, 0.0, 0.0)))
    load_blip: Callable[[etree._Element], bytes | None] | None = None

    @property
    def line_grey(self) -> RGB:
        """Axis and gridline colour: ``tx1`` at 75 % tint."""
        return _tint(self.palette.slot("tx1"), 0.47)

    def series_color(self, i: int, count: int) -> RGB:
        """The automatic colour of series (or point) ``i`` of ``count`` in this chart style."""
        variant = (self.style - 1) % 8 + 1
        if variant == 2:
            return auto_color(i, self.palette)
        base = (
            self.palette.slot("tx1") if variant == 1 else self.palette.slot(f"accent{variant - 2}")
        )
        if variant == 1:
            base = (0.5, 0.5, 0.5)
        t = (i + 1) / (count + 1) * 1.4 - 0.7
        return _shade(base, 1 + t) if t < 0 else _tint(base, 1 - t)

    def auto_fill(self, color: RGB) -> Fill:
        """The automatic fill of a filled series (bars, areas, slices) in ``color``:
        chart styles 17..32 take the theme's intense fill style (often a gradient)
        in that colour, as LibreOffice's import formats them; others a plain fill."""
        if 17 <= self.style <= 32 and len(self.theme.fill_styles) >= 3:
            found = fill_of(self.theme.fill_styles[2], self.palette, (color, 1.0))
            if found is not None:
                return found
        return Fill(color)

    def fill(self, sp_pr: etree._Element | None) -> Fill | None | bool:
        """The fill of a ``c:spPr``: a Fill, False for ``noFill``, None when not given."""
        if sp_pr is None:
            return None
        for c in sp_pr:
            if not isinstance(c.tag, str):
                continue
            name = local(c)
            if name == "noFill":
                return False
            if name in ("solidFill", "gradFill", "pattFill"):
                return fill_of(c, self.palette)
            if name == "blipFill":  # a picture (or texture) from the chart part's package
                data = self.load_blip(c) if self.load_blip is not None else None
                if not data:
                    return None
                return picture_fill(c, data, self.palette)
        return None

    def line(
        self, sp_pr: etree._Element | None, default_width: float = 0.75
    ) -> Stroke | None | bool:
        """The ``a:ln`` of a ``c:spPr``: a Stroke, False for ``noFill``, None when no colour
        is given (``line_width`` still reads a width given alone)."""
        ln = sp_pr.find(A + "ln") if sp_pr is not None else None
        if ln is None:
            return None
        if ln.find(A + "noFill") is not None:
            return False
        width = pt(ln.get("w"), default_width) if ln.get("w") else default_width
        dash = ln.find(A + "prstDash")
        dashed = dash is not None and dash.get("val", "solid") != "solid"
        for c in ln:
            if isinstance(c.tag, str) and local(c) in ("solidFill", "gradFill", "pattFill"):
                resolved = fill_color(c, self.palette)
                if resolved:
                    pattern = (3.0, 2.0) if dashed else ()
                    return Stroke(resolved[0], max(width, 0.25), resolved[1], dashed, pattern)
        return None

    def line_width(self, sp_pr: etree._Element | None) -> float | None:
        ln = sp_pr.find(A + "ln") if sp_pr is not None else None
        return pt(ln.get("w")) if ln is not None and ln.get("w") else None

    def text_font(self, tx_pr: etree._Element | None, base: Font | None = None) -> Font:
        return font_of(tx_pr, base or self.font, self.palette, self.theme)


def auto_color(i: int, palette: Palette) -> RGB:
    """Office's automatic series colours: accents 1..6, then darker and lighter cycles."""
    base = palette.slot(f"accent{i % 6 + 1}")
    cycle = i // 6
    if cycle == 0:
        return base
    factor = (0.6, 1.4, 0.8, 1.2)[(cycle - 1) % 4]
    if factor < 1:
        return _shade(base, factor)
    return _tint(base, 2 - factor)


def font_of(tx_pr: etree._Element | None, base: Font, palette: Palette, theme: Theme) -> Font:
    """A ``c:txPr`` (or ``c:rich``) first-paragraph ``defRPr`` on top of ``base``,
    and the first run's own ``rPr`` on top of that (rich text shows its runs)."""
    if tx_pr is None:
        return base
    font = base
    for d in (tx_pr.find(f"{A}p/{A}pPr/{A}defRPr"), tx_pr.find(f"{A}p/{A}r/{A}rPr")):
        if d is not None:
            font = _apply(d, font, palette, theme)
    return font


def _apply(d: etree._Element, base: Font, palette: Palette, theme: Theme) -> Font:
    size = num(d.get("sz"), base.size * 100) / 100
    bold = flag(d.get("b")) if d.get("b") is not None else base.bold
    italic = flag(d.get("i")) if d.get("i") is not None else base.italic
    color = base.color
    fill = d.find(A + "solidFill")
    if fill is not None and (resolved := fill_color(fill, palette)) is not None:
        color = resolved[0]
    latin = d.find(A + "latin")
    face = latin.get("typeface", base.face) if latin is not None else base.face
    if face.startswith("+mj"):
        face = theme.major_font
    elif face.startswith("+"):
        face = theme.minor_font
    return Font(face or base.face, max(size, 1.0), color, bold, italic)


def label(
    text: str, box: Box, font: Font, align: str = "ctr", anchor: str = "ctr", wrap: bool = False
) -> TextItem:
    """A text item with no insets; several lines when ``text`` holds newlines."""
    paragraphs = tuple(
        Paragraph(
            (TextRun(line, font.face, font.size, font.bold, font.italic, False, font.color),), align
        )
        for line in text.split("\n")
    )
    return TextItem(box, paragraphs, (0.0, 0.0, 0.0, 0.0), anchor, wrap, font_line_height=True)


def _face(font: Font) -> fonts.Face | None:
    try:
        return fonts.primary_face(font.face, font.bold, font.italic)
    except Exception:  # an unmappable typeface: fall back to the estimate
        return None


def text_width(text: str, font: Font) -> float:
    """The advance width of ``text``'s widest line in the font that draws it
    (the substitute LibreOffice would use), as the chart's layout needs it."""
    if not text:
        return 0.0
    face = _face(font)
    lines = text.split("\n")
    if face is None:
        return max(len(line) for line in lines) * font.size * 0.45 * (1.08 if font.bold else 1.0)
    scale = fonts.mapping(font.face).scale
    return max(fonts.text_width(line, face.name, font.size) for line in lines) * scale


def line_height(font: Font, leading: bool = True) -> float:
    """The height of one line of a chart text: ascent, descent and (``leading``)
    the font's line gap, as LibreOffice sizes a title's text shape; legend
    entries measure without the gap (what the references show)."""
    face = _face(font)
    if face is None:
        return font.size * (1.22 if leading else 1.0)
    return (face.ascent + face.descent + (face.gap if leading else 0.0)) * font.size


def wrap(text: str, font: Font, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` (by estimate)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and text_width(trial, font) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines or [""]
