"""Record an analysed upload: the upload, its pages, and each document's new state, in one transaction.

A document's state is judged from *all* its pages received so far (pages of one document may arrive in
different uploads, weeks apart): complete and signed → verified (the signed copy is written just before
the commit), pages missing → incomplete, an empty signature box → rejected, doubt → needs review. An old
version, or a second copy of a verified document, changes nothing but is noted with a reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..fileio import slugify, write_bytes_atomic, write_text_atomic
from ..ledger import DocumentRecord, Ledger, now_iso
from ..states import EventKind, Reason, State
from . import archive
from .identify import Analysis, Finding
from .results import DocumentOutcome, UploadResult

if TYPE_CHECKING:
    from .context import Context


def record(context: Context, claimed: archive.Claim, analysis: Analysis) -> UploadResult:
    ledger, out, round_id = context.ledger, context.out, context.round_cfg.id
    stored = claimed.path.relative_to(out).as_posix()
    result = UploadResult(claimed.original_name, claimed.sha256, "")
    unmatched_files = _write_unmatched(context, claimed, analysis)
    kept = _best_per_page(analysis.findings)
    crops = _write_review_crops(context, claimed, kept)
    with ledger.transaction() as cursor:
        if Ledger.upload_known(cursor, claimed.sha256):
            result.outcome, result.reason = "duplicate", "another check-in recorded the same file a moment ago"
            return result
        if analysis.refused:
            result.outcome, result.reason = "refused", analysis.refused
        elif not analysis.findings:
            result.outcome = "unmatched"
            result.reason = ("no page of ours found: " + "; ".join(
                f"page {number}: {why}" for number, why in analysis.unmatched[:5])) if analysis.unmatched \
                else "only blank pages"
        else:
            result.outcome, result.unmatched_pages = "matched", len(analysis.unmatched)
            if analysis.unmatched:
                result.reason = f"{len(analysis.unmatched)} page(s) match no document, kept in out/unmatched/"
        details = {"kind": analysis.kind, "pages": analysis.page_count, "blank_pages": analysis.blank,
                   "unmatched": [{"page": n, "reason": why, "file": unmatched_files.get(n)}
                                 for n, why in analysis.unmatched],
                   "found": [{"page": f.source_page, "doc_id": f.doc_id, "doc_page": f.page, "how": f.how}
                             for f in analysis.findings]}
        at = now_iso()
        Ledger.add_upload(cursor, sha256=claimed.sha256, round_id=round_id, original_name=claimed.original_name,
                          stored_path=stored, size=claimed.size, received_at=at, outcome=result.outcome,
                          reason=result.reason or None, details=details)
        Ledger.add_event(cursor, round_id=round_id, kind="upload", reason=result.reason or None,
                         file_sha256=claimed.sha256, at=at,
                         details={"upload": claimed.original_name, "outcome": result.outcome, "stored": stored})
        for finding in kept:
            page_details = {"how": finding.how, "ink": finding.ink}
            digital = analysis.digital.get(finding.doc_id)
            if digital is not None and digital.get("verdict") != State.VERIFIED:
                # A digitally signed file that was not accepted (tampered, untrusted, the wrong signer): its
                # pages never count towards another upload's completeness or ink.
                page_details["excluded"] = f"its digital signature was not accepted ({digital.get('code', '')})"
            if id(finding) in crops:
                page_details["crop"] = crops[id(finding)]
            Ledger.add_page(cursor, doc_id=finding.doc_id, page=finding.page, upload_sha256=claimed.sha256,
                            source_page=finding.source_page, ink=finding.ink["verdict"] if finding.ink else None,
                            details=page_details, received_at=at)
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


def _state_of(context: Context, doc_id: str) -> str | None:
    """Read inside the recording transaction (same connection), so a parallel run's verdict is seen."""
    row = context.ledger.state_event(doc_id)
    return row["state"] if row else None


