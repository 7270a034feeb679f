"""The draw-item model: what the resolver hands the painter.

Everything here is fully resolved (points, RGB in 0..1, font sizes in pt) so
the painter never needs the deck's XML, and the resolver never needs to know
how a PDF is drawn. Coordinates are slide coordinates in points with the
origin at the top-left corner and y growing downwards, as in PowerPoint; the
painter converts to PDF space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class RenderWarning:
    """Something the renderer could not draw faithfully; ``slide`` is 1-based."""

    code: str
    message: str
    slide: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "slide": self.slide}


@dataclass(frozen=True)
class Box:
    """A shape's frame: top-left corner, size, clockwise rotation in degrees, flips."""

    x: float
    y: float
    w: float
    h: float
    rot: float = 0.0
    flip_h: bool = False
    flip_v: bool = False

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True)
class Gradient:
    """A gradient fill. ``stops`` are (position 0..1, RGB, alpha) in order.

    ``kind`` is ``linear`` (colour changes along ``angle``, degrees clockwise
    from the x axis; ``scaled`` stretches the angle with the box) or a path
    gradient ``circle``/``rect``/``shape`` growing outwards from ``focus``
    (left, top, right, bottom insets of the focus rectangle, box fractions).
    """

    stops: tuple[tuple[float, RGB, float], ...]
    kind: str = "linear"
    angle: float = 90.0
    scaled: bool = False
    focus: tuple[float, float, float, float] = (0.5, 0.5, 0.5, 0.5)


@dataclass(frozen=True)
class Fill:
    """A fill: ``color`` always holds a representative solid colour; a
    gradient or picture, when present, is what is drawn.

    ``image_rect`` is the stretch rectangle (left, top, right, bottom insets,
    box fractions; negative values reach outside); ``image_crop`` the source
    crop. ``image_tile`` repeats the picture at ``tile_scale`` (sx, sy) of
    its natural size ``image_size`` (points, from the picture's dpi), from
    the ``tile_align`` corner shifted by ``tile_offset``. ``pattern`` names a preset
    pattern (``a:pattFill``) drawn in ``pattern_colors`` (foreground,
    background); ``color`` is then their blend.
    """

    color: RGB
    alpha: float = 1.0
    gradient: Gradient | None = None
    image: bytes | None = None
    image_rect: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    image_crop: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    image_tile: bool = False
    tile_scale: tuple[float, float] = (1.0, 1.0)
    image_size: tuple[float, float] = (0.0, 0.0)
    tile_offset: tuple[float, float] = (0.0, 0.0)  # tile fractions (see ``fills.tile_layout``)
    tile_align: str = "tl"
    pattern: str = ""
    pattern_colors: tuple[RGB, RGB] | None = None


@dataclass(frozen=True)
class Arrow:
    """A line end: ``kind`` triangle/stealth/diamond/oval/arrow; ``width`` and
    ``length`` are sm/med/lg, as multiples of the line width."""

    kind: str
    width: str = "med"
    length: str = "med"


@dataclass(frozen=True)
class Stroke:
    """An outline. ``dash`` is an on/off pattern in multiples of ``width``
    (empty = solid); ``cap`` flat/rnd/sq; ``join`` round/bevel/miter;
    ``head``/``tail`` decorate the first/last point of open paths."""

    color: RGB
    width: float = 0.75
    alpha: float = 1.0
    dashed: bool = False
    dash: tuple[float, ...] = ()
    cap: str = "flat"
    join: str = "round"
    head: Arrow | None = None
    tail: Arrow | None = None
    compound: str = "sng"


@dataclass(frozen=True)
class Shadow:
    """An outer shadow: the shape's silhouette offset by (dx, dy) points."""

    color: RGB
    alpha: float = 0.35
    dx: float = 0.0
    dy: float = 0.0
    blur: float = 0.0


PathOp = tuple[str, tuple[float, ...]]
"""A path command: ``("M", (x, y))``, ``("L", (x, y))``, ``("C", (x1, y1, x2, y2, x, y))``
or ``("Z", ())``, with coordinates as fractions of the shape's box."""


@dataclass(frozen=True)
class SubPath:
    """One path of a geometry. ``fill`` is ``norm``, ``none`` or a shading mode
    (``darken``, ``darkenLess``, ``lighten``, ``lightenLess``); ``stroke`` says
    whether its outline is drawn."""

    ops: tuple[PathOp, ...]
    fill: str = "norm"
    stroke: bool = True


