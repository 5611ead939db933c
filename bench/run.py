"""`make bench`: the performance issue's table, measured side by side in one run on this machine.

Each row runs our command and its baseline as separate processes, checks that both produced correct
output (page counts, QR codes decoded from a sample of pages) and only then reports the times.
Results go to stdout and to bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.synthetic import write_synthetic  # noqa: E402

NRW_CSV = REPO.parent / "shared" / "data" / "nrw-kommunen.csv"
ROUND = REPO / "round.toml"
PYTHON = sys.executable
ENGAGIERT = [PYTHON, "-m", "pipeline"]


def measured(command: list[str], cwd: Path = REPO) -> dict:
    output = subprocess.run([PYTHON, str(BENCH / "measure.py"), "--", *command], cwd=cwd,
                            capture_output=True, text=True, check=True).stdout
    result = json.loads(output)
    if result["returncode"] != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result['stderr']}")
    return result


def check_documents(folder: Path, expected: int, sample: int = 20) -> str:
    """Every file has 2 pages; the QR codes of a random sample decode to ids naming their AGS."""
    import pypdfium2 as pdfium
    import zxingcpp

    files = sorted(folder.rglob("*.pdf"))
    if len(files) != expected:
        raise SystemExit(f"{folder}: {len(files)} PDFs, expected {expected}")
    for path in files:
        document = pdfium.PdfDocument(str(path))
        pages = len(document)
        document.close()
        if pages != 2:
            raise SystemExit(f"{path}: {pages} pages")
    for path in random.Random(1).sample(files, min(sample, len(files))):
        ags = path.name.split("_")[0].removesuffix(".pdf")
        document = pdfium.PdfDocument(str(path))
        for number, page in enumerate(document, start=1):
            image = page.render(scale=150 / 72, grayscale=True).to_pil()
            texts = [code.text for code in zxingcpp.read_barcodes(image)]
            if not any(f"-{ags}-" in text and text.endswith(f"/{number}/2") for text in texts):
                raise SystemExit(f"{path} page {number}: QR not decoded ({texts})")
        document.close()
    return f"{len(files)} files × 2 pages, QR ok on {min(sample, len(files))} sampled"


def subsetter() -> str:
    from pipeline.render import subsetter_name

    return subsetter_name()


def bench_render_nrw(work: Path) -> dict:
    ours = measured([*ENGAGIERT, "render", "--signatories", str(NRW_CSV), "--round", str(ROUND),
                     "--out", str(work / "ours"), "-q"])
    ours_check = check_documents(work / "ours" / "2024-05" / "documents", 427)
    baseline = measured([PYTHON, str(BENCH / "baseline_render.py"), str(NRW_CSV), str(ROUND),
                         str(work / "baseline")])
    baseline_check = check_documents(work / "baseline", 427)
    return {"work": "render all 427 NRW documents", "ours": ours["wall"], "baseline": baseline["wall"],
            "peak_mb": ours["peak_mb"], "baseline_peak_mb": baseline["peak_mb"], "target": "≤ 10 s, ≥ 4×",
            "ok": ours["wall"] <= 10 and baseline["wall"] / ours["wall"] >= 4,
            "note": f"ours: {ours_check}; baseline: {baseline_check}"}


def bench_render_country(work: Path, count: int = 10_800, sample: int = 100) -> dict:
    small = write_synthetic(work / "small.csv", 1_000)
    full = write_synthetic(work / "country.csv", count)
    ours_small = measured([*ENGAGIERT, "render", "--signatories", str(small), "--round", str(ROUND),
                           "--out", str(work / "small"), "-q"])
    check_documents(work / "small" / "2024-05" / "documents", 1_000, sample=5)
    shutil.rmtree(work / "small")
    ours = measured([*ENGAGIERT, "render", "--signatories", str(full), "--round", str(ROUND),
                     "--out", str(work / "country"), "-q"])
    ours_check = check_documents(work / "country" / "2024-05" / "documents", count)
    shutil.rmtree(work / "country")
    baseline = measured([PYTHON, str(BENCH / "baseline_render.py"), str(full), str(ROUND),
                         str(work / "baseline-sample"), str(sample)])
    check_documents(work / "baseline-sample", sample, sample=5)
    extrapolated = baseline["wall"] / sample * count
    # Flat: the main process holds the input rows (about 1.3 KB each) but no per-document results; so
    # 10.8 times the documents may cost at most a fifth more memory than 1,000 do.
    growth = ours["peak_mb"] / ours_small["peak_mb"]
    per_row_kb = (ours["peak_mb"] - ours_small["peak_mb"]) * 1024 / (count - 1_000)
    return {"work": f"render {count:,} documents (synthetic)", "ours": ours["wall"], "baseline": extrapolated,
            "peak_mb": ours["peak_mb"], "baseline_peak_mb": baseline["peak_mb"],
            "target": "≤ 240 s, ≤ 300 MB, flat (≤ 1.2× the peak at 1,000)",
            "ok": ours["wall"] <= 240 and ours["peak_mb"] <= 300 and growth <= 1.2,
            "note": f"{ours_check}; peak {ours_small['peak_mb']:.0f} MB at 1,000 vs {ours['peak_mb']:.0f} MB at "
                    f"{count:,} ({growth:.2f}×, {per_row_kb:.1f} KB per further row); baseline extrapolated "
                    f"from {sample} documents"}


def _make_scan(job: tuple[str, dict, str, int]) -> None:
    """One returned copy as the issue describes it: signed, 200 dpi grey JPEG in a PDF, a few degrees skew."""
    from tests import scans

    pdf, geometry, target, seed = job
    angle = random.Random(seed).choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0])
    pages = scans.signed_scan(Path(pdf), geometry, dpi=200, seed=seed, angle=angle)
    scans.to_pdf(pages, Path(target), dpi=200, kind="jpeg", quality=75)


def bench_checkin(work: Path) -> dict:
    import multiprocessing

    from pipeline.ledger import Ledger

    measured([*ENGAGIERT, "render", "--signatories", str(NRW_CSV), "--round", str(ROUND), "--out",
              str(work / "out"), "-q"])
    with Ledger.open(work / "out") as ledger:
        records = sorted(ledger.latest_documents("2024-05").values(), key=lambda record: record.ags)
    scans_dir = work / "scans"
    scans_dir.mkdir()
    jobs = [(str(work / "out" / record.path), record.geometry, str(scans_dir / f"scan-{index:03d}.pdf"), index)
            for index, record in enumerate(records)]
    with multiprocessing.get_context("fork").Pool() as pool:
        pool.map(_make_scan, jobs, chunksize=8)
    shutil.copytree(scans_dir, work / "inbox")
    ours = measured([*ENGAGIERT, "checkin", "--out", str(work / "out"), "--round", str(ROUND), "--inbox",
                     str(work / "inbox"), "-q"])
    with Ledger.open(work / "out") as ledger:
        states = [row["state"] for row in ledger.status_rows("2024-05")]
    verified = states.count("verified")
    if verified != len(records):
        raise SystemExit(f"check-in verified {verified} of {len(records)}:\n{ours['stdout'][-1500:]}")
    baseline = measured([PYTHON, str(BENCH / "baseline_checkin.py"), str(scans_dir)])
    expected = f"{2 * len(records)} of {2 * len(records)} pages decoded"
    if expected not in baseline["stdout"]:
        raise SystemExit(f"baseline check-in: {baseline['stdout']}")
    return {"work": f"check in {len(records)} returned two-page scans", "ours": ours["wall"],
            "baseline": baseline["wall"], "peak_mb": ours["peak_mb"], "baseline_peak_mb": baseline["peak_mb"],
            "target": "≤ 15 s, ≥ 5×", "ok": ours["wall"] <= 15 and baseline["wall"] / ours["wall"] >= 5,
            "note": f"ours: {verified} verified (ink measured, archived, ledger); baseline: {expected} "
                    "(identification only)"}


def build_big_ledger(out: Path, count: int = 10_800) -> None:
    """A ledger like a whole country's round: documents rendered, sent, a third verified, some refused."""
    import datetime as dt

    from pipeline.geometry import Geometry
    from pipeline.ledger import DocumentRecord, Ledger
    from pipeline.units import A4_HEIGHT_PT, A4_WIDTH_PT

    generator = random.Random(5)
    start = dt.datetime(2024, 5, 15, 9, tzinfo=dt.UTC)
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        for index in range(count):
            ags = f"{index // 1000 + 1:02d}{index % 1000:06d}"
            doc_id = f"ENG-2024-05-{ags}-V1-AAAAAAAA"
            signatory = {"ags": ags, "name": f"Ort {index}", "bezeichnung": f"Gemeinde Ort {index}", "typ": "Gemeinde",
                         "kreis": f"Kreis {index // 50}", "regierungsbezirk": ["Düsseldorf", "Köln", "Münster",
                         "Detmold", "Arnsberg"][index % 5], "email": f"post{index}@example.org", "anrede": "Frau",
                         "titel": "", "vorname": "Eva", "nachname": "Muster", "funktion": "", "strasse": "Weg 1",
                         "plz": "40213", "ort": f"Ort {index}", "row": index + 2}
            ledger.add_document(cursor, DocumentRecord(
                doc_id=doc_id, round="2024-05", ags=ags, version=1, fingerprint="0" * 64, sha256="0" * 64,
                path=f"2024-05/documents/{ags}.pdf", pages=2, geometry=Geometry((A4_WIDTH_PT, A4_HEIGHT_PT)),
                signatory=signatory, rendered_at=start.isoformat()))
            ledger.add_event(cursor, round_id="2024-05", kind="rendered", ags=ags, doc_id=doc_id, state="rendered",
                             at=start.isoformat())
            ledger.add_event(cursor, round_id="2024-05", kind="sent", ags=ags, doc_id=doc_id, state="sent",
                             at=(start + dt.timedelta(days=1)).isoformat())
            outcome = generator.random()
            if outcome < 0.6:
                state, reason = ("verified", None) if outcome < 0.5 else ("rejected", "not signed")
                ledger.add_event(cursor, round_id="2024-05", kind="checkin", ags=ags, doc_id=doc_id, state=state,
                                 reason=reason, at=(start + dt.timedelta(days=3 + int(outcome * 40))).isoformat())


