"""The painter: draws resolved ``Page``s on a reportlab canvas.

It knows nothing about decks. Each item is drawn in its own local frame:
the origin moved to the box centre, rotated clockwise by the box rotation
and flipped as the box says (text is never mirrored). PDF's y axis points
up, so slide y becomes ``height - y``. Text layout (wrapping, alignment,
anchoring) happens here because it needs font metrics.
"""

from __future__ import annotations

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from . import images, metafile
from .model import (
    Box,
    DrawItem,
    ImageItem,
    Page,
    RenderWarning,
    ShapeItem,
    TextItem,
)
from .paint_shapes import ShapeDrawer
from .paint_text import TextPainter

# Binary streams (pages, forms, fonts): ASCII85 only inflates the PDF, and
# reportlab's pure-Python encoder is slow.
rl_config.useA85 = 0


class Painter:
    """Paints pages onto one canvas; each distinct picture is embedded once."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        # Keyed by a digest of the picture's bytes, not the bytes: the pictures of
        # a long deck must not all stay in memory until the PDF is written.
        self._images: dict[bytes, str] = {}  # picture digest -> XObject name
        self._sizes: dict[bytes, tuple[float, float]] = {}  # picture digest -> size in pt
        self._text = TextPainter(canvas)
        self._shapes = ShapeDrawer(canvas, self._image_form, self._image_size)
        self._picture_warnings: list[RenderWarning] = []  # from metafiles, once each

    def paint(self, page: Page) -> list[RenderWarning]:
        """Draw one page and finish it; returns problems (without slide numbers)."""
        c = self.canvas
        c.setPageSize((page.width, page.height))
        self._text.glyphs_missing = False
        problems: list[RenderWarning] = []
        self._background(page, problems)
        for item in page.items:
            c.saveState()
            try:
                self._item(item, page.height)
            except Exception as exc:
                problems.append(
                    RenderWarning(
                        "picture_unreadable" if isinstance(item, ImageItem) else "shape_skipped",
                        f"A {type(item).__name__} could not be painted: "
                        f"{type(exc).__name__}: {exc}",
                    )
                )
            finally:
                c.restoreState()
        problems += self._text.take_warnings()  # missing glyphs, substituted typefaces
        problems += self._picture_warnings
        self._picture_warnings = []
        c.showPage()
        return problems

    # -- helpers --------------------------------------------------------------

    def _background(self, page: Page, problems: list[RenderWarning]) -> None:
        c = self.canvas
        c.setFillColorRGB(*page.background.color)
        c.rect(0, 0, page.width, page.height, stroke=0, fill=1)
        if page.background.fill is not None:
            c.saveState()
            c.translate(page.width / 2, page.height / 2)
            bg = ShapeItem("rect", Box(0, 0, page.width, page.height), page.background.fill)
            try:
                self._shapes.draw(bg)
            except Exception as exc:
                problems.append(RenderWarning("background_skipped", f"Background fill: {exc}"))
            c.restoreState()
        elif page.background.image:
            try:
                form = self._image_form(page.background.image)
                c.saveState()
                c.scale(page.width, page.height)
                c.doForm(form)
                c.restoreState()
            except Exception as exc:
                problems.append(RenderWarning("picture_unreadable", f"Background image: {exc}"))

    def _image_form(self, data: bytes) -> str:
        """The name of a form XObject drawing the picture in the unit square.

        Made once per distinct picture (a logo repeated on every slide is one
        stream); ``images.encode`` does the least work its format allows.
        """
        key = images.picture_key(data)
        name = self._images.get(key)
        if name is None:
            name = f"img{len(self._images)}"
            if metafile.kind(data):  # EMF/WMF: drawn as vectors (see ``metafile``)
                self._images[key] = name  # reserved: the bitmaps inside get forms of their own
                found = metafile.register_form(self.canvas, name + "i", data, self._image_form)
                self._picture_warnings += [RenderWarning(*w) for w in found]
            else:
                _register_image(self.canvas, name + "i", images.encode(data))
            # The image inside a unit-square form: the form's bounding box clips
            # the image edges to the same pixels LibreOffice covers.
            c = self.canvas
            c.beginForm(name, 0, 0, 1, 1)
            c.doForm(name + "i")
            c.endForm()
            self._images[key] = name
        return name

    def _image_size(self, data: bytes) -> tuple[float, float]:
        """A picture's natural size in points (pixels at 96 dpi), for tiling."""
        key = images.picture_key(data)
        if key not in self._sizes:
            px_w, px_h = images.natural_size(data)
            self._sizes[key] = (px_w * 0.75, px_h * 0.75)
        return self._sizes[key]

    def _enter(self, box: Box, page_height: float, mirror: bool = True) -> None:
        c = self.canvas
        c.translate(box.cx, page_height - box.cy)
        if box.rot:
            c.rotate(-box.rot)
        if mirror and (box.flip_h or box.flip_v):
            c.scale(-1 if box.flip_h else 1, -1 if box.flip_v else 1)

    def _item(self, item: DrawItem, page_height: float) -> None:
        if isinstance(item, ShapeItem):
            self._enter(item.box, page_height)
            self._shape(item)
        elif isinstance(item, ImageItem):
            self._enter(item.box, page_height)
            self._image(item)
        elif isinstance(item, TextItem):
            self._enter(item.box, page_height, mirror=False)
            self._text.draw(item)

    # -- shapes and images ---------------------------------------------------------

    def _shape(self, item: ShapeItem) -> None:
        """Shadow, fill and outline of every sub-path (see ``paint_shapes``)."""
        if item.fill is None and item.stroke is None:
            return
        self._shapes.draw(item)

    def _image(self, item: ImageItem) -> None:
        c = self.canvas
        w, h = item.box.w, item.box.h
        left, top, right, bottom = item.crop
        show_w, show_h = 1 - left - right, 1 - top - bottom
        if show_w <= 0.001 or show_h <= 0.001 or w <= 0 or h <= 0:
            return
        form = self._image_form(item.data)
        full_w, full_h = w / show_w, h / show_h
        x = -w / 2 - left * full_w
        y = h / 2 + top * full_h - full_h
        if any(item.crop):
            clip = c.beginPath()
            clip.rect(-w / 2, -h / 2, w, h)
            c.clipPath(clip, stroke=0, fill=0)
        if item.alpha < 1:
            c.setFillAlpha(item.alpha)
        c.translate(x, y)
        c.scale(full_w, full_h)
        c.doForm(form)


