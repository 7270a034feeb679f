"""Font choice: the one place that maps a deck's typeface to an embedded font.

The renderer ships its own TrueType files (``fontfiles/``, see its README) and
picks among them the way the reference environment does: LibreOffice on
Debian 12 resolves a typeface it lacks through fontconfig, so

1. a name with a metric-compatible stand-in is drawn with it (Calibri ->
   Carlito, Cambria -> Caladea, Arial/Helvetica -> Liberation Sans, Times
   New Roman/Times -> Liberation Serif, Courier New/Courier -> Liberation Mono;
   fontconfig's ``30-metric-aliases.conf``);
2. a PostScript core name (Palatino, Century Schoolbook, Bookman, Avant
   Garde, Zapf Chancery) is drawn with its URW base35 clone (P052, C059,
   URW Bookman, URW Gothic, Z003; converted to TrueType by ``fontbuild``);
3. any other name -- including "Calibri Light", "Segoe UI", "Verdana",
   "Georgia" -- gets fontconfig's default for the name's generic class:
   DejaVu Sans, or DejaVu Serif / DejaVu Sans Mono for the names fontconfig
   lists as serif / monospace (``45-latin.conf``, ``40-nonlatin.conf``).
   fontconfig does not guess a class from words in the name: "Foo Serif" is
   sans like every unlisted name.

Names compare as fontconfig compares them: ignoring case and blanks. Text is
then split into pieces per font, character by character: the mapped font,
DejaVu Sans, then the CJK font (Noto Sans CJK, subset to the national standard
character sets), then Droid Sans Fallback, whichever first has the
glyph. Fonts are registered lazily and cached for the life of the process;
``preload`` registers the two most common faces at cold start.
"""

from __future__ import annotations

import struct
import threading
from contextvars import ContextVar
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
    "DejaVu Sans": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique",
                    "DejaVuSans-BoldOblique"),
    "DejaVu Serif": ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic",
                     "DejaVuSerif-BoldItalic"),
    "DejaVu Sans Mono": ("DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique",
                         "DejaVuSansMono-BoldOblique"),
    "Noto Sans CJK JP": ("NotoSansCJKjp-Regular", "NotoSansCJKjp-Bold") * 2,
    "Droid Sans Fallback": ("DroidSansFallback",) * 4,
    # URW base35 clones, converted to TrueType outlines by ``fontbuild``.
    "P052": ("P052-Roman", "P052-Bold", "P052-Italic", "P052-BoldItalic"),
    "C059": ("C059-Roman", "C059-Bold", "C059-Italic", "C059-BdIta"),
    "URW Bookman": ("URWBookman-Light", "URWBookman-Demi", "URWBookman-LightItalic",
                    "URWBookman-DemiItalic"),
    "URW Gothic": ("URWGothic-Book", "URWGothic-Demi", "URWGothic-BookOblique",
                   "URWGothic-DemiOblique"),
    "Z003": ("Z003-MediumItalic",) * 4,
}  # fmt: skip
FALLBACK_FAMILY = "DejaVu Sans"
CJK_FAMILY = "Noto Sans CJK JP"  # the references' CJK font (a subset: see ``fontbuild``)
LAST_RESORT_FAMILY = "Droid Sans Fallback"  # CJK characters outside that subset
# No emoji font beyond DejaVu Sans's: the references have none, and draw only the
# emoji DejaVu Sans has (a monochrome emoji font took aspose-java/presemoji from
# 0.99 to 0.17 fidelity, drawing the pictographs the reference leaves out).


@dataclass(frozen=True)
class Mapping:
    """How a typeface is drawn: ``family``, a horizontal scale (condensed
    faces), and whether the family is metric-compatible (same advance widths,
    so line breaks match; substitutions that are not are reported)."""

    family: str
    scale: float = 1.0
    exact: bool = False
    why: str = "by its class"  # how the family was chosen, for the report


def _key(name: str) -> str:
    """A typeface name as fontconfig compares family names: no case, no blanks."""
    return "".join(name.split()).lower()


def _names(*names: str) -> tuple[str, ...]:
    return tuple(_key(n) for n in names)


