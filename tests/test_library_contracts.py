"""The private parts of libraries the code relies on, each exercised alone with a tiny input.

pyproject.toml bounds these libraries to the versions tested here (WeasyPrint, pydyf, pypdf, pyphen,
pypdfium2). When an upgrade changes one of these parts, the test fails with the library, its version, the
part, where we use it and what to check, instead of a render that breaks or slows down in some other test.
Raise the bound only after this file passes with the new version.
"""

from __future__ import annotations

import copy
import importlib.metadata
import io
import pickle
import zlib
from contextlib import contextmanager

import pytest


@contextmanager
def contract(distribution: str, part: str, used_in: str, check: str):
    """Turn any failure inside into one loud message naming the library, the part and what to check."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any failure here means the contract changed
        version = importlib.metadata.version(distribution)
        pytest.fail(f"LIBRARY CONTRACT BROKEN: {distribution} {version}: {part}\n"
                    f"  used in: {used_in}\n  what to check: {check}\n  failure: {exc!r}", pytrace=False)


# --- WeasyPrint and pydyf -------------------------------------------------------------------------

TWO_PAGES = """<html lang="de"><head><title>Vorlage</title><style>@page { size: A4 }</style></head>
<body><p id="first">Seite eins</p><p id="second" style="break-before: page">Seite zwei</p></body></html>"""


@pytest.fixture(scope="module")
def document():
    import weasyprint

    return weasyprint.HTML(string=TWO_PAGES).render()


def test_weasyprint_reports_its_font_subsetter():
    with contract("weasyprint", "weasyprint.text.ffi.harfbuzz_subset (internal module attribute)",
                  "render/layout.py subsetter_name(): the 'install libharfbuzz-subset0' hint after render",
                  "how WeasyPrint now tells whether HarfBuzz subsetting is available"):
        from weasyprint.text import ffi

        assert hasattr(ffi, "harfbuzz_subset"), "no attribute harfbuzz_subset"


def test_weasyprint_pages_report_anchors_as_boxes(document):
    with contract("weasyprint", "Page.anchors: element id -> (x1, y1, x2, y2) in CSS px from the top left",
                  "render/layout.py _geometry(), _signer_block_overflow(), the base's signer block",
                  "the name and shape of the per-page anchor boxes"):
        first, second = (page.anchors for page in document.pages)
        assert set(first) == {"first"} and set(second) == {"second"}, (first, second)
        x1, y1, x2, y2 = first["first"]
        assert 0 <= x1 < x2 and 0 <= y1 < y2, first["first"]


def test_weasyprint_metadata_is_copied_and_written(document):
    from pypdf import PdfReader

    with contract("weasyprint", "Document.metadata (copy.copy, .title/.authors/.description/.keywords)",
                  "render/layout.py _finish_composite(): each document of a batch gets its own metadata",
                  "DocumentMetadata's attribute names and that write_pdf() writes the document's metadata"):
        original = document.metadata
        metadata = copy.copy(original)
        metadata.title, metadata.authors = "Eigener Titel", ["Staatskanzlei"]
        metadata.description, metadata.keywords = "Betreff", ["Dok-1", "AGS 05315000"]
        document.metadata = metadata
        try:
            info = PdfReader(io.BytesIO(document.write_pdf())).metadata
        finally:
            document.metadata = original
        assert (info.title, info.author, info.subject) == ("Eigener Titel", "Staatskanzlei", "Betreff"), info
        assert "Dok-1" in info["/Keywords"] and original.title == "Vorlage"


def test_weasyprint_finisher_sees_the_pydyf_structure_compose_edits(document):
    import pydyf

    seen = {}

    def finisher(_document, pdf):
        seen["pdf"] = pdf
        kids = pdf.pages["Kids"]
        seen["page_numbers"] = kids[::3]
        seen["kids_shape"] = [kids[1::3], kids[2::3]]
        page = pdf.objects[kids[0]]
        resources = pdf.objects[int(page["Resources"].split()[0])]
        seen["xobject"] = resources["XObject"]
        seen["contents"] = pdf.objects[int(page["Contents"].split()[0])]
        names = pdf.catalog.get("Names", {}).get("Dests", {}).get("Names", [])
        seen["destination_names"] = [names[index] for index in range(0, len(names), 2)]

    with contract("weasyprint", "write_pdf(finisher=..., pdf_identifier=...) and the pydyf objects it builds: "
                  "pages['Kids'] as [number, 0, 'R', ...], page 'Resources'/'Contents' as b'N 0 R' references, "
                  "a shared Resources dict with 'XObject', content .stream as a list, catalog Names/Dests/Names",
                  "render/compose.py finisher(): puts the base under each overlay page and the QR code on top",
                  "WeasyPrint's pdf/__init__.py and pdf/stream.py: how pages, resources, contents and named "
                  "destinations are laid out when the finisher runs"):
        document.write_pdf(finisher=finisher, pdf_identifier=b"contract")
        assert isinstance(seen["pdf"], pydyf.PDF), type(seen["pdf"])
        assert len(seen["page_numbers"]) == 2 and seen["kids_shape"] == [[0, 0], ["R", "R"]], seen
        assert isinstance(seen["xobject"], dict), seen["xobject"]
        assert isinstance(seen["contents"].stream, list), type(seen["contents"].stream)
        assert {name.string for name in seen["destination_names"]} == {"first", "second"}, seen


def test_pydyf_writes_prepared_objects_by_their_data():
    import pydyf
    from pypdf import PdfReader

    from pipeline.render.compose import _PreparedObject

    with contract("pydyf", "PDF.objects / PDF.add_object and the object attributes .data, .compressible, "
                  ".number, .generation, .offset, .free, .indirect, .reference",
                  "render/compose.py _PreparedObject and finisher(): base objects appended as ready bytes, "
                  "WeasyPrint's objects serialised once",
                  "pydyf's PDF.write(): which attributes of an object it reads for the object stream, the "
                  "cross-reference table and uncompressed objects"):
        pdf = pydyf.PDF()
        assert pdf.objects[0].free == "f", "object 0 is no longer the free-list head"
        next_number = len(pdf.objects)
        inline = _PreparedObject(b"<< /Engagiert (im Objektstrom) >>", compressible=True)
        stream = _PreparedObject(b"<< /Length 5 >>\nstream\nHallo\nendstream", compressible=False)
        pdf.add_object(inline)
        pdf.add_object(stream)
        assert (inline.number, stream.number) == (next_number, next_number + 1)
        pdf.catalog["Engagiert"] = inline.reference
        pdf.catalog["Strom"] = stream.reference
        # WeasyPrint's own objects, re-wrapped the way the finisher does it.
        for index, pdf_object in enumerate(pdf.objects):
            if pdf_object.free != "f" and not isinstance(pdf_object, _PreparedObject):
                pdf.objects[index] = _PreparedObject(pdf_object.data, pdf_object.compressible, pdf_object.number,
                                                     pdf_object.generation, pdf_object.offset)
        output = io.BytesIO()
        pdf.write(output, version=b"1.7", identifier=b"contract", compress=True)
        root = PdfReader(io.BytesIO(output.getvalue())).trailer["/Root"]
        assert root["/Engagiert"].get_object()["/Engagiert"] == "im Objektstrom"
        assert root["/Strom"].get_object().get_data() == b"Hallo"
        assert pydyf.String("doc1-first").string == "doc1-first"


# --- pypdf ----------------------------------------------------------------------------------------


def test_pypdf_stream_objects_keep_their_encoded_bytes_in_data():
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, StreamObject

    with contract("pypdf", "StreamObject._data: the stream's bytes as stored (still filtered), readable "
                  "and writable (the test also adds the stream with PdfWriter._add_object)",
                  "render/compose.py base_layout() and _Serialiser: base streams copied without re-encoding, "
                  "page contents put into a Form XObject",
                  "where pypdf keeps a stream's encoded bytes (and whether get_data() decodes what is set there)"):
        content = b"q 1 0 0 1 0 0 cm Q"
        form = StreamObject()
        form._data = zlib.compress(content)
        form[NameObject("/Filter")] = NameObject("/FlateDecode")
        writer = PdfWriter()
        writer.add_blank_page(100, 100)
        reference = writer._add_object(form)
        writer._root_object[NameObject("/EngagiertForm")] = reference
        buffer = io.BytesIO()
        writer.write(buffer)
        stored = PdfReader(io.BytesIO(buffer.getvalue())).trailer["/Root"]["/EngagiertForm"].get_object()
        assert zlib.decompress(stored._data) == content and stored.get_data() == content


def test_pypdf_writer_root_object_and_id_are_written():
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject, TextStringObject

    with contract("pypdf", "PdfWriter._root_object (the catalog) and PdfWriter._ID (the trailer /ID)",
                  "dispatch/bundle.py assemble(): /Lang de on the bundle, a fixed /ID so bundles are byte-identical",
                  "how pypdf now exposes the catalog and sets the file identifier (maybe a public API exists)"):
        writer = PdfWriter()
        writer.add_blank_page(100, 100)
        writer._root_object[NameObject("/Lang")] = TextStringObject("de")
        digest = b"0123456789abcdef0123456789abcdef"
        writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
        first, second = io.BytesIO(), io.BytesIO()
        writer.write(first)
        writer.write(second)
        reader = PdfReader(io.BytesIO(first.getvalue()))
        assert reader.trailer["/Root"]["/Lang"] == "de"
        assert [part.original_bytes for part in reader.trailer["/ID"]] == [digest, digest]
        assert first.getvalue() == second.getvalue()


# --- pyphen ---------------------------------------------------------------------------------------


def test_pyphen_looks_in_hdcache_before_parsing_and_its_dictionaries_pickle():
    import pyphen

    with contract("pyphen", "pyphen.LANGUAGES (paths), pyphen.hdcache (keyed by path), pyphen.HyphDict "
                  "(picklable), pyphen.__version__", "render/hyphenation.py preload(): the parsed German "
                  "patterns cached per machine and handed to pyphen (and so to WeasyPrint) through hdcache",
                  "pyphen/__init__.py: Pyphen.__init__'s cache lookup, the LANGUAGES values, HyphDict's fields"):
        language = pyphen.language_fallback("de")
        path = pyphen.LANGUAGES[language]
        assert path.read_bytes() and pyphen.__version__
        patterns = pickle.loads(pickle.dumps(pyphen.HyphDict(path), protocol=pickle.HIGHEST_PROTOCOL))
        assert isinstance(patterns, pyphen.HyphDict)
        saved = pyphen.hdcache.get(path)
        pyphen.hdcache[path] = patterns
        try:
            hyphenator = pyphen.Pyphen(lang=language)
            assert hyphenator.hd is patterns, "Pyphen parsed the patterns again instead of using hdcache"
            assert hyphenator.inserted("Unterzeichnerin") == "Un-ter-zeich-ne-rin"
        finally:
            if saved is None:
                pyphen.hdcache.pop(path, None)
            else:
                pyphen.hdcache[path] = saved


# --- pypdfium2 (raw PDFium) -----------------------------------------------------------------------


def test_pdfium_counts_signatures_and_lists_image_objects(tmp_path):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from PIL import Image
    from pypdf import PdfWriter

    from .digital import make_ca_and_signer, sign_pdf

    with contract("pypdfium2", "pypdfium2.raw.FPDF_GetSignatureCount(pdf.raw), pypdfium2.raw.FPDF_PAGEOBJ_IMAGE "
                  "with page.get_objects(filter=..., max_depth=...)", "checkin/intake.py _has_signatures() "
                  "(digitally signed returns) and _embedded_scan() (a scanner's page image taken as stored)",
                  "the raw PDFium bindings' names and get_objects()' keywords in pypdfium2's changelog"):
        blank = io.BytesIO()
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        writer.write(blank)
        signed = sign_pdf(blank.getvalue(), make_ca_and_signer(tmp_path))
        for data, expected in ((blank.getvalue(), 0), (signed, 1)):
            pdf = pdfium.PdfDocument(data)
            try:
                assert pdfium_c.FPDF_GetSignatureCount(pdf.raw) == expected
            finally:
                pdf.close()

        scan = tmp_path / "scan.pdf"
        Image.new("L", (200, 280), 255).save(scan, format="PDF", resolution=24)
        pdf = pdfium.PdfDocument(str(scan))
        try:
            images = list(pdf[0].get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3))
            assert len(images) == 1
            left, bottom, right, top = images[0].get_bounds()
            assert right > left and top > bottom
        finally:
            pdf.close()
