"""Track: where the round stands and what to do about it.

- ``status``: reading the ledger into per-municipality status; filters; the terminal tables.
- ``history``: every event of one municipality.
- ``export``: status as CSV, XLSX and JSON.
- ``status_view``: status as asked for (filters; the terminal table or an export), as bytes.
- ``report``: the self-contained HTML report; ``nrwmap`` draws its map.
- ``remind``: reminder e-mails (.eml or SMTP).
"""
