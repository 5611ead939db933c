"""The fast composite rendering (shared base + personal overlay) reads back like the single-pass one."""

from __future__ import annotations

import io
import shutil

from PIL import ImageChops
from pypdf import PdfReader

from pipeline.ledger import Ledger
from pipeline.render import render_round
from pipeline.round import load_round
from pipeline.signatories import load_signatories

from .conftest import small_round_rows
from .helpers import ROUND_TOML, fast_page_texts, nrw_rows, person, qr_payloads, rasterise, write_csv


def test_composite_and_single_pass_documents_look_and_read_the_same(tmp_path):
    rows = small_round_rows() + [
        person(nrw_rows("Gemeinde Nachrodt-Wiblingwerde")[0], "Frau", "Maria-Magdalena Anna-Katharina",
               "von Hohenzollern-Sigmaringen-Wittgenstein", "Prof. Dr. Dr. h. c.", funktion="Erste Beigeordnete")]
    signatories = load_signatories(write_csv(tmp_path / "s.csv", rows)).signatories
    round_cfg = load_round(shutil.copy(ROUND_TOML, tmp_path / "round.toml"))
    (tmp_path / "single").mkdir()
    (tmp_path / "composite").mkdir()
    (tmp_path / "single" / "docid.secret").write_text("ab" * 32)
    shutil.copy(tmp_path / "single" / "docid.secret", tmp_path / "composite" / "docid.secret")
    single = render_round(signatories, round_cfg, tmp_path / "single", mode="single", workers=1)
    composite = render_round(signatories, round_cfg, tmp_path / "composite", mode="composite", workers=1)

    assert len(single.rendered) == len(composite.rendered) == 6
    with Ledger.open(tmp_path / "single") as ledger:
        single_records = [ledger.document(doc_id) for doc_id in single.rendered]
    with Ledger.open(tmp_path / "composite") as ledger:
        composite_records = [ledger.document(doc_id) for doc_id in composite.rendered]
    for one, other in zip(single_records, composite_records, strict=True):
        assert one.doc_id == other.doc_id
        assert one.geometry == other.geometry  # signature box and QR boxes where check-in expects them
        first, second = tmp_path / "single" / one.path, tmp_path / "composite" / other.path
        assert qr_payloads(first) == qr_payloads(second)
        assert [sorted(t.split()) for t in fast_page_texts(first)] == \
            [sorted(t.split()) for t in fast_page_texts(second)]
        for page in range(2):
            difference = ImageChops.difference(rasterise(first, page, dpi=100), rasterise(second, page, dpi=100))
            histogram = difference.histogram()
            differing = sum(histogram[48:])  # pixels that differ by more than anti-aliasing noise
            assert differing < 50, (one.path, page, differing)


def test_a_document_comes_out_the_same_alone_and_anywhere_in_a_batch(tmp_path):
    """Overlays are laid out in batches (render_many): the ids a batch makes unique, the fonts and the
    metadata must not leak from one document into another, or re-rendering a lost file would change it."""
    from pipeline import docid
    from pipeline.render.layout import Renderer, document_context
    from pipeline.render.run import BATCH_SIZE

    rows = nrw_rows("Stadt Bonn", "Gemeinde Alfter", "Kreis Borken", "Stadt Aachen", "Gemeinde Nachrodt-Wiblingwerde",
                    "Stadt Bielefeld", "Kreis Siegen-Wittgenstein", "Stadt Köln", "Gemeinde Wachtberg")
    rows = [person(row, "Frau", "Anna", f"Muster{index}") for index, row in enumerate(rows[:4])] + rows[4:]
    signatories = load_signatories(write_csv(tmp_path / "s.csv", rows)).signatories
    round_cfg = load_round(shutil.copy(ROUND_TOML, tmp_path / "round.toml"))
    doc_ids = [str(docid.make_doc_id(b"k" * 32, round_cfg.id, signatory.ags, 1)) for signatory in signatories]
    contexts = [document_context(signatory, round_cfg, doc_id, with_qr_svg=False)
                for signatory, doc_id in zip(signatories, doc_ids, strict=True)]
    assert len(contexts) > BATCH_SIZE // 2
    renderer = Renderer()
    together = renderer.render_many(contexts)
    backwards = renderer.render_many(contexts[::-1])[::-1]
    for context, in_batch, in_other_batch in zip(contexts, together, backwards, strict=True):
        alone = renderer.render(context)
        assert alone.pdf == in_batch.pdf == in_other_batch.pdf, context["bezeichnung"]
        assert alone.geometry == in_batch.geometry
        reader = PdfReader(io.BytesIO(in_batch.pdf))
        assert reader.metadata.title == context["title"]
        assert reader.metadata.subject == context["subject"]
        assert context["doc_id"] in reader.metadata["/Keywords"]
        assert reader.trailer["/ID"][0] == context["doc_id"]
        # Only this document's own name, office and municipality are in it.
        lines = {line.strip() for page in reader.pages for line in page.extract_text().splitlines()}
        others = {other["bezeichnung"] for other in contexts} - {context["bezeichnung"]}
        assert context["bezeichnung"] in lines and not lines & others
