"""SmartArt: find the shapes PowerPoint saved for a diagram and hand them back as ``p:`` shapes.

A SmartArt graphic frame points (``dgm:relIds r:dm``) at a data part; laying
the data out from its layout definition is a job for PowerPoint. But
PowerPoint also saves the result: a drawing part (``dsp:drawing``) of plain
DrawingML shapes, in the frame's own coordinates. The data part names it in
``dsp:dataModelExt relId`` (a relationship *of the slide*), or relates to it
directly. The drawing's shapes are rewritten into the ``p:`` namespace so the
resolver walks them like any slide shapes; ``dsp:txXfrm`` (a text box that
differs from the shape box) becomes a separate text-only shape.

Without a saved drawing, the data model is laid out from the layout definition as
LibreOffice lays it out (``diagram_layout``); None when that draws nothing.
"""

from __future__ import annotations

import copy
import re

from lxml import etree
from pptx.opc.package import Part

from .diagram_layout import frame_size, layout_shapes
from .xml import A, P, R

DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
_DSP_NS = (
    "http://schemas.microsoft.com/office/drawing/2008/diagram",
    "http://schemas.openxmlformats.org/drawingml/10/2007/diagram",
)
_DRAWING_RT = "/diagramDrawing"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_RECOVER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, recover=True
)


def _parse(blob: bytes) -> etree._Element:
    """A diagram part's XML; one with a small syntax error is read in recovery mode
    (generators write such parts). Raises ``XMLSyntaxError`` when nothing is left."""
    try:
        return etree.fromstring(blob, _PARSER)
    except etree.XMLSyntaxError:
        root = etree.fromstring(blob, _RECOVER)
        if root is None:
            raise
        return root


def _related(part: Part, rid: str | None) -> Part | None:
    if not rid:
        return None
    try:
        return part.related_part(rid)
    except Exception:
        return None


def _drawing_part(data_part: Part, slide_part: Part) -> Part | None:
    """The diagram's saved drawing: via ``dataModelExt`` (a slide relationship), a
    relationship of the data part, or the slide's drawing with the same number."""
    try:
        data = _parse(data_part.blob)
    except etree.XMLSyntaxError:
        data = None
    if data is not None:
        for el in data.iter():
            if isinstance(el.tag, str) and el.tag.endswith("}dataModelExt"):
                found = _related(slide_part, el.get("relId"))
                if found is not None and found is not data_part:
                    return found
    for owner in (data_part, slide_part):
        candidates = [
            rel.target_part
            for rel in owner.rels.values()
            if rel.reltype.endswith(_DRAWING_RT) and not rel.is_external
        ]
        if owner is data_part and candidates:
            return candidates[0]
        number = re.findall(r"\d+", str(data_part.partname).rsplit("/", 1)[-1])
        for cand in candidates:
            if re.findall(r"\d+", str(cand.partname).rsplit("/", 1)[-1]) == number:
                return cand
    return None


def _to_p(el: etree._Element) -> None:
    """Rename ``dsp:`` elements to ``p:`` in place (same local names, same meaning)."""
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        ns, _, name = node.tag[1:].partition("}")
        if ns in _DSP_NS:
            node.tag = P + name


def _split_text_boxes(tree: etree._Element) -> None:
    """A shape with ``p:txXfrm`` becomes the shape without text plus a text-only shape."""
    for sp in list(tree.iter(P + "sp")):
        tx_xfrm, tx_body = sp.find(P + "txXfrm"), sp.find(P + "txBody")
        if tx_xfrm is None or tx_body is None:
            continue
        text_sp = etree.Element(P + "sp")
        nv = sp.find(P + "nvSpPr")
        if nv is not None:
            text_sp.append(copy.deepcopy(nv))
        sp_pr = etree.SubElement(text_sp, P + "spPr")
        xfrm = etree.SubElement(sp_pr, A + "xfrm", dict(tx_xfrm.attrib))
        for c in tx_xfrm:
            xfrm.append(copy.deepcopy(c))
        etree.SubElement(sp_pr, A + "noFill")
        etree.SubElement(etree.SubElement(sp_pr, A + "ln"), A + "noFill")
        style = sp.find(P + "style")
        if style is not None:
            text_sp.append(copy.deepcopy(style))
        sp.remove(tx_body)
        text_sp.append(tx_body)
        sp.addnext(text_sp)


