"""`engagiert history`: every event of one municipality in a round, every version, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InvalidInputError
from ..i18n import N_, _, from_source, language, ngettext, state_label
from ..ledger import LEDGER_FILE, Ledger
from ..states import EventKind
from .status import _table

#: What each kind of event records, in words for the German table (the English one shows the ids, as JSON).
EVENT_KIND_WORDS = {
    EventKind.RENDERED: N_("rendered"), EventKind.SUPERSEDED: N_("superseded"), EventKind.SENT: N_("sent"),
    EventKind.REMINDER: N_("reminder"), EventKind.REMINDER_PREPARED: N_("reminder draft"),
    EventKind.UPLOAD: N_("upload"), EventKind.UPLOAD_REPEAT: N_("upload again"), EventKind.CHECKIN: N_("check-in"),
    EventKind.OLD_VERSION: N_("old version returned"), EventKind.OUTDATED_COPY: N_("outdated copy signed"),
    EventKind.DUPLICATE: N_("duplicate"), EventKind.DECISION: N_("decision"), EventKind.MAIL: N_("e-mail"),
    EventKind.MAIL_REPEAT: N_("e-mail again"), EventKind.REPLY: N_("answer to sender"),
    EventKind.WEB_UPLOAD: N_("web upload"), EventKind.LINK_ISSUED: N_("link issued"),
    EventKind.LINK_REVOKED: N_("link revoked"),
}
#: The terminal the table is made for: each event is one row of short columns, its reason, file and details
#: wrapped beneath it (`--format json` keeps every field whole).
TABLE_WIDTH = 100


def _resolve_ags(ledger: Ledger, round_id: str, ags: str) -> tuple[str, dict]:
    """The AGS as stored (a key typed without its leading zero is found too) and its newest signatory row."""
    from ..signatories import normalise_ags

    typed = ags.strip()
    candidates = list(dict.fromkeys([typed, normalise_ags(typed)]))
    for candidate in candidates:
        document = ledger.current_document(round_id, candidate)
        if document:
            return candidate, document.signatory
    # Not a key: maybe a name. Suggest, never guess.
    needle = typed.casefold()
    matches = [f"{key} ({bezeichnung})" for key, bezeichnung in ledger.designations(round_id)
               if needle and needle in bezeichnung.casefold()]
    hint = _("; did you mean {matches}?").format(matches=", ".join(matches[:5])) if matches else ""
    raise InvalidInputError(_("AGS '{ags}': no document of round {round} has this key{hint}").format(
        ags=typed, round=round_id, hint=hint))


def history(out: Path, round_id: str, ags: str) -> dict:
    """All events of one municipality in the round, every version, oldest first."""
    path = Path(out) / LEDGER_FILE
    if not path.exists():
        raise InvalidInputError(_("{file}: no ledger here; give the right --out").format(file=path))
    with Ledger(path) as ledger:
        ags, signatory = _resolve_ags(ledger, round_id, ags)
        versions = ledger.versions(round_id, ags)
        rows = ledger.events(round_id, ags)
    events = [{"id": row["id"], "at": row["at"], "kind": row["kind"], "state": row["state"],
               "reason": row["reason"], "actor": row["actor"], "doc_id": row["doc_id"],
               "version": versions.get(row["doc_id"]), "file_sha256": row["file_sha256"],
               "details": json.loads(row["details"]) if row["details"] else {}} for row in rows]
    return {"round": round_id, "ags": ags, "name": signatory.get("name", ""),
            "bezeichnung": signatory.get("bezeichnung", ""), "events": events}


def _details_text(details: dict) -> str:
    return ", ".join(f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
                     for key, value in sorted(details.items()))


def _when(at: str) -> str:
    """UTC as stored, in English; the office's local time, the German way, in German."""
    if language() == "en":
        return at.replace("T", " ")[:16]
    import datetime as dt

    from ..german import local_time

    moment = dt.datetime.fromisoformat(at)
    return local_time(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def _kind(kind: str) -> str:
    return kind if language() == "en" else _(EVENT_KIND_WORDS.get(kind, kind))


def _reason(event: dict) -> str:
    """The reason in the reader's language: German from the reason code check-in records, or from the English
    text's source kept beside it (mail, answers); a clerk's own words as typed."""
    details = event["details"]
    if not event["reason"] or language() == "en":
        return event["reason"] or ""
    if "code" not in details and isinstance(details.get("reason_source"), dict):
        return from_source(details["reason_source"]).shown()
    from ..german import reason_in_german

    return reason_in_german(details.get("code"), event["reason"], details)


def format_history(data: dict) -> str:
    """One row per event (when, kind, state, version, who), its reason, file and details wrapped beneath it, so
    the table fits a terminal of TABLE_WIDTH columns."""
    import textwrap

    rows = [[_when(event["at"]), _kind(event["kind"]), state_label(event["state"]) if event["state"] else "",
             f"V{event['version']}" if event["version"] else "", event["actor"] or ""] for event in data["events"]]
    title = ngettext("History of {ags} {designation}, round {round}: {count} event(s), times UTC",
                     "History of {ags} {designation}, round {round}: {count} event(s), times UTC", len(rows)).format(
        ags=data["ags"], designation=data["bezeichnung"], round=data["round"], count=len(rows))
    table = _table([_("when"), _("kind"), _("state"), _("version"), _("actor")], rows)
    indent = " " * (len(table[1].split("  ")[0]) + 2)  # under the kind: the time stays easy to scan
    lines = [title, "", *table[:2]]
    for event, row in zip(data["events"], table[2:], strict=True):
        lines.append(row)
        details = {key: value for key, value in event["details"].items() if key not in ("code", "reason_source")}
        for label, text in ((_("reason"), _reason(event)), (_("file"), (event["file_sha256"] or "")[:12]),
                            (_("details"), _details_text(details))):
            if text:
                lines += textwrap.wrap(f"{label}: {text}", TABLE_WIDTH, initial_indent=indent,
                                       subsequent_indent=indent + "  ", break_on_hyphens=False)
    return "\n".join(lines)


def history_text(data: dict, fmt: str = "table") -> str:
    """The history as the terminal table or as JSON (the same data `history` returns)."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    return format_history(data)
