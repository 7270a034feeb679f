"""Preview pictures of embedded (OLE) objects and other picture-only graphic frames.

An OLE object cannot be drawn without its application, but the deck keeps a
picture of it: ``p:oleObj/p:pic`` (2010+), a ``p:pic`` in the
``mc:Fallback`` of an ``mc:AlternateContent``, or, in 2007-era decks, the
``v:imagedata`` of the VML shape whose id is the object's ``spid`` in the
slide's legacy VML drawing part.
"""

from __future__ import annotations

from lxml import etree
from pptx.opc.package import Part

from .xml import MC, A, P, R

_VML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, recover=True
)
_V = "{urn:schemas-microsoft-com:vml}"
_O_RELID = "{urn:schemas-microsoft-com:office:office}relid"
_O_SPID = "{urn:schemas-microsoft-com:office:office}spid"


def preview(data: etree._Element, part: Part) -> tuple[etree._Element, Part] | None:
    """(a ``p:pic`` to draw, the part its ``r:embed`` belongs to), or None."""
    pics = [p for p in data.iter(P + "pic") if p.find(f"{P}blipFill/{A}blip") is not None]
    fallback = [p for p in pics if any(a.tag == MC + "Fallback" for a in p.iterancestors())]
    pic = (fallback or pics or [None])[0]
    if pic is not None:
        return pic, part
    ole = next(data.iter(P + "oleObj"), None)
    spid = ole.get("spid") if ole is not None else None
    return _vml_preview(spid, part) if spid else None


def _vml_preview(spid: str, part: Part) -> tuple[etree._Element, Part] | None:
    for rel in part.rels.values():
        if rel.is_external or not rel.reltype.endswith("/vmlDrawing"):
            continue
        try:
            vml_part = rel.target_part
            root = etree.fromstring(vml_part.blob, _VML_PARSER)
        except Exception:
            continue
        if root is None:
            continue
        for shape in root.iter(_V + "shape"):
            if (
                shape.get("id") != spid
                and shape.get("{urn:schemas-microsoft-com:office:office}spid") != spid
            ):
                continue
            image = shape.find(_V + "imagedata")
            rid = image.get(_O_RELID) if image is not None else None
            if rid:
                return _picture_element(rid), vml_part
    return None


def _picture_element(rid: str) -> etree._Element:
    pic = etree.Element(P + "pic")
    blip_fill = etree.SubElement(pic, P + "blipFill")
    etree.SubElement(blip_fill, A + "blip", {R + "embed": rid})
    etree.SubElement(pic, P + "spPr")
    return pic