def diagram_shapes(
    graphic_data: etree._Element, slide_part: Part
) -> tuple[etree._Element, Part] | None:
    """(a ``p:spTree``-like element of the diagram's shapes, the part their
    relationships belong to), or None when there is nothing to draw."""
    rel_ids = graphic_data.find(DGM + "relIds")
    data_part = _related(slide_part, rel_ids.get(R + "dm")) if rel_ids is not None else None
    if data_part is None:
        return None
    drawing = _drawing_part(data_part, slide_part)
    if drawing is None:
        return _laid_out(graphic_data, rel_ids, data_part, slide_part)
    try:
        root = _parse(drawing.blob)
    except etree.XMLSyntaxError:
        return None
    tree = next((el for el in root if isinstance(el.tag, str) and el.tag.endswith("}spTree")), None)
    if tree is None:
        return None
    if not any(isinstance(el.tag, str) and not el.tag.endswith(("}nvGrpSpPr", "}grpSpPr"))
               for el in tree):  # fmt: skip
        # A saved drawing without shapes (some editors write an empty one):
        # LibreOffice lays the data model out instead, and so do we.
        return _laid_out(graphic_data, rel_ids, data_part, slide_part)
    _to_p(tree)
    _split_text_boxes(tree)
    try:
        data = _parse(data_part.blob)
    except etree.XMLSyntaxError:
        data = None
    background = _background(data, frame_size(graphic_data)) if data is not None else None
    if background is not None:
        heads = sum(1 for el in tree if isinstance(el.tag, str) and el.tag in _GROUP_HEADS)
        tree.insert(heads, background)
    return tree, drawing


_GROUP_HEADS = (P + "nvGrpSpPr", P + "grpSpPr")
_FILLS = (A + "solidFill", A + "gradFill", A + "pattFill")


def _background(data: etree._Element, size: tuple[float, float]) -> etree._Element | None:
    """The diagram's background (``dgm:bg``'s fill) as a frame-sized rectangle without an
    outline, which LibreOffice puts behind every diagram, laid out or saved."""
    bg = data.find(DGM + "bg")
    fill = next((c for c in bg if c.tag in _FILLS), None) if bg is not None else None
    if fill is None:
        return None
    sp = etree.Element(P + "sp")
    nv = etree.SubElement(sp, P + "nvSpPr")
    etree.SubElement(nv, P + "cNvPr", id="999", name="Diagram background")
    etree.SubElement(nv, P + "cNvSpPr")
    etree.SubElement(nv, P + "nvPr")
    sp_pr = etree.SubElement(sp, P + "spPr")
    xfrm = etree.SubElement(sp_pr, A + "xfrm")
    etree.SubElement(xfrm, A + "off", x="0", y="0")
    etree.SubElement(xfrm, A + "ext", cx=str(round(size[0])), cy=str(round(size[1])))
    etree.SubElement(etree.SubElement(sp_pr, A + "prstGeom", prst="rect"), A + "avLst")
    sp_pr.append(copy.deepcopy(fill))
    etree.SubElement(etree.SubElement(sp_pr, A + "ln"), A + "noFill")
    return sp


def _definition(slide_part: Part, rid: str | None) -> etree._Element | None:
    """A diagram definition part (layout, colours) related to the slide, parsed, or None."""
    part = _related(slide_part, rid)
    try:
        return _parse(part.blob) if part is not None else None
    except etree.XMLSyntaxError:
        return None


def _laid_out(
    graphic_data: etree._Element, rel_ids: etree._Element, data_part: Part, slide_part: Part
) -> tuple[etree._Element, Part] | None:
    """Shapes laid out from the data model by the layout definition, or None."""
    try:
        data = _parse(data_part.blob)
    except etree.XMLSyntaxError:
        return None
    layout_root, colors_root, quick_root = (
        _definition(slide_part, rel_ids.get(R + key)) for key in ("lo", "cs", "qs")
    )
    size = frame_size(graphic_data)
    tree = layout_shapes(data, size, layout_root, colors_root, quick_root)
    background = _background(data, size)
    if background is not None:  # drawn even when nothing is laid out
        if tree is None:
            tree = etree.Element(P + "spTree")
        tree.insert(0, background)
    return (tree, slide_part) if tree is not None else None


__all__ = ["diagram_shapes"]