# 1. Metric-compatible aliases (fontconfig 30-metric-aliases.conf; the URW
# clones of Helvetica/Times/Courier have the same widths as Liberation).
_METRIC: dict[str, tuple[str, ...]] = {
    "Carlito": _names("Calibri", "Carlito"),
    "Caladea": _names("Cambria", "Caladea"),
    "Liberation Sans": _names(
        "Arial", "Arimo", "Liberation Sans", "Albany", "Albany AMT", "Helvetica",
        "Nimbus Sans", "Nimbus Sans L", "TeX Gyre Heros"),
    "Liberation Serif": _names(
        "Times New Roman", "Tinos", "Liberation Serif", "Thorndale", "Thorndale AMT",
        "Times", "Nimbus Roman", "Nimbus Roman No9 L", "TeX Gyre Termes"),
    "Liberation Mono": _names(
        "Courier New", "Cousine", "Liberation Mono", "Cumberland", "Cumberland AMT",
        "Courier", "Courier Std", "Nimbus Mono", "Nimbus Mono L", "Nimbus Mono PS",
        "TeX Gyre Cursor"),
    "DejaVu Sans": _names("DejaVu Sans", "Bitstream Vera Sans"),
    "DejaVu Serif": _names("DejaVu Serif", "Bitstream Vera Serif"),
    "DejaVu Sans Mono": _names("DejaVu Sans Mono", "Bitstream Vera Sans Mono"),
}  # fmt: skip
# Arial Narrow's widths are Arial's x 0.82 (LibreOffice uses Liberation Sans Narrow).
_NARROW = _names("Arial Narrow", "Liberation Sans Narrow", "Helvetica Narrow",
                 "Nimbus Sans Narrow", "TeX Gyre Heros Cn")  # fmt: skip
NARROW_SCALE = 0.82
# 2. PostScript core families that fontconfig gives to a URW base35 clone
# (61-urw-*.conf, 61-urw-fallback-backwards.conf), shipped as TrueType copies.
_URW: dict[str, tuple[str, ...]] = {
    "P052": _names(
        "Palatino", "Palatino Linotype", "P052", "URW Palladio L", "Palladio URW",
        "TeX Gyre Pagella"),
    "C059": _names(
        "Century Schoolbook", "New Century Schoolbook", "C059", "Century Schoolbook L",
        "Century SchoolBook URW", "TeX Gyre Schola"),
    "URW Bookman": _names(
        "Bookman", "ITC Bookman", "Bookman Old Style", "URW Bookman", "URW Bookman L",
        "Bookman URW", "TeX Gyre Bonum"),
    "URW Gothic": _names(
        "Avant Garde", "ITC Avant Garde Gothic", "URW Gothic", "URW Gothic L",
        "TeX Gyre Adventor"),
    "Z003": _names(
        "Zapf Chancery", "ITC Zapf Chancery", "URW Chancery L", "Chancery URW", "Z003",
        "TeX Gyre Chorus"),
}  # fmt: skip
# 3. Names fontconfig classifies as serif or monospace (45-latin.conf,
# 40-nonlatin.conf) and the math fonts (drawn with DejaVu Math, serif-like).
_SERIF_NAMES = frozenset(_names(
    "Constantia", "Elephant", "Garamond", "Georgia", "Luxi Serif", "MS Serif", "Gelasio",
    "Nazli", "Lotoos", "Mitra", "Ferdosi", "Badr", "Zar", "Titr", "Jadid", "Kochi Mincho",
    "AR PL SungtiL GB", "AR PL Mingti2L Big5", "ＭＳ 明朝", "NanumMyeongjo", "UnBatang",
    "Baekmuk Batang", "MgOpen Canonica", "Sazanami Mincho", "AR PL ZenKai Uni",
    "ZYSong18030", "FreeSerif", "SimSun",
    "Cambria Math", "XITS Math", "STIX Two Math", "Latin Modern Math", "Minion Math",
    "Lucida Math", "Asana Math",
))  # fmt: skip
_MONO_NAMES = frozenset(_names(
    "Andale Mono", "Consolas", "Fixedsys", "Inconsolata", "Luxi Mono", "Terminal",
    "NSimSun", "NanumGothicCoding", "FreeMono", "monospace", "mono",
))  # fmt: skip
GENERIC = {"sans": "DejaVu Sans", "serif": "DejaVu Serif", "mono": "DejaVu Sans Mono"}

