"""SmartArt without a saved drawing: laid out from the layout definition over the data
model's presentation points as LibreOffice 7.4 does (nothing without them); the tests
check where boxes, arrows and text go and how they are coloured."""

from __future__ import annotations

import pptx
import pytest
from lxml import etree
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.util import Inches
from tests_support import resolve

from deckpipe.render.model import ShapeItem, TextItem

DGM_NS = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
DATA_CT = "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml"
DATA_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/diagramData"
LAYOUT = "urn:microsoft.com/office/officeart/2005/8/layout/"


def _point(model_id: str, text: str | None, kind: str | None = None) -> str:
    type_attr = f' type="{kind}"' if kind else ""
    body = (
        f'<dgm:t><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/><a:t>{text}</a:t>'
        "</a:r></a:p></dgm:t>"
        if text
        else ""
    )
    return f'<dgm:pt modelId="{model_id}"{type_attr}><dgm:prSet/><dgm:spPr/>{body}</dgm:pt>'


def data_model(
    layout: str,
    tree: dict[str, list[str]],
    extra_points: str = "",
    extra_cxns: str = "",
) -> bytes:
    """A data model: ``tree`` maps a parent ("doc" for the top) to its children's texts;
    extra points and connections are appended."""
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
        f"<dgm:ptLst>{''.join(points)}{extra_points}</dgm:ptLst>"
        f"<dgm:cxnLst>{''.join(cxns)}{extra_cxns}</dgm:cxnLst>"
        "</dgm:dataModel>"
    ).encode()


def smartart_deck(layout: str, tree: dict[str, list[str]], size=(6.0, 4.0), blob=None,
                  colors=None, layout_def=None):  # fmt: skip
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    part = Part(PackURI("/ppt/diagrams/data1.xml"), DATA_CT, prs.part.package,
                blob or data_model(layout, tree))  # fmt: skip
    rid = slide.part.relate_to(part, DATA_RT)
    extra = {"lo": "", "cs": ""}
    for key, name, blob_ in (("cs", "colors", colors), ("lo", "layout", layout_def)):
        if blob_ is not None:
            kind = {"colors": "Colors", "layout": "Layout"}[name]
            def_part = Part(
                PackURI(f"/ppt/diagrams/{name}1.xml"),
                f"application/vnd.openxmlformats-officedocument.drawingml.diagram{kind}+xml",
                prs.part.package,
                blob_,
            )
            extra[key] = slide.part.relate_to(def_part, DATA_RT.replace("Data", kind))
    w, h = Inches(size[0]), Inches(size[1])
    frame = etree.fromstring(
        f'<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
        f' xmlns:a="{A_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><p:nvGraphicFramePr><p:cNvPr id="9" name="Diagram"/>'
        "<p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>"
        f'<p:xfrm><a:off x="{Inches(1)}" y="{Inches(1)}"/><a:ext cx="{w}" cy="{h}"/></p:xfrm>'
        f'<a:graphic><a:graphicData uri="{DGM_NS}"><dgm:relIds xmlns:dgm="{DGM_NS}" '
        f'r:dm="{rid}" r:lo="{extra["lo"]}" r:qs="" r:cs="{extra["cs"]}"/></a:graphicData>'
        "</a:graphic></p:graphicFrame>"
    )
    slide.shapes._spTree.append(frame)
    return prs


def _shape_items(page) -> list[ShapeItem]:
    return [i for i in page.items if isinstance(i, ShapeItem)]


def nodes(page) -> list[ShapeItem]:
    """The shapes carrying a node's text (their text box is the shape's box)."""
    text_boxes = [i.box for i in page.items if isinstance(i, TextItem)]
    return [i for i in _shape_items(page) if i.box in text_boxes]


def arrows(page) -> list[ShapeItem]:
    """Filled shapes without text: the arrows between nodes."""
    found = nodes(page)
    return [i for i in _shape_items(page) if i.fill is not None and i not in found]


def text_box(page, text: str) -> TextItem:
    return next(i for i in page.items if isinstance(i, TextItem)
                and "".join(r.text for p in i.paragraphs for r in p.runs) == text)  # fmt: skip


FRAME_X, FRAME_Y = 72.0, 72.0  # the frame's offset, points


