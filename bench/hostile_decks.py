#!/usr/bin/env python3
"""Hostile decks, built on demand: one function per deck, each returning the
``.pptx`` bytes. Used by ``tests/test_render_limits.py``, ``render_memory.py``
and the chaos campaign (issue 9); nothing here is stored in the repository.

    .venv/bin/python bench/hostile_decks.py OUT_DIR        # write every deck there

Each deck is a real one-slide package (python-pptx's default template) whose
slide XML, relationships or media are replaced at the zip level, so it passes
the upload checks (a zip holding ``ppt/presentation.xml``) and reaches the
renderer. What each one attacks:

- ``zeros_media``: a media part that inflates to just under a gigabyte of
  zeros (1 MB in the zip), shown as a picture;
- ``huge_png`` / ``huge_jpeg``: pictures whose headers declare 50000x50000 px;
- ``many_shapes``: 90,000 or 200,000 rectangles (on one slide, or spread);
- ``deep_groups``: groups nested 300 deep;
- ``bloated_layouts``: layouts padded to 36 MB of XML elements in all;
- ``xxe_file`` / ``xxe_network``: external entities naming a local file or a
  URL; ``billion_laughs``: nested entity expansion;
- ``external_relationships``: a picture linked to a URL, and relationships
  pointing out of the package (``../../../etc/passwd``, an absolute path);
- ``long_deck``: 336 slides built from a corpus deck (``big_deck.py``);
- ``photo_deck`` (in ``MEMORY_DECKS``, not hostile): 60 slides each with its
  own 1.2 MB photo (a 75 MB deck, within the service's upload limit), whose
  PDF is as large as the deck.

``SECRET_FILE`` is a file the XXE decks name; a test writes a marker into it
and checks that the marker never reaches the PDF.
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

ZIP_BOMB_LIMIT = 1 << 30  # RenderOptions.max_uncompressed_bytes
SECRET_FILE = "/tmp/deckpipe-hostile-secret.txt"
SLIDE = "ppt/slides/slide1.xml"
SLIDE_RELS = "ppt/slides/_rels/slide1.xml.rels"
_NS = (
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
)
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_LAYOUT_REL = (
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/slideLayout" Target="../slideLayouts/slideLayout7.xml"/>'
)
_IMAGE_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def _base_deck(slides: int = 1) -> dict[str, bytes]:
    """The members of a python-pptx default deck with ``slides`` blank slides."""
    from pptx import Presentation

    prs = Presentation()
    for _ in range(slides):
        prs.slides.add_slide(prs.slide_layouts[6])
    out = io.BytesIO()
    prs.save(out)
    with zipfile.ZipFile(out) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _slide_xml(shapes: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f"<p:sld {_NS}><p:cSld><p:spTree>"
        '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
        '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
        '<a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>'
        f"{shapes}</p:spTree></p:cSld></p:sld>"
    ).encode()


def _rels(*extra: str) -> bytes:
    body = "".join((_LAYOUT_REL, *extra))
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS_NS}">{body}' \
        "</Relationships>".encode()


def _zip(members: dict[str, bytes], big: tuple[str, int] | None = None) -> bytes:
    """The package; ``big`` = (name, size) adds a member of that many zeros,
    streamed into the zip so building it never holds the zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
        if big is not None:
            name, size = big
            chunk = bytes(1 << 20)
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as sink:
                left = size
                while left:
                    sink.write(chunk[: min(left, len(chunk))])
                    left -= min(left, len(chunk))
    return out.getvalue()


def _rect(n: int, x: int = 0, y: int = 0, text: str = "") -> str:
    body = (
        f"<p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody>"
        if text
        else ""
    )
    return (
        f'<p:sp><p:nvSpPr><p:cNvPr id="{n + 2}" name="R{n}"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
        f'<p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="914400" cy="457200"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        '<a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></p:spPr>'
        f"{body}</p:sp>"
    )


