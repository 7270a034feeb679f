"""The preset pattern fills (``a:pattFill prst=...``, all 54 of ST_PresetPatternVal) as 8 × 8 tiles.

PowerPoint draws a preset pattern as a two-colour 8 × 8 pixel tile repeated at
screen resolution (96 dpi: one pattern pixel is 0.75 pt), whatever the zoom.
Each tile below is eight bytes, one per row, most significant bit leftmost, a
set bit in the foreground colour. The tiles follow the Windows hatch and
percentage patterns the presets are named after: classic hatches (``horz``,
``dnDiag``, ``cross``...) are one-pixel lines every 8 pixels, ``lt*`` every 4,
``nar*`` every 2, ``dk*`` two pixels every 4, ``wd*`` three every 8.

``tile_png`` makes a 1-bit palette PNG covering a whole fill area: its rows are
the tile bytes repeated, so it costs almost nothing to build, deflates to a
few hundred bytes, and the painter embeds it as it is (no decoding).
"""

from __future__ import annotations

import math
import struct
import zlib
from functools import lru_cache

from .model import RGB

PIXEL = 0.75  # points per pattern pixel (96 dpi)
MAX_EDGE = 4096  # pixels; a larger area repeats a tile of this size

# fmt: off
TILES: dict[str, tuple[int, ...]] = {
    "pct5": (0x80, 0, 0, 0, 0x08, 0, 0, 0),
    "pct10": (0x80, 0, 0x08, 0, 0x80, 0, 0x08, 0),
    "pct20": (0x88, 0, 0x22, 0, 0x88, 0, 0x22, 0),
    "pct25": (0x88, 0x22, 0x88, 0x22, 0x88, 0x22, 0x88, 0x22),
    "pct30": (0xAA, 0x44, 0xAA, 0x11, 0xAA, 0x44, 0xAA, 0x11),
    "pct40": (0xAA, 0x55, 0xAA, 0x51, 0xAA, 0x55, 0xAA, 0x15),
    "pct50": (0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55, 0xAA, 0x55),
    "pct60": (0xEE, 0x55, 0xBB, 0x55, 0xEE, 0x55, 0xBB, 0x55),
    "pct70": (0xFF, 0x55, 0xFF, 0xAA, 0xFF, 0x55, 0xFF, 0xAA),
    "pct75": (0x77, 0xDD, 0x77, 0xDD, 0x77, 0xDD, 0x77, 0xDD),
    "pct80": (0xF7, 0xFF, 0x7F, 0xFF, 0xF7, 0xFF, 0x7F, 0xFF),
    "pct90": (0x7F, 0xFF, 0xFF, 0xFF, 0xF7, 0xFF, 0xFF, 0xFF),
    "horz": (0xFF, 0, 0, 0, 0, 0, 0, 0),
    "vert": (0x80,) * 8,
    "ltHorz": (0xFF, 0, 0, 0, 0xFF, 0, 0, 0),
    "ltVert": (0x88,) * 8,
    "dkHorz": (0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0, 0),
    "dkVert": (0xCC,) * 8,
    "narHorz": (0xFF, 0, 0xFF, 0, 0xFF, 0, 0xFF, 0),
    "narVert": (0xAA,) * 8,
    "dashHorz": (0xF0, 0, 0, 0, 0x0F, 0, 0, 0),
    "dashVert": (0x80, 0x80, 0x80, 0x80, 0x08, 0x08, 0x08, 0x08),
    "cross": (0xFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80),
    "dnDiag": (0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01),
    "upDiag": (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80),
    "ltDnDiag": (0x88, 0x44, 0x22, 0x11, 0x88, 0x44, 0x22, 0x11),
    "ltUpDiag": (0x11, 0x22, 0x44, 0x88, 0x11, 0x22, 0x44, 0x88),
    "dkDnDiag": (0xCC, 0x66, 0x33, 0x99, 0xCC, 0x66, 0x33, 0x99),
    "dkUpDiag": (0x33, 0x66, 0xCC, 0x99, 0x33, 0x66, 0xCC, 0x99),
    "wdDnDiag": (0xC1, 0xE0, 0x70, 0x38, 0x1C, 0x0E, 0x07, 0x83),
    "wdUpDiag": (0x83, 0x07, 0x0E, 0x1C, 0x38, 0x70, 0xE0, 0xC1),
    "dashDnDiag": (0x88, 0x44, 0x22, 0x11, 0, 0, 0, 0),
    "dashUpDiag": (0x11, 0x22, 0x44, 0x88, 0, 0, 0, 0),
    "diagCross": (0x81, 0x42, 0x24, 0x18, 0x18, 0x24, 0x42, 0x81),
    "smCheck": (0xCC, 0xCC, 0x33, 0x33, 0xCC, 0xCC, 0x33, 0x33),
    "lgCheck": (0xF0, 0xF0, 0xF0, 0xF0, 0x0F, 0x0F, 0x0F, 0x0F),
    "smGrid": (0xFF, 0x88, 0x88, 0x88, 0xFF, 0x88, 0x88, 0x88),
    "lgGrid": (0xFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80),
    "dotGrid": (0xAA, 0, 0x80, 0, 0x80, 0, 0x80, 0),
    "smConfetti": (0x80, 0x10, 0x02, 0x20, 0x01, 0x08, 0x40, 0x04),
    "lgConfetti": (0xB1, 0x30, 0x03, 0x1B, 0xD8, 0xC0, 0x0C, 0x8D),
    "horzBrick": (0xFF, 0x80, 0x80, 0x80, 0xFF, 0x08, 0x08, 0x08),
    "diagBrick": (0x01, 0x02, 0x04, 0x08, 0x18, 0x24, 0x42, 0x81),
    "solidDmnd": (0x10, 0x38, 0x7C, 0xFE, 0x7C, 0x38, 0x10, 0x00),
    "openDmnd": (0x80, 0x41, 0x22, 0x14, 0x08, 0x14, 0x22, 0x41),
    "dotDmnd": (0x80, 0x00, 0x22, 0x00, 0x08, 0x00, 0x22, 0x00),
    "plaid": (0xAA, 0x55, 0xAA, 0x55, 0xF0, 0xF0, 0xF0, 0xF0),
    "sphere": (0x77, 0x98, 0xF8, 0xF8, 0x77, 0x89, 0x8F, 0x8F),
    "weave": (0x88, 0x54, 0x22, 0x45, 0x88, 0x14, 0x22, 0x51),
    "divot": (0x00, 0x10, 0x08, 0x10, 0x00, 0x01, 0x80, 0x01),
    "shingle": (0x03, 0x84, 0x48, 0x30, 0x0C, 0x02, 0x01, 0x01),
    "wave": (0x00, 0x18, 0xA4, 0x03, 0x00, 0x18, 0xA4, 0x03),
    "trellis": (0xFF, 0x66, 0xFF, 0x99, 0xFF, 0x66, 0xFF, 0x99),
    "zigZag": (0x81, 0x42, 0x24, 0x18, 0x81, 0x42, 0x24, 0x18),
}
# fmt: on