COLORS = f"""<dgm:colorsDef xmlns:dgm="{DGM_NS}" xmlns:a="{A_NS}" uniqueId="x">
<dgm:styleLbl name="node0"><dgm:fillClrLst meth="repeat"><a:srgbClr val="FF0000"/>
</dgm:fillClrLst><dgm:linClrLst><a:srgbClr val="00FF00"/></dgm:linClrLst>
<dgm:txFillClrLst><a:srgbClr val="0000FF"/></dgm:txFillClrLst></dgm:styleLbl>
<dgm:styleLbl name="node1"><dgm:fillClrLst><a:srgbClr val="111111"/><a:srgbClr val="222222"/>
</dgm:fillClrLst></dgm:styleLbl></dgm:colorsDef>""".encode()


def test_corpus_decks_without_drawings_draw_their_diagrams(corpus):
    from deckpipe.render import render_deck

    deck = corpus / "decks" / "aspose-java" / "SimpleSmartArt.pptx"
    import io

    report = render_deck(deck.read_bytes(), io.BytesIO())
    assert "diagram_skipped" not in {w.code for w in report.warnings}


# -- LibreOffice's engine: layout definition + presentation points -----------------------

ENGINE_LAYOUT = f"""<dgm:layoutDef xmlns:dgm="{DGM_NS}" uniqueId="{LAYOUT}orgChart1">
<dgm:layoutNode name="diagram"><dgm:alg type="hierChild"/><dgm:shape/>
 <dgm:forEach axis="ch" ptType="node">
  <dgm:layoutNode name="root1"><dgm:alg type="hierRoot"/><dgm:shape/>
   <dgm:layoutNode name="box1" styleLbl="node0"><dgm:alg type="tx"/><dgm:shape type="rect"/>
   </dgm:layoutNode>
   <dgm:layoutNode name="kids1"><dgm:alg type="hierChild"/><dgm:shape/>
    <dgm:forEach axis="ch" ptType="node">
     <dgm:layoutNode name="root2"><dgm:alg type="hierRoot"/><dgm:shape/>
      <dgm:layoutNode name="box2"><dgm:alg type="tx"/><dgm:shape type="rect"/>
      </dgm:layoutNode>
     </dgm:layoutNode>
    </dgm:forEach>
   </dgm:layoutNode>
  </dgm:layoutNode>
 </dgm:forEach>
</dgm:layoutNode></dgm:layoutDef>""".encode()


def engine_model(box2_order=("A", "B")) -> bytes:
    """Top over A and B, with the presentation points PowerPoint saves for ENGINE_LAYOUT."""
    pres, cxns = [], []

    def point(pid: str, node: str, name: str, parent: str) -> None:
        pres.append(
            f'<dgm:pt modelId="{pid}" type="pres"><dgm:prSet presAssocID="{node}" '
            f'presName="{name}"/><dgm:spPr/></dgm:pt>'
        )
        kind = "presParOf" if parent != "doc" else "presOf"
        cxns.append(f'<dgm:cxn modelId="c{pid}" type="{kind}" srcId="{parent}" destId="{pid}"/>')

    point("pd", "doc", "diagram", "doc")
    point("pr1", "Top", "root1", "pd")
    point("pb1", "Top", "box1", "pr1")
    point("pk1", "Top", "kids1", "pr1")
    for node in ("A", "B"):
        point(f"pr{node}", node, "root2", "pk1")
    for node in box2_order:
        point(f"pb{node}", node, "box2", f"pr{node}")
    for node, box in (("Top", "pb1"), ("A", "pbA"), ("B", "pbB")):
        cxns.append(f'<dgm:cxn modelId="t{box}" type="presOf" srcId="{node}" destId="{box}"/>')
    tree = {"doc": ["Top"], "Top": ["A", "B"]}
    return data_model("orgChart1", tree, extra_points="".join(pres), extra_cxns="".join(cxns))


def test_the_engine_lays_out_the_layout_definition_over_the_presentation_points():
    tree = {"doc": ["Top"], "Top": ["A", "B"]}
    prs = smartart_deck("orgChart1", tree, blob=engine_model(), layout_def=ENGINE_LAYOUT)
    page, _ = resolve(prs)
    top, a, b = (text_box(page, t).box for t in ("Top", "A", "B"))
    # one root in the diagram's row: indented 10 %; the root spans 2 rows (box, children)
    row = 288 / (2 + 0.3)
    assert top.x == pytest.approx(FRAME_X + 43.2) and top.w == pytest.approx(345.6)
    assert top.y == pytest.approx(FRAME_Y) and top.h == pytest.approx(row)
    width = 345.6 / 2.1
    assert a.y == b.y == pytest.approx(FRAME_Y + 1.3 * row) and a.h == pytest.approx(row)
    assert a.x == pytest.approx(top.x) and b.x == pytest.approx(top.x + 1.1 * width)
    assert a.w == pytest.approx(width)


