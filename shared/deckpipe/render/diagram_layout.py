"""SmartArt without a saved drawing: lay the common layout families out from the data model.

Generators (and some editors) write only the diagram's data model
(``dgm:dataModel``: points and their parent-of connections) and the name of
its layout, with no drawing part. Running the layout definition's own
algorithms is PowerPoint's job; here the common families are approximated
the way they look by default, as plain ``p:`` shapes in the frame's own
coordinates (EMU), so the resolver draws them like any shapes:

- hierarchy / organisation chart (``orgChart*``, ``hierarchy*``): LibreOffice's
  ``hierRoot``/``hierChild`` grid (each node over its assistants over its employees);
- process (``process*``, ``chevron*``, ``*Process*``): boxes in a row (or a
  column for the vertical variants) with arrows between them, or chevrons;
- lists and blocks (``default``, ``*List*``): LibreOffice's ``snake`` grid of blocks
  (Basic Block List) or stacked bars (vertical lists) or columns (horizontal lists);
- cycle (``cycle*``): nodes on a circle with arrows between neighbours.

Other families return None (the resolver keeps its ``diagram_skipped``
warning). Colours come from the diagram's colour definition by each node's style label
(``presStyleLbl`` of the presentation point showing its text); without one, the default
"accent1_2" scheme: accent 1 fills, white text and outlines, lighter accent 1 arrows.
Text starts at LibreOffice's default 18 pt and shrinks per shape to fit.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from lxml import etree

from .xml import A, P, emu

DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
DEFAULT_FRAME = (6096000, 4064000)  # EMU, when the frame gives no size
MAX_FONT = 18.0  # LibreOffice's default text size, shrunk per shape to fit
MIN_FONT = 6.0
_NODE_TYPES = {None, "node", "asst"}


@dataclass
class Node:
    paragraphs: list[etree._Element]
    children: list[Node] = field(default_factory=list)
    kind: str = "node"  # "node" or "asst" (an assistant, laid out apart in a hierarchy)
    branch: str | None = None  # the hierarchy branch style (``hierBranch``) of its presentation
    style: tuple[str, int] | None = None  # its text shape's (``presStyleLbl``, ``presStyleIdx``)

    @property
    def text(self) -> str:
        return "\n".join("".join(p.itertext(A + "t")) for p in self.paragraphs)


def read_model(
    data: etree._Element, layout: etree._Element | None = None
) -> tuple[str, list[Node]]:
    """(the layout's id from the document point, the top-level nodes with their subtrees).
    With the layout definition, each node learns the style label of the presentation
    point that shows its text (the one laid out by a ``tx`` algorithm)."""
    points: dict[str, tuple[str | None, etree._Element]] = {}
    layout_id = ""
    for pt in data.iterfind(f"{DGM}ptLst/{DGM}pt"):
        kind = pt.get("type")
        points[pt.get("modelId", "")] = (kind, pt)
        if kind == "doc":
            pr = pt.find(DGM + "prSet")
            layout_id = pr.get("loTypeId", "") if pr is not None else ""
    nodes = {
        mid: Node(_paragraphs(pt), kind="asst" if kind == "asst" else "node")
        for mid, (kind, pt) in points.items()
        if kind in _NODE_TYPES
    }
    for _kind, pt in points.values():
        # a presentation point's ``presLayoutVars/hierBranch`` styles its node's branch
        branch = pt.find(f"{DGM}prSet/{DGM}presLayoutVars/{DGM}hierBranch")
        node = (
            nodes.get(pt.find(DGM + "prSet").get("presAssocID", "")) if branch is not None else None
        )
        if node is not None and node.branch is None:
            node.branch = branch.get("val")
    _read_styles(data, points, nodes, layout)
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


def _text_layout_nodes(layout: etree._Element | None) -> set[str]:
    """Names of the layout nodes whose algorithm (anywhere in their choices) is ``tx``."""
    names: set[str] = set()
    if layout is None:
        return names
    for node in layout.iter(DGM + "layoutNode"):
        for alg in node.iter(DGM + "alg"):
            owner = next(a for a in alg.iterancestors(DGM + "layoutNode"))
            if owner is node and alg.get("type") == "tx":
                names.add(node.get("name", ""))
    return names


def _read_styles(
    data: etree._Element,
    points: dict[str, tuple[str | None, etree._Element]],
    nodes: dict[str, Node],
    layout: etree._Element | None,
) -> None:
    """Give each node the style label of its text's presentation point: the target of a
    ``presOf`` connection from the node whose layout node runs the ``tx`` algorithm."""
    text_names = _text_layout_nodes(layout)
    for cxn in data.iterfind(f"{DGM}cxnLst/{DGM}cxn[@type='presOf']"):
        node = nodes.get(cxn.get("srcId", ""))
        pres = points.get(cxn.get("destId", ""))
        if node is None or pres is None or node.style is not None:
            continue
        pr = pres[1].find(DGM + "prSet")
        label = pr.get("presStyleLbl") if pr is not None else None
        if not label or (text_names and pr.get("presName") not in text_names):
            continue
        try:
            index = int(pr.get("presStyleIdx", "0"))
        except ValueError:
            index = 0
        node.style = (label, index)


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


def layout_shapes(
    data: etree._Element,
    size: tuple[float, float],
    layout: etree._Element | None = None,
    colors: etree._Element | None = None,
) -> etree._Element | None:
    """A ``p:spTree`` of shapes for the data model, or None for an unknown family.
    ``layout`` and ``colors`` are the diagram's layout and colour definitions, if any."""
    layout_id, roots = read_model(data, layout)
    kind = family(layout_id)
    if kind is None or not roots:
        return None
    tree = _Tree(_color_lists(colors))
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


def _color_lists(colors: etree._Element | None) -> dict[str, dict[str, list[etree._Element]]]:
    """Style label -> {"fill"/"line"/"text": colours} from a colour definition
    (``dgm:colorsDef``: ``styleLbl/fillClrLst``, ``linClrLst``, ``txFillClrLst``)."""
    found: dict[str, dict[str, list[etree._Element]]] = {}
    if colors is None:
        return found
    for label in colors.iterfind(DGM + "styleLbl"):
        lists = {}
        for key, tag in (("fill", "fillClrLst"), ("line", "linClrLst"), ("text", "txFillClrLst")):
            clr = label.find(DGM + tag)
            items = [c for c in clr if isinstance(c.tag, str)] if clr is not None else []
            if items:
                lists[key] = items
        found[label.get("name", "")] = lists
    return found


class _Tree:
    """Collects ``p:sp``/``p:cxnSp`` elements under one ``p:spTree``."""

    def __init__(self, colors: dict[str, dict[str, list[etree._Element]]] | None = None) -> None:
        self.root = etree.Element(P + "spTree")
        self.count = 0
        self.colors = colors or {}

    def _color(self, node: Node | None, key: str) -> etree._Element | None:
        """The node's colour of a kind from its style label, the n-th of the list cycled
        (as LibreOffice picks it), or None."""
        if node is None or node.style is None:
            return None
        items = self.colors.get(node.style[0], {}).get(key)
        return copy.deepcopy(items[node.style[1] % len(items)]) if items else None

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
        fill = etree.SubElement(sp_pr, A + "solidFill")
        styled = self._color(node, "fill")
        if styled is not None:
            fill.append(styled)
        else:
            color = _scheme(fill, "accent1")
            if arrow:
                etree.SubElement(color, A + "tint", val="60000")
        if not arrow:
            ln = etree.SubElement(sp_pr, A + "ln", w="12700")
            line = self._color(node, "line")
            ln_fill = etree.SubElement(ln, A + "solidFill")
            if line is not None:
                ln_fill.append(line)
            else:
                _scheme(ln_fill, "lt1")
        if node is not None and node.paragraphs:
            sp.append(_text_body(node, font, self._color(node, "text")))
        return sp


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


def _text_body(node: Node, font: float, color: etree._Element | None = None) -> etree._Element:
    body = etree.Element(P + "txBody")
    etree.SubElement(
        body,
        A + "bodyPr",
        anchor="ctr",
        wrap="square",
        lIns="45720",
        tIns="45720",
        rIns="45720",
        bIns="45720",
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
                if color is not None:
                    fill = etree.Element(A + "solidFill")
                    fill.append(copy.deepcopy(color))
                    rpr.insert(0, fill)
                else:
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


# -- families ----------------------------------------------------------------------------


def _lists(tree: _Tree, roots: list[Node], W: float, H: float, kind: str) -> None:  # noqa: N803
    n = len(roots)
    if kind == "vlist":
        gap = 0.1
        bh = min(H / (n + (n - 1) * gap), W * 0.35)
        top = (H - (n * bh + (n - 1) * gap * bh)) / 2
        font_area = (W, bh)
        for i, node in enumerate(roots):
            tree.shape(
                "roundRect", 0, top + i * bh * (1 + gap), W, bh, node, _font_for([node], *font_area)
            )
        return
    if kind == "hlist":
        gap = 0.05
        bw = W / (n + (n - 1) * gap)
        font_area = (bw, H)
        for i, node in enumerate(roots):
            tree.shape("rect", i * bw * (1 + gap), 0, bw, H, node, _font_for([node], *font_area))
        return
    _snake(tree, roots, W, H)


# LibreOffice's ``snake`` algorithm (Basic Block List): the fewest rows whose cells are at
# least 0.54 as high as wide, blocks 0.54 as high as wide with 30 % of a block between
# them, from the top left; a short last row starts half a pitch in.
SNAKE_RATIO, SNAKE_SPACE = 0.54, 0.3


def _snake(tree: _Tree, roots: list[Node], W: float, H: float) -> None:  # noqa: N803
    n = len(roots)
    cols, rows = 1, 1
    while rows < n:
        cols = -(-n // rows)
        if (H / cols) / (W / rows) >= SNAKE_RATIO:
            break
        rows += 1
    bw = W / (cols + (cols - 1) * SNAKE_SPACE)
    bh = bw * SNAKE_RATIO
    pitch_x, pitch_y = bw * (1 + SNAKE_SPACE), bh * (1 + SNAKE_SPACE)
    font_area = (bw, bh)
    x = y = 0.0
    col = 0
    for i, node in enumerate(roots, start=1):
        tree.shape("rect", x, y, bw, bh, node, _font_for([node], *font_area))
        last_row = i // cols + 1 == rows
        if i % cols == 0 or not last_row:
            x += pitch_x
        col += 1
        if col == cols:
            short = (i + 1) % cols and i + 1 >= 3 and (i + 1) // cols + 1 == rows
            x = pitch_x / 2 if short and n != rows * cols else 0.0
            y += pitch_y
            col = 0
        if i % cols and i >= 3 and last_row:
            x += pitch_x


def _process(tree: _Tree, roots: list[Node], W: float, H: float, kind: str) -> None:  # noqa: N803
    n = len(roots)
    if kind == "chevron":
        overlap = 0.1
        bw = W / (n - (n - 1) * overlap)
        bh = min(bw * 0.4, H)
        top = (H - bh) / 2
        font_area = (bw * 0.6, bh)
        for i, node in enumerate(roots):
            tree.shape(
                "chevron", i * bw * (1 - overlap), top, bw, bh, node, _font_for([node], *font_area)
            )
        return
    vertical = kind == "vprocess"
    along, across = (H, W) if vertical else (W, H)
    size = along / (n + (n - 1) * 0.5)  # boxes with half a box between them for the arrow
    thick = min(size * 0.6, across)
    start = (across - thick) / 2
    font_area = (thick if vertical else size, size if vertical else thick)
    for i, node in enumerate(roots):
        pos = i * size * 1.5
        if vertical:
            tree.shape("roundRect", start, pos, thick, size, node, _font_for([node], *font_area))
        else:
            tree.shape("roundRect", pos, start, size, thick, node, _font_for([node], *font_area))
        if i < n - 1:
            a_len, a_thick = size * 0.3, min(size, thick) * 0.35
            a_pos = pos + size + (size * 0.5 - a_len) / 2
            if vertical:
                tree.shape("downArrow", across / 2 - a_thick / 2, a_pos, a_thick, a_len, arrow=True)
            else:
                tree.shape(
                    "rightArrow", a_pos, across / 2 - a_thick / 2, a_len, a_thick, arrow=True
                )


def _cycle(tree: _Tree, roots: list[Node], W: float, H: float) -> None:  # noqa: N803
    n = len(roots)
    side = min(W, H)
    d = side * 0.28 if n > 1 else side * 0.5
    if n > 2:
        d = min(d, 0.85 * (side / 2) * 2 * math.sin(math.pi / n) / (1 + math.sin(math.pi / n)))
    radius = side / 2 - d / 2
    cx, cy = W / 2, H / 2
    font_area = (d * 0.75, d * 0.75)
    for i, node in enumerate(roots):
        angle = math.radians(-90 + i * 360 / n)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        tree.shape("ellipse", x - d / 2, y - d / 2, d, d, node, _font_for([node], *font_area))
    if n < 2:
        return
    a_len, a_thick = d * 0.35, d * 0.22
    for i in range(n):
        mid = -90 + (i + 0.5) * 360 / n
        x = cx + radius * math.cos(math.radians(mid))
        y = cy + radius * math.sin(math.radians(mid))
        tree.shape(
            "rightArrow",
            x - a_len / 2,
            y - a_thick / 2,
            a_len,
            a_thick,
            rot=(mid + 90) % 360,
            arrow=True,
        )


# LibreOffice's hierarchy algorithms (``hierRoot``/``hierChild``): a grid of equal rows.
# Every node is a root of three parts stacked top down (its box, its employees, its
# assistants); each part counts a number of rows, an empty part one row. Spaces are 30 %
# of a row between rows and 10 % of a column between columns; a single column is indented
# by 10 % of its width on each side. LibreOffice draws no connectors (bent connectors are
# hidden in its org charts).
ROW_GAP, COL_GAP, INDENT = 0.3, 0.1, 0.1


@dataclass
class _Part:
    """A ``hierChild`` group: ``direction`` "fromL" (a row), "fromT" (a column) or "hang"
    (rows of two); or a node's box when ``node`` is set and ``roots`` empty."""

    roots: list[_Root] = field(default_factory=list)
    direction: str = "fromL"


@dataclass
class _Root:
    node: Node
    employees: _Part
    assistants: _Part


def _branch_direction(branch: str | None) -> str:
    """The employee group's direction for a ``hierBranch`` value (ECMA-376 21.4.7.2):
    left/right hanging is a column, "hang" rows of two, standard (and "init") a row."""
    if branch in ("l", "r"):
        return "fromT"
    return "hang" if branch == "hang" else "fromL"


def _org(node: Node, branch: str | None) -> _Root:
    branch = node.branch or branch
    staff = [c for c in node.children if c.kind != "asst"]
    assistants = [c for c in node.children if c.kind == "asst"]
    return _Root(
        node,
        _Part([_org(c, branch) for c in staff], _branch_direction(branch)),
        _Part([_org(c, branch) for c in assistants], "hang"),
    )


def _rows(item: _Part | _Root | None) -> int:
    """How many rows an item spans (LibreOffice's vertical shape count)."""
    if item is None:  # a node's box
        return 1
    if isinstance(item, _Root):
        return 1 + _rows(item.employees) + _rows(item.assistants)
    if not item.roots:
        return 1
    counts = [_rows(r) for r in item.roots]
    if item.direction == "fromT":
        return sum(counts)
    if item.direction == "hang":
        return (sum(counts) + 1) // 2
    return max(counts)


def _hierarchy(tree: _Tree, roots: list[Node], W: float, H: float) -> None:  # noqa: N803
    boxes: list[tuple[Node, float, float, float, float]] = []

    def place_root(root: _Root, x: float, y: float, w: float, h: float) -> None:
        total = _rows(root)
        unit = h / (total + (total - 1) * ROW_GAP)
        parts: list[_Part | None] = [None]
        # empty groups keep their rows but are dropped; assistants go above employees
        if root.assistants.roots:
            parts.append(root.assistants)
        if root.employees.roots:
            parts.append(root.employees)
        for part in parts:
            rows = _rows(part)
            ph = unit * (rows + (rows - 1) * ROW_GAP)
            if part is None:
                boxes.append((root.node, x, y, w, ph))
            else:
                place_part(part, x, y, w, ph)
            y += ph + unit * ROW_GAP

    def place_part(part: _Part, x: float, y: float, w: float, h: float) -> None:
        total = _rows(part)
        unit = h / (total + (total - 1) * ROW_GAP)
        n = len(part.roots)
        across = 2 if part.direction == "hang" else (n if part.direction == "fromL" else 1)
        cw = w / (across + (across - 1) * COL_GAP)
        left = x
        if across == 1:
            left += cw * INDENT
            cw *= 1 - 2 * INDENT
        cx, cy, row_h = left, y, 0.0
        for i, root in enumerate(part.roots):
            rows = _rows(root)
            ch = unit * (rows + (rows - 1) * ROW_GAP)
            place_root(root, cx, cy, cw, ch)
            if part.direction == "fromT":
                cy += ch + unit * ROW_GAP
            else:
                cx += cw * (1 + COL_GAP)
            row_h = max(row_h, ch)
            if part.direction == "hang" and i % 2 == 1:
                cx, cy, row_h = x, cy + row_h + unit * ROW_GAP, 0.0

    top = _Part([_org(r, None) for r in roots], "fromL")
    place_part(top, 0.0, 0.0, W, H)
    for node, x, y, w, h in boxes:
        tree.shape("rect", x, y, w, h, node, _font_for([node], w, h))
