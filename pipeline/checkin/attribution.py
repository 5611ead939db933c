"""Who sent a copy: a document that arrives through another municipality's private link is held for review.

A link authorises its municipality only. When its upload holds a document of a different municipality
(a district office forwarding a town's copy, a mix-up, or mischief), check-in still reads and stores it,
but that document's new state is "needs review" with the reason, never "verified" on the uploader's word,
and the uploader's own document is not touched. A clerk decides.
"""

from __future__ import annotations

from pathlib import Path

from ..ledger import Ledger
from ..round import RoundConfig
from ..states import EventKind, Reason, State
from .results import UploadResult


def hold_foreign_documents(out: Path, round_cfg: RoundConfig, result: UploadResult, uploader_ags: str,
                           actor: str) -> UploadResult:
    """Set every document of `result` that is not `uploader_ags`'s and that this upload changed to needs
    review (in one transaction); `result` is updated to say so and returned."""
    foreign = [doc for doc in result.documents if doc.ags != uploader_ags and doc.state is not None]
    if not foreign:
        return result
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        for doc in foreign:
            reason = (f"sent through the private link of another municipality ({uploader_ags}), not its own; "
                      f"the check said {doc.state}: {doc.reason}")
            Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.CHECKIN, ags=doc.ags, doc_id=doc.doc_id,
                             state=State.NEEDS_REVIEW, reason=reason, file_sha256=result.sha256, actor=actor,
                             details={"code": Reason.OTHER_MUNICIPALITY, "uploader_ags": uploader_ags,
                                      "checked_state": doc.state, "upload": result.name})
            doc.state, doc.reason = State.NEEDS_REVIEW, reason
    return result