# LibreOffice 7.4 imports a preset pattern as a hatch (oox ``createHatch``), not
# as pixels: (sets of lines, distance in 1/100 mm, angle in 1/10 degree). One
# set is parallel lines at the angle; a second set is turned -90 degrees and a
# third -45 degrees. The lines are hairlines in the foreground colour over the
# background colour.
HATCHES: dict[str, tuple[int, int, int]] = {
    "pct5": (1, 250, 450), "pct10": (1, 200, 450), "pct20": (1, 150, 450),
    "pct25": (2, 200, 450), "pct30": (2, 175, 450), "pct40": (2, 150, 450),
    "pct50": (2, 125, 450), "pct60": (3, 150, 450), "pct70": (3, 125, 450),
    "pct75": (3, 100, 450), "pct80": (3, 75, 450), "pct90": (3, 50, 450),
    "horz": (1, 100, 0), "vert": (1, 100, 900), "ltHorz": (1, 50, 0), "ltVert": (1, 50, 900),
    "dkHorz": (1, 25, 0), "dkVert": (1, 25, 900), "narHorz": (1, 50, 0), "narVert": (1, 50, 900),
    "dashHorz": (1, 150, 0), "dashVert": (1, 150, 900), "cross": (2, 100, 0),
    "dnDiag": (1, 100, 1350), "upDiag": (1, 100, 450), "ltDnDiag": (1, 50, 1350),
    "ltUpDiag": (1, 50, 450), "dkDnDiag": (1, 50, 1350), "dkUpDiag": (1, 50, 450),
    "wdDnDiag": (1, 100, 1350), "wdUpDiag": (1, 100, 450), "dashDnDiag": (1, 150, 1350),
    "dashUpDiag": (1, 150, 450), "diagCross": (2, 100, 450), "smCheck": (2, 50, 450),
    "lgCheck": (2, 100, 450), "smGrid": (2, 50, 0), "lgGrid": (2, 100, 0), "dotGrid": (2, 400, 0),
    "smConfetti": (1, 200, 600), "lgConfetti": (1, 100, 600), "horzBrick": (2, 300, 0),
    "diagBrick": (2, 300, 450), "solidDmnd": (2, 100, 450), "openDmnd": (2, 100, 450),
    "dotDmnd": (2, 300, 450), "plaid": (3, 200, 900), "sphere": (3, 100, 0),
    "weave": (2, 150, 450), "divot": (3, 400, 450), "shingle": (1, 200, 1350),
    "wave": (1, 100, 0), "trellis": (2, 75, 450), "zigZag": (1, 75, 0),
}  # fmt: skip
HATCH_WIDTH = 0.1  # points: the hairline width of LibreOffice's PDF


