"""Check-in: each upload from the inbox → identified pages → verified documents → files and ledger.

One upload at a time, in three steps, so that a crash at any moment loses nothing and counts nothing twice:

1. *claim and store*: lock the file, hash it, move it to ``out/<round>/received/<sha256>.<ext>``
   (the same bytes seen before: moved to ``received/duplicates/`` and nothing else changes);
2. *analyse* (the slow part, no ledger lock held): read every page, find its document, measure the ink in
   the signature box or validate the digital signature (intake.py, verify.py);
3. *record* in one ledger transaction: the upload, its pages, and for every document it touched the new
   state with a reason; the signed document is written just before the commit.

A file in ``received/`` without an upload row is a run that died between 1 and 3: ``reconcile`` finishes it.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import archive
from .docid import DocIdError, check_doc_id, load_secret, parse_doc_id, parse_qr_payload
from .errors import InvalidInputError
from .fileio import slugify, write_text_atomic
from .intake import Limits, Refused, open_upload, read_pages
from .ledger import DocumentRecord, Ledger
from .round import RoundConfig

PROBLEM_STATES = ("rejected", "needs_review")


@dataclass
class Settings:
    inbox: Path
    limits: Limits = field(default_factory=Limits)
    trust_roots: list = field(default_factory=list)


def load_settings(round_cfg: RoundConfig, inbox: Path | None = None, trust_roots: tuple[Path, ...] = (),
                  **limit_overrides) -> Settings:
    """[checkin] from round.toml (inbox, trust_roots, limits), overridden by the command line."""
    from .verify import load_trust_roots

    table = tomllib.loads(round_cfg.source.read_text("utf-8-sig")).get("checkin", {})
    base = round_cfg.source.parent
    limits = Limits()
    values = {
        "max_bytes": int(table.get("max_mb", limits.max_bytes / 1024 / 1024) * 1024 * 1024),
        "max_pages": int(table.get("max_pages", limits.max_pages)),
        "max_pixels": int(table.get("max_megapixels", limits.max_pixels / 1e6) * 1e6),
        "max_seconds": float(table.get("max_seconds", limits.max_seconds)),
    }
    for key, value in limit_overrides.items():
        if value is not None:
            values[key] = value
    if any(value <= 0 for value in values.values()):
        raise InvalidInputError(f"{round_cfg.source}: [checkin] limits must be positive numbers")
    roots = [base / path for path in table.get("trust_roots", [])] + list(trust_roots)
    inbox_path = inbox if inbox is not None else base / table.get("inbox", "inbox")
    return Settings(inbox=Path(inbox_path), limits=Limits(**{**limits.__dict__, **values}),
                    trust_roots=load_trust_roots(roots))


# --- results --------------------------------------------------------------------------------------


@dataclass
class DocumentOutcome:
    doc_id: str
    ags: str
    bezeichnung: str
    state: str | None       # the document's state after this upload (None: unchanged)
    reason: str
    pages: list[int]


@dataclass
class UploadResult:
    name: str
    sha256: str
    outcome: str            # matched, unmatched, refused, duplicate, taken (by another process)
    reason: str = ""
    documents: list[DocumentOutcome] = field(default_factory=list)
    stored: str = ""

    def lines(self) -> list[str]:
        if self.outcome in ("refused", "unmatched", "duplicate", "taken") and not self.documents:
            return [f"{self.name}: {self.outcome.upper()}: {self.reason}"]
        lines = [f"{self.name}:" + (f" ({self.reason})" if self.reason else "")]
        for doc in self.documents:
            state = (doc.state or "unchanged").replace("_", " ").upper()
            pages = ", ".join(map(str, doc.pages))
            lines.append(f"  {doc.bezeichnung} ({doc.doc_id}), page(s) {pages}: {state}"
                         + (f": {doc.reason}" if doc.reason else ""))
        return lines

    @property
    def needs_attention(self) -> bool:
        return self.outcome in ("refused", "unmatched") or any(
            doc.state in PROBLEM_STATES for doc in self.documents) or "match no document" in self.reason


@dataclass
class CheckinSummary:
    results: list[UploadResult]

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    def states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results:
            for doc in result.documents:
                key = doc.state or "unchanged"
                counts[key] = counts.get(key, 0) + 1
        return counts

    @property
    def needs_attention(self) -> bool:
        return any(result.needs_attention for result in self.results)


# --- analysis (no ledger lock) ----------------------------------------------------------------------


@dataclass
class Finding:
    """A page of the upload that is page `page` of document `doc_id`."""

    source_page: int
    doc_id: str
    page: int
    how: str
    ink: dict | None = None


@dataclass
class Analysis:
    kind: str = ""
    page_count: int = 0
    findings: list[Finding] = field(default_factory=list)
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)
    refused: str = ""
    digital: dict[str, dict] = field(default_factory=dict)   # doc_id -> DigitalResult as dict


class Context:
    """What analysis needs from the round: the documents, the MAC key, the limits."""

    def __init__(self, round_cfg: RoundConfig, out: Path, ledger: Ledger, settings: Settings):
        self.round_cfg, self.out, self.ledger, self.settings = round_cfg, Path(out), ledger, settings
        self.secret = load_secret(out)
        self.refresh()

    def refresh(self) -> None:
        self.current = self.ledger.latest_documents(self.round_cfg.id)

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.ledger.document(doc_id)


def analyse(path: Path, context: Context) -> Analysis:
    from .verify import check_digital_signature

    analysis = Analysis()
    limits = context.settings.limits
    try:
        upload = open_upload(path, limits)
        analysis.kind, analysis.page_count = upload.kind, upload.page_count
        for page in read_pages(upload, limits):
            try:
                _identify_page(page, context, analysis)
            except Exception as exc:  # one odd page must not cost the others
                analysis.unmatched.append((page.number, f"page could not be read ({exc.__class__.__name__})"))
            finally:
                page.image = None
    except Refused as exc:
        analysis.refused = str(exc)
        return analysis
    except Exception as exc:  # a file that breaks a library: refused with the library's words, no traceback
        analysis.refused = f"the file cannot be read ({exc.__class__.__name__}: {str(exc)[:200]})"
        return analysis
    if upload.signed_pdf and analysis.findings:
        data = path.read_bytes()
        for doc_id in {finding.doc_id for finding in analysis.findings}:
            record = context.document(doc_id)
            rendered = (context.out / record.path).read_bytes()
            result = check_digital_signature(data, rendered, context.settings.trust_roots)
            analysis.digital[doc_id] = {"verdict": result.verdict, "reason": result.reason,
                                        "signers": result.signers}
    return analysis


def _identify_page(page, context: Context, analysis: Analysis) -> None:
    from .verify import signature_ink, signature_ink_on_page

    if page.blank:
        analysis.blank.append(page.number)
        return
    candidates = [(code.text, code) for code in page.codes]
    if not candidates and page.text_ids:
        number, count = page.text_page or (0, 0)
        candidates = [(f"{text_id}/{number}/{count}", None) for text_id in page.text_ids[:1]]
    if not candidates:
        analysis.unmatched.append((page.number, page.problem or "no document code found on the page"))
        return
    reasons = []
    for payload, code in candidates:
        try:
            ref = parse_qr_payload(payload)
        except DocIdError:
            reasons.append(f"a code that is not one of ours ({payload[:40]!r})")
            continue
        doc_id = str(ref.doc_id)
        try:
            check_doc_id(context.secret, ref.doc_id)
        except DocIdError:
            reasons.append(f"document code {doc_id} fails its check (mistyped, damaged or forged)")
            continue
        if ref.doc_id.round != context.round_cfg.id:
            reasons.append(f"a document of round {ref.doc_id.round}; this check-in is for round "
                           f"{context.round_cfg.id} (use that round's round.toml)")
            continue
        record = context.document(doc_id)
        if record is None:
            reasons.append(f"document {doc_id} is not in this ledger (rendered with another output folder?)")
            continue
        if ref.pages != record.pages:
            reasons.append(f"the code says {ref.pages} pages, document {doc_id} has {record.pages}")
            continue
        ink = None
        signature_page = record.geometry["signature_box"]["page"]
        if ref.page == signature_page and page.image is not None:
            reference = context.out / record.path
            if code is not None:
                reading = signature_ink(page.image, code.corners, record.geometry, ref.page, reference)
            else:
                reading = signature_ink_on_page(page.image, record.geometry["page_size"], record.geometry,
                                                ref.page, reference)
            ink = reading.as_details()
        analysis.findings.append(Finding(page.number, doc_id, ref.page, page.how, ink))
        return
    analysis.unmatched.append((page.number, "; ".join(reasons)))


# --- recording (one transaction) -------------------------------------------------------------------


def record(context: Context, claimed: archive.Claim, analysis: Analysis) -> UploadResult:
    ledger, out, round_id = context.ledger, context.out, context.round_cfg.id
    stored = claimed.path.relative_to(out).as_posix()
    result = UploadResult(claimed.original_name, claimed.sha256, "", stored=stored)
    unmatched_files = _write_unmatched(context, claimed, analysis)
    with ledger.transaction() as cursor:
        if cursor.execute("SELECT 1 FROM uploads WHERE sha256 = ?", (claimed.sha256,)).fetchone():
            result.outcome, result.reason = "duplicate", "another check-in recorded the same file a moment ago"
            return result
        context.refresh()
        if analysis.refused:
            result.outcome, result.reason = "refused", analysis.refused
        elif not analysis.findings:
            result.outcome = "unmatched"
            result.reason = ("no page of ours found: " + "; ".join(
                f"page {number}: {why}" for number, why in analysis.unmatched[:5])) if analysis.unmatched \
                else "only blank pages"
        else:
            result.outcome = "matched"
            if analysis.unmatched:
                result.reason = f"{len(analysis.unmatched)} page(s) match no document, kept in out/unmatched/"
        details = {"kind": analysis.kind, "pages": analysis.page_count, "blank_pages": analysis.blank,
                   "unmatched": [{"page": n, "reason": why, "file": unmatched_files.get(n)}
                                 for n, why in analysis.unmatched],
                   "found": [{"page": f.source_page, "doc_id": f.doc_id, "doc_page": f.page, "how": f.how}
                             for f in analysis.findings]}
        at = _now()
        cursor.execute("INSERT INTO uploads (sha256, round, original_name, stored_path, size, received_at, outcome, "
                       "reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (claimed.sha256, round_id, claimed.original_name, stored, claimed.size, at, result.outcome,
                        result.reason or None, json.dumps(details, ensure_ascii=False)))
        Ledger.add_event(cursor, round_id=round_id, kind="upload", reason=result.reason or None,
                         file_sha256=claimed.sha256, at=at,
                         details={"upload": claimed.original_name, "outcome": result.outcome, "stored": stored})
        for finding in _best_per_page(analysis.findings):
            cursor.execute("INSERT OR IGNORE INTO pages (doc_id, page, upload_sha256, source_page, ink, details, "
                           "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (finding.doc_id, finding.page, claimed.sha256, finding.source_page,
                            finding.ink["verdict"] if finding.ink else None,
                            json.dumps({"how": finding.how, "ink": finding.ink}), at))
        for doc_id in dict.fromkeys(finding.doc_id for finding in analysis.findings):
            pages = sorted({f.page for f in analysis.findings if f.doc_id == doc_id})
            outcome = _judge(context, cursor, claimed, analysis, doc_id, pages)
            result.documents.append(outcome)
    return result


INK_RANK = {"signed": 3, "ambiguous": 2, "blank": 1}


def _best_per_page(findings: list[Finding]) -> list[Finding]:
    """Two copies of one document in a stack (one signed, one the office's own): keep the signed page."""
    best: dict[tuple[str, int], Finding] = {}
    for finding in findings:
        key = (finding.doc_id, finding.page)
        rank = INK_RANK.get((finding.ink or {}).get("verdict"), 0)
        if key not in best or rank > INK_RANK.get((best[key].ink or {}).get("verdict"), 0):
            best[key] = finding
    return list(best.values())


def _now() -> str:
    from .ledger import now_iso

    return now_iso()


def _state_of(cursor, doc_id: str) -> tuple[str | None, str | None]:
    row = cursor.execute("SELECT state, reason FROM events WHERE doc_id = ? AND state IS NOT NULL "
                         "ORDER BY id DESC LIMIT 1", (doc_id,)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _judge(context: Context, cursor, claimed: archive.Claim, analysis: Analysis, doc_id: str,
           pages: list[int]) -> DocumentOutcome:
    """The document's new state after this upload, from every page of it received so far."""
    record_ = context.document(doc_id)
    name = record_.signatory.get("bezeichnung", record_.ags)
    round_id = context.round_cfg.id
    event = {"round_id": round_id, "ags": record_.ags, "file_sha256": claimed.sha256}
    details = {"upload": claimed.original_name, "pages": pages}

    current = context.current.get(record_.ags)
    if current is not None and current.doc_id != doc_id:
        current_id = current.doc_id
        state, _ = _state_of(cursor, current_id)
        reason = (f"an old version (V{record_.version}) was returned; version V{current.version} replaces it "
                  f"(the printed text changed): the municipality must sign V{current.version}")
        if state == "verified":
            Ledger.add_event(cursor, kind="old_version", doc_id=current_id, reason=reason, details=details, **event)
            return DocumentOutcome(current_id, record_.ags, name, None, reason + " (already verified, unchanged)",
                                   pages)
        Ledger.add_event(cursor, kind="checkin", doc_id=current_id, state="rejected", reason=reason,
                         details={**details, "returned_doc_id": doc_id}, **event)
        return DocumentOutcome(current_id, record_.ags, name, "rejected", reason, pages)

    state, _ = _state_of(cursor, doc_id)
    if state == "verified":
        reason = ("a second, different copy of a document already verified: kept in received/, "
                  "the verified copy stays")
        Ledger.add_event(cursor, kind="duplicate", doc_id=doc_id, reason=reason, details=details, **event)
        return DocumentOutcome(doc_id, record_.ags, name, None, reason, pages)

    digital = analysis.digital.get(doc_id)
    if digital is not None and set(pages) == set(range(1, record_.pages + 1)):
        new_state = digital["verdict"]
        reason = digital["reason"] or "digitally signed by " + ", ".join(s["signer"] for s in digital["signers"])
        if new_state == "verified":
            archive.write_durable(_signed_path(context, record_), claimed.path.read_bytes())
        Ledger.add_event(cursor, kind="checkin", doc_id=doc_id, state=new_state, reason=reason,
                         details={**details, "digital": digital}, **event)
        return DocumentOutcome(doc_id, record_.ags, name, new_state, reason, pages)

    rows = cursor.execute("SELECT p.page, p.ink, p.upload_sha256, p.source_page, p.details, u.stored_path, "
                          "u.details AS upload_details FROM pages p JOIN uploads u ON u.sha256 = p.upload_sha256 "
                          "WHERE p.doc_id = ? ORDER BY p.id", (doc_id,)).fetchall()
    have = {row["page"] for row in rows}
    missing = [number for number in range(1, record_.pages + 1) if number not in have]
    signature_page = record_.geometry["signature_box"]["page"]
    inks = [row["ink"] for row in rows if row["page"] == signature_page]
    if missing:
        new_state = "incomplete"
        reason = f"page {', '.join(map(str, missing))} of {record_.pages} not received yet"
        if signature_page not in missing and "signed" not in inks:
            new_state, reason = "rejected", (f"not signed: the signature box on page {signature_page} is empty; "
                                              f"page {', '.join(map(str, missing))} also missing")
    elif "signed" in inks:
        new_state, reason = "verified", f"signed (signature box on page {signature_page} holds ink)"
        _write_signed(context, record_, rows, signature_page)
    elif "ambiguous" in inks:
        notes = [json.loads(row["details"]).get("ink", {}).get("note", "") for row in rows
                 if row["page"] == signature_page and row["ink"] == "ambiguous"]
        new_state, reason = "needs_review", f"unclear whether signed: {notes[-1] or 'little ink in the box'}"
    else:
        new_state = "rejected"
        reason = f"not signed: the signature box on page {signature_page} is empty"
    Ledger.add_event(cursor, kind="checkin", doc_id=doc_id, state=new_state, reason=reason, details=details,
                     **event)
    return DocumentOutcome(doc_id, record_.ags, name, new_state, reason, pages)


def _signed_path(context: Context, record_: DocumentRecord) -> Path:
    name = record_.signatory.get("name") or record_.ags
    return archive.signed_dir(context.out, context.round_cfg.id) / f"{record_.ags}_{slugify(name)}.pdf"


def _write_signed(context: Context, record_: DocumentRecord, rows, signature_page: int) -> Path:
    """The verified document from its pages, wherever each arrived: the signed copy of the signature
    page, the newest copy of every other page."""
    chosen: dict[int, object] = {}
    for row in rows:  # oldest first: a later copy replaces an earlier one, except an unsigned signature page
        earlier = chosen.get(row["page"])
        if earlier is not None and earlier["ink"] == "signed" and row["ink"] != "signed":
            continue
        chosen[row["page"]] = row
    parts = []
    for number in sorted(chosen):
        row = chosen[number]
        kind = json.loads(row["upload_details"] or "{}").get("kind", "pdf")
        parts.append(archive.page_as_pdf(context.out / row["stored_path"], kind, row["source_page"]))
    path = _signed_path(context, record_)
    archive.write_durable(path, archive.assemble_pdf(parts))
    return path


def _write_unmatched(context: Context, claimed: archive.Claim, analysis: Analysis) -> dict[int, str]:
    """Pages that match no document, each as its own file with a note saying why (before the commit:
    if we crash, the next run writes the same files again)."""
    written: dict[int, str] = {}
    if not analysis.unmatched or analysis.refused:
        return written
    directory = archive.unmatched_dir(context.out)
    for number, why in analysis.unmatched:
        stem = f"{claimed.sha256[:16]}-page{number:03d}"
        try:
            data = archive.page_as_pdf(claimed.path, analysis.kind, number)
            archive.write_durable(directory / f"{stem}.pdf", data)
            written[number] = f"unmatched/{stem}.pdf"
        except Exception:  # a page we cannot even copy: the note still says where the whole upload is
            written[number] = ""
        write_text_atomic(directory / f"{stem}.txt",
                          f"Upload: {claimed.original_name}\nStored as: {claimed.path.relative_to(context.out)}\n"
                          f"Page: {number}\nReason: {why}\n")
    return written


# --- one upload, the inbox, crash recovery, manual decisions ----------------------------------------


def stage(path: Path, context: Context) -> UploadResult | archive.Claim | None:
    """Claim and store one upload. Returns the claim (stored, locked, to be analysed), a finished result
    (a link, or bytes seen before), or None if another process has the file."""
    out, round_id = context.out, context.round_cfg.id
    received = archive.received_dir(out, round_id)
    if path.is_symlink():
        return _refuse_link(path, context, received)
    claimed = archive.claim(path)
    if claimed is None:
        return None
    try:
        archive.hash_claimed(claimed)
        known = context.ledger.connection.execute(
            "SELECT original_name, received_at, stored_path FROM uploads WHERE sha256 = ?",
            (claimed.sha256,)).fetchone()
        if known is not None:
            if claimed.path.parent != received:
                archive.store(claimed, archive.free_name(received / "duplicates", claimed.sha256[:16],
                                                         _suffix(claimed)))
            reason = (f"the same file was already checked in as '{known['original_name']}' on "
                      f"{known['received_at'][:10]}; nothing changed (kept as {claimed.path.relative_to(out)})")
            with context.ledger.transaction() as cursor:
                Ledger.add_event(cursor, round_id=round_id, kind="upload_repeat", file_sha256=claimed.sha256,
                                 reason=reason, details={"upload": claimed.original_name,
                                                         "stored": claimed.path.relative_to(out).as_posix()})
            claimed.release()
            return UploadResult(claimed.original_name, claimed.sha256, "duplicate", reason)
        target = received / f"{claimed.sha256}{_suffix(claimed)}"
        if target.exists():
            # The same bytes are already in received/: earlier in this run, in a parallel run, or left by an
            # interrupted one (reconcile finishes that). This copy is kept aside and changes nothing.
            archive.store(claimed, archive.free_name(received / "duplicates", claimed.sha256[:16], _suffix(claimed)))
            reason = (f"the same file is already being checked in ({target.relative_to(out)}); nothing changed "
                      f"(kept as {claimed.path.relative_to(out)})")
            with context.ledger.transaction() as cursor:
                Ledger.add_event(cursor, round_id=round_id, kind="upload_repeat", file_sha256=claimed.sha256,
                                 reason=reason, details={"upload": claimed.original_name,
                                                         "stored": claimed.path.relative_to(out).as_posix()})
            claimed.release()
            return UploadResult(claimed.original_name, claimed.sha256, "duplicate", reason)
        archive.store(claimed, target)
        return claimed
    except BaseException:
        claimed.release()
        raise


def check_in_file(path: Path, context: Context) -> UploadResult | None:
    """Claim, store, analyse and record one upload in this process."""
    staged = stage(path, context)
    if not isinstance(staged, archive.Claim):
        return staged
    try:
        return record(context, staged, analyse(staged.path, context))
    finally:
        staged.release()


def _suffix(claimed: archive.Claim) -> str:
    """The stored file's extension: from its content; for a file we cannot read, the original's
    extension if it is a plain one (so a clerk can still open the .docx someone sent), else .bin."""
    kind = _kind_or_blank(claimed.path)
    if kind in archive.EXTENSIONS:
        return archive.EXTENSIONS[kind]
    original = Path(claimed.original_name).suffix.lower()
    return original if re.fullmatch(r"\.[a-z0-9]{1,5}", original) else ".bin"


def _kind_or_blank(path: Path) -> str:
    from .intake import sniff

    with open(path, "rb") as handle:
        head = handle.read(1024)
    try:
        return sniff(head)
    except Refused:
        return ""


def _refuse_link(link: Path, context: Context, received: Path) -> UploadResult:
    target = Path(link).resolve()
    sha, stored = archive.store_link(link, received / "links")
    reason = (f"a link to {target} (not followed: only files put into the inbox itself are read); "
              "copy the file into the inbox instead")
    with context.ledger.transaction() as cursor:
        if not cursor.execute("SELECT 1 FROM uploads WHERE sha256 = ?", (sha,)).fetchone():
            cursor.execute("INSERT INTO uploads (sha256, round, original_name, stored_path, size, received_at, "
                           "outcome, reason) VALUES (?, ?, ?, ?, 0, ?, 'refused', ?)",
                           (sha, context.round_cfg.id, link.name, stored.relative_to(context.out).as_posix(),
                            _now(), reason))
        Ledger.add_event(cursor, round_id=context.round_cfg.id, kind="upload", reason=reason, file_sha256=sha,
                         details={"upload": link.name, "outcome": "refused"})
    return UploadResult(link.name, sha, "refused", reason)


def reconcile(context: Context) -> list[UploadResult]:
    """Finish uploads a crashed run stored but did not record (unlocked files in received/ without a row)."""
    received = archive.received_dir(context.out, context.round_cfg.id)
    if not received.is_dir():
        return []
    recorded = {row[0] for row in context.ledger.connection.execute("SELECT stored_path FROM uploads")}
    results = []
    for path in sorted(received.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.relative_to(context.out).as_posix() in recorded:
            continue
        claimed = archive.claim(path)
        if claimed is None:
            continue  # another check-in is working on it right now
        try:
            claimed.original_name = f"{path.name} (finished after an interrupted run)"
            archive.hash_claimed(claimed)
            if path.stem != claimed.sha256:
                continue  # not one of ours (someone put a file here by hand): leave it alone
            results.append(record(context, claimed, analyse(path, context)))
        finally:
            claimed.release()
    return results


def check_in(paths: list[Path], round_cfg: RoundConfig, out: Path, settings: Settings,
             progress: Callable[[int], object] | None = None,
             on_result: Callable[[UploadResult], object] | None = None, workers: int | None = None) -> CheckinSummary:
    """Check in every upload under `paths`. Reading pages runs in `workers` processes (default: one per
    core); claiming, storing and recording stay in this process, in inbox order."""
    from .analysis_pool import AnalysisPool

    out = Path(out)
    results: list[UploadResult] = []

    def emit(result: UploadResult | None) -> None:
        if progress:
            progress(1)
        if result is not None:
            results.append(result)
            if on_result:
                on_result(result)

    with Ledger.open(out) as ledger:
        if not ledger.latest_documents(round_cfg.id):
            raise InvalidInputError(f"{out}: no documents for round {round_cfg.id} in the ledger; "
                                    "run `engagiert render` first")
        context = Context(round_cfg, out, ledger, settings)
        for result in reconcile(context):
            results.append(result)
            if on_result:
                on_result(result)
        files = archive.inbox_files(paths)
        # The pool is forked before any upload is claimed, so no worker inherits a claim's lock.
        with AnalysisPool(context, workers if len(files) > 1 else 1) as pool:
            pending: list[tuple[archive.Claim, object]] = []
            for path in files:
                staged = stage(path, context)
                if not isinstance(staged, archive.Claim):
                    emit(staged)
                    continue
                pending.append((staged, pool.submit(staged.path)))
                while len(pending) > pool.window:
                    emit(_finish(context, pool, *pending.pop(0)))
            while pending:
                emit(_finish(context, pool, *pending.pop(0)))
        return CheckinSummary(results)


def _finish(context: Context, pool, claimed: archive.Claim, handle) -> UploadResult:
    try:
        return record(context, claimed, pool.result(handle, claimed.path))
    finally:
        claimed.release()


def decide(round_cfg: RoundConfig, out: Path, doc_id: str, accept: bool, reason: str) -> DocumentOutcome:
    """A clerk settles a case by hand (typically "needs review"): recorded as a decision event."""
    out = Path(out)
    try:
        parsed = parse_doc_id(doc_id)
    except DocIdError as exc:
        raise InvalidInputError(str(exc)) from exc
    with Ledger.open(out) as ledger:
        record_ = ledger.document(str(parsed))
        if record_ is None or record_.round != round_cfg.id:
            raise InvalidInputError(f"{doc_id}: no such document in round {round_cfg.id}")
        current = ledger.latest_documents(round_cfg.id).get(record_.ags)
        if current is not None and current.doc_id != record_.doc_id:
            raise InvalidInputError(f"{doc_id} is superseded by {current.doc_id}; decide on the current version")
        if not accept and not reason.strip():
            raise InvalidInputError("--reject needs --reason \"…\" (the municipality is told why)")
        context = Context(round_cfg, out, ledger, Settings(inbox=Path(".")))
        with ledger.transaction() as cursor:
            state = "verified" if accept else "rejected"
            text = reason.strip() or "accepted by hand after review"
            if accept:
                rows = cursor.execute(
                    "SELECT p.page, p.ink, p.upload_sha256, p.source_page, p.details, u.stored_path, "
                    "u.details AS upload_details FROM pages p JOIN uploads u ON u.sha256 = p.upload_sha256 "
                    "WHERE p.doc_id = ? ORDER BY p.id", (record_.doc_id,)).fetchall()
                if {row["page"] for row in rows} >= set(range(1, record_.pages + 1)):
                    _write_signed(context, record_, rows, record_.geometry["signature_box"]["page"])
            Ledger.add_event(cursor, round_id=round_cfg.id, kind="decision", ags=record_.ags, doc_id=record_.doc_id,
                             state=state, reason=text)
        return DocumentOutcome(record_.doc_id, record_.ags, record_.signatory.get("bezeichnung", record_.ags),
                               state, text, [])
