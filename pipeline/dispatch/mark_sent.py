"""Record that the letters went out: a "sent" event per current document that is still only rendered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError
from ..i18n import _, date_text, ngettext, state_label
from ..ledger import Ledger, now_iso
from ..round import RoundConfig
from ..signatories import Signatory
from ..states import SENT_OR_LATER, EventKind, State
from .selection import selected_entries


@dataclass
class MarkSentSummary:
    date: dt.date
    marked: list[str]
    already: list[str]
    no_address: list[str]
    not_marked_states: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        parts = [ngettext("{count} marked sent on {date}", "{count} marked sent on {date}", len(self.marked)).format(
            count=len(self.marked), date=date_text(self.date)),
            _("{count} already sent").format(count=len(self.already))]
        if self.no_address:
            parts.append(_("{count} not marked (no postal address)").format(count=len(self.no_address)))
        for state, count in sorted(self.not_marked_states.items()):
            shown = _("unknown") if state == "unknown" else state_label(state)
            parts.append(_("{count} not marked ({state})").format(count=count, state=shown))
        return ", ".join(parts) + "."


def today() -> dt.date:
    return dt.datetime.fromisoformat(now_iso()).date()


def mark_sent(round_cfg: RoundConfig, out: Path, *, date: dt.date | None = None, only: Iterable[str] = (),
              ags: Iterable[str] | None = None, signatories: list[Signatory] | None = None) -> MarkSentSummary:
    """One "sent" event per current document still in state "rendered", in one transaction.

    `only` are AGS as typed by a person (checked); `ags` restricts to documents a bundle run just wrote
    (all of them have a postal address); otherwise municipalities without one are skipped, judged by
    `signatories` when given (as bundle_round does) or by the rows stored in the ledger.
    The event's time is the dispatch date at 00:00 UTC, or now when the date is today, so the reminder
    clock starts on the day the letters went out.
    """
    current_day = today()
    date = date or current_day
    if date > current_day:
        raise InvalidInputError(_("--date {date} is in the future; give the day the letters were posted").format(
            date=date_text(date)))
    at = now_iso() if date == current_day else f"{date.isoformat()}T00:00:00+00:00"
    summary = MarkSentSummary(date, [], [], [])
    with Ledger.existing(out) as ledger:
        entries = selected_entries(ledger, round_cfg, signatories, list(only))
        if ags is not None:
            wanted = set(ags)
            entries = [entry for entry in entries if entry.signatory.ags in wanted]
        states = {row["doc_id"]: row["state"] for row in ledger.status_rows(round_cfg.id)}
        with ledger.transaction() as cursor:
            for entry in entries:
                state = states.get(entry.record.doc_id)
                # Documents a bundle run just wrote have an address (maybe a corrected one from the file).
                if ags is None and entry.signatory.missing_address_fields:
                    summary.no_address.append(entry.signatory.ags)
                elif state in SENT_OR_LATER:
                    summary.already.append(entry.signatory.ags)
                elif state == State.RENDERED:
                    ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.SENT, ags=entry.signatory.ags,
                                     doc_id=entry.record.doc_id, state=State.SENT,
                                     details={"date": date.isoformat()}, at=at)
                    summary.marked.append(entry.signatory.ags)
                else:
                    summary.not_marked_states[state or "unknown"] = summary.not_marked_states.get(
                        state or "unknown", 0) + 1
    return summary
