"""Text shaping with HarfBuzz: kerning, ligatures and joined Arabic forms.

Every piece of text is shaped (``uharfbuzz``) with the font that draws it;
the result is reportlab's ``ShapedStr``, whose glyph positions reportlab
writes as kerning offsets in the ``TJ`` arrays of the content stream, and
whose advance is what line breaking measures. Glyphs without a character of
their own (a ligature, an Arabic joining form) get a private code in the
font's subset; ``ToUnicode`` maps them back to the text they stand for, so
the PDF's text layer still reads "office", not "o\\ufb03ce".

Shaping costs about 10 µs a word; results are cached per (font, text,
direction), so a deck shapes each distinct word once per process.
"""

from __future__ import annotations

import threading
import unicodedata

import uharfbuzz as hb
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr

FEATURES = {"kern": True, "liga": True}
_CACHE_LIMIT = 50_000

_cache: dict[tuple[str, str, bool], tuple[str, float]] = {}
_fonts: dict[str, hb.Font] = {}
_lock = threading.Lock()
# (code point as drawn, font face name) -> the text that glyph stands for
_sources: dict[tuple[int, str], str] = {}


def _hb_font(font_name: str) -> hb.Font:
    found = _fonts.get(font_name)
    if found is None:
        ttf = pdfmetrics.getFont(font_name)
        found = _fonts[font_name] = ttf.hbFont(10)  # also sets ttf.hbAddPrivate
    return found


def shape(text: str, font_name: str, rtl: bool | None = None) -> tuple[str, float]:
    """``text`` shaped with the registered TrueType font ``font_name``: the string
    to draw (a ``ShapedStr`` when shaping changed anything, else ``text``) and
    its advance width for a 1 pt font size. ``rtl`` forces the direction (the
    glyphs come out in visual order); None lets HarfBuzz guess from the script."""
    key = (font_name, text, bool(rtl) if rtl is not None else None)
    found = _cache.get(key)  # type: ignore[arg-type]
    if found is not None:
        return found
    with _lock:
        found = _shape(text, font_name, rtl)
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[key] = found  # type: ignore[index]
    return found


def width(text: str, font_name: str, size: float) -> float:
    """Shaped advance width in points."""
    return shape(text, font_name)[1] * size


def _shape(text: str, font_name: str, rtl: bool | None) -> tuple[str, float]:
    ttf = pdfmetrics.getFont(font_name)
    if not text or not getattr(ttf, "_dynamicFont", False):
        return text, pdfmetrics.stringWidth(text, font_name, 1.0)
    hbf = _hb_font(font_name)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    if rtl is not None:
        buf.direction = "rtl" if rtl else "ltr"
    buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
    hb.shape(hbf, buf, FEATURES)
    face = ttf.face
    chars: list[str] = []
    data: list[ShapeData] = []
    total = 0.0
    changed = False
    infos, positions = buf.glyph_infos, buf.glyph_positions
    clusters = sorted({info.cluster for info in infos}) + [len(text)]
    cluster_end = dict(zip(clusters, clusters[1:], strict=False))
    for i, (info, pos) in enumerate(zip(infos, positions, strict=True)):
        gid = info.codepoint
        owners = face.glyphToChar.get(gid)
        source = text[info.cluster : cluster_end.get(info.cluster, len(text))]
        if len(source) == 1 and face.charToGlyph.get(ord(source)) == gid:
            code = ord(source)  # the character itself (a glyph may serve several: space, nbsp)
        elif owners:
            code = owners[0]
        else:
            # the glyph's width as the PDF declares it: in 1/1000 em, like every other
            # (reportlab's own shaping passes font units, which text extraction misreads)
            code = ttf.hbAddPrivate(hbf.glyph_to_string(gid), gid,
                                    round(ttf.pdfScale(pos.x_advance)))  # fmt: skip
        if chr(code) != source:
            _note_source(code, face.name.decode("latin-1"), source)
        advance = ttf.pdfScale(pos.x_advance)
        x_offset, y_offset = ttf.pdfScale(pos.x_offset), ttf.pdfScale(pos.y_offset)
        natural = face.charWidths.get(code, advance)
        total += advance
        changed = changed or (
            x_offset != 0 or y_offset != 0 or abs(advance - natural) > 0.01
            or i >= len(text) or text[i] != chr(code)
        )  # fmt: skip
        chars.append(chr(code))
        data.append(ShapeData(info.cluster, advance, ttf.pdfScale(pos.y_advance),
                              x_offset, y_offset, natural))  # fmt: skip
    if not changed and len(chars) == len(text):
        return text, total / 1000
    return ShapedStr("".join(chars), shapeData=data), total / 1000


def _note_source(code: int, face_name: str, source: str) -> None:
    """Remember what a ligature or contextual glyph stands for (see ``ToUnicode``)."""
    if not source or (len(source) == 1 and unicodedata.normalize("NFKC", chr(code)) == source):
        return
    _sources.setdefault((code, face_name), source)


_plain_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with ligature and joining glyphs mapped to
    the characters they were shaped from (so text extraction reads words)."""
    face_name = fontname.split("+", 1)[-1]
    text = _plain_cmap(fontname, subset)
    lines = []
    for i, code in enumerate(subset):
        source = _sources.get((code, face_name))
        if source is None and 0xFB00 <= code <= 0xFB06:  # Latin ligatures: ff, fi, fl, ...
            source = unicodedata.normalize("NFKC", chr(code))
        if source:
            utf16 = source.encode("utf-16-be").hex().upper()
            lines.append((f"<{i:02X}> <{code:04X}>", f"<{i:02X}> <{utf16}>"))
    for old, new in lines:
        text = text.replace(old, new, 1)
    return text


ttfonts.makeToUnicodeCMap = _to_unicode_cmap
