"""Where the round stands: the current document per municipality, its state, dispatch and reminders.

Read-only over the ledger. Per AGS only the newest version counts (older versions are superseded and
appear only in `history`). Everything here imports nothing heavier than sqlite3 and json, so `status`
starts fast; exports (export.py) and the HTML report (report.py) build on `collect_status`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError
from ..german import DISTRICT_TYPES
from ..i18n import _, date_text, ngettext, state_label
from ..ledger import LEDGER_FILE, Ledger, now_iso
from ..states import STATES, State

#: German names of the states, as the office says them (CSV/XLSX exports, the HTML report).
#: "Returned in the last N days" in the summary.
RECENT_DAYS = 7
REGIERUNGSBEZIRKE = ("Düsseldorf", "Köln", "Münster", "Detmold", "Arnsberg")


@dataclass(frozen=True)
class DocumentStatus:
    """One municipality's current document and what has happened to it."""

    ags: str
    name: str
    bezeichnung: str
    doc_id: str
    state: str
    since: str
    reason: str | None
    pages_received: list[int]
    regierungsbezirk: str
    kreis: str
    typ: str
    email: str
    sent_at: str | None  # dispatch date YYYY-MM-DD, from the newest "sent" event of this version
    last_reminder: str | None  # ISO time of the newest reminder to this municipality (any version)
    version: int
    pages: int
    path: str  # relative to the output folder
    signatory_json: str = field(repr=False, compare=False)  # parsed only when needed: status must be fast
    state_details_json: str | None = field(default=None, repr=False, compare=False)  # of the state's event

    @functools.cached_property
    def state_details(self) -> dict:
        """What the event that set the state recorded: its reason code and figures (german.reason_in_german)."""
        return json.loads(self.state_details_json) if self.state_details_json else {}

    @property
    def reason_code(self) -> str:
        return str(self.state_details.get("code") or "")

    @property
    def reason_de(self) -> str:
        """The reason in German, from its code (the stored text is the English of the check-in)."""
        from ..german import reason_in_german

        return reason_in_german(self.reason_code, self.reason, self.state_details) if self.reason else ""

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language."""
        from ..i18n import language

        return (self.reason_de if language() == "de" else self.reason) or ""

    @functools.cached_property
    def signatory(self) -> dict:
        """The CSV row the document was made from (anrede, titel, vorname, nachname, funktion, strasse, …)."""
        return json.loads(self.signatory_json)

    @property
    def contact(self) -> str:
        """Name and office of the head, for the clerk who phones."""
        return contact_of(self.signatory)

    @property
    def outstanding(self) -> bool:
        return self.state != State.VERIFIED

    def days_since_sent(self, today: dt.date) -> int | None:
        if not self.sent_at:
            return None
        return (today - dt.date.fromisoformat(self.sent_at[:10])).days

    def as_json(self) -> dict:
        """The DESIGN.md contract: ags, name, bezeichnung, doc_id, state, since, reason, pages_received, …"""
        return {
            "ags": self.ags, "name": self.name, "bezeichnung": self.bezeichnung, "doc_id": self.doc_id,
            "state": self.state, "since": self.since, "reason": self.reason, "reason_code": self.reason_code,
            "reason_de": self.reason_de,
            "pages_received": list(self.pages_received), "regierungsbezirk": self.regierungsbezirk,
            "kreis": self.kreis, "typ": self.typ, "email": self.email, "sent_at": self.sent_at,
            "last_reminder": self.last_reminder, "version": self.version, "pages": self.pages,
        }


@dataclass(frozen=True)
class RoundStatus:
    round_id: str
    now: dt.datetime
    documents: list[DocumentStatus]  # every municipality's current document, by AGS
    recent_returns: frozenset[str]  # AGS with a check-in in the last RECENT_DAYS days
    superseded_versions: int = 0  # older versions replaced by a newer one: not among `documents`
    last_event_id: int | None = None  # every event up to this one is reflected here (refresh_status)

    @property
    def today(self) -> dt.date:
        return self.now.date()


def summary(documents: list[DocumentStatus]) -> dict[str, int]:
    """Count per state; every state is present, zeros included, in the ledger's order."""
    counts = Counter(document.state for document in documents)
    return {state: counts.get(state, 0) for state in STATES}


def contact_of(signatory: dict) -> str:
    """"Dr. Maria Schmitz (Bürgermeisterin)": who to ask, as far as the CSV says."""
    from ..german import name_of_row, office_of_row

    name, (office, _) = name_of_row(signatory), office_of_row(signatory)
    if name and office:
        return f"{name} ({office})"
    return name or office