def test_the_engine_takes_the_ith_point_of_a_name_as_libreoffice_does():
    # box2's points saved in the other order: the i-th box2 point is not a child of the
    # i-th root2 point, so LibreOffice (and we) draw neither A's nor B's box
    tree = {"doc": ["Top"], "Top": ["A", "B"]}
    blob = engine_model(box2_order=("B", "A"))
    page, _ = resolve(smartart_deck("orgChart1", tree, blob=blob, layout_def=ENGINE_LAYOUT))
    texts = {"".join(r.text for p in i.paragraphs for r in p.runs) for i in page.items
             if isinstance(i, TextItem)}  # fmt: skip
    assert "Top" in texts and "A" not in texts and "B" not in texts
    assert len(nodes(page)) == 1


def pres_model(layout: str, tree, pres, texts) -> bytes:
    """A data model with presentation points ``pres`` (id, node, name, parent point, label)
    and ``texts`` mapping a node to the point that shows it."""
    points, cxns = [], []
    for pid, node, name, parent, label in pres:
        style = f' presStyleLbl="{label}"' if label else ""
        points.append(
            f'<dgm:pt modelId="{pid}" type="pres"><dgm:prSet presAssocID="{node}" '
            f'presName="{name}"{style}/><dgm:spPr/></dgm:pt>'
        )
        kind = "presOf" if parent == "doc" else "presParOf"
        cxns.append(f'<dgm:cxn modelId="c{pid}" type="{kind}" srcId="{parent}" destId="{pid}"/>')
    for node, pid in texts.items():
        cxns.append(f'<dgm:cxn modelId="t{pid}" type="presOf" srcId="{node}" destId="{pid}"/>')
    return data_model(layout, tree, extra_points="".join(points), extra_cxns="".join(cxns))


def _layout(body: str) -> bytes:
    return (f'<dgm:layoutDef xmlns:dgm="{DGM_NS}" uniqueId="{LAYOUT}x">{body}'
            "</dgm:layoutDef>").encode()  # fmt: skip


def test_a_composite_with_aspect_ratio_one_is_square_and_hidden_geometry_keeps_its_text():
    layout = _layout(
        '<dgm:layoutNode name="d"><dgm:alg type="composite"><dgm:param type="ar" val="1"/>'
        "</dgm:alg><dgm:shape/><dgm:constrLst>"
        '<dgm:constr type="l" for="ch" forName="pie" refType="w" fact="0.5"/>'
        '<dgm:constr type="w" for="ch" forName="pie" refType="w" fact="0.5"/>'
        '<dgm:constr type="h" for="ch" forName="pie" refType="h" fact="0.5"/>'
        '<dgm:constr type="l" for="ch" forName="label" refType="w" fact="0"/>'
        '<dgm:constr type="w" for="ch" forName="label" refType="w" fact="0.5"/>'
        "</dgm:constrLst>"
        '<dgm:layoutNode name="pie"><dgm:alg type="sp"/><dgm:shape type="pie"/></dgm:layoutNode>'
        '<dgm:layoutNode name="label"><dgm:alg type="tx"/><dgm:shape type="rect" hideGeom="1"/>'
        "</dgm:layoutNode></dgm:layoutNode>"
    )
    pres = [("pd", "doc", "d", "doc", ""), ("pp", "X", "pie", "pd", ""),
            ("pl", "X", "label", "pd", "")]  # fmt: skip
    blob = pres_model("x", {"doc": ["X"]}, pres, {"X": "pl"})
    page, _ = resolve(smartart_deck("x", {}, blob=blob, layout_def=layout))
    shapes = _shape_items(page)
    pie = next(s for s in shapes if s.fill is not None)
    # the 432 x 288 frame is used as a centred 288 x 288 square
    assert pie.box.x == pytest.approx(FRAME_X + 72 + 144) and pie.box.w == pytest.approx(144)
    label = text_box(page, "X").box
    assert label.x == pytest.approx(FRAME_X + 72) and label.w == pytest.approx(144)
    assert not [s for s in shapes if s.box == label]  # text without geometry


