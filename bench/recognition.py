"""The recognition benchmark (issue 12): every signed copy verified, no unsigned copy ever passed.

Renders one document per case, makes each case's returned copy (bench/returns.py, bench/scanner.py), checks
them in with `engagiert checkin` and compares each document's state with what was drawn into its box.
Page 1 of the documents whose upload holds only the signature page is checked in first, as a clean scan
(the page that matters, and costs, is page 2). Fixed seeds: the same copies every run.

Usage: python bench/recognition.py [--sample N | --cases I,J,…] [--keep DIR]  (the first N cases, or only
the uploads holding cases I, J, … (AGS 01001037 is case 137: 1 × 100 + 37), instead of all; the section
of bench/RESULTS.md is written only by a full run). `make bench` runs it through bench/run.py.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench.returns import Case, Doc, make, plan, render  # noqa: E402
from bench.synthetic import write_synthetic  # noqa: E402

ROUND = REPO / "round.toml"
PYTHON = sys.executable
SIGNED, UNSIGNED = 520, 210
MARKS = {"seal_only": 20, "typed_text": 20, "crossed_out": 20, "filled": 16, "tick": 16, "picture": 12,
         "white_out": 12}
NOT_SIGNATURES = ("seal_only", "typed_text", "crossed_out", "filled")   # the list: never verified


def build_cases(docs: list[Doc], sample: int | None = None, only: set[int] | None = None) -> list[Case]:
    categories = ["signed"] * SIGNED + ["unsigned"] * UNSIGNED + [kind for kind, n in MARKS.items() for _ in range(n)]
    random.Random(12).shuffle(categories)
    if sample:
        categories = categories[:sample]
    cases = []
    for index, (category, doc) in enumerate(zip(categories, docs, strict=False)):
        case = Case(index, category, doc)
        plan(case, seed=1000 + index)
        cases.append(case)
    heads, taken = [], set()
    for case in cases:  # a stack holds its own document and the next two plain scans
        if case.index in taken:
            continue
        heads.append(case)
        if case.choices["layout"] == "stack":
            for other in cases[case.index + 1:]:
                if len(case.members) == 2:
                    break
                if other.index not in taken and other.category in ("signed", "unsigned") \
                        and other.choices["layout"] == "page2" and not other.choices["photo"]:
                    other.choices["pen_tool"] = False   # the editor draws on the uploaded file's own page
                    case.members.append(other)
                    taken.add(other.index)
    if only:   # the uploads that hold one of the wanted cases
        heads = [head for head in heads if only & {case.index for case in (head, *head.members)}]
    return heads


def _make(job: tuple[Case, str]) -> list[tuple[str, int, bool]]:
    case, inbox = job
    return make(case, Path(inbox))


def _first_pages(job: tuple[list[Doc], str]) -> None:
    """Page 1 of several documents as one clean 150 dpi scan (PDF, JPEG)."""
    docs, target = job
    pages = [render(doc.pdf, 0, 150, colour=False) for doc in docs]
    pages[0].save(target, format="PDF", save_all=True, append_images=pages[1:], resolution=150, quality=85)


def engagiert(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "pipeline", *args], cwd=REPO, capture_output=True, text=True)


def run(work: Path, sample: int | None = None, only: set[int] | None = None) -> dict:
    from pipeline.ledger import Ledger

    count = sample or SIGNED + UNSIGNED + sum(MARKS.values())
    signatories = write_synthetic(work / "signatories.csv", count, seed=12)
    out = work / "out"
    # A fixed MAC key like the seeds: the same ids, so the same id lines for OCR, in every run (a new key
    # per run changed which stained pages' id lines were read: runs of the same code differed by two pages).
    out.mkdir()
    (out / "docid.secret").write_text(random.Random(12).randbytes(32).hex())
    rendered = engagiert("render", "--signatories", str(signatories), "--round", str(ROUND), "--out", str(out), "-q")
    if rendered.returncode != 0:
        raise SystemExit(rendered.stderr)
    with Ledger.open(out) as ledger:
        records = sorted(ledger.latest_documents("2024-05").values(), key=lambda record: record.ags)
    docs = [Doc(record.doc_id, str(out / record.path), record.geometry) for record in records]
    heads = build_cases(docs, sample, only)
    everything = [case for head in heads for case in (head, *head.members)]

    first = [case.doc for head in heads if head.choices["layout"] == "page2" for case in (head, *head.members)]
    (work / "inbox1").mkdir()
    (work / "inbox2").mkdir()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool() as pool:
        pool.map(_first_pages, [(first[i: i + 25], str(work / "inbox1" / f"seite1-{i:04d}.pdf"))
                                for i in range(0, len(first), 25)])
        sent = pool.map(_make, [(head, str(work / "inbox2")) for head in heads], chunksize=4)
    generated = time.perf_counter() - started
    common = ["--out", str(out), "--round", str(ROUND), "-q"]
    for inbox in ("inbox1", "inbox2"):
        started = time.perf_counter()
        checked = engagiert("checkin", *common, "--inbox", str(work / inbox))
        checkin_seconds = time.perf_counter() - started
        if checked.returncode not in (0, 1) or "Traceback" in checked.stderr:  # 1: some need a person
            raise SystemExit(f"checkin {inbox} failed ({checked.returncode}):\n{checked.stderr[-3000:]}")
    status = json.loads(engagiert("status", "--out", str(out), "--round", str(ROUND), "--format", "json").stdout)
    with Ledger.open(out) as ledger:
        events = [dict(row) for row in ledger.events("2024-05") if row["kind"] == "checkin"]
    return evaluate(everything, [page for pages in sent for page in pages], status, events, out,
                    {"generated": generated, "checkin": checkin_seconds, "uploads": len(heads)})


def evaluate(cases: list[Case], sent: list[tuple[str, int, bool]], status: dict, events: list[dict], out: Path,
             timing: dict) -> dict:
    documents = {row["doc_id"]: row for row in status["documents"]}
    outcome: dict[str, Counter] = {}
    misses = []
    for case in cases:
        state = documents[case.doc.doc_id]["state"]
        outcome.setdefault(case.category, Counter())[state] += 1
        wrong = (case.category == "signed" and state != "verified") or \
                (case.category != "signed" and state == "verified") or \
                (case.category == "unsigned" and state != "rejected")
        if wrong:
            misses.append((case.category, f"{case.doc.doc_id[-20:]}: {case.describe()}", state,
                           documents[case.doc.doc_id]["reason"]))
    legible = [(doc, page) for doc, page, identifiable in sent if identifiable]
    by_doc = {case.doc.doc_id: case for case in cases}
    missed_pages = [f"{doc[-20:]} page {page}: {by_doc[doc].describe()}" for doc, page in legible
                    if page not in (documents[doc].get("pages_received") or [])]
    hidden = [(doc, page) for doc, page, identifiable in sent if not identifiable]

    def received(doc: str, page: int) -> bool:
        return page in (documents[doc].get("pages_received") or [])

    latest: dict[str, dict] = {}
    for event in events:
        latest[event["doc_id"]] = json.loads(event["details"] or "{}")
    problems = [doc for doc, row in documents.items() if row["state"] in ("needs_review", "rejected")]
    with_crop = sum(1 for doc in problems if latest.get(doc, {}).get("review_crop")
                    and (out / latest[doc]["review_crop"]).is_file())
    return {"outcome": outcome, "misses": misses, "legible": len(legible),
            "identified": sum(received(*page) for page in legible), "hidden": len(hidden),
            "matched": sum(received(*page) for page in hidden), "problems": len(problems), "with_crop": with_crop,
            "pages": len(sent), "timing": timing, "missed_pages": missed_pages}


def _share(counter: Counter, state: str) -> str:
    total = sum(counter.values())
    return f"{counter[state]} ({100 * counter[state] / total:.1f} %)" if total else "–"


def report(result: dict) -> str:
    outcome, timing = result["outcome"], result["timing"]
    signed, unsigned = outcome.get("signed", Counter()), outcome.get("unsigned", Counter())
    not_signatures = sum((outcome.get(kind, Counter()) for kind in NOT_SIGNATURES), Counter())
    all_marks = sum((outcome.get(kind, Counter()) for kind in MARKS), Counter())
    per_page = timing["checkin"] / max(1, result["pages"])
    rows = [
        ("signed copies verified", "≥ 99 %", _share(signed, "verified"),
         sum(signed.values()) and signed["verified"] / sum(signed.values()) >= 0.99),
        ("signed copies rejected as unsigned", "0", str(signed["rejected"]), signed["rejected"] == 0),
        ("unsigned copies verified", "0", str(unsigned["verified"]), unsigned["verified"] == 0),
        ("seal / typed text / cross-out / filled box verified", "0", str(not_signatures["verified"]),
         not_signatures["verified"] == 0),
        ("unsigned copies rejected (the rest to review)", "≥ 95 %", _share(unsigned, "rejected"),
         sum(unsigned.values()) and unsigned["rejected"] / sum(unsigned.values()) >= 0.95),
        ("pages with a readable QR code or a legible Dok.-Nr. line identified", "100 %",
         f"{result['identified']} of {result['legible']}", result["identified"] == result["legible"]),
    ]
    lines = ["## Recognition (issue 12)", "",
             f"{sum(signed.values())} signed, {sum(unsigned.values())} unsigned and {sum(all_marks.values())} "
             f"otherwise marked copies in {timing['uploads']} uploads ({result['pages']} pages), fixed seeds "
             "(bench/recognition.py). Made in {:.0f} s; checked in in {:.1f} s, {:.0f} ms per page.".format(
                 timing["generated"], timing["checkin"], 1000 * per_page), "",
             "| measure | target | measured | met |", "|---|---|---|---|"]
    lines += [f"| {name} | {target} | {value} | {'yes' if ok else 'NO'} |" for name, target, value, ok in rows]
    lines += ["", "| in the box | copies | verified | needs review | rejected | other |", "|---|---|---|---|---|---|"]
    for kind in ("signed", "unsigned", *MARKS):
        counter = outcome.get(kind, Counter())
        other = sum(counter.values()) - counter["verified"] - counter["needs_review"] - counter["rejected"]
        lines.append(f"| {kind.replace('_', ' ')} | {sum(counter.values())} | {counter['verified']} | "
                     f"{counter['needs_review']} | {counter['rejected']} | {other} |")
    lines += ["", f"Pages whose QR code and id line were both made unreadable: {result['hidden']}, of which "
              f"{result['matched']} were identified by matching them against our page inside their upload. "
              f"Review pictures: {result['with_crop']} of {result['problems']} documents in review or rejected "
              "name one that exists.", ""]
    if result["missed_pages"]:
        lines += ["Legible pages not identified:", ""] + [f"- {line}" for line in result["missed_pages"]] + [""]
    if result["misses"]:
        lines += ["Copies not judged as drawn (category, how it was made, state, reason):", ""]
        lines += [f"- {category}: {how} → **{state}**: {reason}" for category, how, state, reason in
                  result["misses"][:40]]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    path = BENCH / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    head = text.split("## Recognition (issue 12)")[0].rstrip() + "\n\n"
    path.write_text(head + section, encoding="utf-8")


def main() -> None:
    import tempfile

    sample = int(sys.argv[sys.argv.index("--sample") + 1]) if "--sample" in sys.argv else None
    only = ({int(number) for number in sys.argv[sys.argv.index("--cases") + 1].split(",")}
            if "--cases" in sys.argv else None)
    if "--keep" in sys.argv:  # for looking at the copies and the ledger afterwards
        work = Path(sys.argv[sys.argv.index("--keep") + 1])
        work.mkdir(parents=True)
        section = report(run(work, sample, only))
    else:
        with tempfile.TemporaryDirectory(prefix="engagiert-recognition-") as tmp:
            section = report(run(Path(tmp), sample, only))
    print(section)
    if not sample and not only:
        write_section(section)


if __name__ == "__main__":
    main()
