"""A clerk settles a case by hand: accept or reject a document, recorded as a decision event."""

from __future__ import annotations

from pathlib import Path

from ..docid import DocIdError, parse_doc_id
from ..errors import InvalidInputError
from ..ledger import Ledger
from ..round import RoundConfig
from .context import Context, Settings
from .judge import digitally_signed_upload, keep_signed_upload, write_signed
from .results import DocumentOutcome


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
        context = Context(round_cfg, out, ledger, Settings(inbox=Path(".")))
        current = context.current_document(record_.ags)
        if current is not None and current.doc_id != record_.doc_id:
            raise InvalidInputError(f"{doc_id} is superseded by {current.doc_id}; decide on the current version")
        if not accept and not reason.strip():
            raise InvalidInputError("--reject needs --reason \"…\" (the municipality is told why)")
        with ledger.transaction() as cursor:
            state = "verified" if accept else "rejected"
            text = reason.strip() or "accepted by hand after review"
            digital_upload = digitally_signed_upload(context, record_.doc_id) if accept else None
            if digital_upload is not None:
                keep_signed_upload(context, record_, digital_upload)
            elif accept:
                rows = ledger.received_pages(record_.doc_id)
                if {row["page"] for row in rows} >= set(range(1, record_.pages + 1)):
                    write_signed(context, record_, rows, record_.geometry["signature_box"]["page"])
            Ledger.add_event(cursor, round_id=round_cfg.id, kind="decision", ags=record_.ags, doc_id=record_.doc_id,
                             state=state, reason=text)
        return DocumentOutcome(record_.doc_id, record_.ags, record_.signatory.get("bezeichnung", record_.ags),
                               state, text, [])
