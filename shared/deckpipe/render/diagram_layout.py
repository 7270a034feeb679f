"""SmartArt without a saved drawing, laid out as LibreOffice 7.4 lays it out.

Generators (and some editors) write only the diagram's data model (``dgm:dataModel``)
and its layout definition, with no drawing part. LibreOffice then runs its own layout
engine: it walks the layout definition's layout nodes over the presentation points the
data model holds (a layout node met at ``forEach`` step i takes the i-th presentation
point of its name, and only when that point is a child of the current one; ``choose``
picks by ``dir``, ``hierBranch``, ``cnt`` and ``maxDepth``), makes a shape for each, and
lays them out top down by their algorithms: ``composite`` (from the constraints),
``hierRoot``/``hierChild``, ``lin``, ``snake``, ``cycle`` and ``conn``, each with
LibreOffice's own proportions. Without presentation points or a layout definition it
draws nothing, and neither do we (None: the resolver warns ``diagram_skipped``).

The shapes come back as plain ``p:`` shapes in the frame's own coordinates (EMU).
Colours come from the colour definition by style label, indexed by the ``forEach`` step
that made the shape; the quick style's theme references (fill, line, effect, font) take
those colours; without a quick style, solid fills and outlines. Text starts at 18 pt (or
the ``primFontSz`` constraint) and shrinks per shape to fit LibreOffice's default insets.
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
CHAR_EM = 0.5  # a character's mean advance, in ems (Carlito/Calibri text)


@dataclass
class Node:
    """What a shape shows: paragraphs from the data model, and its style label with the
    index into the label's colour lists."""

    paragraphs: list[etree._Element]
    style: tuple[str, int] | None = None
    levels: list[int] = field(default_factory=list)  # outline level of each paragraph
    align: str | None = "ctr"  # every paragraph's ``algn``, or None to keep their own
    bullets_from: int | None = None  # the level from which paragraphs get bullets
    anchor: str = "ctr"

    @property
    def text(self) -> str:
        return "\n".join("".join(p.itertext(A + "t")) for p in self.paragraphs)


def _paragraphs(pt: etree._Element) -> list[etree._Element]:
    body = pt.find(DGM + "t")
    paras = body.findall(A + "p") if body is not None else []
    return [p for p in paras if "".join(p.itertext(A + "t")).strip()]


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
    quick: etree._Element | None = None,
) -> etree._Element | None:
    """A ``p:spTree`` of the shapes LibreOffice lays out for the data model, or None when it
    lays out none: without a layout definition or presentation points (LibreOffice 7.4 then
    draws nothing). ``layout``, ``colors`` and ``quick`` are the diagram's layout, colour
    and quick style definitions, if any."""
    tree = _Tree(_color_lists(colors), _quick_styles(quick))
    if layout is not None and _engine_shapes(tree, data, layout, size):
        return tree.root
    return None


# -- shapes ------------------------------------------------------------------------------


def _quick_styles(quick: etree._Element | None) -> dict[str, etree._Element]:
    """Style label -> its ``dgm:style`` (theme references) from a quick style definition."""
    if quick is None:
        return {}
    found = {}
    for label in quick.iterfind(DGM + "styleLbl"):
        style = label.find(DGM + "style")
        if style is not None:
            found[label.get("name", "")] = style
    return found


def _color_lists(colors: etree._Element | None) -> dict[str, dict[str, list[etree._Element]]]:
    """Style label -> {"fill"/"line"/"text": colours} from a colour definition
    (``dgm:colorsDef``: ``styleLbl/fillClrLst``, ``linClrLst``, ``txFillClrLst``)."""
    found: dict[str, dict[str, list[etree._Element]]] = {}
    if colors is None:
        return found
    for label in colors.iterfind(DGM + "styleLbl"):
        lists = {}
        for key, tag in (
            ("fill", "fillClrLst"),
            ("line", "linClrLst"),
            ("effect", "effectClrLst"),
            ("text", "txFillClrLst"),
        ):
            clr = label.find(DGM + tag)
            items = [c for c in clr if isinstance(c.tag, str)] if clr is not None else []
            if items:
                lists[key] = items
        found[label.get("name", "")] = lists
    return found


