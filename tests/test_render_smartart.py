"""SmartArt without a saved drawing (issue 13, item 7): the common layout families are
laid out from the data model; the tests check where boxes, arrows and connectors go."""

from __future__ import annotations

import math

import pptx
import pytest
from lxml import etree
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.util import Inches
from tests_support import resolve

from deckpipe.render.diagram_layout import family
from deckpipe.render.model import ShapeItem, TextItem

DGM_NS = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
DATA_CT = "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml"
DATA_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/diagramData"
LAYOUT = "urn:microsoft.com/office/officeart/2005/8/layout/"


def _point(model_id: str, text: str | None, kind: str | None = None) -> str:
    type_attr = f' type="{kind}"' if kind else ""
    body = (
        f"<dgm:t><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang=\"en-US\"/><a:t>{text}</a:t>"
        "</a:r></a:p></dgm:t>"
        if text
        else ""
    )
    return f'<dgm:pt modelId="{model_id}"{type_attr}><dgm:prSet/><dgm:spPr/>{body}</dgm:pt>'


def data_model(layout: str, tree: dict[str, list[str]]) -> bytes:
    """A data model: ``tree`` maps a parent ("doc" for the top) to its children's texts."""
    points = [
        f'<dgm:pt modelId="doc" type="doc"><dgm:prSet loTypeId="{LAYOUT}{layout}"/>'
        "<dgm:spPr/></dgm:pt>"
    ]
    cxns = []
    for parent, children in tree.items():
        for order, child in enumerate(children):
            points.append(_point(child, child))
            points.append(_point(f"t{child}", None, "parTrans"))
            cxns.append(
                f'<dgm:cxn modelId="c{child}" srcId="{parent}" destId="{child}" '
                f'srcOrd="{order}" destOrd="0" parTransId="t{child}"/>'
            )
    return (
        f'<dgm:dataModel xmlns:dgm="{DGM_NS}" xmlns:a="{A_NS}">'
        f"<dgm:ptLst>{''.join(points)}</dgm:ptLst><dgm:cxnLst>{''.join(cxns)}</dgm:cxnLst>"
        "</dgm:dataModel>"
    ).encode()


def smartart_deck(layout: str, tree: dict[str, list[str]], size=(6.0, 4.0), blob=None):
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    part = Part(PackURI("/ppt/diagrams/data1.xml"), DATA_CT, prs.part.package,
                blob or data_model(layout, tree))  # fmt: skip
    rid = slide.part.relate_to(part, DATA_RT)
    w, h = Inches(size[0]), Inches(size[1])
    frame = etree.fromstring(
        f'<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
        f' xmlns:a="{A_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><p:nvGraphicFramePr><p:cNvPr id="9" name="Diagram"/>'
        "<p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>"
        f'<p:xfrm><a:off x="{Inches(1)}" y="{Inches(1)}"/><a:ext cx="{w}" cy="{h}"/></p:xfrm>'
        f'<a:graphic><a:graphicData uri="{DGM_NS}"><dgm:relIds xmlns:dgm="{DGM_NS}" '
        f'r:dm="{rid}" r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic></p:graphicFrame>'
    )
    slide.shapes._spTree.append(frame)
    return prs


def _shape_items(page) -> list[ShapeItem]:
    return [i for i in page.items if isinstance(i, ShapeItem)]


def nodes(page) -> list[ShapeItem]:
    """The shapes carrying a node's text (their text box is the shape's box)."""
    text_boxes = [i.box for i in page.items if isinstance(i, TextItem)]
    return [i for i in _shape_items(page) if i.box in text_boxes]


def connectors(page) -> list[ShapeItem]:
    return [i for i in _shape_items(page) if i.stroke is not None and i.fill is None]


def arrows(page) -> list[ShapeItem]:
    """Filled shapes without text: the arrows between nodes."""
    found = nodes(page)
    return [i for i in _shape_items(page) if i.fill is not None and i not in found]


def text_box(page, text: str) -> TextItem:
    return next(i for i in page.items if isinstance(i, TextItem)
                and "".join(r.text for p in i.paragraphs for r in p.runs) == text)  # fmt: skip


FRAME_X, FRAME_Y = 72.0, 72.0  # the frame's offset, points


def test_an_org_chart_is_a_tree_with_elbow_connectors():
    prs = smartart_deck("orgChart1", {"doc": ["CEO"], "CEO": ["CTO", "CFO", "COO"]})
    page, warnings = resolve(prs)
    assert not [w for w in warnings if w.code.startswith("diagram")]
    boxes = nodes(page)
    assert len(boxes) == 4
    ceo, cto, cfo, coo = (text_box(page, t).box for t in ("CEO", "CTO", "CFO", "COO"))
    assert cto.cx < cfo.cx < coo.cx
    assert abs(ceo.cx - cfo.cx) < 0.5  # the parent is centred over its children
    assert cto.y == cfo.y == coo.y > ceo.y + ceo.h
    lines = connectors(page)
    assert len(lines) == 5  # down from the parent, across, down to each of three children
    across = [ln for ln in lines if ln.box.h == 0]
    assert len(across) == 1
    assert abs(across[0].box.x - cto.cx) < 0.5 and abs(across[0].box.w - (coo.cx - cto.cx)) < 0.5
    downs = [ln for ln in lines if ln.box.w == 0]
    assert sorted(round(ln.box.x) for ln in downs) == sorted(
        round(x) for x in (ceo.cx, cto.cx, cfo.cx, coo.cx)
    )
    assert all(b.x >= FRAME_X and b.x + b.w <= FRAME_X + 432 + 0.5 for b in (cto, coo))