def test_a_linear_layout_spreads_children_and_colours_them_by_step():
    layout = _layout(
        '<dgm:layoutNode name="d"><dgm:alg type="lin"/><dgm:shape/><dgm:constrLst>'
        '<dgm:constr type="w" for="ch" forName="node" refType="w" fact="0.25"/>'
        '<dgm:constr type="h" for="ch" forName="node" refType="h" fact="0.5"/>'
        '</dgm:constrLst><dgm:forEach axis="ch" ptType="node">'
        '<dgm:layoutNode name="node" styleLbl="node1"><dgm:alg type="tx"/>'
        '<dgm:shape type="roundRect"/></dgm:layoutNode></dgm:forEach></dgm:layoutNode>'
    )
    pres = [("pd", "doc", "d", "doc", "")] + [
        (f"p{n}", n, "node", "pd", "node1") for n in ("A", "B", "C")
    ]
    blob = pres_model("x", {"doc": ["A", "B", "C"]}, pres, {n: f"p{n}" for n in "ABC"})
    page, _ = resolve(smartart_deck("x", {}, blob=blob, layout_def=layout, colors=COLORS))
    boxes = [text_box(page, t).box for t in "ABC"]
    # three quarter-width boxes fit (no shrinking), left to right, centred vertically
    assert [b.x - FRAME_X for b in boxes] == pytest.approx([0, 108, 216])
    assert all(b.w == pytest.approx(108) and b.h == pytest.approx(144) for b in boxes)
    assert all(b.y == pytest.approx(FRAME_Y + 72) for b in boxes)
    fills = [next(n for n in nodes(page) if n.box == b).fill.color for b in boxes]
    # node1's list (111111, 222222) is indexed by the forEach step, wrapping
    assert fills == pytest.approx([(0x11 / 255,) * 3, (0x22 / 255,) * 3, (0x11 / 255,) * 3])


QUICK = f"""<dgm:styleDef xmlns:dgm="{DGM_NS}" xmlns:a="{A_NS}" uniqueId="q">
<dgm:styleLbl name="node0"><dgm:style><a:lnRef idx="0"><a:scrgbClr r="0" g="0" b="0"/>
</a:lnRef><a:fillRef idx="1"><a:scrgbClr r="0" g="0" b="0"/></a:fillRef><a:effectRef idx="0">
<a:scrgbClr r="0" g="0" b="0"/></a:effectRef><a:fontRef idx="minor"><a:schemeClr val="lt1"/>
</a:fontRef></dgm:style></dgm:styleLbl></dgm:styleDef>""".encode()

QUICK_CT = "application/vnd.openxmlformats-officedocument.drawingml.diagramStyle+xml"


def test_a_quick_style_draws_nodes_by_theme_references_in_the_colour_definitions_colour():
    prs = smartart_deck("orgChart1", {}, blob=engine_model(), colors=COLORS,
                        layout_def=ENGINE_LAYOUT)  # fmt: skip
    slide = prs.slides[0]
    part = Part(PackURI("/ppt/diagrams/quickStyle1.xml"), QUICK_CT, prs.part.package, QUICK)
    rid = slide.part.relate_to(part, DATA_RT.replace("diagramData", "diagramQuickStyle"))
    rel_ids = next(slide.shapes._spTree.iter(f"{{{DGM_NS}}}relIds"))
    rel_ids.set("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}qs", rid)
    page, _ = resolve(prs)
    top = next(n for n in nodes(page) if n.box == text_box(page, "Top").box)
    assert top.fill.color == (1.0, 0.0, 0.0)  # fillRef 1: the theme's solid fill, in red
    assert top.stroke is None  # lnRef 0: no line
    # the colour definition's text colour wins over the fontRef's
    assert text_box(page, "Top").paragraphs[0].runs[0].color == (0.0, 0.0, 1.0)


