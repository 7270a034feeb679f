"""Open a package for python-pptx without holding all of it in memory.

python-pptx's own loader inflates every zip member into bytes and parses every
XML part into an lxml tree when the deck is opened: a 336-slide deck with a
1.7 MB slide repeated took 1.4 GB before the first page was drawn, and a
gigabyte run of zeros stored as a media file was a gigabyte in memory. Here
the same python-pptx objects are built, but:

- slides, notes slides and charts are parsed only when they are used, and
  ``release`` drops the tree again once the slide is drawn, so memory stays
  flat in the number of slides;
- binary parts over ``EAGER_BYTES`` (pictures, media, embedded files) stay in
  the zip and are inflated each time ``part.blob`` is read, after checking
  their declared size against the per-part budget (zipfile never inflates a
  member past its declared size, so the check is real);
- a slide's shapes are counted in its raw XML before it is parsed, so a slide
  of 200,000 shapes is refused before it costs a tree;
- XML is parsed without entity expansion or network access (python-pptx's own
  parser settings), and a part with a small syntax error is parsed again in
  lxml's recovery mode; the package records what was recovered
  (``problems``) so the report can say so. Nesting deeper than libxml2's
  limit is a resource bound (``too_complex``), never "recovered".

Only members named by the package's relationships are parts: external and
out-of-package targets are never read (python-pptx's own rule).

This relies on python-pptx 1.0's loader classes (``_PackageLoader``), pinned
in ``pyproject.toml``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from lxml import etree
from pptx.opc.package import Part, PartFactory, XmlPart, _PackageLoader
from pptx.opc.packuri import PackURI
from pptx.oxml import element_class_lookup, oxml_parser
from pptx.package import Package
from pptx.parts.chart import ChartPart
from pptx.parts.slide import NotesSlidePart, SlidePart
from pptx.presentation import Presentation

from ..errors import DeckError

EAGER_BYTES = 256 * 1024  # binary parts up to this size are simply kept in memory
_LAZY_XML = (SlidePart, NotesSlidePart, ChartPart)
_CACHED = ("slide", "notes_slide", "chart", "chart_workbook")  # python-pptx lazyproperties
_SHAPE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:sp|pic|graphicFrame|grpSp|cxnSp|contentPart)[\s/>]"
)
_RECOVER = etree.XMLParser(
    remove_blank_text=True, resolve_entities=False, no_network=True, recover=True
)
_RECOVER.set_element_class_lookup(element_class_lookup)


@dataclass(frozen=True)
class Budget:
    """Per-part bounds: bytes of one inflated part, shapes on one slide, tags in
    one XML part; and tags in all the XML parsed when the deck is opened and
    kept (masters, layouts, relationships). lxml holds about 370 bytes per
    element, so tags, not bytes, bound a tree: the corpus's largest part has
    118,000 and its largest deck 83,000 parsed at opening."""

    max_part_bytes: int = 64 << 20
    max_xml_part_bytes: int = 16 << 20
    max_slide_shapes: int = 20_000
    max_part_tags: int = 300_000
    max_eager_tags: int = 250_000


class PartTooLarge(DeckError):
    """A part whose inflated size is over its budget: a picture reading it is
    skipped with a warning, a slide or master reading it stops the deck."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="too_complex")