def hatch_lines(name: str, w: float, h: float) -> list[tuple[float, float, float, float]]:
    """The hatch of preset pattern ``name`` over a w × h box, as LibreOffice lays
    it out: segments (x0, y0, x1, y1) from the box's top-left corner, y down.

    Each set of lines covers the box turned to the lines' angle about its
    centre; the first line lies on that turned box's leading edge and the
    others follow every ``distance``; the caller clips to the shape."""
    style, hmm, tenths = HATCHES.get(name, HATCHES["pct50"])
    d = hmm * 72 / 2540
    if d <= 0 or w <= 0 or h <= 0:
        return []
    cx, cy = w / 2, h / 2
    lines = []
    for turn in (0, -90, -45)[:style]:
        a = math.radians(tenths / 10 + turn)
        ux, uy = math.cos(a), -math.sin(a)  # along the lines (y down)
        nx, ny = -uy, ux  # across them
        across = h * abs(math.cos(a)) + w * abs(math.sin(a))
        along = w * abs(math.cos(a)) + h * abs(math.sin(a))
        for k in range(int(across / d + 1e-9) + 1):
            off = -across / 2 + k * d
            px, py = cx + off * nx, cy + off * ny
            lines.append((px - ux * along / 2, py - uy * along / 2,
                          px + ux * along / 2, py + uy * along / 2))  # fmt: skip
    return lines


def ink_share(name: str) -> float:
    """The share of the tile drawn in the foreground colour."""
    tile = TILES.get(name)
    return sum(bin(row).count("1") for row in tile) / 64 if tile else 0.5


def pixels_for(width_pt: float, height_pt: float) -> tuple[int, int]:
    """The pattern pixels (columns, rows) covering an area, bounded by ``MAX_EDGE``."""
    cols = min(max(1, -int(-width_pt // PIXEL)), MAX_EDGE)
    rows = min(max(1, -int(-height_pt // PIXEL)), MAX_EDGE)
    return cols, rows


@lru_cache(maxsize=64)
def tile_png(name: str, fg: RGB, bg: RGB, cols: int, rows: int) -> bytes:
    """A 1-bit palette PNG of ``cols`` × ``rows`` pattern pixels (bg index 0, fg 1)."""
    tile = TILES.get(name, TILES["pct50"])
    per_row = (cols + 7) // 8
    raw = b"".join(b"\x00" + bytes((tile[y % 8],)) * per_row for y in range(rows))
    palette = bytes(round(min(max(v, 0.0), 1.0) * 255) for v in (*bg, *fg))
    header = struct.pack(">IIBBBBB", cols, rows, 1, 3, 0, 0, 0)
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", header),
        _chunk(b"PLTE", palette),
        _chunk(b"IDAT", zlib.compress(raw, 9)),
        _chunk(b"IEND", b""),
    ))  # fmt: skip


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