def _picture(rid: str) -> str:
    return (
        '<p:pic><p:nvPicPr><p:cNvPr id="2" name="Picture"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr>'
        f'<p:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></p:blipFill>'
        '<p:spPr><a:xfrm><a:off x="914400" y="914400"/><a:ext cx="3657600" cy="2743200"/>'
        '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>'
    )


def _with_slide(
    shapes: str, *rels: str, doctype: str = "", media: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    members = _base_deck()
    members[SLIDE] = _slide_xml(shapes, doctype)
    members[SLIDE_RELS] = _rels(*rels)
    members.update(media or {})
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"<Default ",
        b'<Default Extension="png" ContentType="image/png"/>'
        b'<Default Extension="jpeg" ContentType="image/jpeg"/><Default ',
        1,
    )
    return members


def _image_rel(rid: str, target: str, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{_IMAGE_RT}" Target="{target}"{mode}/>'


# -- the decks --------------------------------------------------------------------


def zeros_media(size: int = ZIP_BOMB_LIMIT - (1 << 20)) -> bytes:
    """A picture part that inflates to ``size`` zero bytes (default: just under
    the whole package's limit)."""
    members = _with_slide(_picture("rId2"), _image_rel("rId2", "../media/zeros.png"))
    return _zip(members, big=("ppt/media/zeros.png", size))


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # RGBA
    pixels = zlib.compress(b"\x00" * (1 + 4 * min(width, 64)), 9)  # one short row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b""
    )


