#!/usr/bin/env python3
"""Build a long real deck from a corpus deck: its slides repeated up to N slides.

    .venv/bin/python bench/big_deck.py OUT.pptx [--slides 336] [--deck decks/poi/X.pptx]

Issue 9 measured a real 336-slide, 10 MB deck at 1.7 GB in the worker; this
rebuilds a deck of that shape from the corpus so the memory bound can be
checked by anyone. The copies are made at the zip level (slide XML and its
relationships copied under new names, listed in ``presentation.xml``, its
relationships and the content types), so every copy keeps the source's
layouts, charts and pictures. Each copy also gets its own copy of each
picture, made distinct by a trailing byte (after a PNG's ``IEND`` or a
JPEG's end-of-image marker, where readers ignore it): a renderer cannot
share one embedded picture across the repeats, as it would not in a deck of
336 different slides. Notes and comments are dropped from the copies
(a notes slide belongs to exactly one slide).
"""

from __future__ import annotations

import argparse
import io
import posixpath
import re
import zipfile
from pathlib import Path

from lxml import etree

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DEFAULT_DECK = "decks/poi/ca.ubc.cs.people__emhill_presentations_HowWeRefactor.pptx"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
SLIDE_RT = R_NS + "/slide"
SLIDE_CT = "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"
_DROPPED = ("/notesSlide", "/comments")
_PICTURE = re.compile(r"\.(png|jpe?g|gif|bmp|tiff?)$", re.IGNORECASE)


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def build_big_deck(source: Path, slides: int) -> bytes:
    """The deck at ``source`` with its slides repeated, in order, up to ``slides``."""
    with zipfile.ZipFile(source) as zf:
        files = {info.filename: zf.read(info) for info in zf.infolist()}
    pres_rels = etree.fromstring(files["ppt/_rels/presentation.xml.rels"])
    pres = etree.fromstring(files["ppt/presentation.xml"])
    types = etree.fromstring(files["[Content_Types].xml"])
    id_list = pres.find(f"{{{P_NS}}}sldIdLst")
    by_id = {rel.get("Id"): rel for rel in pres_rels}
    originals = [
        "ppt/" + by_id[sld.get(f"{{{R_NS}}}id")].get("Target").lstrip("/").removeprefix("ppt/")
        for sld in id_list
    ]
    next_slide_id = max(int(s.get("id")) for s in id_list) + 1
    next_rel = len(pres_rels) + 1
    copy = 0
    while len(id_list) < slides:
        copy += 1
        for original in originals:
            if len(id_list) >= slides:
                break
            name = f"ppt/slides/slide_copy{copy}_{posixpath.basename(original)}"
            files[name] = files[original]
            rels = etree.fromstring(files.get(_rels_path(original), _EMPTY_RELS))
            for rel in list(rels):
                target = rel.get("Target", "")
                if rel.get("Type", "").endswith(_DROPPED):
                    rels.remove(rel)
                elif _PICTURE.search(target) and rel.get("TargetMode") != "External":
                    media = posixpath.normpath(posixpath.join("ppt/slides", target))
                    if media in files:
                        new_media = f"{posixpath.splitext(media)[0]}_c{copy}" + (
                            posixpath.splitext(media)[1]
                        )
                        files[new_media] = files[media] + bytes([copy % 251])
                        rel.set("Target", "../media/" + posixpath.basename(new_media))
            files[_rels_path(name)] = etree.tostring(rels, xml_declaration=True,
                                                     encoding="UTF-8", standalone=True)
            rel_id = f"rIdBig{next_rel}"
            next_rel += 1
            etree.SubElement(pres_rels, f"{{{PKG_RELS}}}Relationship",
                             Id=rel_id, Type=SLIDE_RT, Target=name.removeprefix("ppt/"))
            sld = etree.SubElement(id_list, f"{{{P_NS}}}sldId", id=str(next_slide_id))
            sld.set(f"{{{R_NS}}}id", rel_id)
            next_slide_id += 1
            etree.SubElement(types, f"{{{CT_NS}}}Override", PartName="/" + name,
                             ContentType=SLIDE_CT)
    files["ppt/_rels/presentation.xml.rels"] = etree.tostring(pres_rels, xml_declaration=True,
                                                              encoding="UTF-8", standalone=True)
    files["ppt/presentation.xml"] = etree.tostring(pres, xml_declaration=True,
                                                   encoding="UTF-8", standalone=True)
    files["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True,
                                                  encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return out.getvalue()


_EMPTY_RELS = f'<Relationships xmlns="{PKG_RELS}"/>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--slides", type=int, default=336)
    parser.add_argument("--deck", default=DEFAULT_DECK, help="path under the corpus")
    args = parser.parse_args()
    data = build_big_deck(CORPUS / args.deck, args.slides)
    args.out.write_bytes(data)
    print(f"{args.out}: {args.slides} slides, {len(data):,} bytes")


if __name__ == "__main__":
    main()
