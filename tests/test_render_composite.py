"""The fast composite rendering (shared base + personal overlay) reads back like the single-pass one."""

from __future__ import annotations

import shutil

from PIL import ImageChops

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
    for one, other in zip(single.rendered, composite.rendered, strict=True):
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