def test_text_shrinks_to_fit_inside_libreoffices_default_insets():
    layout = _layout(
        '<dgm:layoutNode name="d"><dgm:alg type="lin"/><dgm:shape/><dgm:constrLst>'
        '<dgm:constr type="w" for="ch" forName="node" refType="w" fact="0.25"/>'
        '<dgm:constr type="h" for="ch" forName="node" refType="h" fact="0.25"/>'
        '</dgm:constrLst><dgm:forEach axis="ch" ptType="node">'
        '<dgm:layoutNode name="node"><dgm:alg type="tx"/><dgm:shape type="rect"/>'
        "</dgm:layoutNode></dgm:forEach></dgm:layoutNode>"
    )
    text = "Sixty characters of text in a box of 108 by 72 points, okay."
    assert len(text) == 60
    blob = pres_model("x", {"doc": [text]}, [("pd", "doc", "d", "doc", ""),
                      ("pw", text, "node", "pd", "")], {text: "pw"})  # fmt: skip
    page, _ = resolve(smartart_deck("x", {}, blob=blob, layout_def=layout))
    item = text_box(page, text)
    assert item.box.w == pytest.approx(108) and item.box.h == pytest.approx(72)
    # inside 0.1 inch insets left and right, 0.05 inch top and bottom, half an em per
    # character and 1.2 lines: the area (108 - 14.4) x (72 - 7.2) holds the text at
    expected = ((108 - 14.4) * (72 - 7.2) / (0.5 * 1.2 * 60)) ** 0.5
    assert item.paragraphs[0].runs[0].size == pytest.approx(expected, abs=0.01)


def test_without_presentation_points_nothing_is_drawn_as_in_libreoffice():
    prs = smartart_deck("orgChart1", {"doc": ["CEO"], "CEO": ["CTO", "CFO"]},
                        layout_def=ENGINE_LAYOUT)  # fmt: skip
    page, warnings = resolve(prs)
    assert "diagram_skipped" in {w.code for w in warnings}
    assert not _shape_items(page) and not [i for i in page.items if isinstance(i, TextItem)]


def test_a_data_model_with_a_syntax_error_is_read_in_recovery_mode():
    broken = engine_model().replace(b"</dgm:ptLst>", b"<dgm:junk a=oops/></dgm:ptLst>")
    prs = smartart_deck("orgChart1", {}, blob=broken, layout_def=ENGINE_LAYOUT)
    page, _ = resolve(prs)
    assert len(nodes(page)) == 3


def test_node_colours_come_from_the_colour_definition_by_style_label():
    prs = smartart_deck("orgChart1", {}, blob=engine_model(), colors=COLORS,
                        layout_def=ENGINE_LAYOUT)  # fmt: skip
    page, _ = resolve(prs)
    top = next(n for n in nodes(page) if n.box == text_box(page, "Top").box)
    assert top.fill.color == (1.0, 0.0, 0.0) and top.stroke.color == (0.0, 1.0, 0.0)
    assert text_box(page, "Top").paragraphs[0].runs[0].color == (0.0, 0.0, 1.0)
    # a node without a style label: accent 1 with white text
    leaf = next(n for n in nodes(page) if n.box == text_box(page, "A").box)
    assert leaf.fill.color == (0x4F / 255, 0x81 / 255, 0xBD / 255)
    assert text_box(page, "A").paragraphs[0].runs[0].color == (1.0, 1.0, 1.0)


ASSISTANT_LAYOUT = _layout(
    '<dgm:layoutNode name="diagram"><dgm:alg type="hierChild"/><dgm:shape/>'
    '<dgm:forEach axis="ch" ptType="node"><dgm:layoutNode name="root1">'
    '<dgm:varLst><dgm:hierBranch val="init"/></dgm:varLst>'
    '<dgm:alg type="hierRoot"/><dgm:shape/>'
    '<dgm:layoutNode name="box1"><dgm:alg type="tx"/><dgm:shape type="rect"/></dgm:layoutNode>'
    '<dgm:layoutNode name="kids1"><dgm:choose><dgm:if func="var" arg="hierBranch" op="equ" '
    'val="l"><dgm:alg type="hierChild"><dgm:param type="linDir" val="fromT"/></dgm:alg>'
    '</dgm:if><dgm:else><dgm:alg type="hierChild"/></dgm:else></dgm:choose><dgm:shape/>'
    '<dgm:forEach axis="ch" ptType="nonAsst"><dgm:layoutNode name="root2">'
    '<dgm:alg type="hierRoot"/><dgm:shape/><dgm:layoutNode name="box2"><dgm:alg type="tx"/>'
    '<dgm:shape type="rect"/></dgm:layoutNode></dgm:layoutNode></dgm:forEach></dgm:layoutNode>'
    '<dgm:layoutNode name="aides1"><dgm:alg type="hierChild"><dgm:param type="secLinDir" '
    'val="fromT"/></dgm:alg><dgm:shape/><dgm:forEach axis="ch" ptType="asst">'
    '<dgm:layoutNode name="root3"><dgm:alg type="hierRoot"/><dgm:shape/>'
    '<dgm:layoutNode name="box3"><dgm:alg type="tx"/><dgm:shape type="rect"/></dgm:layoutNode>'
    "</dgm:layoutNode></dgm:forEach></dgm:layoutNode></dgm:layoutNode></dgm:forEach>"
    "</dgm:layoutNode>"
)


