"""Build step, never run while rendering: TrueType copies of CFF (``.otf``) fonts.

reportlab embeds only TrueType (``glyf``) outlines and refuses CFF ones
("postscript outlines are not supported"). The fonts the reference
environment falls back to for PostScript core names (Debian's
``fonts-urw-base35``: P052 for Palatino, C059 for Century Schoolbook, URW
Bookman, URW Gothic for Avant Garde, Z003 for Zapf Chancery) exist only as
CFF, so they are converted once, here, the way fontTools' ``otf2ttf`` snippet
does (cubic curves to quadratic with ``cu2qu``, within 1 font unit), and the
results are kept in ``fontfiles/`` (about 2.6 MB for 17 files)::

    .venv/bin/pip install 'fonttools==4.68.0'
    .venv/bin/python -m deckpipe.render.fontbuild urw shared/deckpipe/render/fontfiles

Chinese, Japanese and Korean text is drawn, as in the references, with Noto
Sans CJK (Debian's ``fonts-noto-cjk``; LibreOffice embeds its JP face). The
whole font is 65,535 glyphs (about 40 MB as TrueType per weight), so ``cjk``
keeps the characters of the national standard sets -- GB 2312, JIS X 0208,
KS X 1001 and Big5, read from Python's own codecs -- plus the CJK punctuation,
kana, Hangul letters and full-width forms: about 20,000 characters, 6 MB a
weight. Characters outside it still fall back to Droid Sans Fallback::

    .venv/bin/python -m deckpipe.render.fontbuild cjk shared/deckpipe/render/fontfiles

Needs fontTools (``pip install -e '.[fonts]'``); the renderer itself does not.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

URW_DIR = Path("/usr/share/fonts/opentype/urw-base35")
URW_FILES = (
    "P052-Roman", "P052-Bold", "P052-Italic", "P052-BoldItalic",
    "C059-Roman", "C059-Bold", "C059-Italic", "C059-BdIta",
    "URWBookman-Light", "URWBookman-Demi", "URWBookman-LightItalic", "URWBookman-DemiItalic",
    "URWGothic-Book", "URWGothic-Demi", "URWGothic-BookOblique", "URWGothic-DemiOblique",
    "Z003-MediumItalic",
)  # fmt: skip
MAX_ERR = 1.0  # font units: the largest distance of a quadratic from the cubic curve
CJK_DIR = Path("/usr/share/fonts/opentype/noto")
CJK_FILES = {"NotoSansCJKjp-Regular": "NotoSansCJK-Regular.ttc",
             "NotoSansCJKjp-Bold": "NotoSansCJK-Bold.ttc"}  # fmt: skip
CJK_FACE = 0  # the JP face of the collection: what the references embed
# Whole blocks kept beside the standard sets: CJK symbols and punctuation, kana,
# Hangul compatibility letters, enclosed and compatibility CJK, half/full-width forms.
CJK_BLOCKS = ((0x3000, 0x30FF), (0x3130, 0x318F), (0x31F0, 0x33FF), (0xFF00, 0xFFEF))
# Double-byte national character sets: (codec, lead bytes, trail bytes)
CJK_SETS = (
    ("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF)),
    ("euc_jp", range(0xA1, 0xF5), range(0xA1, 0xFF)),
    ("euc_kr", range(0xA1, 0xFE), range(0xA1, 0xFF)),
    ("big5", range(0xA1, 0xFA), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
)


def cjk_characters() -> set[int]:
    """The code points the CJK subset keeps (see the module docstring)."""
    found: set[int] = set()
    for codec, leads, trails in CJK_SETS:
        for lead in leads:
            for trail in trails:
                with contextlib.suppress(UnicodeDecodeError):
                    found.update(map(ord, bytes((lead, trail)).decode(codec)))
    for first, last in CJK_BLOCKS:
        found.update(range(first, last + 1))
    return found


def cjk_subset(src: Path, dst: Path, face: int = CJK_FACE) -> None:
    """One face of a Noto CJK collection, cut to ``cjk_characters`` and converted
    to TrueType outlines. Only the layout features shaping uses are kept
    (vertical and regional alternates would double the glyphs)."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(str(src)).fonts[face]
    options = subset.Options()
    options.layout_features = ["ccmp", "kern", "liga", "palt"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(cjk_characters()))
    subsetter.subset(font)
    staged = dst.with_suffix(".otf")
    font.save(str(staged))
    try:
        otf_to_ttf(staged, dst)
    finally:
        staged.unlink()


def otf_to_ttf(src: Path, dst: Path, max_err: float = MAX_ERR) -> None:
    """Write ``src`` (OpenType with CFF outlines) as a TrueType font ``dst``."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(src))
    if "CFF " not in font:
        raise ValueError(f"{src} has no CFF outlines")
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    quadratic = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        quadratic[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = quadratic
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones",):
        setattr(maxp, field, 1)
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions"):  # fmt: skip
        setattr(maxp, field, 0)
    maxp.maxComponentElements = max(
        (len(getattr(g, "components", ())) for g in glyf.glyphs.values()), default=0
    )
    maxp.compile(font)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.save(str(dst))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["urw", "cjk"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", type=Path, help="folder of the Debian package's fonts")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "cjk":
        source = args.source or CJK_DIR
        for stem, collection in CJK_FILES.items():
            if not (source / collection).exists():
                print(f"missing {source / collection} (apt-get install fonts-noto-cjk)",
                      file=sys.stderr)  # fmt: skip
                return 1
            cjk_subset(source / collection, args.out / f"{stem}.ttf")
            print(args.out / f"{stem}.ttf")
        return 0
    args.source = args.source or URW_DIR
    for stem in URW_FILES:
        src = args.source / f"{stem}.otf"
        if not src.exists():
            print(f"missing {src} (apt-get install fonts-urw-base35)", file=sys.stderr)
            return 1
        otf_to_ttf(src, args.out / f"{stem}.ttf")
        print(args.out / f"{stem}.ttf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