def test_a_process_is_a_row_of_boxes_with_arrows_between():
    prs = smartart_deck("process1", {"doc": ["Plan", "Build", "Ship"]})
    page, _ = resolve(prs)
    boxes = nodes(page)
    between = arrows(page)
    assert len(boxes) == 3 and len(between) == 2
    xs = [b.box.x for b in boxes]
    assert xs == sorted(xs) and len({round(b.box.y, 3) for b in boxes}) == 1
    for arrow, (left, right) in zip(between, zip(boxes, boxes[1:], strict=False), strict=True):
        assert left.box.x + left.box.w < arrow.box.x < arrow.box.x + arrow.box.w < right.box.x
    assert [text_box(page, t).box.cx for t in ("Plan", "Build", "Ship")] == sorted(
        text_box(page, t).box.cx for t in ("Plan", "Build", "Ship")
    )


def test_chevrons_overlap_in_a_row():
    prs = smartart_deck("chevron1", {"doc": ["One", "Two", "Three", "Four"]})
    page, _ = resolve(prs)
    chevrons = nodes(page)
    assert len(chevrons) == 4
    for a, b in zip(chevrons, chevrons[1:], strict=False):
        assert b.box.x < a.box.x + a.box.w  # each chevron's tip runs into the next


def test_a_basic_block_list_fills_rows_and_centres_the_last():
    prs = smartart_deck("default", {"doc": ["A", "B", "C", "D", "E"]})
    page, _ = resolve(prs)
    blocks = nodes(page)
    assert len(blocks) == 5
    first_row = [b for b in blocks if abs(b.box.y - blocks[0].box.y) < 0.5]
    second_row = [b for b in blocks if b not in first_row]
    assert len(first_row) == 3 and len(second_row) == 2
    row_centre = (second_row[0].box.x + second_row[-1].box.x + second_row[-1].box.w) / 2
    assert abs(row_centre - (FRAME_X + 216)) < 0.5  # centred in the 6-inch frame
    assert all(abs(b.box.h / b.box.w - 0.6) < 0.01 for b in blocks)


def test_a_cycle_puts_nodes_on_a_circle_with_turned_arrows_between():
    prs = smartart_deck("cycle2", {"doc": ["N", "E", "S", "W"]}, size=(4.0, 4.0))
    page, _ = resolve(prs)
    circles = nodes(page)
    turned = arrows(page)
    assert len(circles) == 4 and len(turned) == 4
    centre = (FRAME_X + 144, FRAME_Y + 144)
    radii = [math.dist((n.box.cx, n.box.cy), centre) for n in circles]
    assert max(radii) - min(radii) < 0.5 and min(radii) > 50
    north = text_box(page, "N").box
    assert abs(north.cx - centre[0]) < 0.5 and north.cy < centre[1]
    assert sorted(round(a.box.rot) for a in turned) == [45, 135, 225, 315]
    assert all(n.kind == "path" and len(n.subpaths or n.path) > 0 for n in circles)


def test_node_text_is_white_on_accent_fills_and_sized_alike():
    prs = smartart_deck("process1", {"doc": ["Short", "A much longer step name"]})
    page, _ = resolve(prs)
    sizes = {text_box(page, t).paragraphs[0].runs[0].size
             for t in ("Short", "A much longer step name")}  # fmt: skip
    assert len(sizes) == 1
    assert text_box(page, "Short").paragraphs[0].runs[0].color == (1.0, 1.0, 1.0)
    accent1 = (0x4F / 255, 0x81 / 255, 0xBD / 255)
    assert all(b.fill.color == accent1 for b in nodes(page))


def test_other_families_keep_their_warning():
    prs = smartart_deck("pyramid1", {"doc": ["Top", "Bottom"]})
    page, warnings = resolve(prs)
    assert "diagram_skipped" in {w.code for w in warnings}
    assert not _shape_items(page)


@pytest.mark.parametrize(
    ("layout_id", "expected"),
    [("orgChart1", "hierarchy"), ("hierarchy6", "hierarchy"), ("pictureOrgChart+Icon", "hierarchy"),
     ("cycle8#2", "cycle"), ("process2", "vprocess"), ("hChevron3", "chevron"),
     ("vList2", "vlist"), ("hList1", "hlist"), ("default", "blocks"), ("venn1", None)],
)  # fmt: skip
def test_layout_families(layout_id, expected):
    assert family(LAYOUT + layout_id) == expected


def test_corpus_decks_without_drawings_draw_their_diagrams(corpus):
    from deckpipe.render import render_deck

    deck = corpus / "decks" / "aspose-java" / "SimpleSmartArt.pptx"
    import io

    report = render_deck(deck.read_bytes(), io.BytesIO())
    assert "diagram_skipped" not in {w.code for w in report.warnings}



def test_a_data_model_with_a_syntax_error_is_read_in_recovery_mode():
    broken = data_model("process1", {"doc": ["One", "Two"]}).replace(
        b"</dgm:ptLst>", b"<dgm:junk a=oops/></dgm:ptLst>"
    )
    prs = smartart_deck("process1", {}, blob=broken)
    page, _ = resolve(prs)
    assert len(nodes(page)) == 2 and len(arrows(page)) == 1