TYPEFACES: dict[str, Mapping] = {
    **{n: Mapping(family, exact=True, why="metric-compatible")
       for family, names in _METRIC.items() for n in names},
    **{n: Mapping("Liberation Sans", NARROW_SCALE, why="condensed to Arial Narrow's widths")
       for n in _NARROW},
    **{n: Mapping(family, exact=True, why="its URW base35 clone")
       for family, names in _URW.items() for n in names},
}  # fmt: skip
"""Lower-case, blank-free typeface name -> mapping, for the names fontconfig
aliases; every other name is drawn by its class (``family_class``)."""

# Invisible formatting characters that no font needs to draw.
_INVISIBLE = str.maketrans({c: None for c in "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\xad"})


@lru_cache(maxsize=512)
def family_class(typeface: str) -> str:
    """``sans``, ``serif`` or ``mono``: fontconfig's generic class for a name
    it has no font for (sans unless its configuration lists the name)."""
    name = _key(typeface)
    if name in _MONO_NAMES:
        return "mono"
    if name in _SERIF_NAMES:
        return "serif"
    return "sans"


@lru_cache(maxsize=512)
def mapping(typeface: str) -> Mapping:
    """The family that draws ``typeface`` (by alias, else by generic class)."""
    found = TYPEFACES.get(_key(typeface))
    if found is None and "-" in typeface:  # PostScript-style "Times-Roman", "Arial-BoldMT"
        found = TYPEFACES.get(_key(typeface.split("-", 1)[0]))
    if found is not None:
        return found
    return Mapping(GENERIC[family_class(typeface)])


def substitution_note(typeface: str) -> str | None:
    """A sentence for the fidelity report when ``typeface`` is not drawn with a
    metric-compatible font; None when it is."""
    if not typeface:
        return None
    m = mapping(typeface)
    if m.exact:
        return None
    return f"Typeface '{typeface}' is not available; it is drawn with {m.family} ({m.why})."


# typeface asked for -> family drawn, for the render in progress (per thread/context)
_used: ContextVar[dict[str, str] | None] = ContextVar("deckpipe_fonts_used", default=None)


def start_recording() -> None:
    """Begin collecting which family draws each typeface (see ``substitutions``)."""
    _used.set({})


def substitutions() -> dict[str, str]:
    """Typeface -> family for every typeface drawn with another family since
    ``start_recording`` (metric-compatible ones included: Calibri -> Carlito)."""
    used = _used.get() or {}
    return {t: f for t, f in used.items() if _key(t) != _key(f)}


def _record(typeface: str, family: str) -> None:
    used = _used.get()
    if used is not None and typeface and typeface not in used:
        used[typeface] = family


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
    family = mapping(typeface).family
    _record(typeface, family)
    return face(_variant(family, bold, italic))


def script_class(ch: str) -> str:
    """``ea`` (East Asian), ``cs`` (complex script: right-to-left, Thai, Indic)
    or ``latin``, the three font slots of a DrawingML run."""
    o = ord(ch)
    if (0x1100 <= o <= 0x11FF or 0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF
            or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF):
        return "ea"
    if 0x0590 <= o <= 0x08FF or 0x0900 <= o <= 0x0E7F or 0xFB1D <= o <= 0xFDFF or (
            0xFE70 <= o <= 0xFEFF):
        return "cs"
    return "latin"