def bench_status(work: Path) -> dict:
    from pipeline.cli import cli

    if "status" not in cli.commands:
        return {"work": "`engagiert status` on 10,800 documents", "ours": float("nan"), "baseline": None,
                "peak_mb": None, "target": "≤ 0.5 s", "ok": False, "note": "status command not built yet"}
    build_big_ledger(work / "out")
    measured([*ENGAGIERT, "status", "--out", str(work / "out"), "--round", str(ROUND)])  # warm the page cache
    runs = [measured([*ENGAGIERT, "status", "--out", str(work / "out"), "--round", str(ROUND)]) for _ in range(3)]
    best = min(runs, key=lambda run: run["wall"])
    if "10800" not in best["stdout"].replace(",", "").replace(".", ""):
        raise SystemExit(f"status output does not count 10,800 documents:\n{best['stdout'][-800:]}")
    return {"work": "`engagiert status` on 10,800 documents", "ours": best["wall"], "baseline": None,
            "peak_mb": best["peak_mb"], "target": "≤ 0.5 s", "ok": best["wall"] <= 0.5,
            "note": "best of 3 runs, whole process"}


def bench_demo_again() -> dict:
    subprocess.run(["make", "demo"], cwd=REPO, capture_output=True, check=True)
    started = time.perf_counter()
    completed = subprocess.run(["make", "demo"], cwd=REPO, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    if "Rendered 0 document(s)" not in completed.stdout:
        raise SystemExit(f"second make demo rendered again:\n{completed.stdout}")
    return {"work": "`make demo` a second time", "ours": wall, "baseline": None, "peak_mb": None,
            "target": "nothing re-rendered, ≤ 3 s", "ok": wall <= 3, "note": "Rendered 0 document(s)"}


def bench_recognition(work: Path) -> str:
    """Issue 12: verdicts on returned copies of realistic variety (bench/recognition.py), its own section."""
    from bench import recognition

    return recognition.report(recognition.run(work))


def table(rows: list[dict]) -> str:
    lines = ["| work | ours | baseline | ratio | peak memory (ours / baseline) | target | met | checked |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        baseline = f"{row['baseline']:.1f} s" if row.get("baseline") else "–"
        ratio = f"{row['baseline'] / row['ours']:.1f}×" if row.get("baseline") else "–"
        memory = (f"{row['peak_mb']:.0f} MB / {row['baseline_peak_mb']:.0f} MB" if row.get("baseline_peak_mb")
                  else (f"{row['peak_mb']:.0f} MB" if row.get("peak_mb") else "–"))
        lines.append(f"| {row['work']} | {row['ours']:.2f} s | {baseline} | {ratio} | {memory} | {row['target']} | "
                     f"{'yes' if row['ok'] else 'NO'} | {row['note']} |")
    return "\n".join(lines)


def hyphenation_cache() -> str:
    """Build the per-machine cache of parsed hyphenation patterns before measuring, as any earlier render
    on the machine has: a machine's very first render parses them once (+0.8 s)."""
    from pipeline.render import hyphenation
    from pipeline.render.layout import DOCUMENT_LANGUAGE

    hyphenation.preload(DOCUMENT_LANGUAGE)
    return f"hyphenation patterns cached in {hyphenation.cache_dir()}"


def main() -> None:
    # The commands' messages are read back (e.g. "Rendered 0 document(s)"): the English ones, whatever the
    # machine's locale (the interface is German by default).
    os.environ["LANG"] = "en_GB.UTF-8"
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        os.environ.pop(variable, None)
    cores = len(os.sched_getaffinity(0))
    header = (f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.machine()}, "
              f"{cores} cores, Python {platform.python_version()}, font subsetter: {subsetter()}, "
              f"{hyphenation_cache()}.")
    rows = []
    only = set(sys.argv[1:])  # e.g. `python bench/run.py bench_checkin` runs one row
    with tempfile.TemporaryDirectory(prefix="engagiert-bench-") as tmp:
        work = Path(tmp)
        from bench.web import bench_web_desk, bench_web_uploads

        for bench in (bench_render_nrw, bench_render_country, bench_checkin, bench_status, bench_web_uploads,
                      bench_web_desk):
            if only and bench.__name__ not in only:
                continue
            print(f"… {bench.__name__}", file=sys.stderr, flush=True)
            (work / bench.__name__).mkdir()
            produced = bench(work / bench.__name__)
            rows.extend(produced if isinstance(produced, list) else [produced])
        if not only or "bench_demo_again" in only:
            rows.append(bench_demo_again())
        recognition = ""
        if not only or "bench_recognition" in only:
            print("… bench_recognition", file=sys.stderr, flush=True)
            (work / "bench_recognition").mkdir()
            recognition = bench_recognition(work / "bench_recognition")
    report = f"# Benchmark results\n\n{header}\n\n{table(rows)}\n" + (f"\n{recognition}" if recognition else "")
    print(report)
    if not only:  # a partial run does not replace the full table
        (BENCH / "RESULTS.md").write_text(report, encoding="utf-8")
    elif only == {"bench_recognition"}:  # its own section, the table above it kept
        from bench.recognition import write_section

        write_section(recognition)


if __name__ == "__main__":
    main()
