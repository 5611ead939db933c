"""`engagiert status` as asked for: the terminal tables or an export (JSON, CSV, XLSX) of the chosen documents.

One function for every front end: the CLI prints or saves the bytes, a web page would send them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import export
from .status import check_filters, collect_status, filter_documents, format_outstanding, format_summary

FORMATS = ("table", "json", "csv", "xlsx")


@dataclass(frozen=True)
class StatusView:
    round_id: str
    data: bytes     # UTF-8 text for table and JSON; CSV with its BOM and CRLF; an XLSX workbook
    documents: int  # how many documents it shows (the filtered ones)


def status_view(out: Path, round_id: str, *, fmt: str = "table", outstanding: bool = False,
                states: tuple[str, ...] = (), regierungsbezirk: str | None = None,
                kreis: str | None = None) -> StatusView:
    """Filters combine with AND. The table's summary covers the filtered round and `outstanding` adds the
    list of who is missing below it; an export lists (and counts) exactly the documents asked for."""
    report = collect_status(out, round_id)
    check_filters(report, regierungsbezirk, kreis)
    documents = filter_documents(report.documents, states=states, regierungsbezirk=regierungsbezirk, kreis=kreis)
    if fmt == "table":
        text = format_summary(report, documents)
        if outstanding:
            text += "\n\n" + format_outstanding(report, documents)
        return StatusView(report.round_id, (text + "\n").encode("utf-8"), len(documents))
    documents = filter_documents(documents, outstanding=outstanding)
    if fmt == "json":
        data = export.to_json(report, documents).encode("utf-8")
    elif fmt == "csv":
        data = export.to_csv(report, documents)
    elif fmt == "xlsx":
        data = export.to_xlsx(report, documents)
    else:
        raise ValueError(f"unknown status format {fmt!r}; known: {', '.join(FORMATS)}")
    return StatusView(report.round_id, data, len(documents))