def split_by_font(
    text: str, typeface: str, bold: bool, italic: bool, ea: str = "", cs: str = ""
) -> tuple[list[tuple[str, Face]], set[str]]:
    """``text`` cut into pieces drawn with one face each, and the characters no
    shipped font has (left out, as the reference leaves them: never a .notdef
    box or '?').

    East Asian characters use the ``ea`` typeface and complex-script ones the
    ``cs`` typeface when given (as PowerPoint and LibreOffice pick a run's font
    per character by script); the rest, and neutral characters next to them,
    use ``typeface``."""
    text = text.translate(_INVISIBLE)
    if not (ea or cs) or all(script_class(ch) == "latin" for ch in text):
        return _split(text, typeface, bold, italic)
    slots = {"latin": typeface, "ea": ea or typeface, "cs": cs or typeface}
    pieces: list[tuple[str, Face]] = []
    missing: set[str] = set()
    segment, current = "", typeface
    for ch in text:
        cls = script_class(ch)
        wanted = slots[cls] if cls != "latin" or ch.isalpha() else current
        if wanted != current and segment:
            more, gone = _split(segment, current, bold, italic)
            pieces, missing = _join(pieces, more), missing | gone
            segment = ""
        segment, current = segment + ch, wanted
    more, gone = _split(segment, current, bold, italic)
    return _join(pieces, more), missing | gone


def _join(
    pieces: list[tuple[str, Face]], more: list[tuple[str, Face]]
) -> list[tuple[str, Face]]:
    for text, f in more:
        if pieces and pieces[-1][1] is f:
            pieces[-1] = (pieces[-1][0] + text, f)
        else:
            pieces.append((text, f))
    return pieces


def _split(
    text: str, typeface: str, bold: bool, italic: bool
) -> tuple[list[tuple[str, Face]], set[str]]:
    """Per-character fallback for one typeface: its font, DejaVu Sans, the CJK font."""
    first = primary_face(typeface, bold, italic)
    if first.chars.issuperset(map(ord, text)):
        return [(text, first)], set()  # the common case: one font has it all
    pieces: list[tuple[str, Face]] = []
    missing: set[str] = set()
    for ch in text:
        chosen = first
        if not (first.has(ch) or ch in "\t\n"):
            chosen = face(_variant(FALLBACK_FAMILY, bold, italic))
            if not chosen.has(ch):
                found = _last_resort(ch, bold)
                if found is not None:
                    chosen = found
                elif ch.isprintable() and not ch.isspace():
                    missing.add(ch)
                    continue  # no font has it: leave it out rather than draw a box
                else:
                    continue  # an unprintable control character
        if pieces and pieces[-1][1] is chosen:
            pieces[-1] = (pieces[-1][0] + ch, chosen)
        else:
            pieces.append((ch, chosen))
    return _spaces_join_fallback(pieces), missing


def _spaces_join_fallback(pieces: list[tuple[str, Face]]) -> list[tuple[str, Face]]:
    """Spaces between two pieces of the same fallback font take that font, as
    LibreOffice's glyph fallback does (measured: the space between two Hebrew
    words of a Calibri run is DejaVu Sans's 0.32 em, not Carlito's 0.23 em)."""
    if len(pieces) < 3:
        return pieces
    out: list[tuple[str, Face]] = [pieces[0]]
    for i in range(1, len(pieces)):
        text, f = pieces[i]
        before = out[-1][1]
        after = pieces[i + 1][1] if i + 1 < len(pieces) else None
        if text.isspace() and after is before and before is not f and before.chars.issuperset(
            map(ord, text)
        ):
            f = before
        if f is out[-1][1]:
            out[-1] = (out[-1][0] + text, f)
        else:
            out.append((text, f))
    return out


def _last_resort(ch: str, bold: bool) -> Face | None:
    """The CJK font or Droid Sans Fallback, the first that has ``ch`` (each
    registered only when a character gets that far)."""
    for family in (CJK_FAMILY, LAST_RESORT_FAMILY):
        found = face(_variant(family, bold, False))
        if found.has(ch):
            return found
    return None


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
    """Register the regular faces most decks use (Carlito, Liberation Sans,
    DejaVu Sans: about 0.05 s) so the first request does not pay for them; the rest register
    lazily on first use. Returns the seconds it took."""
    import time

    start = time.perf_counter()
    for family in ("Carlito", "Liberation Sans", FALLBACK_FAMILY):
        face(FAMILIES[family][0])
    return time.perf_counter() - start