def _assistant_model(staff: list[str], branch: str | None = None) -> bytes:
    tree = {"doc": ["Boss"], "Boss": ["Aide", *staff]}
    pres = [("pd", "doc", "diagram", "doc", ""), ("pr", "Boss", "root1", "pd", ""),
            ("pb", "Boss", "box1", "pr", ""), ("pk", "Boss", "kids1", "pr", ""),
            ("pa", "Boss", "aides1", "pr", ""), ("r3", "Aide", "root3", "pa", ""),
            ("b3", "Aide", "box3", "r3", "")]  # fmt: skip
    for name in staff:
        pres += [(f"r{name}", name, "root2", "pk", ""), (f"b{name}", name, "box2", f"r{name}", "")]
    texts = {"Boss": "pb", "Aide": "b3", **{name: f"b{name}" for name in staff}}
    blob = pres_model("orgChart1", tree, pres, texts).decode()
    blob = blob.replace('<dgm:pt modelId="Aide">', '<dgm:pt modelId="Aide" type="asst">')
    if branch:
        blob = blob.replace(
            'presName="root1"/>',
            f'presName="root1"><dgm:presLayoutVars><dgm:hierBranch val="{branch}"/>'
            "</dgm:presLayoutVars></dgm:prSet>",
        )
    return blob.encode()


def test_assistants_go_above_employees():
    blob = _assistant_model(["Staff"])
    page, _ = resolve(smartart_deck("orgChart1", {}, blob=blob, layout_def=ASSISTANT_LAYOUT))
    boss, aide, staff = (text_box(page, t).box for t in ("Boss", "Aide", "Staff"))
    row = 288 / (3 + 2 * 0.3)  # box, employees (1 row), assistants (rows of two: 1)
    assert aide.y == pytest.approx(boss.y + 1.3 * row)
    assert staff.y == pytest.approx(boss.y + 2.6 * row)
    assert aide.w == pytest.approx(boss.w / 2.1)  # assistants: two columns


def test_a_left_hanging_branch_stacks_its_employees():
    blob = _assistant_model(["One", "Two"], branch="l")
    page, _ = resolve(smartart_deck("orgChart1", {}, blob=blob, layout_def=ASSISTANT_LAYOUT))
    head, one, two = (text_box(page, t).box for t in ("Boss", "One", "Two"))
    assert one.x == pytest.approx(two.x) and two.y > one.y + one.h  # a column
    assert one.x > head.x and one.x + one.w < head.x + head.w  # indented under the head
    # the standard branch puts them in a row
    blob = _assistant_model(["One", "Two"])
    page, _ = resolve(smartart_deck("orgChart1", {}, blob=blob, layout_def=ASSISTANT_LAYOUT))
    one, two = (text_box(page, t).box for t in ("One", "Two"))
    assert one.y == pytest.approx(two.y) and two.x > one.x + one.w