@dataclass(frozen=True)
class ShapeItem:
    """A filled and/or stroked primitive: ``rect``, ``roundRect``, ``ellipse``,
    ``line`` (from the box's top-left to bottom-right corner) or ``path``.

    ``corner`` is the rounded-corner radius as a fraction of the shorter side;
    ``path`` holds the outline for kind ``path``.
    """

    kind: str
    box: Box
    fill: Fill | None = None
    stroke: Stroke | None = None
    corner: float = 0.0
    path: tuple[PathOp, ...] = ()
    subpaths: tuple[SubPath, ...] = ()  # kind ``path`` with several parts (wins over ``path``)
    shadow: Shadow | None = None


@dataclass(frozen=True)
class ImageItem:
    """A raster image stretched into ``box``.

    ``crop`` is (left, top, right, bottom) as fractions of the image to cut
    away (negative values pad, as ``a:srcRect`` allows). ``data`` holds the
    encoded bytes exactly as stored in the deck.
    """

    box: Box
    data: bytes
    crop: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    alpha: float = 1.0


@dataclass(frozen=True)
class TextRun:
    text: str
    font: str  # a logical typeface name; fonts.py maps it to a PDF font
    size: float
    bold: bool = False
    italic: bool = False
    underline: bool = False
    color: RGB = (0.0, 0.0, 0.0)
    strike: bool = False
    baseline: float = 0.0  # superscript (> 0) / subscript (< 0) offset, fraction of size
    highlight: RGB | None = None
    spacing: float = 0.0  # extra space after each character, pt
    link: str | None = None  # external hyperlink target
    font_ea: str = ""  # typeface for East Asian characters ("" = as ``font``)
    font_cs: str = ""  # typeface for complex-script (Arabic, Hebrew...) characters


@dataclass(frozen=True)
class Bullet:
    text: str
    font: str
    size: float
    color: RGB


@dataclass(frozen=True)
class Paragraph:
    """One paragraph; ``line_spacing`` is a multiple of the single line height
    unless ``line_spacing_pt`` gives an exact height. ``indent`` is the
    first-line offset relative to ``margin_left`` (negative = hanging)."""

    runs: tuple[TextRun, ...]
    align: str = "l"  # l, ctr, r
    line_spacing: float = 1.0
    line_spacing_pt: float | None = None
    space_before: float = 0.0
    space_after: float = 0.0
    margin_left: float = 0.0
    indent: float = 0.0
    bullet: Bullet | None = None
    empty_size: float = 18.0  # height of a paragraph with no runs
    rtl: bool = False  # right-to-left paragraph (runs are reordered for display)
    tab_stops: tuple[float, ...] = ()  # explicit tab positions, pt from the text's left edge
    default_tab: float = 72.0  # spacing of the implicit tab stops after the explicit ones


@dataclass(frozen=True)
class TextItem:
    """A text frame laid out by the painter inside ``box`` minus ``insets``
    (left, top, right, bottom)."""

    box: Box
    paragraphs: tuple[Paragraph, ...]
    insets: tuple[float, float, float, float] = (7.2, 3.6, 7.2, 3.6)
    anchor: str = "t"  # t, ctr, b
    wrap: bool = True
    # normAutofit: the largest font scale (0..1) the painter may use; it
    # shrinks text and spacing further until the text fits. 0 = no autofit.
    shrink: float = 0.0
    # spAutoFit: the shape grows around its text (an unwrapped line grows both ways).
    grow: bool = False
    # Lines as tall as their fonts' ascent + descent (LibreOffice's table cells)
    # instead of the font-independent 1.2 x size of text boxes and placeholders.
    font_line_height: bool = False
    # bodyPr numCol / spcCol: text flows down column after column, ``column_gap``
    # points apart.
    columns: int = 1
    column_gap: float = 0.0


DrawItem = ShapeItem | ImageItem | TextItem


@dataclass(frozen=True)
class Background:
    """A page background: a colour, and optionally an image stretched over the page."""

    color: RGB = (1.0, 1.0, 1.0)
    image: bytes | None = None
    fill: Fill | None = None  # a gradient or tiled picture, drawn instead of color/image


@dataclass(frozen=True)
class Page:
    """One resolved slide, ready to paint."""

    width: float
    height: float
    background: Background = field(default_factory=Background)
    items: tuple[DrawItem, ...] = ()
