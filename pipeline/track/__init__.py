"""Track: where the round stands and what to do about it.

- ``status``: reading the ledger into per-municipality status; filters; the terminal tables.
- ``history``: every event of one municipality.
- ``export``: status as CSV, XLSX and JSON.
- ``status_view``: status as asked for (filters; the terminal table or an export), as bytes.
- ``report``: the self-contained HTML report; ``nrwmap`` draws its map.
- ``remind``: reminder e-mails (.eml or SMTP).

Other stages (the web app) use only what this file exports. They are loaded when first asked for, so
that `engagiert status`, which imports ``status`` alone, does not pay for the report's modules.
"""

from importlib import import_module

_EXPORTS = {
    "DocumentStatus": ("status", "DocumentStatus"), "RoundStatus": ("status", "RoundStatus"),
    "collect_status": ("status", "collect_status"), "refresh_status": ("status", "refresh_status"),
    "filter_documents": ("status", "filter_documents"),
    "german_date": ("status", "german_date"), "summary": ("status", "summary"),
    "municipality_history": ("history", "history"), "geojson_path": ("nrwmap", "geojson_path"),
    "STATE_COLOURS": ("report", "STATE_COLOURS"), "build_context": ("report", "build_context"),
    "overview_context": ("report", "overview_context"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