def _judge(context: Context, cursor, claimed: archive.Claim, analysis: Analysis, doc_id: str,
           pages: list[int]) -> DocumentOutcome:
    """The document's new state after this upload, from every page of it received so far."""
    record_ = context.document(doc_id)
    name = record_.signatory.get("bezeichnung", record_.ags)
    round_id = context.round_cfg.id
    event = {"round_id": round_id, "ags": record_.ags, "file_sha256": claimed.sha256}
    details = {"upload": claimed.original_name, "pages": pages}

    current = context.current_document(record_.ags)
    if current is not None and current.doc_id != doc_id:
        return _outdated_copy(context, cursor, record_, current, pages, details, event)

    state_event = context.ledger.state_event(doc_id)
    state = state_event["state"] if state_event else None
    hand_rejected = state_event is not None and state_event["kind"] == EventKind.DECISION and state == State.REJECTED
    if state == "verified":
        reason = ("a second, different copy of a document already verified: kept in received/, "
                  "the verified copy stays")
        Ledger.add_event(cursor, kind="duplicate", doc_id=doc_id, reason=reason, details=details, **event)
        return DocumentOutcome(doc_id, record_.ags, name, None, reason, pages, "duplicate_copy")

    digital = analysis.digital.get(doc_id)
    if digital is not None and set(pages) == set(range(1, record_.pages + 1)):
        new_state = digital["verdict"]
        reason = digital["reason"] or "digitally signed by " + ", ".join(s["signer"] for s in digital["signers"])
        if new_state == "verified" and not hand_rejected:
            details["signed_file"] = keep_signed_upload(context, record_, claimed.path).relative_to(
                context.out).as_posix()
        elif hand_rejected:
            new_state = State.NEEDS_REVIEW
            reason = (f"a new copy after a rejection by hand ({state_event['actor']}, {state_event['at'][:10]}): "
                      f"the check says {reason}")
        Ledger.add_event(cursor, kind="checkin", doc_id=doc_id, state=new_state, reason=reason,
                         details={**details, "digital": digital, "code": digital.get("code", ""),
                                  "rests_on": [claimed.sha256]}, **event)
        return DocumentOutcome(doc_id, record_.ags, name, new_state, reason, pages, digital.get("code", ""),
                               details)

    # Each upload on its own pages: those of a digitally signed file that was not accepted never count.
    rows = [row for row in context.ledger.received_pages(doc_id)
            if not json.loads(row["details"] or "{}").get("excluded")]
    details["rests_on"] = sorted({row["upload_sha256"] for row in rows})
    have = {row["page"] for row in rows}
    missing = [number for number in range(1, record_.pages + 1) if number not in have]
    signature_page = record_.geometry["signature_box"]["page"]
    readings = [(row["ink"], json.loads(row["details"] or "{}")) for row in rows if row["page"] == signature_page]
    inks = [ink for ink, _ in readings]
    details["missing"] = missing
    details["signature_page"] = signature_page

    def latest(verdict: str) -> dict:
        """The newest reading of the signature box with this verdict: its note, code and review picture."""
        found = [page for ink, page in readings if ink == verdict][-1]
        if found.get("crop"):
            details["review_crop"] = found["crop"]
        return found.get("ink") or {}

    if missing:
        new_state, code = "incomplete", "pages_missing"
        reason = f"page {', '.join(map(str, missing))} of {record_.pages} not received yet"
        if signature_page not in missing and inks and all(ink == "blank" for ink in inks):
            note = latest("blank").get("note", "")
            new_state, code = "rejected", "unsigned"
            reason = (f"not signed: the signature box on page {signature_page} is empty"
                      + (f" ({note})" if note else "") + f"; page {', '.join(map(str, missing))} also missing")
    elif "signed" in inks:
        note = [page.get("ink") or {} for ink, page in readings if ink == "signed"][-1].get("note", "")
        new_state, code = "verified", "signed"
        reason = f"signed: handwriting in the signature box on page {signature_page}" + (f" ({note})" if note else "")
    elif "ambiguous" in inks:
        ink = latest("ambiguous")
        new_state, code = "needs_review", ink.get("code") or "ambiguous"
        reason = f"unclear whether signed (page {signature_page}): {ink.get('note') or 'little ink in the box'}"
    else:
        note = latest("blank").get("note", "") if "blank" in inks else ""
        new_state, code = "rejected", "unsigned"
        reason = f"not signed: the signature box on page {signature_page} is empty" + (f" ({note})" if note else "")
    if hand_rejected:
        # A decision stands until a newer decision: the clerk who rejected by hand looks at the new copy.
        new_state, code = State.NEEDS_REVIEW, Reason.AFTER_HAND_REJECTION
        reason = (f"a new copy after a rejection by hand ({state_event['actor']}, {state_event['at'][:10]}): "
                  f"the check says {reason}")
    if state == State.NEEDS_REVIEW and new_state in (State.INCOMPLETE, State.REJECTED) and state_event is not None:
        # A review waiting for a clerk is not silently replaced by what a partial or unsigned later copy shows:
        # the clerk decides (the history shows this copy too).
        reason = (f"received; the document still waits for review ({state_event['reason']}); this copy alone "
                  f"would be: {reason}")
        Ledger.add_event(cursor, kind="checkin", doc_id=doc_id, reason=reason, details={**details, "code": code},
                         **event)
        return DocumentOutcome(doc_id, record_.ags, name, None, reason, pages, "waits_for_review",
                               {"state_reason": state_event["reason"]})
    if new_state == State.VERIFIED:
        details["signed_file"] = write_signed(context, record_, rows, signature_page).relative_to(
            context.out).as_posix()
    Ledger.add_event(cursor, kind="checkin", doc_id=doc_id, state=new_state, reason=reason,
                     details={**details, "code": code}, **event)
    return DocumentOutcome(doc_id, record_.ags, name, new_state, reason, pages, str(code), details)


