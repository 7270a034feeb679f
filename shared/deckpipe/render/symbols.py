"""Symbol fonts (Wingdings, Symbol, ...) to Unicode.

Symbol fonts draw pictograms at the code points of ordinary letters (a
Wingdings "ü" is a check mark), and decks store them either as that letter or
in the private-use block U+F000-U+F0FF. The renderer has no such fonts, so the
common characters are translated to their Unicode equivalents, which the
fallback font (DejaVu Sans) draws; the rest become a bullet.
"""

from __future__ import annotations

SYMBOL_TYPEFACES = ("wingdings", "webdings", "symbol", "marlett", "zapfdingbats", "zapf dingbats")
SYMBOL_DRAW_FONT = "DejaVu Sans"

_WINGDINGS = {
    0x21: "\u270f", 0x22: "\u2702", 0x23: "\u2701", 0x28: "\u260e", 0x2a: "\u2709",
    0x36: "\u231b", 0x37: "\u2328", 0x3e: "\u2707", 0x3f: "\u270d", 0x41: "\u270c",
    0x43: "\U0001f44d", 0x44: "\U0001f44e", 0x45: "\u261c", 0x46: "\u261e", 0x47: "\u261d",
    0x48: "\u261f", 0x4a: "\u263a", 0x4c: "\u2639", 0x4e: "\u2620", 0x4f: "\u2690",
    0x52: "\u263c", 0x54: "\u2744", 0x56: "\u271e", 0x58: "\u2720", 0x59: "\u2721",
    0x5a: "\u262a", 0x5b: "\u262f", 0x5e: "\u2648", 0x6c: "\u25cf", 0x6d: "\u274d",
    0x6e: "\u25a0", 0x6f: "\u25a1", 0x70: "\u25fb", 0x71: "\u2751", 0x72: "\u2752",
    0x73: "\u2b27", 0x74: "\u29eb", 0x75: "\u25c6", 0x76: "\u2756", 0x77: "\u2b25",
    0x78: "\u2327", 0x79: "\u2353", 0x7a: "\u2318", 0x7b: "\u2740", 0x7c: "\u273f",
    0x7d: "\u275d", 0x7e: "\u275e", 0x9e: "\u00b7", 0x9f: "\u2022", 0xa0: "\u25aa",
    0xa1: "\u25cb", 0xa2: "\u2b55", 0xa4: "\u25c9", 0xa5: "\u25ce", 0xa7: "\u25aa",
    0xa8: "\u25fb", 0xaa: "\u2726", 0xab: "\u2605", 0xac: "\u2736", 0xad: "\u2734",
    0xae: "\u2739", 0xaf: "\u2735", 0xb1: "\u2316", 0xb2: "\u27e1", 0xb3: "\u2311",
    0xd5: "\u232b", 0xd6: "\u2326", 0xd8: "\u27a2", 0xdf: "\u2190", 0xe0: "\u2192",
    0xe1: "\u2191", 0xe2: "\u2193", 0xe8: "\u2794", 0xef: "\u21e6", 0xf0: "\u21e8",
    0xf1: "\u21e7", 0xf2: "\u21e9", 0xfb: "\u2717", 0xfc: "\u2713", 0xfd: "\u2612",
    0xfe: "\u2611",
}  # fmt: skip

_SYMBOL = {
    0x22: "\u2200", 0x24: "\u2203", 0x27: "\u220b", 0x2d: "\u2212", 0x40: "\u2245",
    0x5c: "\u2234", 0x5e: "\u22a5", 0x60: "\u203e", 0xa1: "\u03d2", 0xa2: "\u2032",
    0xa3: "\u2264", 0xa4: "\u2044", 0xa5: "\u221e", 0xa6: "\u0192", 0xa7: "\u2663",
    0xa8: "\u2666", 0xa9: "\u2665", 0xaa: "\u2660", 0xab: "\u2194", 0xac: "\u2190",
    0xad: "\u2191", 0xae: "\u2192", 0xaf: "\u2193", 0xb0: "\u00b0", 0xb1: "\u00b1",
    0xb2: "\u2033", 0xb3: "\u2265", 0xb4: "\u00d7", 0xb5: "\u221d", 0xb6: "\u2202",
    0xb7: "\u2022", 0xb8: "\u00f7", 0xb9: "\u2260", 0xba: "\u2261", 0xbb: "\u2248",
    0xbc: "\u2026", 0xc0: "\u2135", 0xc4: "\u2297", 0xc5: "\u2295", 0xc6: "\u2205",
    0xc7: "\u2229", 0xc8: "\u222a", 0xc9: "\u2283", 0xca: "\u2287", 0xcb: "\u2284",
    0xcc: "\u2282", 0xcd: "\u2286", 0xce: "\u2208", 0xcf: "\u2209", 0xd0: "\u2220",
    0xd1: "\u2207", 0xd5: "\u220f", 0xd6: "\u221a", 0xd7: "\u22c5", 0xd8: "\u00ac",
    0xd9: "\u2227", 0xda: "\u2228", 0xdb: "\u21d4", 0xdc: "\u21d0", 0xdd: "\u21d1",
    0xde: "\u21d2", 0xdf: "\u21d3", 0xe0: "\u25ca", 0xe5: "\u2211", 0xf2: "\u222b",
}  # fmt: skip
_SYMBOL.update(zip(b"ABGDEZHQIKLMNXOPRSTUFCYWJV", "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩϑς", strict=True))
_SYMBOL.update(zip(b"abgdezhqiklmnxoprstufcywjv", "αβγδεζηθικλμνξοπρστυφχψωϕϖ", strict=True))


def is_symbol_typeface(typeface: str) -> bool:
    """Symbol fonts map letters to pictograms; their text is not meaningful as letters."""
    name = typeface.lower()
    return any(s in name for s in SYMBOL_TYPEFACES)


def to_unicode(text: str, typeface: str, unknown: str = "\u2022") -> str:
    """``text`` set in the symbol font ``typeface``, as the Unicode characters it shows.

    Characters with no known equivalent become ``unknown``; spaces stay."""
    name = typeface.lower()
    table = _WINGDINGS if name == "wingdings" else _SYMBOL if name == "symbol" else {}
    out = []
    for ch in text:
        code = ord(ch)
        if 0xF000 <= code <= 0xF0FF:
            code -= 0xF000
        if code == 0x20 or ch.isspace():
            out.append(ch)
        elif code in table:
            out.append(table[code])
        elif code >= 0x100 or (table is _SYMBOL and code < 0x80):
            out.append(ch)  # real Unicode, or Symbol's ASCII digits and punctuation
        else:
            out.append(unknown)
    return "".join(out)