def test_a_basic_block_list_is_libreoffices_snake_grid():
    layout = _layout(
        '<dgm:layoutNode name="d"><dgm:alg type="snake"/><dgm:shape/>'
        '<dgm:forEach axis="ch" ptType="node"><dgm:layoutNode name="node"><dgm:alg type="tx"/>'
        '<dgm:shape type="rect"/></dgm:layoutNode></dgm:forEach></dgm:layoutNode>'
    )
    pres = [("pd", "doc", "d", "doc", "")] + [(f"p{n}", n, "node", "pd", "") for n in "ABCDE"]
    blob = pres_model("x", {"doc": list("ABCDE")}, pres, {n: f"p{n}" for n in "ABCDE"})
    prs = smartart_deck("x", {}, blob=blob, layout_def=layout, size=(4.0, 4.0))
    page, _ = resolve(prs)
    blocks = sorted((text_box(page, t).box for t in "ABCDE"), key=lambda b: (b.y, b.x))
    # 288 x 288 pt: 1 row of 5 is too flat ((288/5)/(288/1) < 0.54), 2 rows of 3 will do
    width = 288 / (3 + 2 * 0.3)
    assert all(b.w == pytest.approx(width) and b.h == pytest.approx(width * 0.54) for b in blocks)
    pitch = width * 1.3
    assert [b.x - FRAME_X for b in blocks[:3]] == pytest.approx([0, pitch, 2 * pitch])
    assert all(b.y == pytest.approx(FRAME_Y) for b in blocks[:3])  # from the top
    # the short last row starts half a pitch in
    assert [b.x - FRAME_X for b in blocks[3:]] == pytest.approx([pitch / 2, 1.5 * pitch])
    assert all(b.y == pytest.approx(FRAME_Y + width * 0.54 * 1.3) for b in blocks[3:])


def test_a_cycle_puts_a_quarter_size_node_on_a_circle_with_turned_connectors():
    layout = _layout(
        '<dgm:layoutNode name="d"><dgm:alg type="cycle"/><dgm:shape/>'
        '<dgm:forEach axis="ch" ptType="node"><dgm:layoutNode name="node"><dgm:alg type="tx"/>'
        '<dgm:shape type="ellipse"/></dgm:layoutNode><dgm:forEach axis="followSib" '
        'ptType="sibTrans" cnt="1" hideLastTrans="0"><dgm:layoutNode name="arrow">'
        '<dgm:alg type="conn"/><dgm:shape type="conn"/></dgm:layoutNode></dgm:forEach>'
        "</dgm:forEach></dgm:layoutNode>"
    )
    names = ["N", "S"]
    pres = [("pd", "doc", "d", "doc", "")]
    for n in names:
        pres += [(f"p{n}", n, "node", "pd", ""), (f"a{n}", n, "arrow", "pd", "")]
    blob = pres_model("x", {"doc": names}, pres, {n: f"p{n}" for n in names})
    prs = smartart_deck("x", {}, blob=blob, layout_def=layout, size=(4.0, 4.0))
    page, _ = resolve(prs)
    north, south = text_box(page, "N").box, text_box(page, "S").box
    side = 288 / 4
    assert north.w == pytest.approx(side) and north.h == pytest.approx(side)
    radius = (288 - side) / 2
    centre = (FRAME_X + 144, FRAME_Y + 144)
    # four children (node, arrow, node, arrow) at 0, 90, 180 and 270 degrees
    assert (north.cx, north.cy) == pytest.approx((centre[0], centre[1] - radius))
    assert (south.cx, south.cy) == pytest.approx((centre[0], centre[1] + radius))
    turned = [i for i in arrows(page)]
    assert sorted(round(a.box.rot) for a in turned) == [90, 270]


def test_the_text_algorithm_sets_levels_bullets_alignment_and_anchor():
    layout = _layout(
        '<dgm:layoutNode name="d"><dgm:alg type="lin"/><dgm:shape/>'
        '<dgm:forEach axis="ch" ptType="node"><dgm:layoutNode name="node">'
        '<dgm:alg type="tx"><dgm:param type="parTxLTRAlign" val="r"/>'
        '<dgm:param type="txAnchorVert" val="t"/></dgm:alg><dgm:shape type="rect"/>'
        "</dgm:layoutNode></dgm:forEach></dgm:layoutNode>"
    )
    tree = {"doc": ["Head"], "Head": ["Detail"]}
    pres = [("pd", "doc", "d", "doc", ""), ("ph", "Head", "node", "pd", "")]
    blob = pres_model("x", tree, pres, {"Head": "ph"}).replace(
        b"</dgm:cxnLst>",
        b'<dgm:cxn modelId="td" type="presOf" srcId="Detail" destId="ph"/></dgm:cxnLst>',
    )
    page, _ = resolve(smartart_deck("x", {}, blob=blob, layout_def=layout))
    item = next(i for i in page.items if isinstance(i, TextItem))
    head, detail = item.paragraphs
    assert head.bullet is None and detail.bullet is not None  # bullets below the top level
    assert detail.margin_left == pytest.approx(22.5) and detail.indent == pytest.approx(-22.5)
    assert head.align == detail.align == "r"  # parTxLTRAlign
    assert item.anchor == "t"


