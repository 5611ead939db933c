"""What a check-in reports: per upload its outcome, per document its new state and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import N_, _, shown, state_label
from ..states import PROBLEM_STATES, Outcome

#: An upload's outcome in words (shown in capitals on its result line).
OUTCOME_WORDS = {Outcome.MATCHED: N_("matched"), Outcome.UNMATCHED: N_("unmatched"), Outcome.REFUSED: N_("refused"),
                 Outcome.DUPLICATE: N_("duplicate")}


def state_text(state: str | None) -> str:
    """A document's state after a check-in, for a person: "needs review" (English), "zu prüfen" (German);
    "unchanged" when the upload did not change it."""
    if state is None or state == "unchanged":
        return _("unchanged")
    return state_label(state).replace("_", " ")


@dataclass
class DocumentOutcome:
    doc_id: str
    ags: str
    bezeichnung: str
    state: str | None       # the document's state after this upload (None: unchanged)
    reason: str
    pages: list[int]
    code: str = ""          # the reason's code and figures, for the German text (german.reason_in_german)
    details: dict = field(default_factory=dict)

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (the stored one is the check-in's English)."""
        from ..german import reason_in_german
        from ..i18n import language

        if language() == "de" and self.code:
            return reason_in_german(self.code, self.reason, self.details)
        return self.reason


@dataclass
class UploadResult:
    name: str
    sha256: str
    outcome: str            # matched, unmatched, refused, duplicate
    reason: str = ""
    documents: list[DocumentOutcome] = field(default_factory=list)
    unmatched_pages: int = 0  # pages of a matched upload that belong to no document

    def lines(self) -> list[str]:
        if self.outcome in ("refused", "unmatched", "duplicate") and not self.documents:
            outcome = _(OUTCOME_WORDS.get(self.outcome, self.outcome)).upper()
            return [f"{self.name}: {outcome}: {shown(self.reason)}"]
        lines = [f"{self.name}:" + (f" ({shown(self.reason)})" if self.reason else "")]
        for doc in self.documents:
            line = _("{designation} ({doc_id}), page(s) {pages}: {state}").format(
                designation=doc.bezeichnung, doc_id=doc.doc_id, pages=", ".join(map(str, doc.pages)),
                state=state_text(doc.state).upper())
            lines.append(f"  {line}" + (f": {doc.reason_shown}" if doc.reason else ""))
        return lines

    @property
    def needs_attention(self) -> bool:
        return self.outcome in ("refused", "unmatched") or self.unmatched_pages > 0 or any(
            doc.state in PROBLEM_STATES for doc in self.documents)


@dataclass
class CheckinSummary:
    results: list[UploadResult]

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    def states(self) -> dict[str, int]:
        """Each document once, in its final state after the run (a document that went from incomplete to
        verified within the run counts as verified only); "unchanged" when no upload changed it."""
        final: dict[str, str] = {}
        for result in self.results:
            for doc in result.documents:
                if doc.state is not None or doc.doc_id not in final:
                    final[doc.doc_id] = doc.state or "unchanged"
        counts: dict[str, int] = {}
        for state in final.values():
            counts[state] = counts.get(state, 0) + 1
        return counts

    @property
    def needs_attention(self) -> bool:
        return any(result.needs_attention for result in self.results)
