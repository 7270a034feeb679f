"""Font choice: the one place that maps a deck's typeface to an embedded font.

The renderer ships its own TrueType files (``fontfiles/``, see its README):
metric-compatible stand-ins for the Office core fonts (Carlito for Calibri,
Caladea for Cambria, Liberation for Arial/Times New Roman/Courier New),
DejaVu Sans for symbols and scripts the others lack, and Droid Sans Fallback
for CJK. reportlab embeds only the glyphs used (subsetting), so a deck's PDF
stays small.

A typeface is looked up in ``TYPEFACES``; an unknown one falls back to a
generic family by its class (sans, serif, mono). Text is then split into
pieces per font, character by character: the mapped font, DejaVu Sans, then
the CJK font, whichever first has the glyph. Fonts are registered lazily and
cached for the life of the process (the CJK font, 3 MB, only when a CJK
character appears); ``preload`` registers the common ones at cold start.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile

FONT_DIR = Path(__file__).with_name("fontfiles")

# family -> files for (regular, bold, italic, bold italic)
FAMILIES: dict[str, tuple[str, str, str, str]] = {
    "Carlito": ("Carlito-Regular", "Carlito-Bold", "Carlito-Italic", "Carlito-BoldItalic"),
    "Caladea": ("Caladea-Regular", "Caladea-Bold", "Caladea-Italic", "Caladea-BoldItalic"),
    "Liberation Sans": ("LiberationSans-Regular", "LiberationSans-Bold",
                        "LiberationSans-Italic", "LiberationSans-BoldItalic"),
    "Liberation Serif": ("LiberationSerif-Regular", "LiberationSerif-Bold",
                         "LiberationSerif-Italic", "LiberationSerif-BoldItalic"),
    "Liberation Mono": ("LiberationMono-Regular", "LiberationMono-Bold",
                        "LiberationMono-Italic", "LiberationMono-BoldItalic"),
    # DejaVu core has no italics; the upright face stands in.
    "DejaVu Sans": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans", "DejaVuSans-Bold"),
    "Droid Sans Fallback": ("DroidSansFallback",) * 4,
}  # fmt: skip
FALLBACK_FAMILY = "DejaVu Sans"
CJK_FAMILY = "Droid Sans Fallback"


@dataclass(frozen=True)
class Mapping:
    """How a typeface is drawn: ``family``, a horizontal scale (condensed
    faces), and whether the family is metric-compatible (same advance widths,
    so line breaks match; substitutions that are not are reported)."""

    family: str
    scale: float = 1.0
    exact: bool = False


_SANS, _SERIF, _MONO = "Liberation Sans", "Liberation Serif", "Liberation Mono"
_WIDE_SANS = "DejaVu Sans"  # DejaVu (ex Bitstream Vera) is as wide as Verdana/Tahoma
# Lower-case typeface -> mapping. Metric-compatible pairs are exact; the rest
# are the closest shipped family by width (chosen on advance widths of the
# Latin alphabet, not looks).
TYPEFACES: dict[str, Mapping] = {
    "calibri": Mapping("Carlito", exact=True),
    "calibri light": Mapping("Carlito", exact=True),  # same widths, lighter strokes
    "carlito": Mapping("Carlito", exact=True),
    "cambria": Mapping("Caladea", exact=True),
    "cambria math": Mapping("Caladea", exact=True),
    "caladea": Mapping("Caladea", exact=True),
    "arial": Mapping(_SANS, exact=True),
    "helvetica": Mapping(_SANS, exact=True),
    "helvetica neue": Mapping(_SANS),
    "liberation sans": Mapping(_SANS, exact=True),
    "arimo": Mapping(_SANS, exact=True),
    "arial unicode ms": Mapping(_SANS),
    "arial black": Mapping(_SANS, 1.1),
    "arial narrow": Mapping(_SANS, 0.82),  # Arial Narrow is Arial at 82% width
    "liberation sans narrow": Mapping(_SANS, 0.82),
    "segoe ui": Mapping(_SANS),
    "segoe ui light": Mapping(_SANS),
    "segoe ui semibold": Mapping(_SANS),
    "aptos": Mapping(_SANS),
    "aptos display": Mapping(_SANS),
    "franklin gothic book": Mapping(_SANS),
    "franklin gothic medium": Mapping(_SANS),
    "gill sans mt": Mapping(_SANS),
    "century gothic": Mapping(_WIDE_SANS),
    "tahoma": Mapping(_WIDE_SANS),
    "verdana": Mapping(_WIDE_SANS),
    "dejavu sans": Mapping(_WIDE_SANS, exact=True),
    "bitstream vera sans": Mapping(_WIDE_SANS, exact=True),
    "lucida sans unicode": Mapping(_WIDE_SANS),
    "lucida grande": Mapping(_WIDE_SANS),
    "trebuchet ms": Mapping(_SANS),
    "times new roman": Mapping(_SERIF, exact=True),
    "times": Mapping(_SERIF, exact=True),
    "liberation serif": Mapping(_SERIF, exact=True),
    "tinos": Mapping(_SERIF, exact=True),
    "georgia": Mapping(_SERIF),
    "garamond": Mapping(_SERIF),
    "book antiqua": Mapping(_SERIF),
    "palatino linotype": Mapping(_SERIF),
    "palatino": Mapping(_SERIF),
    "courier new": Mapping(_MONO, exact=True),
    "courier": Mapping(_MONO, exact=True),
    "liberation mono": Mapping(_MONO, exact=True),
    "cousine": Mapping(_MONO, exact=True),
    "consolas": Mapping(_MONO),
    "lucida console": Mapping(_MONO),
}
GENERIC = {"sans": _SANS, "serif": _SERIF, "mono": _MONO}

_SERIF_HINTS = (
    "times", "cambria", "georgia", "garamond", "serif", "book antiqua", "palatino",
    "caladea", "baskerville", "bodoni", "century", "constantia", "didot", "minion",
    "rockwell", "perpetua", "bookman", "goudy", "mincho", "songti", "batang",
)  # fmt: skip
_MONO_HINTS = ("courier", "consolas", "mono", "lucida console", "menlo", "code")
_SANS_SERIF_OVERRIDES = ("sans",)  # "DejaVu Sans", "Noto Sans Serif"? sans wins

# Invisible formatting characters that no font needs to draw.
_INVISIBLE = str.maketrans({c: None for c in "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\xad"})


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


@lru_cache(maxsize=512)
def mapping(typeface: str) -> Mapping:
    """The family that draws ``typeface`` (by table, else by generic class)."""
    name = typeface.strip().lower()
    found = TYPEFACES.get(name)
    if found is not None:
        return found
    return Mapping(GENERIC[family_class(name)])


def substitution_note(typeface: str) -> str | None:
    """A sentence for the fidelity report when ``typeface`` is not drawn with a
    metric-compatible font; None when it is."""
    if not typeface:
        return None
    m = mapping(typeface)
    if m.exact:
        return None
    how = "by a table of similar fonts" if typeface.lower() in TYPEFACES else "by its class"
    return f"Typeface '{typeface}' is not available; it is drawn with {m.family} ({how})."


@dataclass(frozen=True)
class Face:
    """A registered font: its PDF name and vertical metrics in em fractions."""

    name: str
    ascent: float
    descent: float  # positive, below the baseline
    gap: float  # line gap (external leading)
    chars: frozenset[int]

    def has(self, ch: str) -> bool:
        return ord(ch) in self.chars


_faces: dict[str, Face] = {}
_lock = threading.Lock()


def _vertical_metrics(ttf: TTFontFile) -> tuple[float, float, float]:
    """(ascent, descent, line gap) in em, as LibreOffice reads them: ``hhea``,
    or the OS/2 typographic values when the font sets USE_TYPO_METRICS."""
    upem = struct.unpack(">H", ttf.get_table("head")[18:20])[0]
    asc, desc, gap = struct.unpack(">hhh", ttf.get_table("hhea")[4:10])
    os2 = ttf.get_table("OS/2")
    if len(os2) >= 78:
        (fs_selection,) = struct.unpack(">H", os2[62:64])
        t_asc, t_desc, t_gap = struct.unpack(">hhh", os2[68:74])
        if fs_selection & 0x80 and (t_asc or t_desc):
            asc, desc, gap = t_asc, t_desc, t_gap
        elif not (asc or desc):
            win_asc, win_desc = struct.unpack(">HH", os2[74:78])
            asc, desc, gap = win_asc, -win_desc, 0
    return asc / upem, -desc / upem, max(gap, 0) / upem


def face(name: str) -> Face:
    """The registered font ``name`` (a file stem in ``fontfiles``), registering it once."""
    found = _faces.get(name)
    if found is not None:
        return found
    with _lock:
        found = _faces.get(name)
        if found is None:
            path = FONT_DIR / f"{name}.ttf"
            font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
            asc, desc, gap = _vertical_metrics(font.face)
            found = Face(name, asc, desc, gap, frozenset(font.face.charToGlyph))
            _faces[name] = found
    return found


def _variant(family: str, bold: bool, italic: bool) -> str:
    regular, b, i, bi = FAMILIES[family]
    if bold and italic:
        return bi
    if bold:
        return b
    return i if italic else regular


def primary_face(typeface: str, bold: bool, italic: bool) -> Face:
    """The face that draws ``typeface`` before any per-character fallback."""
    return face(_variant(mapping(typeface).family, bold, italic))


def split_by_font(
    text: str, typeface: str, bold: bool, italic: bool
) -> tuple[list[tuple[str, Face]], set[str]]:
    """``text`` cut into pieces drawn with one face each, and the characters no
    shipped font has (drawn as the fallback font's empty box, never '?')."""
    text = text.translate(_INVISIBLE)
    first = primary_face(typeface, bold, italic)
    if first.chars.issuperset(map(ord, text)):
        return [(text, first)], set()  # the common case: one font has it all
    pieces: list[tuple[str, Face]] = []
    missing: set[str] = set()
    for ch in text:
        chosen = first
        if not (first.has(ch) or ch in "\t\n"):
            chosen = face(_variant(FALLBACK_FAMILY, bold, False))
            if not chosen.has(ch):
                cjk = face(_variant(CJK_FAMILY, bold, False))
                if cjk.has(ch):
                    chosen = cjk
                elif ch.isprintable() and not ch.isspace():
                    missing.add(ch)
        if pieces and pieces[-1][1] is chosen:
            pieces[-1] = (pieces[-1][0] + ch, chosen)
        else:
            pieces.append((ch, chosen))
    return pieces, missing


def _register_families() -> None:
    """Tell reportlab which faces make up each family (names only; no file is read)."""
    for family, (regular, bold, italic, bold_italic) in FAMILIES.items():
        pdfmetrics.registerFontFamily(
            family, normal=regular, bold=bold, italic=italic, boldItalic=bold_italic
        )


_register_families()


def text_width(text: str, font: str, size: float) -> float:
    """Advance width in points of ``text`` in the registered font ``font``."""
    return stringWidth(text, font, size)


def preload() -> float:
    """Register the common families (not the CJK font) so the first request
    does not pay for it; returns the seconds it took."""
    import time

    start = time.perf_counter()
    for family in ("Carlito", "Liberation Sans", FALLBACK_FAMILY):
        regular, bold, _, _ = FAMILIES[family]
        face(regular)
        face(bold)
    return time.perf_counter() - start