def _parse_time(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def collect_status(out: Path, round_id: str) -> RoundStatus:
    """Read the ledger once: current documents with their state, dispatch, reminders and pages received."""
    return _read_status(_ledger_path(out), round_id)


def refresh_status(out: Path, previous: RoundStatus) -> RoundStatus:
    """The status now, reading again only the municipalities that events since `previous` concern (a
    server keeps its clerks' page current this way: a few ms instead of a full read of a large round)."""
    with Ledger(_ledger_path(out)) as ledger:
        after = previous.last_event_id
        if after is None or ledger.last_event_id() < after:  # not from a read like this, or a restored backup
            return _read_status(_ledger_path(out), previous.round_id)
        changed = ledger.municipalities_with_events_after(previous.round_id, after)
        if len(changed) > max(100, len(previous.documents) // 10):  # a whole batch: reading all costs less
            return _read_status(_ledger_path(out), previous.round_id)
        return _status_of(ledger, previous.round_id, only=changed, previous=previous)


def _ledger_path(out: Path) -> Path:
    path = Path(out) / LEDGER_FILE
    if not path.exists():
        raise InvalidInputError(_("{file}: no ledger here; run `engagiert render --out {out}` first (or give the "
                                  "right --out)").format(file=path, out=out))
    return path


def _read_status(path: Path, round_id: str) -> RoundStatus:
    with Ledger(path) as ledger:
        status = _status_of(ledger, round_id)
    if not status.documents:
        raise InvalidInputError(_("{file}: no documents of round {round} in the ledger; render them first (or "
                                  "check [round] id in the round file)").format(file=path, round=round_id))
    return status


def _status_of(ledger: Ledger, round_id: str, only: set[str] | None = None,
               previous: RoundStatus | None = None) -> RoundStatus:
    """Every municipality's row (`only` some of them: the others are taken from `previous`)."""
    now = _parse_time(now_iso())
    recent_from = (now - dt.timedelta(days=RECENT_DAYS)).isoformat(timespec="seconds")
    last_event = ledger.last_event_id()  # first: whatever comes after it is read again next time
    rows = ledger.current_status_rows(round_id, only) if only is None or only else []
    returned = ledger.returned_since(round_id, recent_from)
    superseded = ledger.count_in_state(round_id, State.SUPERSEDED)
    pages = ledger.pages_received(round_id)
    documents = [DocumentStatus(
        ags=row["ags"], name=row["name"] or "", bezeichnung=row["bezeichnung"] or "", doc_id=row["doc_id"],
        state=row["state"], since=row["since"], reason=row["reason"], pages_received=pages.get(row["doc_id"], []),
        regierungsbezirk=row["regierungsbezirk"] or "", kreis=row["kreis"] or "", typ=row["typ"] or "",
        email=row["email"] or "", sent_at=row["sent_at"], last_reminder=row["last_reminder"],
        version=row["version"], pages=row["pages"], path=row["path"], signatory_json=row["signatory"],
        state_details_json=row["state_details"])
        for row in rows]
    if previous is not None:
        fresh = {document.ags for document in documents}
        documents = sorted([*documents, *(d for d in previous.documents if d.ags not in fresh)],
                           key=lambda document: document.ags)
    current_superseded = sum(1 for document in documents if document.state == State.SUPERSEDED)
    return RoundStatus(round_id, now, documents, frozenset(returned & {document.ags for document in documents}),
                       superseded - current_superseded, last_event)


def filter_documents(documents: list[DocumentStatus], *, states=(), regierungsbezirk: str | None = None,
                     kreis: str | None = None, outstanding: bool = False) -> list[DocumentStatus]:
    """Filters combine with AND; text filters ignore case. --kreis also matches the district's own document."""
    wanted_states = set(states)
    bezirk = regierungsbezirk.strip().casefold() if regierungsbezirk else None
    district = kreis.strip().casefold() if kreis else None
    chosen = []
    for document in documents:
        if wanted_states and document.state not in wanted_states:
            continue
        if outstanding and not document.outstanding:
            continue
        if bezirk and document.regierungsbezirk.casefold() != bezirk:
            continue
        if district and district not in (document.kreis.casefold(), document.bezeichnung.casefold()):
            continue
        chosen.append(document)
    return chosen


def bezirk_order(documents: list[DocumentStatus]) -> list[str]:
    """The Regierungsbezirke present, in the official order, then any others, then "" (none given)."""
    bezirke = [b for b in REGIERUNGSBEZIRKE if any(d.regierungsbezirk == b for d in documents)]
    bezirke += [b for b in known_values(documents, "regierungsbezirk") if b not in bezirke]
    if any(not d.regierungsbezirk for d in documents):
        bezirke.append("")
    return bezirke


def known_values(documents: list[DocumentStatus], attribute: str) -> list[str]:
    return sorted({getattr(document, attribute) for document in documents if getattr(document, attribute)})


def check_filters(status: RoundStatus, regierungsbezirk: str | None, kreis: str | None) -> None:
    """A misspelt filter would silently show nothing: say which values exist instead."""
    for option, value, attribute in (("--regierungsbezirk", regierungsbezirk, "regierungsbezirk"),
                                     ("--kreis", kreis, "kreis")):
        if not value:
            continue
        known = known_values(status.documents, attribute)
        if attribute == "kreis":
            known += [d.bezeichnung for d in status.documents if d.typ in DISTRICT_TYPES]
        if value.strip().casefold() not in {item.casefold() for item in known}:
            raise InvalidInputError(_("{option} '{value}': no such value in round {round}; known: {known}").format(
                option=option, value=value, round=status.round_id, known=", ".join(sorted(set(known))) or _("none")))


# --- terminal -------------------------------------------------------------------------------------

def _table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    widths = [max([len(header)] + [len(row[index]) for row in rows]) for index, header in enumerate(headers)]

    def line(cells):
        return "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                         for i, cell in enumerate(cells)).rstrip()

    return [line(headers), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def german_date(value: str | None) -> str:
    """ISO date or time -> TT.MM.JJJJ; empty stays empty."""
    if not value:
        return ""
    return dt.date.fromisoformat(value[:10]).strftime("%d.%m.%Y")


def format_summary(status: RoundStatus, documents: list[DocumentStatus]) -> str:
    counts = summary(documents)
    total = len(documents)
    verified = counts[State.VERIFIED]
    lines = [ngettext("Round {round}: {total} documents, {verified} verified ({percent}), {outstanding} outstanding "
                      "(as of {date})",
                      "Round {round}: {total} documents, {verified} verified ({percent}), {outstanding} outstanding "
                      "(as of {date})", total).format(
        round=status.round_id, total=total, verified=verified, percent=_percent(verified, total),
        outstanding=total - verified, date=date_text(status.today)), ""]
    lines += _table([_("state"), _("documents")], [[state_label(state), str(count)] for state, count in counts.items()
                                                   if state != State.SUPERSEDED or count], {1})
    lines += ["", _("Counted: the current version of each municipality. Older versions replaced by a newer one "
                    "(superseded, not counted): {count}").format(count=status.superseded_versions)]
    recent = [d for d in documents if d.ags in status.recent_returns]
    recent_verified = sum(1 for d in recent if d.state == State.VERIFIED)
    lines += ["", _("Returned in the last {days} days: {count} ({verified} verified)").format(
        days=RECENT_DAYS, count=len(recent), verified=recent_verified), ""]
    rows = []
    for bezirk in bezirk_order(documents):
        members = [d for d in documents if d.regierungsbezirk == bezirk]
        verified = sum(1 for d in members if d.state == State.VERIFIED)
        rows.append([bezirk or _("(none)"), str(len(members)), str(verified), str(len(members) - verified),
                     _percent(verified, len(members))])
    lines += _table(["Regierungsbezirk", _("documents"), _("verified"), _("outstanding"), _("done")], rows,
                    {1, 2, 3, 4})
    return "\n".join(lines)


def format_outstanding(status: RoundStatus, documents: list[DocumentStatus]) -> str:
    outstanding = [d for d in documents if d.outstanding]
    rows = []
    for d in outstanding:
        days = d.days_since_sent(status.today)
        rows.append([d.ags, d.bezeichnung, state_label(d.state) + (f": {d.reason_shown}" if d.reason else ""),
                     german_date(d.sent_at), "" if days is None else str(days), german_date(d.last_reminder),
                     d.email or _("no e-mail address"), d.contact])
    headers = ["AGS", _("municipality"), _("state"), _("sent"), _("days"), _("last reminder"), _("e-mail"),
               _("contact")]
    return "\n".join([_("Outstanding: {count} of {total}").format(count=len(outstanding), total=len(documents)), "",
                      *_table(headers, rows, {4})])


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


# --- history --------------------------------------------------------------------------------------