class _Tree:
    """Collects ``p:sp``/``p:cxnSp`` elements under one ``p:spTree``."""

    def __init__(
        self,
        colors: dict[str, dict[str, list[etree._Element]]] | None = None,
        quick: dict[str, etree._Element] | None = None,
    ) -> None:
        self.root = etree.Element(P + "spTree")
        self.count = 0
        self.colors = colors or {}
        self.quick = quick or {}

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
    ) -> etree._Element:
        sp = etree.SubElement(self.root, P + "sp")
        self._nv(sp, "nvSpPr")
        sp_pr = etree.SubElement(sp, P + "spPr")
        _xfrm(sp_pr, x, y, w, h, rot)
        geom = etree.SubElement(sp_pr, A + "prstGeom", prst=prst)
        etree.SubElement(geom, A + "avLst")
        quick = self.quick.get(node.style[0]) if node is not None and node.style else None
        text_color = self._color(node, "text")
        if quick is not None:
            # the quick style's theme references, their placeholder colour from the colours
            style = etree.SubElement(sp, P + "style")
            for tag, key in (("lnRef", "line"), ("fillRef", "fill"), ("effectRef", "effect"),
                             ("fontRef", "text")):  # fmt: skip
                ref = quick.find(A + tag)
                if ref is None:
                    ref = etree.Element(A + tag, idx="minor" if tag == "fontRef" else "0")
                out = etree.SubElement(style, A + tag, dict(ref.attrib))
                color = self._color(node, key)
                own = next((c for c in ref if isinstance(c.tag, str)), None)
                if color is None and own is not None:
                    color = copy.deepcopy(own)
                if color is not None:
                    out.append(color)
                if tag == "fontRef" and text_color is None:
                    text_color = copy.deepcopy(color) if color is not None else None
        else:
            fill = etree.SubElement(sp_pr, A + "solidFill")
            styled = self._color(node, "fill")
            if styled is not None:
                fill.append(styled)
            else:
                _scheme(fill, "accent1")
            ln = etree.SubElement(sp_pr, A + "ln", w="12700")
            line = self._color(node, "line")
            ln_fill = etree.SubElement(ln, A + "solidFill")
            if line is not None:
                ln_fill.append(line)
            else:
                _scheme(ln_fill, "lt1")
        if node is not None and node.paragraphs:
            sp.append(_text_body(node, font, text_color))
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
        anchor=node.anchor,
        wrap="square",
        lIns="91440",
        tIns="45720",
        rIns="91440",
        bIns="45720",
    ).append(etree.Element(A + "normAutofit"))
    etree.SubElement(body, A + "lstStyle")
    size = str(round(font * 100))
    for i, source in enumerate(node.paragraphs):
        p = copy.deepcopy(source)
        ppr = p.find(A + "pPr")
        if ppr is None:
            ppr = etree.Element(A + "pPr")
            p.insert(0, ppr)
        if node.align:
            ppr.set("algn", node.align)
        level = node.levels[i] if i < len(node.levels) else 0
        if node.bullets_from is not None and level >= node.bullets_from:
            # LibreOffice's diagram bullets: "•", hanging 0.3125 inch per level
            ppr.set("marL", str(285750 * (level - node.bullets_from + 1)))
            ppr.set("indent", "-285750")
            for old in ppr:
                if isinstance(old.tag, str) and old.tag.split("}")[-1].startswith("bu"):
                    ppr.remove(old)
            etree.SubElement(ppr, A + "buChar", char="\u2022")
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


def _font_for(nodes: list[Node], w: float, h: float, cap: float = MAX_FONT) -> float:
    """One text size for the nodes, at most ``cap``, whose text fills no more than a ``w`` x
    ``h`` box (LibreOffice's autofit shrinks to the height and breaks words too long for a
    line, so a long word does not shrink it further)."""
    w_pt, h_pt = w / 12700 - 14.4, h / 12700 - 7.2  # inside the default insets
    size = cap
    for node in nodes:
        text = node.text
        if not text.strip():
            continue
        lines = text.count("\n") + 1
        chars = max(len(text), 1)
        size = min(
            size,
            math.sqrt(max(w_pt * h_pt, 0) / (CHAR_EM * 1.2 * chars)),
            h_pt / (1.2 * lines),
        )
    return max(MIN_FONT, size)


# -- constants of LibreOffice's algorithms ---------------------------------------------

# ``hierRoot``/``hierChild``: 30 % of a row between rows, 10 % of a column between columns,
# a single column indented by 10 % of its width on each side
ROW_GAP, COL_GAP, INDENT = 0.3, 0.1, 0.1
# ``snake``: cells 0.54 as high as wide, 30 % of a cell between them
SNAKE_RATIO, SNAKE_SPACE = 0.54, 0.3