def test_the_data_models_background_fills_the_frame_even_when_nothing_is_laid_out():
    blob = data_model("orgChart1", {"doc": ["A"]}).replace(
        b"</dgm:cxnLst>",
        b'</dgm:cxnLst><dgm:bg><a:solidFill><a:srgbClr val="00FF00"/></a:solidFill></dgm:bg>',
    )
    page, _ = resolve(smartart_deck("orgChart1", {}, blob=blob))
    (bg,) = _shape_items(page)  # no presentation points: only the background
    assert bg.fill.color == (0.0, 1.0, 0.0) and bg.stroke is None
    assert (bg.box.x, bg.box.y, bg.box.w, bg.box.h) == pytest.approx((FRAME_X, FRAME_Y, 432, 288))
    # with laid-out shapes it goes behind them
    blob = engine_model().replace(
        b"</dgm:cxnLst>",
        b'</dgm:cxnLst><dgm:bg><a:solidFill><a:srgbClr val="00FF00"/></a:solidFill></dgm:bg>',
    )
    page, _ = resolve(smartart_deck("orgChart1", {}, blob=blob, layout_def=ENGINE_LAYOUT))
    shapes = _shape_items(page)
    assert shapes[0].fill.color == (0.0, 1.0, 0.0) and len(shapes) == 4


def test_a_saved_drawing_gets_the_background_behind_its_shapes():
    blob = data_model("orgChart1", {"doc": ["A"]}).replace(
        b"</dgm:cxnLst>",
        b'</dgm:cxnLst><dgm:bg><a:solidFill><a:srgbClr val="00FF00"/></a:solidFill></dgm:bg>',
    )
    prs = smartart_deck("orgChart1", {}, blob=blob)
    attach_drawing(
        prs,
        '<dsp:sp><dsp:nvSpPr><dsp:cNvPr id="1" name=""/><dsp:cNvSpPr/></dsp:nvSpPr><dsp:spPr>'
        '<a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FF0000"/>'
        "</a:solidFill></dsp:spPr></dsp:sp>",
    )
    page, _ = resolve(prs)
    shapes = _shape_items(page)
    assert [s.fill.color for s in shapes] == [(0.0, 1.0, 0.0), (1.0, 0.0, 0.0)]
    assert shapes[0].box.w == pytest.approx(432) and shapes[1].box.w == pytest.approx(72)


def test_an_empty_saved_drawing_is_laid_out_from_the_data_model_instead():
    """Some editors save a drawing part with no shapes: LibreOffice lays the
    diagram out from its presentation points, as if there were no drawing."""
    tree = {"doc": ["Top"], "Top": ["A", "B"]}
    prs = smartart_deck("orgChart1", tree, blob=engine_model(), layout_def=ENGINE_LAYOUT)
    attach_drawing(prs, "")  # a drawing part with no shapes
    page, _ = resolve(prs)
    top, a, b = (text_box(page, t).box for t in ("Top", "A", "B"))
    assert a.y == b.y > top.y and a.x < b.x  # the org chart's rows, as without a drawing


def attach_drawing(prs, shapes_xml: str) -> None:
    """Give the deck's diagram a saved drawing part holding ``shapes_xml``."""
    data_part = next(r.target_part for r in prs.slides[0].part.rels.values()
                     if r.reltype.endswith("/diagramData"))  # fmt: skip
    dsp = "http://schemas.microsoft.com/office/drawing/2008/diagram"
    drawing = (
        f'<dsp:drawing xmlns:dsp="{dsp}" xmlns:a="{A_NS}"><dsp:spTree><dsp:nvGrpSpPr>'
        '<dsp:cNvPr id="0" name=""/><dsp:cNvGrpSpPr/></dsp:nvGrpSpPr><dsp:grpSpPr/>'
        f"{shapes_xml}</dsp:spTree></dsp:drawing>"
    ).encode()
    part = Part(PackURI("/ppt/diagrams/drawing1.xml"),
                "application/vnd.ms-office.drawingml.diagramDrawing+xml", prs.part.package,
                drawing)  # fmt: skip
    data_part.relate_to(
        part, "http://schemas.microsoft.com/office/2007/relationships/diagramDrawing"
    )
