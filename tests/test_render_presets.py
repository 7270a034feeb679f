"""Preset geometries: all 187 of ECMA-376, evaluated from the standard's definitions."""

from __future__ import annotations

import io

import pptx
import pytest
from pptx.util import Inches

from deckpipe.render import render_deck
from deckpipe.render.model import ShapeItem
from deckpipe.render.preset_data import DEFS
from deckpipe.render.presets import is_line, known, preset_paths
from deckpipe.render.resolve import DeckResolver

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
W, H = 200 * 12700.0, 100 * 12700.0  # a 200 x 100 pt box in EMU

# Presets whose outline, in the standard, only joins box corners.
_CORNERS_ONLY = {
    "rect", "flowChartProcess", "actionButtonBlank", "rtTriangle", "line", "lineInv",
    "straightConnector1", "bentConnector2", "chartX",
}  # fmt: skip


def _points(name: str, adjust: dict | None = None) -> list[tuple[float, float]]:
    pts = []
    for sub in preset_paths(name, W, H, adjust or {}):
        for _, v in sub.ops:
            pts += [(round(v[i], 4), round(v[i + 1], 4)) for i in range(0, len(v), 2)]
    return pts


def test_all_187_standard_presets_are_defined() -> None:
    assert len(DEFS) == 187
    for name in ("bentUpArrow", "gear9", "leftRightRibbon", "chartPlus", "swooshArrow"):
        assert known(name)
    assert not known("notAPreset")


@pytest.mark.parametrize("name", sorted(DEFS))
def test_every_preset_traces_a_path_inside_reason(name: str) -> None:
    subs = preset_paths(name, W, H, {})
    assert subs and all(sub.ops for sub in subs)
    pts = _points(name)
    assert all(-2 < x < 3 and -2 < y < 3 for x, y in pts)  # callouts reach outside a little
    corners = {(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)}
    if name in _CORNERS_ONLY:
        assert set(pts) <= corners
    else:
        assert not set(pts) <= corners, f"{name} is drawn as its bounding rectangle"


def test_bent_up_arrow_follows_the_standard_formulas() -> None:
    # ss = 100 pt; adj1..3 = 25000: shaft 25 pt, head 50 pt wide, 25 pt tall
    (sub,) = preset_paths("bentUpArrow", W, H, {})
    pts = [v for op, v in sub.ops if op != "Z"]
    assert pts == pytest.approx([
        (0.0, 0.75), (0.8125, 0.75), (0.8125, 0.25), (0.75, 0.25), (0.875, 0.0),
        (1.0, 0.25), (0.9375, 0.25), (0.9375, 1.0), (0.0, 1.0),
    ])  # fmt: skip
    wider = [v for op, v in preset_paths("bentUpArrow", W, H, {"adj1": 50000})[0].ops if v]
    assert wider[0] == pytest.approx((0.0, 0.5))  # the shaft is twice as thick


def test_path_fill_modes_and_stroke_flags_come_from_the_standard() -> None:
    bevel = preset_paths("bevel", W, H, {})
    assert [s.fill for s in bevel] == ["norm", "lightenLess", "darkenLess", "lighten", "darken",
                                       "none"]
    assert [s.stroke for s in bevel] == [False, False, False, False, False, True]
    arc = preset_paths("arc", W, H, {})
    assert [(s.fill, s.stroke) for s in arc] == [("norm", False), ("none", True)]
    assert is_line("bentConnector3") and is_line("line") and not is_line("arc")


def test_arc_to_commands_become_curves() -> None:
    (sub,) = preset_paths("pie", W, H, {})
    ops = [op for op, _ in sub.ops]
    assert ops[0] == "M" and "C" in ops and ops[-1] == "Z"
    # default pie: 0° to 270° clockwise, so the top-right quarter stays empty
    assert all(not (x > 0.55 and y < 0.45) for x, y in _points("pie") if (x, y) != (0.5, 0.5))


def test_bent_up_arrow_is_drawn_as_its_outline_not_a_box() -> None:
    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = Inches(4), Inches(3)
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    shape._element.spPr.find(A + "prstGeom").set("prst", "bentUpArrow")
    buf = io.BytesIO()
    prs.save(buf)
    report = render_deck(io.BytesIO(buf.getvalue()), io.BytesIO())
    assert not [w for w in report.warnings if w.code == "geometry_approximated"]
    deck = pptx.Presentation(io.BytesIO(buf.getvalue()))
    page, _ = DeckResolver(deck).resolve_slide(deck.slides[0], 1)
    (item,) = [i for i in page.items if isinstance(i, ShapeItem)]
    assert item.kind == "path" and len(item.subpaths[0].ops) == 10
