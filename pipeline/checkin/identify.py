"""Identify an upload's pages: which page of which of our documents each one is, and its ink.

Runs without the ledger lock (in worker processes for long runs): reads every page (intake.py), checks
each document code (MAC, round, known document, page count) and measures the signature box (ink.py).
A page without a readable code is identified by its printed id line (printed.py), and failing that, by
matching it against our pages of the documents the rest of its upload identifies (matching.py).
The result, an ``Analysis``, is plain data that the recording step turns into ledger rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..docid import DocIdError, check_doc_id, parse_qr_payload
from ..geometry import Geometry
from ..i18n import deferred, deferred_join
from .intake import Refused, open_upload, read_pages

if TYPE_CHECKING:
    from .context import Context


@dataclass
class Finding:
    """A page of the upload that is page `page` of document `doc_id`."""

    source_page: int
    doc_id: str
    page: int
    how: str
    ink: dict | None = None
    crop: bytes | None = None    # the review picture of a signature box that is not clearly signed
    mismatch: str = ""           # why the page does not show the document its code names (likeness.py)


@dataclass
class Analysis:
    kind: str = ""
    page_count: int = 0
    findings: list[Finding] = field(default_factory=list)
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)
    refused: str = ""
    digital: dict[str, dict] = field(default_factory=dict)   # doc_id -> DigitalResult as dict (+ "kind": seal)
    scanned: set[int] = field(default_factory=set)            # source pages that are scans, not drawn pages


def analyse(path: Path, context: Context) -> Analysis:
    from .matching import Loose, match_loose_pages

    analysis = Analysis()
    limits = context.settings.limits
    loose: list[Loose] = []   # pages registered on our layout but not identified: matched at the end
    try:
        upload = open_upload(path, limits)
        analysis.kind, analysis.page_count = upload.kind, upload.page_count
        def likely_signed(number: int) -> bool:
            last = analysis.findings[-1] if analysis.findings else None
            if last is None or last.source_page != number - 1:
                return False
            record = context.document(last.doc_id)
            return record is not None and record.geometry.signature_box.page == last.page + 1

        for page in read_pages(upload, limits, likely_signed):
            if not page.born_digital and not page.blank:
                analysis.scanned.add(page.number)
            try:
                _identify_page(page, context, analysis, loose)
            except Exception as exc:  # one odd page must not cost the others
                analysis.unmatched.append((page.number, deferred("page could not be read ({error})",
                                                                  error=exc.__class__.__name__)))
            finally:
                page.image = None
        if loose and analysis.findings:
            match_loose_pages(loose, upload, context, analysis, Finding, read_signature_box)
    except Refused as exc:
        analysis.refused = exc.args[0]  # as raised: a DeferredText is shown in the reader's language
        return analysis
    except Exception as exc:  # a file that breaks a library: refused with the library's words, no traceback
        analysis.refused = f"the file cannot be read ({exc.__class__.__name__}: {str(exc)[:200]})"
        return analysis
    if upload.signed_pdf and analysis.findings:
        _check_signatures(path, context, analysis)
    return analysis


def _check_signatures(path: Path, context: Context, analysis: Analysis) -> None:
    """A digitally signed upload: our PDF signed (it must be our bytes plus signatures), or a scan sealed by
    a document system (judged by its pages; the seal must be unbroken and is recorded)."""
    from .digital import DigitalResult, ExpectedSigner, check_digital_signature, check_seal

    data = path.read_bytes()
    for doc_id in dict.fromkeys(finding.doc_id for finding in analysis.findings):
        record = context.document(doc_id)
        kind = "signature"
        try:
            rendered = (context.out / record.path).read_bytes()
        except OSError:  # our own file gone: not the upload's fault, and no reason to stop the run
            result = DigitalResult("needs_review", f"our rendered file {record.path} is missing, so the signed "
                                   "file cannot be compared with it: run `engagiert render` (it makes the "
                                   "same file again), check the signature by hand, then --accept or --reject",
                                   code="rendered_missing")
        else:
            pages = {finding.source_page for finding in analysis.findings if finding.doc_id == doc_id}
            if not data.startswith(rendered) and pages <= analysis.scanned:
                kind, result = "seal", check_seal(data, context.settings.trust_roots)
            else:
                expected = ExpectedSigner.of(record.ags, record.signatory, context.round_cfg.checkin.signers)
                result = check_digital_signature(data, rendered, context.settings.trust_roots, expected)
        analysis.digital[doc_id] = {"verdict": result.verdict, "reason": result.reason, "signers": result.signers,
                                    "code": result.code, "kind": kind}


def _identify_page(page, context: Context, analysis: Analysis, loose: list) -> None:
    if page.blank:
        analysis.blank.append(page.number)
        return
    candidates = [(code.text, code) for code in page.codes]
    if not candidates and page.text_ids:
        number, count = page.text_page or (0, 0)
        candidates = [(f"{text_id}/{number}/{count}", None) for text_id in page.text_ids[:1]]
    if not candidates and page.image is not None:
        from .printed import identify_by_print

        candidates = [(payload, None) for payload in identify_by_print(page, context, loose)]
    if not candidates:
        analysis.unmatched.append((page.number, page.problem or deferred("no document code found on the page")))
        return
    reasons = []
    for payload, code in candidates:
        try:
            ref = parse_qr_payload(payload)
        except DocIdError:
            reasons.append(deferred("a code that is not one of ours ({code})", code=repr(payload[:40])))
            continue
        doc_id = str(ref.doc_id)
        try:
            check_doc_id(context.secret, ref.doc_id)
        except DocIdError:
            reasons.append(deferred("document code {doc_id} fails its check (mistyped, damaged or forged)",
                                    doc_id=doc_id))
            continue
        if ref.doc_id.round != context.round_cfg.id:
            reasons.append(deferred("a document of round {other}; this check-in is for round {round} (use that round's "
                                    "round.toml)", other=ref.doc_id.round, round=context.round_cfg.id))
            continue
        record = context.document(doc_id)
        if record is None:
            reasons.append(deferred("document {doc_id} is not in this ledger (rendered with another output folder?)",
                                    doc_id=doc_id))
            continue
        if ref.pages != record.pages:
            reasons.append(deferred("the code says {pages} pages, document {doc_id} has {has}", pages=ref.pages,
                                    doc_id=doc_id, has=record.pages))
            continue
        reading = None
        if ref.page == record.geometry.signature_box.page and page.image is not None:
            reading = read_signature_box(page, code, record.geometry, ref.page, context.out / record.path)
        analysis.findings.append(Finding(page.number, doc_id, ref.page, page.how,
                                         reading.as_details() if reading else None, reading.crop if reading else None,
                                         _mismatch(page, code, record, ref.page, context)))
        return
    analysis.unmatched.append((page.number, deferred_join("; ", reasons)))


def _mismatch(page, code, record, page_number: int, context: Context) -> str:
    """Why the page does not show what its code names (another document's name or id line), or ""."""
    import numpy as np

    from .ink import page_map, qr_map
    from .likeness import likeness, personal_parts

    if page.image is None:
        return ""
    grey = np.asarray(page.image)
    if code is not None:
        fitted = qr_map(record.geometry, page_number, code.corners)
        transform = fitted[0] if fitted is not None else None
    elif page.transform is not None:
        transform = page.transform
    else:
        transform = page_map((grey.shape[1], grey.shape[0]), record.geometry.page_size)
    strangers = tuple(context.out / other.path for other in context.sample_documents(3)
                      if other.doc_id != record.doc_id)[:2]
    qr = record.geometry.qr.get(page_number)
    parts = personal_parts(context.out / record.path, strangers, page_number, (tuple(qr),) if qr else ())
    if transform is None or not parts:
        return ""
    seen = likeness(grey, transform, parts)
    if seen.verdict == "unsure":
        seen, grey, transform = _seen_again(page, grey, transform, code is not None, context.out / record.path,
                                            page_number, parts, seen)
    if seen.verdict == "ours":
        return ""
    if seen.verdict == "unsure":
        printed = _printed_id(page, grey, transform, page_number, context)
        if printed == record.doc_id:
            # An id line can be pasted with the code: the page's other personal lines must read as ours too.
            from .readback import not_ours

            others = [(other.signatory.get("bezeichnung", other.ags), _printed_names(other.signatory))
                      for other in context.other_documents(record.doc_id)]
            layout = context.layout()
            wrong = not_ours(grey, transform, parts, context.out / record.path, page_number, others,
                             layout.id_lines.get(page_number) if layout is not None else None)
            if not wrong:
                return ""
            return f"the page does not match its code: {seen.note()}; its printed id line reads ours, but {wrong}"
        seen_line = f"its printed id line reads {printed}" if printed else "its printed id line cannot be read"
        return f"the page does not match its code: {seen.note()}; {seen_line}"
    return f"the page does not match its code: {seen.note()}"


def _printed_names(signatory: dict) -> list[str]:
    """What a document prints of its signer and municipality: the name and the designation."""
    name = " ".join(signatory.get(key, "") for key in ("vorname", "nachname")).strip()
    return [text for text in (name, signatory.get("bezeichnung", "")) if text]


def _seen_again(page, grey, transform, by_code: bool, ours: Path, page_number: int, parts, seen):
    """In doubt, before the id line is read: the page at the resolution it was scanned at (codes are looked
    for on a reduced decode, where a 600 dpi JPEG's small print breaks up), and, if its QR code placed it,
    placed by the whole page (a photo's page is less exact the farther from the code). The best seen, with
    the page image and map it was seen on."""
    from operator import attrgetter

    import numpy as np

    from .likeness import likeness
    from .pdfpage import grey_image
    from .register import OurPage, register

    better = attrgetter("score")
    pixels = page.shown() if page.shown is not None else grey
    if pixels.shape[:2] != grey.shape[:2]:
        full = np.asarray(grey_image(pixels)) if pixels.ndim == 3 else pixels
        transform = np.diag([full.shape[1] / grey.shape[1], full.shape[0] / grey.shape[0], 1.0]) @ transform
        grey = full
        again = likeness(grey, transform, parts)
        seen = max(seen, again, key=better)
    if seen.verdict == "unsure" and by_code:
        registration = register(grey, OurPage.render(ours, page_number))
        if registration is not None:
            again = likeness(grey, registration.transform, parts)
            if again.score > seen.score:
                seen, transform = again, registration.transform
    return seen, grey, transform


def _printed_id(page, grey, transform, page_number: int, context: Context) -> str:
    """The document id the page's printed id line reads as (Tesseract; MAC checked), or ""."""
    import numpy as np

    from ..docid import parse_qr_payload
    from .printed import ATTEMPTS, payloads, read_line, tesseract_available

    layout = context.layout()
    line = layout.id_lines.get(page_number) if layout is not None else None
    if not line or not tesseract_available():
        return ""
    pixels = page.shown() if page.shown is not None else grey
    scale = np.diag([pixels.shape[1] / grey.shape[1], pixels.shape[0] / grey.shape[0], 1.0])
    for attempt in range(ATTEMPTS):
        found = payloads(read_line(pixels, scale @ transform, line, attempt), context.round_cfg.id,
                         len(layout.pages), page_number, context.secret)
        if found:
            return str(parse_qr_payload(found[0]).doc_id)
    return ""


def read_signature_box(page, code, geometry: Geometry, page_number: int, reference: Path):
    """The ink in the signature box of an identified page, measured on the page as a viewer shows it."""
    import numpy as np

    from .ink import BoxReader, InkReading, page_map, qr_map

    pixels = page.shown() if page.shown is not None else np.asarray(page.image)
    across, down = pixels.shape[1] / page.image.width, pixels.shape[0] / page.image.height
    reader = BoxReader(pixels, geometry, page_number, reference, page.born_digital)
    if code is not None:
        fitted = qr_map(geometry, page_number, [(x * across, y * down) for x, y in code.corners])
        if fitted is None:
            return InkReading("ambiguous", "not_located", "no QR position recorded for this page")
        return reader.read(*fitted)
    if page.transform is not None:  # registered on our page (identified by its printed id)
        scaled = np.diag([across, down, 1.0]) @ page.transform
        return reader.read(scaled)
    return reader.read(page_map((pixels.shape[1], pixels.shape[0]), geometry.page_size))