class _Reader:
    """python-pptx's ``PackageReader`` interface over an open zip, read on demand."""

    def __init__(self, pkg_file: IO[bytes], budget: Budget) -> None:
        self.zip = zipfile.ZipFile(pkg_file)
        self.budget = budget
        self.members = {PackURI("/" + info.filename): info for info in self.zip.infolist()}
        self.eager_tags = 0  # tags of the XML parsed at opening and kept

    def xml(self, uri: PackURI, eager: bool) -> bytes:
        """A part's XML, its tags counted (a ``<`` each) before anything parses it."""
        blob = self[uri]
        tags = blob.count(b"<")
        if tags > self.budget.max_part_tags:
            raise DeckError(
                f"A part of the deck ({uri}) has {tags:,} XML tags, more than the "
                f"{self.budget.max_part_tags:,} this service reads in one part.",
                code="too_complex",
            )
        if eager:
            self.eager_tags += tags
            if self.eager_tags > self.budget.max_eager_tags:
                raise DeckError(
                    "The deck's masters, layouts and relationships have more than "
                    f"{self.budget.max_eager_tags:,} XML tags in all.",
                    code="too_complex",
                )
        return blob

    def __contains__(self, uri: object) -> bool:
        return uri in self.members

    def size(self, uri: PackURI) -> int:
        return self.members[uri].file_size

    def __getitem__(self, uri: PackURI) -> bytes:
        info = self.members.get(uri)
        if info is None:
            raise KeyError(f"no member {uri!r} in package")
        limit = (
            self.budget.max_xml_part_bytes
            if uri.endswith((".xml", ".rels"))
            else self.budget.max_part_bytes
        )
        if info.file_size > limit:
            raise PartTooLarge(
                f"A part of the deck ({uri}) would expand to {info.file_size:,} bytes, "
                f"over the {limit:,}-byte limit for one part."
            )
        return self.zip.read(info)

    def opener(self, uri: PackURI) -> Callable[[], bytes]:
        """Reads a binary part when called."""
        return lambda: self[uri]

    def xml_opener(self, uri: PackURI) -> Callable[[], bytes]:
        """Reads (and counts the tags of) an XML part parsed on demand."""
        return lambda: self.xml(uri, eager=False)

    def rels_xml_for(self, partname: PackURI) -> bytes | None:
        uri = partname.rels_uri
        if uri not in self.members:
            return None
        return self.xml(uri, eager=True)


def parse_part(blob: bytes, name: str, problems: list[str]) -> etree._Element:
    """Parse a part's XML with python-pptx's parser; on a syntax error, again in
    recovery mode (noting it in ``problems``). Raises when nothing usable is left."""
    try:
        return etree.fromstring(blob, oxml_parser)
    except etree.XMLSyntaxError as exc:
        if "depth" in str(exc).lower():
            raise DeckError(
                "The deck's shapes are nested too deeply to draw.", code="too_complex"
            ) from exc
        root = etree.fromstring(blob, _RECOVER)
        if root is None:
            raise
        problems.append(f"{name} has XML errors ({_first_line(exc)}); drawn from what was readable")
        return root


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


class _DeferredXml:
    """Mixin for an XmlPart whose tree is parsed on first use and can be released."""

    _tree: etree._Element | None = None
    _source: Callable[[], bytes] | None = None

    @classmethod
    def deferred(
        cls, partname: PackURI, content_type: str, package: Package, source: Callable[[], bytes]
    ) -> XmlPart:
        part = cls(partname, content_type, package, element=None)  # type: ignore[call-arg]
        part._source = source
        return part

    @property
    def _element(self) -> etree._Element:
        if self._tree is None and self._source is not None:
            blob = self._source()
            if isinstance(self, SlidePart):
                _check_shapes(blob, str(self.partname), self.package.budget)
            self._tree = parse_part(blob, str(self.partname), self.package.problems)
        return self._tree

    @_element.setter
    def _element(self, value: etree._Element | None) -> None:
        self._tree = value

    @property
    def blob(self) -> bytes:
        """The part's XML: its own bytes when they parse, else the recovered tree."""
        if self._tree is None and self._source is not None:
            blob = self._source()
            try:
                etree.fromstring(blob, oxml_parser)
                return blob
            except etree.XMLSyntaxError:
                pass
        return etree.tostring(self._element, encoding="UTF-8", standalone=True)

    def release(self) -> None:
        """Forget the parsed tree and python-pptx's objects built on it."""
        if self._source is not None:
            self._tree = None
            for name in _CACHED:
                self.__dict__.pop(name, None)


def _check_shapes(blob: bytes, name: str, budget: Budget) -> None:
    """Refuse a slide with too many shapes before its tree is built."""
    count = sum(1 for _ in _SHAPE.finditer(blob))
    if count > budget.max_slide_shapes:
        raise DeckError(
            f"A slide has {count:,} shapes, more than the {budget.max_slide_shapes:,} "
            "this service draws on one slide.",
            code="too_complex",
        )


class _DeferredBlob:
    """Mixin for a binary part whose bytes stay in the zip until read."""

    @property
    def _blob(self) -> bytes | None:
        source = self.__dict__.get("_blob_source")
        return source() if callable(source) else source

    @_blob.setter
    def _blob(self, value: bytes | Callable[[], bytes] | None) -> None:
        self.__dict__["_blob_source"] = value


