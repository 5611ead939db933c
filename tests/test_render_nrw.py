"""The whole state: all 427 NRW authorities from the shared list, no office holders at all."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

from .helpers import NRW_CSV, ROUND_TOML, read_back


def test_all_427_nrw_rows_render_with_readable_qr_codes(tmp_path):
    shutil.copy(ROUND_TOML, tmp_path / "round.toml")
    # through the module entry point, as `python -m pipeline`, in a real process
    completed = subprocess.run(
        [sys.executable, "-m", "pipeline", "render", "--signatories", str(NRW_CSV), "--out", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert "Rendered 427 document(s)" in completed.stdout
    assert "427 rows" in completed.stderr  # the missing-name warning, once, grouped

    rows = list(csv.DictReader(NRW_CSV.open(encoding="utf-8")))
    files = {path.name.split("_")[0]: path for path in (tmp_path / "out" / "2024-05" / "documents").glob("*.pdf")}
    assert set(files) == {row["ags"] for row in rows}
    offices = {"kreisfreie Stadt": "Oberbürgermeisterin / Oberbürgermeister",
               "Stadt": "Bürgermeisterin / Bürgermeister", "Gemeinde": "Bürgermeisterin / Bürgermeister",
               "Kreis": "Landrätin / Landrat", "Städteregion": "Städteregionsrätin / Städteregionsrat"}
    with ProcessPoolExecutor(max_workers=2) as pool:  # reading 854 pages back is the slow part
        read = {name.split("_")[0]: (texts, payloads) for name, texts, payloads in pool.map(read_back, files.values())}
    for row in rows:
        texts, payloads = read[row["ags"]]
        assert len(texts) == 2, row["ags"]
        page_two = " ".join(texts[1].split())
        assert f"{offices[row['typ']]} {row['bezeichnung']}" in page_two, (row["ags"], page_two[-200:])
        assert len(payloads[0]) == 1 and len(payloads[1]) == 1, row["ags"]
        doc_id = payloads[0][0].rsplit("/", 2)[0]
        assert f"-{row['ags']}-" in doc_id
        assert payloads[1][0] == f"{doc_id}/2/2"
