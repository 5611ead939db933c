"""Compose each document from a base shared by the whole round and a small personal overlay.

Laying out the two pages of text is most of the cost of a document (issue "Performance"), and it is the
same for every municipality: page 1 differs only in its id, page 2 only in the signer block and the id.
So the text is laid out once per run and variant (the opening sentence depends on the signers'
genders: at most five variants), and each document is drawn as

    page = [base page as a Form XObject] + [overlay page: id text, signer block] + [QR code operators]

The base PDF is read once (pypdf) and its pages, with every object their resources reach (fonts, font
files, the facsimile), are serialised once into byte templates whose object references are numbered
relative to the first of them. Each overlay is then finished inside WeasyPrint's own PDF writer (its
documented `finisher` hook on pydyf): the templates are appended as objects with the next free numbers,
and the page streams get the base underneath and the QR code on top. Nothing is parsed or written twice
per document, and each output stays a complete, self-contained PDF: both font subsets are embedded, the
text extracts in reading order, the QR codes are vectors. Tests compare it with the single-pass
rendering pixel by pixel.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pydyf
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

from ..geometry import SignatureBox

BASE_FORM_PREFIX = "EngagiertBase"


@dataclass(frozen=True)
class ObjectTemplate:
    """One PDF object of the base as bytes; an int in `parts` is a reference to another template (its
    index), written as the object number it gets in the document being finished."""

    parts: tuple[bytes | int, ...]
    is_stream: bool

    def render(self, first_number: int) -> bytes:
        return b"".join(part if isinstance(part, bytes) else b"%d 0 R" % (first_number + part)
                        for part in self.parts)


@dataclass
class BaseLayout:
    """A base rendering, serialised once, ready to be put under any number of overlays."""

    objects: list[ObjectTemplate]  # everything the base pages need, forms included
    forms: list[int]  # per page: the index of its Form XObject in `objects`
    signer_block: dict  # where the overlay puts the signer block: page, left, top, width (CSS px)
    signature_box: SignatureBox | None  # measured on the base: the overlay has no box of its own


class _Serialiser:
    """Turns pypdf objects of one file into ObjectTemplates, following references depth first."""

    def __init__(self):
        self.objects: list[ObjectTemplate | None] = []
        self.index_of: dict[int, int] = {}  # object number in the base PDF -> template index

    def add(self, value: PdfObject) -> int:
        """Serialise `value` as a new template; return its index."""
        index = len(self.objects)
        self.objects.append(None)  # reserved before descending, so a cycle ends at the reservation
        parts: list[bytes | int] = []
        self._write(value, parts)
        self.objects[index] = ObjectTemplate(tuple(_merge(parts)), isinstance(value, StreamObject))
        return index

    def _reference(self, reference: IndirectObject) -> int:
        if reference.idnum not in self.index_of:
            self.index_of[reference.idnum] = len(self.objects)  # the index add() is about to reserve
            self.add(reference.get_object())
        return self.index_of[reference.idnum]

    def _write(self, value: PdfObject, parts: list[bytes | int]) -> None:
        if isinstance(value, IndirectObject):
            parts.append(self._reference(value))
        elif isinstance(value, StreamObject):
            encoded = value._data  # the stream as stored (still filtered): copied, never re-encoded
            header = DictionaryObject(value)
            header[NameObject("/Length")] = NumberObject(len(encoded))
            self._write(header, parts)
            parts.append(b"\nstream\n" + encoded + b"\nendstream")
        elif isinstance(value, DictionaryObject):
            parts.append(b"<<")
            for key, item in value.items():
                parts.append(_bytes(NameObject(key)) + b" ")
                self._write(item, parts)
                parts.append(b"\n")
            parts.append(b">>")
        elif isinstance(value, ArrayObject):
            parts.append(b"[")
            for item in value:
                self._write(item, parts)
                parts.append(b" ")
            parts.append(b"]")
        else:
            parts.append(_bytes(value))


def _bytes(value: PdfObject) -> bytes:
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _merge(parts: list[bytes | int]) -> list[bytes | int]:
    merged: list[bytes | int] = []
    for part in parts:
        if isinstance(part, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def base_layout(pdf: bytes, signer_block: dict, signature_box: SignatureBox | None) -> BaseLayout:
    reader = PdfReader(io.BytesIO(pdf))
    serialiser = _Serialiser()
    forms = []
    for page in reader.pages:
        form = StreamObject()
        form._data = zlib.compress(page.get_contents().get_data())
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(page.mediabox),
            NameObject("/Resources"): page.raw_get("/Resources"),  # a reference stays one shared object
            NameObject("/Filter"): NameObject("/FlateDecode"),
        })
        forms.append(serialiser.add(form))
    return BaseLayout(serialiser.objects, forms, signer_block, signature_box)


class _PreparedObject:
    """A pydyf object whose bytes are known: pydyf writes `data`, and puts the object into its compressed
    object stream when it is `compressible` (a stream never is)."""

    free = "n"

    def __init__(self, data: bytes, compressible: bool, number: int | None = None, generation: int = 0,
                 offset: int = 0):
        self.data, self.compressible = data, compressible
        self.number, self.generation, self.offset = number, generation, offset  # number: set by add_object

    @property
    def indirect(self) -> bytes:
        return b"%d %d obj\n" % (self.number, self.generation) + self.data + b"\nendobj"

    @property
    def reference(self) -> bytes:
        return b"%d %d R" % (self.number, self.generation)


def finisher(base: BaseLayout, stamps: list[bytes], anchor_prefix: str = "") -> Callable:
    """A WeasyPrint `write_pdf(finisher=...)` hook that puts `base` under each overlay page and draws each
    page's `stamps` operators (the QR code) on top, in plain PDF points. `anchor_prefix` is taken off the
    names of the document's destinations (its element ids), which a batch had to make unique: a document
    comes out the same whatever batch it was laid out in."""

    def finish(document, pdf) -> None:
        if anchor_prefix:
            destinations = pdf.catalog.get("Names", {}).get("Dests", {}).get("Names", [])
            for index in range(0, len(destinations), 2):  # name, destination, name, …
                destinations[index] = pydyf.String(destinations[index].string.removeprefix(anchor_prefix))
        page_numbers = pdf.pages["Kids"][::3]
        if len(page_numbers) != len(base.forms):
            raise ValueError(f"overlay has {len(page_numbers)} pages, base {len(base.forms)}")
        first_number = len(pdf.objects)
        for template in base.objects:
            pdf.add_object(_PreparedObject(template.render(first_number), not template.is_stream))
        for page_index, (page_number, form_index, stamp) in enumerate(
                zip(page_numbers, base.forms, stamps, strict=True), start=1):
            page = pdf.objects[page_number]
            resources = pdf.objects[_number(page["Resources"])]  # WeasyPrint shares one between pages
            form_name = f"{BASE_FORM_PREFIX}{page_index}"
            resources["XObject"][form_name] = b"%d 0 R" % (first_number + form_index)
            content = pdf.objects[_number(page["Contents"])]
            # The base first (underneath); WeasyPrint's own operators bracketed in q/Q, because they leave
            # its flipped coordinate system in force; then the stamp in plain PDF points.
            content.stream[:0] = [f"q /{form_name} Do Q".encode(), b"q"]
            content.stream.extend([b"Q", stamp])
        # pydyf serialises (and compresses) every object twice when the file gets an /ID: once to hash
        # it, once to write it. Serialise each once.
        for index, pdf_object in enumerate(pdf.objects):
            if pdf_object.free != "f" and not isinstance(pdf_object, _PreparedObject):
                pdf.objects[index] = _PreparedObject(pdf_object.data, pdf_object.compressible, pdf_object.number,
                                                     pdf_object.generation, pdf_object.offset)

    return finish


def _number(reference: bytes) -> int:
    return int(reference.split()[0])