_deferred_classes: dict[tuple[type, type], type] = {}


def _deferred(mixin: type, cls: type) -> type:
    key = (mixin, cls)
    if key not in _deferred_classes:
        _deferred_classes[key] = type(f"Deferred{cls.__name__}", (mixin, cls), {})
    return _deferred_classes[key]


class _Loader(_PackageLoader):
    """python-pptx's loader with an on-demand reader and deferred parts."""

    def __init__(self, pkg_file: IO[bytes], package: _DeferredPackage) -> None:
        super().__init__(pkg_file, package)
        self._reader = _Reader(pkg_file, package.budget)

    @property
    def _package_reader(self) -> _Reader:  # type: ignore[override]
        return self._reader

    @property
    def _parts(self) -> dict[PackURI, Part]:  # type: ignore[override]
        if "_loaded_parts" not in self.__dict__:
            self.__dict__["_loaded_parts"] = {
                name: self._part(name) for name in self._xml_rels if name != "/"
                if name in self._reader
            }
        return self.__dict__["_loaded_parts"]

    def _part(self, name: PackURI) -> Part:
        try:
            content_type = self._content_types[name]
        except KeyError:  # not declared in [Content_Types].xml: still readable bytes
            content_type = "application/octet-stream"
        cls = PartFactory._part_cls_for(content_type)
        package = self._package
        reader = self._reader
        if issubclass(cls, _LAZY_XML):
            return _deferred(_DeferredXml, cls).deferred(
                name, content_type, package, reader.xml_opener(name)
            )
        if issubclass(cls, XmlPart):
            element = parse_part(reader.xml(name, eager=True), str(name), package.problems)
            return cls(name, content_type, package, element=element)
        if reader.size(name) <= EAGER_BYTES:
            return cls.load(name, content_type, package, reader[name])
        return _deferred(_DeferredBlob, cls).load(name, content_type, package, reader.opener(name))


class _DeferredPackage(Package):
    """A python-pptx package loaded through ``_Loader``."""

    def __init__(self, pkg_file: IO[bytes], budget: Budget) -> None:
        super().__init__(pkg_file)
        self.budget = budget
        self.problems: list[str] = []

    def _load(self) -> _DeferredPackage:
        pkg_xml_rels, parts = _Loader.load(self._pkg_file, self)
        self._rels.load_from_xml(PackURI("/"), pkg_xml_rels, parts)
        return self


def open_presentation(pkg_file: IO[bytes], budget: Budget) -> Presentation:
    """The deck's ``Presentation``, its parts loaded on demand (see the module doc)."""
    package = _DeferredPackage(pkg_file, budget)._load()
    part = package.main_document_part
    if not part.content_type.startswith(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main"
    ):
        raise ValueError(f"the main part's content type is {part.content_type!r}")
    return part.presentation


def package_problems(prs: Presentation) -> list[str]:
    """What was recovered from damaged XML since the last call (and forget it)."""
    problems = getattr(prs.part.package, "problems", None)
    if not problems:
        return []
    taken = list(problems)
    problems.clear()
    return taken


def slide_parts(prs: Presentation) -> list[Part]:
    """The slide parts in deck order, without parsing any slide."""
    id_list = prs.element.sldIdLst
    if id_list is None:
        return []
    return [prs.part.related_part(sld.rId) for sld in id_list.sldId_lst]


def root_attribute(part: Part, name: str) -> str | None:
    """An attribute of a part's root element, read without building the tree
    when the part is not parsed yet (the ``show`` flag of every slide)."""
    if not isinstance(part, _DeferredXml) or part._tree is not None or part._source is None:
        return part._element.get(name)
    try:
        for _event, el in etree.iterparse(
            io.BytesIO(part._source()), events=("start",), resolve_entities=False,
            no_network=True, recover=True,
        ):
            return el.get(name)
    except etree.XMLSyntaxError:
        return None
    return None


def release(part: Part) -> None:
    """Drop a slide's tree and those of its notes and charts once it is drawn."""
    for target in (part, *_related(part)):
        if isinstance(target, _DeferredXml):
            target.release()


def _related(part: Part) -> list[Part]:
    try:
        return [rel.target_part for rel in part.rels.values() if not rel.is_external]
    except Exception:
        return []
