"""Font choice: the one place that maps a deck's typeface to a PDF font.

This first version uses only the PDF standard 14 fonts (no embedding), so a
typeface is reduced to a family class (sans, serif, mono) and a bold/italic
variant, and text is limited to what WinAnsi (cp1252) encodes. Embedding
TrueType fonts later means replacing ``pdf_font``, ``encodable`` and
``text_width`` here and nothing else.
"""

from __future__ import annotations

from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

_SERIF_HINTS = (
    "times", "cambria", "georgia", "garamond", "serif", "book antiqua", "palatino",
    "caladea", "baskerville", "bodoni", "century", "constantia", "didot", "minion",
    "rockwell", "perpetua", "bookman", "goudy", "mincho", "songti", "batang",
)  # fmt: skip
_MONO_HINTS = ("courier", "consolas", "mono", "lucida console", "menlo", "code")
_SANS_SERIF_OVERRIDES = ("sans",)  # "DejaVu Sans", "Noto Sans Serif"? sans wins

_VARIANTS = {
    "sans": ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique"),
    "serif": ("Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic"),
    "mono": ("Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique"),
}
SYMBOL_TYPEFACES = ("wingdings", "webdings", "symbol", "marlett", "zapf")

# Characters outside cp1252 that have an obvious stand-in.
_STAND_INS = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-",
        "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ",
        "\u202f": " ", "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "",
        "\u25cf": "\u2022", "\u25aa": "\u2022", "\u25a0": "\u2022", "\u2219": "\u2022",
        "\u2023": "\u2022", "\u25e6": "o", "\u2192": "->", "\u2713": "v", "\u2714": "v",
        "\t": "    ",
    }
)  # fmt: skip


@lru_cache(maxsize=256)
def family_class(typeface: str) -> str:
    """``sans``, ``serif`` or ``mono`` for a typeface name."""
    name = typeface.lower()
    if any(h in name for h in _MONO_HINTS):
        return "mono"
    if any(h in name for h in _SANS_SERIF_OVERRIDES):
        return "sans"
    if any(h in name for h in _SERIF_HINTS):
        return "serif"
    return "sans"


def pdf_font(typeface: str, bold: bool, italic: bool) -> str:
    """The PDF font name that draws ``typeface`` in this variant."""
    regular, b, i, bi = _VARIANTS[family_class(typeface)]
    if bold and italic:
        return bi
    if bold:
        return b
    return i if italic else regular


def is_symbol_typeface(typeface: str) -> bool:
    """Symbol fonts map letters to pictograms; their text is not meaningful as cp1252."""
    name = typeface.lower()
    return any(s in name for s in SYMBOL_TYPEFACES)


def encodable(text: str) -> tuple[str, bool]:
    """Text the fonts can show, and whether characters had to be replaced by '?'."""
    text = text.translate(_STAND_INS)
    try:
        text.encode("cp1252")
        return text, False
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out), True


def text_width(text: str, font: str, size: float) -> float:
    """Advance width in points of already-encodable ``text``."""
    return stringWidth(text, font, size)