# -- LibreOffice's layout engine ---------------------------------------------------------
# With the layout definition and the presentation points PowerPoint saved in the data
# model, LibreOffice builds the shapes by walking the layout nodes: a layout node met at
# a ``forEach`` step i takes the i-th presentation point of its name (in data order), and
# only when that point is a child (any connection) of the current point; a ``forEach``
# over nodes makes as many steps as the longest list of its layout nodes' points, any
# other ``forEach`` one step. The shapes are then laid out top down by their algorithms
# (``composite`` from the constraints, ``hierRoot``/``hierChild`` rows and columns).

_EMU_PER_MM = 36000
_FONT_UNITS = ("primFontSz", "secFontSz")


def _local(el: etree._Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


@dataclass
class _Constraint:
    type: str
    for_name: str
    ref_type: str
    ref_for_name: str
    fact: float
    val: float


@dataclass
class _EShape:
    name: str
    pres: str  # model id of its presentation point
    prst: str | None  # preset geometry; None: a group
    hidden: bool
    style: str
    children: list[_EShape] = field(default_factory=list)
    alg: str = ""
    params: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    constraints: list[_Constraint] = field(default_factory=list)
    conn: list[_Constraint] = field(default_factory=list)  # its own, for ``conn``
    sources: list[str] = field(default_factory=list)  # the data points it presents
    asst: bool = False
    color_index: int = 0  # the ``forEach`` step it was made at: LibreOffice's colour index
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    rot: float = 0.0
    aspect: float = 0.0  # its algorithm's ``ar`` parameter


class _Engine:
    def __init__(self, data: etree._Element, layout: etree._Element) -> None:
        self.points: dict[str, etree._Element] = {}
        self.by_name: dict[str, list[str]] = {}
        for pt in data.iterfind(f"{DGM}ptLst/{DGM}pt"):
            mid = pt.get("modelId", "")
            self.points[mid] = pt
            pr = pt.find(DGM + "prSet")
            name = pr.get("presName") if pr is not None else None
            if name:
                self.by_name.setdefault(name, []).append(mid)
        self.edges: set[tuple[str, str]] = set()
        self.par_of: list[tuple[str, str]] = []
        self.pres_parent: dict[str, str] = {}
        self.pres_of: dict[str, list[str]] = {}
        for cxn in data.iterfind(f"{DGM}cxnLst/{DGM}cxn"):
            src, dest, kind = cxn.get("srcId", ""), cxn.get("destId", ""), cxn.get("type", "parOf")
            self.edges.add((src, dest))
            if kind == "parOf":
                self.par_of.append((src, dest))
            elif kind == "presParOf":
                self.pres_parent.setdefault(dest, src)
            elif kind == "presOf":
                self.pres_of.setdefault(dest, []).append(src)
        self.refs = {el.get("name"): el for el in layout.iter(DGM + "forEach") if el.get("name")}
        self.idx, self.step, self.cnt = 0, 1, 1

    # -- points
    def depth(self, mid: str) -> int:
        """How many parent-of steps a data point is below the top."""
        parents = {dest: src for src, dest in self.par_of}
        depth, seen = 0, {mid}
        while mid in parents and parents[mid] not in seen:
            mid = parents[mid]
            seen.add(mid)
            depth += 1
        return depth

    def _pr(self, mid: str) -> etree._Element | None:
        pt = self.points.get(mid)
        return pt.find(DGM + "prSet") if pt is not None else None

    def _var(self, mid: str, name: str) -> str | None:
        pr = self._pr(mid)
        el = pr.find(f"{DGM}presLayoutVars/{DGM}{name}") if pr is not None else None
        return el.get("val") if el is not None else None

    def _max_depth(self, mid: str, seen: frozenset[str] = frozenset()) -> int:
        depth = 0
        for src, dest in self.par_of:
            if src == mid and dest not in seen:
                depth = max(depth, self._max_depth(dest, seen | {mid}) + 1)
        return depth

    def _decide(self, cond: etree._Element, mid: str | None) -> bool:
        if _local(cond) == "else":
            return True
        if mid is None:
            return False
        func, arg, op, val = (cond.get(k, "") for k in ("func", "arg", "op", "val"))
        pr = self._pr(mid)
        assoc = pr.get("presAssocID", "") if pr is not None else ""
        if func == "var" and arg in ("dir", "hierBranch"):
            if arg == "dir":
                value = self._var(mid, "dir") or "norm"
            else:
                value = self._var(mid, "hierBranch")
                parent = self.pres_parent.get(mid)
                if value is None and parent is not None:
                    value = self._var(parent, "hierBranch")
                value = value or "std"
            return {"equ": value == val, "neq": value != val}.get(op, False)
        if func in ("cnt", "maxDepth"):
            if func == "cnt":
                node = assoc
                if cond.get("axis", "").split() == ["ch", "ch"]:
                    node = next((d for s, d in self.par_of if s == assoc), "")
                number = sum(1 for s, _ in self.par_of if s == node) if node else 0
            else:
                number = self._max_depth(assoc)
            try:
                target = int(val)
            except ValueError:
                return False
            ops = {
                "equ": number == target,
                "gt": number > target,
                "gte": number >= target,
                "lt": number < target,
                "lte": number <= target,
                "neq": number != target,
            }
            return ops.get(op, False)
        return True

    def _chosen(self, choose: etree._Element, mid: str | None) -> etree._Element | None:
        for cond in choose:
            if _local(cond) in ("if", "else") and self._decide(cond, mid):
                return cond
        return None

    def _find(self, atom: etree._Element, mid: str, tag: str) -> list[etree._Element]:
        """Atoms of a kind directly in a layout node, through the chosen conditions."""
        found = []
        for child in atom:
            kind = _local(child)
            if kind == tag:
                found.append(child)
            elif kind == "choose":
                cond = self._chosen(child, mid)
                if cond is not None:
                    found += self._find(cond, mid, tag)
        return found

    # -- shape creation
    def create(self, root: etree._Element, size: tuple[float, float]) -> _EShape | None:
        doc = next((m for m, p in self.points.items() if p.get("type") == "doc"), None)
        node = root.find(DGM + "layoutNode")
        if doc is None or node is None:
            return None
        top = _EShape("", doc, None, True, "", w=size[0], h=size[1])
        self._layout_node(node, doc, top, [], existing=True)
        return top

    def _visit(self, atom: etree._Element, mid: str, parent: _EShape, cons: list) -> None:
        for child in atom:
            kind = _local(child)
            if kind == "layoutNode":
                self._layout_node(child, mid, parent, cons)
            elif kind == "forEach":
                self._for_each(child, mid, parent, cons)
            elif kind == "choose":
                cond = self._chosen(child, mid)
                if cond is not None:
                    self._visit(cond, mid, parent, cons)

    def _for_each(self, atom: etree._Element, mid: str, parent: _EShape, cons: list) -> None:
        ref = atom.get("ref")
        if ref:
            target = self.refs.get(ref)
            if target is not None and target is not atom:
                self._for_each(target, mid, parent, cons)
            return
        axis = atom.get("axis", "").split()
        hide_last = atom.get("hideLastTrans", "1") in ("1", "true")
        if hide_last and axis[:1] == ["followSib"] and self.idx + self.step >= self.cnt:
            return
        count = 1
        if atom.get("ptType", "all").split()[:1] in (["node"], ["nonAsst"]):
            names = self._shallow_names(atom, mid)
            count = max((len(self.by_name.get(n, [])) for n in names), default=0)
        try:
            limit = int(atom.get("cnt", "0"))
        except ValueError:
            limit = 0
        total = min(count, limit) if limit > 0 else count
        try:
            step = int(atom.get("step", "1"))
        except ValueError:
            step = 1
        saved = self.idx, self.step, self.cnt
        self.step, self.cnt = step, total
        self.idx = 0
        while self.idx < total and step > 0:
            self._visit(atom, mid, parent, cons)
            self.idx += step
        self.idx, self.step, self.cnt = saved

    def _shallow_names(self, atom: etree._Element, mid: str) -> list[str]:
        """The names of the layout nodes a ``forEach`` steps through (not their insides)."""
        names = []
        for child in atom:
            kind = _local(child)
            if kind == "layoutNode":
                names.append(child.get("name", ""))
            elif kind == "forEach":
                names += self._shallow_names(child, mid)
            elif kind == "choose":
                cond = self._chosen(child, mid)
                if cond is not None:
                    names += self._shallow_names(cond, mid)
        return names

    def _layout_node(
        self, atom: etree._Element, mid: str, parent: _EShape, cons: list, existing=False
    ) -> None:
        points = self.by_name.get(atom.get("name", ""), [])
        if self.idx >= len(points):
            return
        new = points[self.idx]
        if (mid, new) not in self.edges:
            return
        listed = [c for lst in self._find(atom, new, "constrLst") for c in lst]
        constraints = cons + [c for c in map(self._constraint, listed) if c is not None]
        direct = [c for lst in atom.iterfind(DGM + "constrLst") for c in lst]
        shape = parent
        if existing:
            parent.pres, parent.name = new, atom.get("name", "")
            parent.constraints = constraints
        else:
            shapes = self._find(atom, new, "shape")
            if shapes:
                sh = shapes[0]
                pr = self._pr(new)
                shape = _EShape(
                    atom.get("name", ""),
                    new,
                    sh.get("type") or None,
                    sh.get("hideGeom") in ("1", "true"),
                    (pr.get("presStyleLbl") if pr is not None else None)
                    or atom.get("styleLbl", ""),
                    constraints=constraints,
                    sources=self.pres_of.get(new, []),
                )
                shape.color_index = self.idx
                shape.asst = any(self.points[m].get("type") == "asst"
                                 for m in shape.sources if m in self.points)  # fmt: skip
                parent.children.append(shape)
        shape.conn = [c for c in (self._constraint(c, any_name=True) for c in direct) if c]
        self._visit(atom, new, shape, constraints)
        algs = self._find(atom, new, "alg")
        if algs:
            shape.alg = algs[0].get("type", "")
            shape.params = {p.get("type", ""): p.get("val", "") for p in algs[0]}
            try:
                shape.aspect = float(shape.params.get("ar", "0"))
            except ValueError:
                shape.aspect = 0.0
            shape.rows = _vertical_count(shape)

    @staticmethod
    def _constraint(el: etree._Element, any_name: bool = False) -> _Constraint | None:
        """An equality constraint; one without ``forName`` only for spacing and margins
        (or ``any_name``), as LibreOffice reads them."""
        kind, name = el.get("type", "none"), el.get("forName", "")
        if el.get("op", "none") not in ("none", "equ") or kind == "none":
            return None
        if not name and not any_name and kind not in ("sp", "lMarg", "rMarg", "tMarg", "bMarg"):
            return None
        try:
            fact, val = float(el.get("fact", "1")), float(el.get("val", "0"))
        except ValueError:
            return None
        return _Constraint(kind, name, el.get("refType", "none"), el.get("refForName", ""),
                           fact, val)  # fmt: skip


def _direction(shape: _EShape) -> str:
    if shape.alg == "hierRoot":
        return "fromT"
    return shape.params.get("linDir", "fromL")


def _vertical_count(shape: _EShape) -> int:
    if not shape.children:
        return 0 if shape.prst == "conn" else 1
    counts = [c.rows for c in shape.children]
    direction = _direction(shape)
    if direction in ("fromT", "fromB"):
        return sum(counts)
    if shape.params.get("secLinDir") == "fromT":
        return (sum(counts) + 1) // 2
    return max(counts)


def _apply(c: _Constraint, props: dict[str, dict[str, float]]) -> None:
    ref = props.get(c.ref_for_name)
    if ref is None:
        return
    if c.ref_type in ref:
        props.setdefault(c.for_name, {})[c.type] = ref[c.ref_type] * c.fact
    else:
        unit = 12700 if c.ref_type in _FONT_UNITS else _EMU_PER_MM
        props.setdefault(c.for_name, {})[c.type] = c.val * unit


def _run(shape: _EShape) -> None:
    """Lay out a shape's children by its algorithm, then theirs."""
    if shape.alg != "lin":
        shape.children = [c for c in shape.children if c.prst is not None or c.children]
    if shape.alg == "composite":
        _composite(shape)
    elif shape.alg in ("hierRoot", "hierChild"):
        _hier(shape)
    elif shape.alg == "lin":
        _lin(shape)
    elif shape.alg == "snake":
        _snake_alg(shape)
    elif shape.alg == "cycle":
        _cycle_alg(shape)
    elif shape.alg == "conn":
        _conn(shape)
    for child in shape.children:
        _run(child)


def _conn(shape: _EShape) -> None:
    """A connector: an arrow by its ends' styles (bent connectors are hidden), resized by its
    own constraints about its centre."""
    if shape.prst == "conn":
        params = shape.params
        if params.get("connRout") == "bend":
            shape.prst = None
        else:
            begin, end = params.get("begSty") == "arr", params.get("endSty", "arr") == "arr"
            shape.prst = (
                "leftRightArrow" if begin and end else "leftArrow" if begin else "rightArrow"
            )
    props = {"": {"w": shape.w, "h": shape.h, "l": 0, "t": 0, "r": shape.w, "b": shape.h}}
    for c in shape.conn:
        ref = props.get(c.ref_for_name)
        if ref is not None and c.ref_type in ref:
            props.setdefault(c.for_name, {})[c.type] = ref[c.ref_type] * c.fact
    w, h = props[""]["w"], props[""]["h"]
    shape.x += (shape.w - w) / 2
    shape.y += (shape.h - h) / 2
    shape.w, shape.h = w, h


def _lin(shape: _EShape) -> None:
    """LibreOffice's ``lin``: children spread along one axis, centred across it."""
    children = shape.children
    if not children or not shape.w or not shape.h:
        return
    W, H = shape.w, shape.h  # noqa: N806
    direction = shape.params.get("linDir", "fromL")
    inc_x = {"fromL": 1, "fromR": -1}.get(direction, 0)
    inc_y = {"fromT": 1, "fromB": -1}.get(direction, 0)
    angle = {"fromL": 0, "fromR": 180, "fromT": 270, "fromB": 90}.get(direction, 0)
    props: dict[str, dict[str, float]] = {}
    space_w = space_h = 0.0
    for c in shape.constraints:
        if not c.for_name:
            continue
        if c.type in ("w", "h"):
            props.setdefault(c.for_name, {})[c.type] = (W if c.type == "w" else H) * c.fact
            if c.for_name in ("sp", "space", "sibTrans"):
                if c.type == "w":
                    space_w = W * c.fact
                else:
                    space_h = H * c.fact
    # LibreOffice 7.4 scales every child alike and drops empty groups (no rule handling)
    children[:] = [c for c in children if c.prst is not None or c.children]
    count = len(children)
    if not children:
        return
    cw, ch = (W / count, H) if inc_x else ((W, H / count) if inc_y else (W, H))
    x = W - cw if inc_x == -1 else 0.0
    y = H - ch if inc_y == -1 else 0.0
    sizes = [
        (props.get(c.name, {}).get("w", cw), props.get(c.name, {}).get("h", ch)) for c in children
    ]
    total_w = sum(w for w, _ in sizes) + (count - 1) * space_w
    total_h = sum(h for _, h in sizes) + (count - 1) * space_h
    scale_w = W / total_w if inc_x and total_w > W else 1.0
    scale_h = H / total_h if inc_y and total_h > H else 1.0
    space_w, space_h = space_w * scale_w, space_h * scale_h
    for child, (w, h) in zip(children, sizes, strict=True):
        w, h = w * scale_w, h * scale_h
        child.w, child.h = w, h
        if inc_x:
            y = (H - h) / 2
        if inc_y:
            x = (W - w) / 2
        child.x, child.y = x, y
        x += inc_x * (w + space_w)
        y += inc_y * (h + space_h)
        if child.prst == "conn" or child.alg == "conn":
            child.rot = angle


def _snake_alg(shape: _EShape) -> None:
    """LibreOffice's ``snake``: the fewest rows whose cells are at least 0.54 as high as wide
    (or the children's ``ar``), from the ``grDir`` corner; a short last row starts half a
    pitch in."""
    children = shape.children
    if not children or not shape.w or not shape.h:
        return
    W, H = shape.w, shape.h  # noqa: N806
    space = next((c.fact for c in shape.constraints
                  if c.ref_type == "h" and c.type == "sp" and not c.for_name), 0.0)  # fmt: skip
    from_constraint = space != 0
    space = space or SNAKE_SPACE
    flow = shape.params.get("grDir", "tL")
    inc_x = -1 if flow in ("tR", "bR") else 1
    inc_y = -1 if flow in ("bL", "bR") else 1
    n = len(children)
    cols, rows = 1, 1
    child_ar = children[0].aspect
    if n <= child_ar:
        rows = n
    else:
        while rows < n:
            cols = -(-n // rows)
            if (H / cols) / (W / rows) >= SNAKE_RATIO:
                break
            rows += 1
    bw = W / (cols + (cols - 1) * space)
    bh = bw * SNAKE_RATIO
    if cols == 1 and rows > 1:
        spaces = -1 + (4 if from_constraint else 0)
        height = H / (rows + (rows + spaces) * space)
        if child_ar > 1:
            bw, bh = min(W, height * child_ar), height
    x = W - bw if inc_x == -1 else 0.0
    y = H - bh if inc_y == -1 else (bh * space * 2 if from_constraint else 0.0)
    start = x
    pitch_x, pitch_y = inc_x * bw * (1 + space), inc_y * bh * (1 + space)
    col = 0
    for i, child in enumerate(children, start=1):
        child.x, child.y, child.w, child.h = x, y, bw, bh
        last_row = i // cols + 1 == rows
        if i % cols == 0 or not last_row:
            x += pitch_x
        col += 1
        if col == cols:
            short = (i + 1) % cols and i + 1 >= 3 and (i + 1) // cols + 1 == rows
            x = start + pitch_x / 2 if short and n != rows * cols else start
            y += pitch_y
            col = 0
        if i % cols and i >= 3 and last_row:
            x += pitch_x


def _cycle_alg(shape: _EShape) -> None:
    """LibreOffice's ``cycle``: children a quarter of the box on a circle, connectors a
    twelfth on a smaller one, turned along."""
    children = list(shape.children)
    if not children:
        return
    W, H = shape.w, shape.h  # noqa: N806
    params = shape.params
    try:
        start = float(params.get("stAng", "0"))
        span = float(params.get("spanAng", "360"))
    except ValueError:
        start, span = 0.0, 360.0
    cw, ch = W / 4, H / 4
    radius = min((W - cw) / 2, (H - ch) / 2)
    if params.get("ctrShpMap") == "fNode":
        centre = children.pop(0)
        centre.x, centre.y, centre.w, centre.h = W / 2 - cw / 2, H / 2 - ch / 2, cw, ch
    n = len(children)
    if not n:
        return
    conn_radius = radius * math.cos(math.radians(span / n))
    for i, child in enumerate(children):
        angle = i * span / n + start
        w, h, r = cw, ch, radius
        is_conn = child.prst == "conn" or child.alg == "conn"
        if is_conn:
            w, h, r = W / 12, H / 12, conn_radius
        child.x = W / 2 + r * math.sin(math.radians(angle)) - w / 2
        child.y = H / 2 - r * math.cos(math.radians(angle)) - h / 2
        child.w, child.h = w, h
        if params.get("rotPath") == "alongPath":
            child.rot = angle
        if is_conn:
            child.rot = (0 if span > 0 else 180) + angle


def _composite(shape: _EShape) -> None:
    W, H = shape.w, shape.h  # noqa: N806
    offset = 0.0
    if shape.aspect == 1.0:  # square: as wide as high, centred
        offset = max(W - min(W, H), 0.0) / 2
    props: dict[str, dict[str, float]] = {
        "": {"w": W - 2 * offset, "h": H, "l": offset, "t": 0, "r": W - offset, "b": H}
    }
    for c in shape.constraints:
        _apply(c, props)
    low, high = math.inf, 0.0
    for child in shape.children:
        for c in shape.constraints:
            if c.for_name == child.name:
                _apply(c, props)
        w, h, x, y = W, H, 0.0, 0.0
        p = props.get(child.name)
        if p is not None:
            w = min(p["w"], W) if "w" in p else w
            h = min(p["h"], H) if "h" in p else h
            if "l" in p:
                x = p["l"]
            elif "ctrX" in p:
                x = p["ctrX"] - w / 2
            elif "r" in p:
                x = p["r"] - w
            if "t" in p:
                y = p["t"]
            elif "ctrY" in p:
                y = p["ctrY"] - h / 2
            elif "b" in p:
                y = p["b"] - h
            if "l" in p and "r" in p:
                w = p["r"] - p["l"]
            if "t" in p and "b" in p:
                h = p["b"] - p["t"]
            x += offset
            w, h = min(w, W - x), min(h, H - y)
        child.x, child.y, child.w, child.h = x, y, w, h
        low, high = min(low, y), max(high, y + h)
    if shape.children and low >= 0 and high <= H and H - (high - low) > 0:
        for child in shape.children:
            child.y += (H - (high - low)) / 2


def _hier(shape: _EShape) -> None:
    if not shape.children or not shape.w or not shape.h:
        return
    direction = _direction(shape)
    second = shape.params.get("secLinDir", "")
    children = shape.children
    count = len(children)
    if shape.alg == "hierChild":
        count = sum(1 for c in children if c.prst != "conn")
    if (
        shape.alg == "hierRoot"
        and count == 3
        and not _has_assistant(children[1])
        and _has_assistant(children[2])
    ):
        children[1], children[2] = children[2], children[1]
    across = 2 if second == "fromT" else (count if direction in ("fromL", "fromR") else 1)
    rows = max(shape.rows, 1)
    unit = shape.h / (rows + (rows - 1) * ROW_GAP)
    cw = shape.w / (across + (across - 1) * COL_GAP)
    x = y = 0.0
    if shape.alg == "hierChild" and across == 1:
        x = cw * INDENT
        cw *= 1 - 2 * INDENT
    row_h = 0.0
    for i, child in enumerate(children):
        child.x, child.y = x, y
        if shape.alg == "hierChild" and child.prst == "conn":
            child.w, child.h = 1, unit
            continue
        child.w, child.h = cw, unit * (child.rows + (child.rows - 1) * ROW_GAP)
        if direction in ("fromT", "fromB"):
            y += child.h + unit * ROW_GAP
        else:
            x += cw * (1 + COL_GAP)
        row_h = max(row_h, child.h)
        if second == "fromT" and i % 2 == 1:
            x, y, row_h = 0.0, y + row_h + unit * ROW_GAP, 0.0


_ALIGN = {"l": "l", "r": "r", "ctr": "ctr", "just": "just", "dist": "dist"}


def _tx(node: Node, params: dict[str, str], levels: list[int]) -> None:
    """LibreOffice's ``tx`` algorithm: outline levels from the data depth, bullets from
    ``stBulletLvl`` (default: below the top level), alignment by ``parTxLTRAlign`` or
    centred when nothing is bulleted, vertical anchor by ``txAnchorVert``."""
    node.levels = levels
    try:
        start = int(params.get("stBulletLvl", "2")) - 1
    except ValueError:
        start = 1
    node.bullets_from = start
    bulleted = any(level >= start for level in levels)
    align = _ALIGN.get(params.get("parTxLTRAlign", ""))
    node.align = align or (None if bulleted else "ctr")
    node.anchor = {"t": "t", "b": "b"}.get(params.get("txAnchorVert", ""), "ctr")


def _has_assistant(shape: _EShape) -> bool:
    return shape.asst or any(_has_assistant(c) for c in shape.children)


def _engine_shapes(
    tree: _Tree, data: etree._Element, layout: etree._Element, size: tuple[float, float]
) -> bool:
    """Lay the diagram out with LibreOffice's engine into ``tree``; False when it made no
    visible shape (no presentation points, say)."""
    engine = _Engine(data, layout)
    top = engine.create(layout, size)
    if top is None:
        return False
    _run(top)
    drawn = 0

    def draw(shape: _EShape, ox: float, oy: float) -> None:
        nonlocal drawn
        x, y = ox + shape.x, oy + shape.y
        paragraphs: list[etree._Element] = []
        depths: list[int] = []
        if shape.prst and shape.alg != "sp":
            for mid in shape.sources:
                if mid in engine.points:
                    found = _paragraphs(engine.points[mid])
                    paragraphs += found
                    depths += [engine.depth(mid)] * len(found)
        visible = not shape.hidden or paragraphs
        if shape.prst and shape.prst != "conn" and visible and shape.w > 0 < shape.h:
            style = (shape.style, shape.color_index) if shape.style else None
            node = Node(paragraphs, style=style)
            if shape.alg == "tx":
                _tx(node, shape.params, [d - min(depths) for d in depths])
            else:
                node.align = None
            cap = next((c.val for c in reversed(shape.constraints) if c.type == "primFontSz"
                        and c.val > 0), MAX_FONT)  # fmt: skip
            font = _font_for([node], shape.w, shape.h, cap)
            sp = tree.shape(shape.prst, x, y, shape.w, shape.h, node, font, rot=shape.rot)
            if shape.hidden:
                _hide_geometry(sp)
            drawn += 1
        for child in shape.children:
            draw(child, x, y)

    for child in top.children:
        draw(child, 0.0, 0.0)
    return drawn > 0


def _hide_geometry(sp: etree._Element) -> None:
    """No fill and no outline (``hideGeom``): only the text shows."""
    sp_pr = sp.find(P + "spPr")
    for tag in ("solidFill", "ln"):
        for el in sp_pr.findall(A + tag):
            sp_pr.remove(el)
    etree.SubElement(sp_pr, A + "noFill")
    etree.SubElement(etree.SubElement(sp_pr, A + "ln"), A + "noFill")