def huge_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` RGBA pixels."""
    members = _with_slide(
        _picture("rId2"),
        _image_rel("rId2", "../media/huge.png"),
        media={"ppt/media/huge.png": _png_header(width, height)},
    )
    return _zip(members)


def huge_jpeg(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small real JPEG whose frame header is patched to ``width`` x ``height``."""
    import struct

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 40)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    members = _with_slide(
        _picture("rId2"),
        _image_rel("rId2", "../media/huge.jpeg"),
        media={"ppt/media/huge.jpeg": bytes(data)},
    )
    return _zip(members)


def many_shapes(count: int = 90_000, per_slide: int | None = None) -> bytes:
    """``count`` rectangles, all on one slide or ``per_slide`` to a slide."""
    per_slide = per_slide or count
    slides = -(-count // per_slide)
    members = _base_deck(slides)
    for index in range(slides):
        n = min(per_slide, count - index * per_slide)
        shapes = "".join(_rect(i, (i % 40) * 200000, (i // 40 % 40) * 150000) for i in range(n))
        members[f"ppt/slides/slide{index + 1}.xml"] = _slide_xml(shapes)
    return _zip(members)


def deep_groups(depth: int = 300) -> bytes:
    """A rectangle inside ``depth`` nested groups."""
    open_group = (
        '<p:grpSp><p:nvGrpSpPr><p:cNvPr id="3" name="G"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
        '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="9144000" cy="6858000"/>'
        '<a:chOff x="0" y="0"/><a:chExt cx="9144000" cy="6858000"/></a:xfrm></p:grpSpPr>'
    )
    shapes = open_group * depth + _rect(1, 914400, 914400, "deep") + "</p:grpSp>" * depth
    return _zip(_with_slide(shapes))


def _entity_slide(entity: str, name: str) -> bytes:
    doctype = f"<!DOCTYPE p:sld [{entity}]>"
    return _zip(_with_slide(_rect(1, 914400, 914400, f"before &{name}; after"), doctype=doctype))


def xxe_file(path: str = SECRET_FILE) -> bytes:
    """Text that names an external entity reading a local file."""
    return _entity_slide(f'<!ENTITY secret SYSTEM "file://{path}">', "secret")


def xxe_network(url: str = "http://127.0.0.1:9/deckpipe-xxe") -> bytes:
    """Text that names an external entity fetched over the network (loopback only)."""
    return _entity_slide(f'<!ENTITY remote SYSTEM "{url}">', "remote")


def billion_laughs(levels: int = 10) -> bytes:
    """Ten levels of ten-fold entity expansion (10^10 "lol"s if expanded)."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return _entity_slide("".join(entities), f"lol{levels - 1}")


def bloated_layouts(count: int = 3, size: int = 12 << 20) -> bytes:
    """``count`` slide layouts each padded with ``size`` bytes of empty extension
    elements: every part under the per-part limit, together millions of elements
    that python-pptx would parse when the deck is opened."""
    members = _base_deck()
    padding = b'<p:ext uri="x"/>' * (size // 16)
    for n in range(1, count + 1):
        name = f"ppt/slideLayouts/slideLayout{n}.xml"
        members[name] = members[name].replace(
            b"</p:sldLayout>", b"<p:extLst>" + padding + b"</p:extLst></p:sldLayout>"
        )
    return _zip(members)


def external_relationships() -> bytes:
    """A linked picture (a URL, external) and three relationships leaving the
    package: a relative path climbing out of it, an absolute path, a URL-ish
    internal target."""
    shapes = _picture("rId2") + _picture("rId3").replace('id="2"', 'id="3"') + _picture(
        "rId4"
    ).replace('id="2"', 'id="4"') + _picture("rId5").replace('id="2"', 'id="5"')
    return _zip(
        _with_slide(
            shapes,
            _image_rel("rId2", "http://127.0.0.1:9/picture.png", external=True),
            _image_rel("rId3", "../../../../../../etc/passwd"),
            _image_rel("rId4", "/etc/hostname"),
            _image_rel("rId5", "file:///etc/passwd"),
        )
    )


def one_slide() -> bytes:
    """Not hostile: the one-slide reference deck memory ratios are taken against."""
    from pptx import Presentation

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = "One slide"
    slide.placeholders[1].text = "The reference for memory ratios"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def photo_deck(slides: int = 60, size: tuple[int, int] = (1400, 1000)) -> bytes:
    """``slides`` slides, each with a distinct photo-like JPEG (random pixels, so
    neither the zip nor the PDF can shrink them)."""
    import os

    from PIL import Image
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    for _ in range(slides):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        pixels = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        picture = io.BytesIO()
        pixels.save(picture, "JPEG", quality=90)
        picture.seek(0)
        slide.shapes.add_picture(picture, Inches(0.5), Inches(0.5), Inches(9), Inches(6.4))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def long_deck(slides: int = 336) -> bytes:
    """A real corpus deck's slides repeated to ``slides`` slides (``big_deck.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from big_deck import CORPUS, DEFAULT_DECK, build_big_deck

    return build_big_deck(CORPUS / DEFAULT_DECK, slides)


HOSTILE_DECKS: dict[str, Callable[[], bytes]] = {
    "zeros_media": zeros_media,
    "huge_png": huge_png,
    "huge_jpeg": huge_jpeg,
    "shapes_90k": lambda: many_shapes(90_000),
    "shapes_200k": lambda: many_shapes(200_000),
    "shapes_90k_spread": lambda: many_shapes(90_000, per_slide=1_000),
    "deep_groups": deep_groups,
    "bloated_layouts": bloated_layouts,
    "xxe_file": xxe_file,
    "xxe_network": xxe_network,
    "billion_laughs": billion_laughs,
    "external_relationships": external_relationships,
    "long_deck": long_deck,
}
# Not hostile, but a memory case: measured by render_memory.py beside the above.
# (75 MB: over the test stacks' upload limit, so it is not in the campaign's list.)
MEMORY_DECKS: dict[str, Callable[[], bytes]] = {"photo_deck": photo_deck}


def main() -> None:
    """``hostile_decks.py OUT_DIR [NAME...]``: write the named decks (default all;
    ``one_slide`` is the reference deck)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/hostile-decks")
    out.mkdir(parents=True, exist_ok=True)
    builders = {"one_slide": one_slide, **HOSTILE_DECKS, **MEMORY_DECKS}
    for name in sys.argv[2:] or list(HOSTILE_DECKS):
        data = builders[name]()
        (out / f"{name}.pptx").write_bytes(data)
        print(f"{name}.pptx\t{len(data):,} bytes")


if __name__ == "__main__":
    main()
