"""SmartArt without a saved drawing: lay the common layout families out from the data model.

Generators (and some editors) write only the diagram's data model
(``dgm:dataModel``: points and their parent-of connections) and the name of
its layout, with no drawing part. Running the layout definition's own
algorithms is PowerPoint's job; here the common families are approximated
the way they look by default, as plain ``p:`` shapes in the frame's own
coordinates (EMU), so the resolver draws them like any shapes:

- hierarchy / organisation chart (``orgChart*``, ``hierarchy*``): a tree,
  top down, parents centred over their children, elbow connectors;
- process (``process*``, ``chevron*``, ``*Process*``): boxes in a row (or a
  column for the vertical variants) with arrows between them, or chevrons;
- lists and blocks (``default``, ``*List*``): a grid of blocks (Basic Block
  List) or stacked bars (vertical lists) or columns (horizontal lists);
- cycle (``cycle*``): nodes on a circle with arrows between neighbours.

Other families return None (the resolver keeps its ``diagram_skipped``
warning). Colours follow the default "accent1_2" colour scheme: accent 1
fills, white text and outlines, lighter accent 1 arrows.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from lxml import etree

from .xml import A, P, emu

DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
DEFAULT_FRAME = (6096000, 4064000)  # EMU, when the frame gives no size
MAX_FONT = 40.0
MIN_FONT = 6.0
_NODE_TYPES = {None, "node", "asst"}


@dataclass
class Node:
    paragraphs: list[etree._Element]
    children: list[Node] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join("".join(p.itertext(A + "t")) for p in self.paragraphs)


def read_model(data: etree._Element) -> tuple[str, list[Node]]:
    """(the layout's id from the document point, the top-level nodes with their subtrees)."""
    points: dict[str, tuple[str | None, etree._Element]] = {}
    layout_id = ""
    for pt in data.iterfind(f"{DGM}ptLst/{DGM}pt"):
        kind = pt.get("type")
        points[pt.get("modelId", "")] = (kind, pt)
        if kind == "doc":
            pr = pt.find(DGM + "prSet")
            layout_id = pr.get("loTypeId", "") if pr is not None else ""
    nodes = {
        mid: Node(_paragraphs(pt)) for mid, (kind, pt) in points.items() if kind in _NODE_TYPES
    }
    children: dict[str, list[tuple[float, str]]] = {}
    for cxn in data.iterfind(f"{DGM}cxnLst/{DGM}cxn"):
        if cxn.get("type", "parOf") != "parOf":
            continue
        src, dest = cxn.get("srcId", ""), cxn.get("destId", "")
        if dest in nodes and src in points:
            order = float(cxn.get("srcOrd", "0") or 0)
            children.setdefault(src, []).append((order, dest))
    seen: set[str] = set()

    def build(mid: str, depth: int) -> list[Node]:
        out = []
        for _, child in sorted(children.get(mid, [])):
            if child in seen or depth > 20:
                continue
            seen.add(child)
            node = nodes[child]
            node.children = build(child, depth + 1)
            out.append(node)
        return out

    doc = next((mid for mid, (kind, _) in points.items() if kind == "doc"), None)
    return layout_id, build(doc, 0) if doc is not None else []


def _paragraphs(pt: etree._Element) -> list[etree._Element]:
    body = pt.find(DGM + "t")
    paras = body.findall(A + "p") if body is not None else []
    return [p for p in paras if "".join(p.itertext(A + "t")).strip()]


def family(layout_id: str) -> str | None:
    """The layout family we can approximate for a layout id, or None."""
    name = layout_id.rsplit("/", 1)[-1].split("#")[0].split("+")[0]
    low = name.lower()
    if "orgchart" in low or low.startswith("hierarchy"):
        return "hierarchy"
    if low.startswith("cycle"):
        return "cycle"
    if "chevron" in low:
        return "chevron"
    if "process" in low:
        return "vprocess" if low.startswith("v") or low in ("process2", "process4") else "process"
    if low == "default" or "blocklist" in low:
        return "blocks"
    if "list" in low:
        return "vlist" if low.startswith("v") else "hlist"
    return None


def frame_size(graphic_data: etree._Element) -> tuple[float, float]:
    """The graphic frame's size in EMU (``p:xfrm/a:ext``)."""
    frame = graphic_data.getparent()
    frame = frame.getparent() if frame is not None else None
    ext = frame.find(f"{P}xfrm/{A}ext") if frame is not None else None
    if ext is None:
        return DEFAULT_FRAME
    w, h = emu(ext.get("cx")), emu(ext.get("cy"))
    return (w, h) if w > 0 and h > 0 else DEFAULT_FRAME


def layout_shapes(data: etree._Element, size: tuple[float, float]) -> etree._Element | None:
    """A ``p:spTree`` of shapes for the data model, or None for an unknown family."""
    layout_id, roots = read_model(data)
    kind = family(layout_id)
    if kind is None or not roots:
        return None
    tree = _Tree()
    w, h = size
    if kind == "hierarchy":
        _hierarchy(tree, roots, w, h)
    elif kind == "cycle":
        _cycle(tree, roots, w, h)
    elif kind in ("process", "vprocess", "chevron"):
        _process(tree, roots, w, h, kind)
    else:
        _lists(tree, roots, w, h, kind)
    return tree.root


# -- shapes ------------------------------------------------------------------------------


class _Tree:
    """Collects ``p:sp``/``p:cxnSp`` elements under one ``p:spTree``."""

    def __init__(self) -> None:
        self.root = etree.Element(P + "spTree")
        self.count = 0

    def _nv(self, el: etree._Element, tag: str) -> None:
        self.count += 1
        nv = etree.SubElement(el, P + tag)
        etree.SubElement(nv, P + "cNvPr", id=str(1000 + self.count), name=f"Diagram {self.count}")
        etree.SubElement(nv, P + ("cNvCxnSpPr" if tag == "nvCxnSpPr" else "cNvSpPr"))
        etree.SubElement(nv, P + "nvPr")

    def shape(
        self,
        prst: str,
        x: float,
        y: float,
        w: float,
        h: float,
        node: Node | None = None,
        font: float = 18.0,
        rot: float = 0.0,
        arrow: bool = False,
    ) -> etree._Element:
        sp = etree.SubElement(self.root, P + "sp")
        self._nv(sp, "nvSpPr")
        sp_pr = etree.SubElement(sp, P + "spPr")
        _xfrm(sp_pr, x, y, w, h, rot)
        geom = etree.SubElement(sp_pr, A + "prstGeom", prst=prst)
        etree.SubElement(geom, A + "avLst")
        color = _scheme(etree.SubElement(sp_pr, A + "solidFill"), "accent1")
        if arrow:
            etree.SubElement(color, A + "tint", val="60000")
        else:
            ln = etree.SubElement(sp_pr, A + "ln", w="12700")
            _scheme(etree.SubElement(ln, A + "solidFill"), "lt1")
        if node is not None and node.paragraphs:
            sp.append(_text_body(node, font))
        return sp

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        cxn = etree.SubElement(self.root, P + "cxnSp")
        self._nv(cxn, "nvCxnSpPr")
        sp_pr = etree.SubElement(cxn, P + "spPr")
        xfrm = _xfrm(sp_pr, min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
        if (x2 < x1) != (y2 < y1) and x1 != x2 and y1 != y2:
            xfrm.set("flipH", "1")
        geom = etree.SubElement(sp_pr, A + "prstGeom", prst="line")
        etree.SubElement(geom, A + "avLst")
        ln = etree.SubElement(sp_pr, A + "ln", w="12700")
        color = _scheme(etree.SubElement(ln, A + "solidFill"), "accent1")
        etree.SubElement(color, A + "shade", val="60000")


def _xfrm(
    parent: etree._Element, x: float, y: float, w: float, h: float, rot: float = 0.0
) -> etree._Element:
    xfrm = etree.SubElement(parent, A + "xfrm")
    if rot:
        xfrm.set("rot", str(round(rot * 60000)))
    etree.SubElement(xfrm, A + "off", x=str(round(x)), y=str(round(y)))
    etree.SubElement(xfrm, A + "ext", cx=str(max(round(w), 0)), cy=str(max(round(h), 0)))
    return xfrm


def _scheme(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, A + "schemeClr", val=name)


def _text_body(node: Node, font: float) -> etree._Element:
    body = etree.Element(P + "txBody")
    etree.SubElement(
        body, A + "bodyPr", anchor="ctr", wrap="square", lIns="45720", tIns="45720",
        rIns="45720", bIns="45720",
    ).append(etree.Element(A + "normAutofit"))
    etree.SubElement(body, A + "lstStyle")
    size = str(round(font * 100))
    for source in node.paragraphs:
        p = copy.deepcopy(source)
        ppr = p.find(A + "pPr")
        if ppr is None:
            ppr = etree.Element(A + "pPr")
            p.insert(0, ppr)
        ppr.set("algn", "ctr")
        for run in p.iterfind(A + "r"):
            rpr = run.find(A + "rPr")
            if rpr is None:
                rpr = etree.Element(A + "rPr")
                run.insert(0, rpr)
            if rpr.get("sz") is None:
                rpr.set("sz", size)
            if not any(c.tag.endswith("Fill") for c in rpr if isinstance(c.tag, str)):
                rpr.insert(0, _fill("lt1"))
        body.append(p)
    return body


def _fill(name: str) -> etree._Element:
    fill = etree.Element(A + "solidFill")
    _scheme(fill, name)
    return fill


def _font_for(nodes: list[Node], w: float, h: float) -> float:
    """One text size for all nodes (as SmartArt does) that fits the smallest box."""
    w_pt, h_pt = w / 12700 * 0.9, h / 12700 * 0.85
    size = MAX_FONT
    for node in nodes:
        text = node.text
        if not text.strip():
            continue
        lines = text.count("\n") + 1
        chars = max(len(text), 1)
        longest = max((len(word) for word in text.split()), default=1)
        size = min(
            size,
            math.sqrt(w_pt * h_pt / (0.55 * 1.2 * chars)),
            w_pt / (0.55 * longest),
            h_pt / (1.2 * lines),
        )
    return max(MIN_FONT, size)


def _all(nodes: list[Node]) -> list[Node]:
    out = []
    for node in nodes:
        out.append(node)
        out += _all(node.children)
    return out


# -- families ----------------------------------------------------------------------------


def _lists(tree: _Tree, roots: list[Node], W: float, H: float, kind: str) -> None:  # noqa: N803
    n = len(roots)
    if kind == "vlist":
        gap = 0.1
        bh = min(H / (n + (n - 1) * gap), W * 0.35)
        top = (H - (n * bh + (n - 1) * gap * bh)) / 2
        font = _font_for(roots, W, bh)
        for i, node in enumerate(roots):
            tree.shape("roundRect", 0, top + i * bh * (1 + gap), W, bh, node, font)
        return
    if kind == "hlist":
        gap = 0.05
        bw = W / (n + (n - 1) * gap)
        font = _font_for(roots, bw, H)
        for i, node in enumerate(roots):
            tree.shape("rect", i * bw * (1 + gap), 0, bw, H, node, font)
        return
    # Basic Block List: blocks of 10:6 with 10 % gaps, in rows of ceil(sqrt(n)) from the
    # top, the last row centred (as LibreOffice lays out a deck that saved no drawing)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    bw = min(W / (cols + (cols - 1) * 0.1), H / (rows * 0.6 + (rows - 1) * 0.1))
    bh, gap = bw * 0.6, bw * 0.1
    top = 0.0
    font = _font_for(roots, bw, bh)
    for i, node in enumerate(roots):
        row, col = divmod(i, cols)
        in_row = min(cols, n - row * cols)
        left = (W - (in_row * bw + (in_row - 1) * gap)) / 2
        tree.shape("rect", left + col * (bw + gap), top + row * (bh + gap), bw, bh, node, font)


def _process(tree: _Tree, roots: list[Node], W: float, H: float, kind: str) -> None:  # noqa: N803
    n = len(roots)
    if kind == "chevron":
        overlap = 0.1
        bw = W / (n - (n - 1) * overlap)
        bh = min(bw * 0.4, H)
        top = (H - bh) / 2
        font = _font_for(roots, bw * 0.6, bh)
        for i, node in enumerate(roots):
            tree.shape("chevron", i * bw * (1 - overlap), top, bw, bh, node, font)
        return
    vertical = kind == "vprocess"
    along, across = (H, W) if vertical else (W, H)
    size = along / (n + (n - 1) * 0.5)  # boxes with half a box between them for the arrow
    thick = min(size * 0.6, across)
    start = (across - thick) / 2
    font = _font_for(roots, thick if vertical else size, size if vertical else thick)
    for i, node in enumerate(roots):
        pos = i * size * 1.5
        if vertical:
            tree.shape("roundRect", start, pos, thick, size, node, font)
        else:
            tree.shape("roundRect", pos, start, size, thick, node, font)
        if i < n - 1:
            a_len, a_thick = size * 0.3, min(size, thick) * 0.35
            a_pos = pos + size + (size * 0.5 - a_len) / 2
            if vertical:
                tree.shape("downArrow", across / 2 - a_thick / 2, a_pos, a_thick, a_len,
                           arrow=True)
            else:
                tree.shape("rightArrow", a_pos, across / 2 - a_thick / 2, a_len, a_thick,
                           arrow=True)


def _cycle(tree: _Tree, roots: list[Node], W: float, H: float) -> None:  # noqa: N803
    n = len(roots)
    side = min(W, H)
    d = side * 0.28 if n > 1 else side * 0.5
    if n > 2:
        d = min(d, 0.85 * (side / 2) * 2 * math.sin(math.pi / n) / (1 + math.sin(math.pi / n)))
    radius = side / 2 - d / 2
    cx, cy = W / 2, H / 2
    font = _font_for(roots, d * 0.75, d * 0.75)
    for i, node in enumerate(roots):
        angle = math.radians(-90 + i * 360 / n)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        tree.shape("ellipse", x - d / 2, y - d / 2, d, d, node, font)
    if n < 2:
        return
    a_len, a_thick = d * 0.35, d * 0.22
    for i in range(n):
        mid = -90 + (i + 0.5) * 360 / n
        x = cx + radius * math.cos(math.radians(mid))
        y = cy + radius * math.sin(math.radians(mid))
        tree.shape("rightArrow", x - a_len / 2, y - a_thick / 2, a_len, a_thick,
                   rot=(mid + 90) % 360, arrow=True)


def _hierarchy(tree: _Tree, roots: list[Node], W: float, H: float) -> None:  # noqa: N803
    def leaves(node: Node) -> int:
        return sum(leaves(c) for c in node.children) or 1

    def depth(node: Node) -> int:
        return 1 + max((depth(c) for c in node.children), default=0)

    total_leaves = sum(leaves(r) for r in roots)
    levels = max(depth(r) for r in roots)
    hgap, vgap = 0.2, 0.5  # of a box's width and height
    bw = W / (total_leaves + (total_leaves - 1) * hgap)
    bh = bw * 0.6
    if levels * bh + (levels - 1) * bh * vgap > H:
        bh = H / (levels + (levels - 1) * vgap)
        bw = min(bw, bh / 0.6)
    width = total_leaves * bw + (total_leaves - 1) * bw * hgap
    height = levels * bh + (levels - 1) * bh * vgap
    left, top = (W - width) / 2, (H - height) / 2
    font = _font_for(_all(roots), bw, bh)
    pitch = bw * (1 + hgap)

    def place(node: Node, first_leaf: int, level: int) -> float:
        """Draw ``node`` and its subtree; returns the node's centre x."""
        y = top + level * bh * (1 + vgap)
        if node.children:
            centres, leaf = [], first_leaf
            for child in node.children:
                centres.append(place(child, leaf, level + 1))
                leaf += leaves(child)
            x = (centres[0] + centres[-1]) / 2
            mid = y + bh + bh * vgap / 2
            tree.line(x, y + bh, x, mid)
            if len(centres) > 1:
                tree.line(centres[0], mid, centres[-1], mid)
            for c in centres:
                tree.line(c, mid, c, y + bh * (1 + vgap))
        else:
            x = left + first_leaf * pitch + bw / 2
        tree.shape("rect", x - bw / 2, y, bw, bh, node, font)
        return x

    leaf = 0
    for root in roots:
        place(root, leaf, 0)
        leaf += leaves(root)