def _signed_path(context: Context, record_: DocumentRecord) -> Path:
    """One file per signed version: a later version's signed copy never replaces an earlier one's."""
    name = record_.signatory.get("name") or record_.ags
    folder = archive.signed_dir(context.out, context.round_cfg.id)
    return folder / f"{record_.ags}_{slugify(name)}_V{record_.version}.pdf"


def keep_signed_upload(context: Context, record_: DocumentRecord, stored: Path) -> Path:
    """A digitally signed return is kept as it came: rebuilding it would destroy its signature."""
    path = _signed_path(context, record_)
    write_bytes_atomic(path, stored.read_bytes())
    return path


def digitally_signed_upload(context: Context, doc_id: str) -> Path | None:
    """The stored upload whose digital signature last set this document's state, if one did (a clerk
    accepting a signature from an untrusted certificate keeps that file)."""
    event = context.ledger.state_event(doc_id)
    if event is None or "digital" not in json.loads(event["details"] or "{}"):
        return None
    row = context.ledger.upload(event["file_sha256"])
    return context.out / row["stored_path"] if row else None


def write_signed(context: Context, record_: DocumentRecord, rows, signature_page: int) -> Path:
    """The verified document from its pages, wherever each arrived: the signed copy of the signature
    page, the newest copy of every other page."""
    chosen: dict[int, object] = {}
    for row in rows:  # oldest first: a later copy replaces an earlier one, except an unsigned signature page
        earlier = chosen.get(row["page"])
        if earlier is not None and earlier["ink"] == "signed" and row["ink"] != "signed":
            continue
        chosen[row["page"]] = row
    pages = []
    for number in sorted(chosen):
        row = chosen[number]
        kind = json.loads(row["upload_details"] or "{}").get("kind", "pdf")
        pages.append((context.out / row["stored_path"], kind, row["source_page"]))
    path = _signed_path(context, record_)
    write_bytes_atomic(path, archive.assemble_pages(pages))
    return path


