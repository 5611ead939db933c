"""`engagiert history`: every event of one municipality in a round, every version, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InvalidInputError
from ..ledger import LEDGER_FILE, Ledger
from .status import _table


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
    hint = f"; did you mean {', '.join(matches[:5])}?" if matches else ""
    raise InvalidInputError(f"AGS '{typed}': no document of round {round_id} has this key{hint}")


def history(out: Path, round_id: str, ags: str) -> dict:
    """All events of one municipality in the round, every version, oldest first."""
    path = Path(out) / LEDGER_FILE
    if not path.exists():
        raise InvalidInputError(f"{path}: no ledger here; give the right --out")
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


def format_history(data: dict) -> str:
    rows = [[event["at"].replace("T", " ")[:16], event["kind"], event["state"] or "",
             f"V{event['version']}" if event["version"] else "", event["reason"] or "", event["actor"],
             (event["file_sha256"] or "")[:12], _details_text(event["details"])] for event in data["events"]]
    title = f"History of {data['ags']} {data['bezeichnung']}, round {data['round']}: {len(rows)} event(s), times UTC"
    return "\n".join([title, "", *_table(["when", "kind", "state", "version", "reason", "actor", "file", "details"],
                                         rows)])


def history_text(data: dict, fmt: str = "table") -> str:
    """The history as the terminal table or as JSON (the same data `history` returns)."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    return format_history(data)