class _ImageXObject(pdfdoc.PDFObject):
    """A PDF image XObject for a ``Raster``: its stream goes in unchanged."""

    def __init__(self, raster: images.Raster, smask: pdfdoc.PDFObjectReference | None) -> None:
        self.raster = raster
        self.smask = smask

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        r = self.raster
        stream = pdfdoc.PDFStream(content=r.data)
        d = stream.dictionary
        d["Type"] = pdfdoc.PDFName("XObject")
        d["Subtype"] = pdfdoc.PDFName("Image")
        d["Width"] = r.width
        d["Height"] = r.height
        d["BitsPerComponent"] = r.bits
        space = pdfdoc.PDFName(r.color_space)
        if r.palette:
            lookup = _Literal(b"<" + r.palette.hex().encode() + b">")
            space = pdfdoc.PDFArray(
                [pdfdoc.PDFName("Indexed"), space, len(r.palette) // 3 - 1, lookup]
            )
        d["ColorSpace"] = space
        d["Filter"] = pdfdoc.PDFName(r.filter)  # a name: an array would need DecodeParms in one
        if r.predictor_colors:
            d["DecodeParms"] = pdfdoc.PDFDictionary(
                {"Predictor": 15, "Colors": r.predictor_colors,
                 "BitsPerComponent": r.bits, "Columns": r.width}
            )
        if r.invert:
            d["Decode"] = pdfdoc.PDFArray([1, 0] * 4)
        if self.smask is not None:
            d["SMask"] = self.smask
        return stream.format(document)


class _Literal(pdfdoc.PDFObject):
    """Bytes written into the PDF as they are (a hex string)."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        return self.text


def _register_image(canvas: Canvas, name: str, raster: images.Raster) -> None:
    """Add the image (and its soft mask) to the document under XObject ``name``,
    so ``canvas.doForm(name)`` draws it, like a form, in the unit square."""
    doc = canvas._doc
    smask = None
    if raster.smask is not None:
        mask = _ImageXObject(raster.smask, None)
        smask = doc.Reference(mask, pdfdoc.xObjectName(name + "m"))
    doc.Reference(_ImageXObject(raster, smask), pdfdoc.xObjectName(name))