def _write_review_crops(context: Context, claimed: archive.Claim, findings: list[Finding]) -> dict[int, str]:
    """The review picture of every signature box that is not clearly signed, written before the commit
    (a crash before it leaves a picture that the next run writes again under the same name)."""
    written: dict[int, str] = {}
    for finding in findings:
        if not finding.crop:
            continue
        record_ = context.document(finding.doc_id)
        name = slugify(record_.signatory.get("name") or record_.ags)
        path = archive.review_dir(context.out, context.round_cfg.id) / \
            f"{record_.ags}_{name}_{claimed.sha256[:12]}-p{finding.source_page}.png"
        write_bytes_atomic(path, finding.crop)
        written[id(finding)] = path.relative_to(context.out).as_posix()
    return written


def _write_unmatched(context: Context, claimed: archive.Claim, analysis: Analysis) -> dict[int, str]:
    """Pages that match no document, each as its own file with a note saying why (before the commit:
    if we crash, the next run writes the same files again)."""
    written: dict[int, str] = {}
    if not analysis.unmatched or analysis.refused:
        return written
    directory = archive.unmatched_dir(context.out)
    reader = None
    if analysis.kind == "pdf":
        try:
            reader = archive.open_pdf(claimed.path)  # once: a 300-page upload took 12 s parsed once per page
        except Exception:
            pass  # then each page fails alone below, and its note says so
    try:
        for number, why in analysis.unmatched:
            stem = f"{claimed.sha256[:16]}-page{number:03d}"
            try:
                data = archive.page_as_pdf(claimed.path, analysis.kind, number, reader)
                write_bytes_atomic(directory / f"{stem}.pdf", data)
                written[number] = f"unmatched/{stem}.pdf"
            except Exception:  # a page we cannot even copy: the note still says where the whole upload is
                written[number] = ""
            write_text_atomic(directory / f"{stem}.txt",
                              f"Upload: {claimed.original_name}\nStored as: {claimed.path.relative_to(context.out)}\n"
                              f"Page: {number}\nReason: {why}\n")
    finally:
        if reader is not None:
            reader.close()
    return written


def _outdated_copy(context: Context, cursor, old: DocumentRecord, current: DocumentRecord, pages: list[int],
                   details: dict, event: dict) -> DocumentOutcome:
    """A copy of a superseded version: its pages are recorded against that version (record() did that);
    the municipality's current version goes to review with what differs, unless it is verified already.
    Never rejected: the current version did not receive this copy."""
    from ..render import changed_fields

    name = current.signatory.get("bezeichnung", current.ags)
    state = _state_of(context, current.doc_id)
    if state == State.VERIFIED:
        reason = (f"a copy of the outdated version V{old.version} arrived; V{current.version} is verified "
                  "already and stays so")
        Ledger.add_event(cursor, kind=EventKind.OLD_VERSION, doc_id=current.doc_id, reason=reason,
                         details={**details, "returned_doc_id": old.doc_id}, **event)
        return DocumentOutcome(current.doc_id, current.ags, name, None, reason, pages, "outdated_after_verified",
                               {"old_version": old.version, "version": current.version})
    from ..signatories import Signatory

    try:
        differences = changed_fields(old, Signatory(**current.signatory), context.round_cfg)
    except TypeError:
        differences = []
    differs = "; ".join(f"{field} '{before}' → '{after}'" for field, before, after in differences) or "its text"
    reason = (f"signed the outdated version V{old.version}; V{current.version} differs in: {differs}. "
              f"Accept V{old.version} (engagiert checkin --accept {old.doc_id} --reason …) or ask for "
              f"V{current.version} (--reject {old.doc_id} --reason …)")
    Ledger.add_event(cursor, kind=EventKind.OUTDATED_COPY, doc_id=current.doc_id, state=State.NEEDS_REVIEW,
                     reason=reason, **event,
                     details={**details, "code": Reason.OUTDATED_VERSION, "outdated_doc_id": old.doc_id,
                              "old_version": old.version, "version": current.version, "state_before": state,
                              "differences": [list(item) for item in differences]})
    return DocumentOutcome(current.doc_id, current.ags, name, State.NEEDS_REVIEW, reason, pages,
                           str(Reason.OUTDATED_VERSION), {"old_version": old.version, "version": current.version})
