"""A whole signing round through the CLI, as the office runs it over several weeks: render, bundle and
mark sent, check in a mix of returns, remind, report; then the figures in the table, JSON, CSV, XLSX,
HTML and .eml files are checked against each other and against the ledger."""

from __future__ import annotations

import csv
import email
import io
import json
from email import policy
from pathlib import Path

from pipeline.cli import cli
from pipeline.ledger import Ledger

from . import scans
from .test_checkin import ROUND, documents, inbox


def invoke(runner, base: Path, *args: str, now: str, codes=(0,)):
    result = runner.invoke(cli, [args[0], "--out", str(base / "out"), "--round", str(base / "round.toml"),
                                 *args[1:]], env={"ENGAGIERT_NOW": now})
    assert result.exit_code in codes, (args, result.output)
    return result


def test_a_whole_round(fresh_round, runner):
    base = fresh_round
    records = {record.ags: record for record in documents(base)}
    ags = sorted(records)

    invoke(runner, base, "bundle", "--signatories", str(base / "signatories.csv"), "-q", now="2024-05-16T08:00",
           codes=(0, 1))  # 1: the vacant Schloß Holte-Stukenbrock row has an address, others may not
    assert list((base / "out" / ROUND / "print").glob("*.pdf"))
    invoke(runner, base, "mark-sent", "--date", "2024-05-17", now="2024-05-17T08:00", codes=(0, 1))

    # Week 3: three copies come back: one signed, one unsigned, one only page 1 (a photo).
    signed, unsigned, partial = (records[key] for key in ags[:3])
    scans.to_pdf(scans.signed_scan(base / "out" / signed.path, signed.geometry, dpi=200, angle=1.5),
                 inbox(base) / "signed.pdf")
    scans.to_pdf(scans.signed_scan(base / "out" / unsigned.path, unsigned.geometry, dpi=150, signed=False),
                 inbox(base) / "unsigned.pdf", dpi=150)
    page1 = scans.signed_scan(base / "out" / partial.path, partial.geometry, dpi=150)[0]
    scans.to_jpeg(scans.photograph(page1), inbox(base) / "photo.jpg")
    checkin = invoke(runner, base, "checkin", "-q", now="2024-06-05T10:00", codes=(1,))
    assert "VERIFIED" in checkin.output and "REJECTED" in checkin.output and "INCOMPLETE" in checkin.output

    # Week 5: reminders to everyone not verified, sent more than 21 days ago.
    remind = invoke(runner, base, "remind", now="2024-06-20T09:00", codes=(0, 1))
    emls = sorted((base / "out" / ROUND / "reminders").glob("*.eml"))
    reminded = {path.name.split("_")[0] for path in emls}
    assert signed.ags not in reminded and {unsigned.ags, partial.ags} <= reminded, remind.output
    refused = email.message_from_bytes(next(p for p in emls if p.name.startswith(unsigned.ags)).read_bytes(),
                                       policy=policy.default)
    body = refused.get_body(preferencelist=("plain",)).get_content()
    assert "Unterschriftsfeld auf Seite 2 ist leer" in body          # the reason, in German
    attachment = next(refused.iter_attachments())
    assert attachment.get_content() == (base / "out" / unsigned.path).read_bytes()
    # The clerk sends the drafts from the mail program and records that they went out:
    invoke(runner, base, "remind", "--record-sent", now="2024-06-20T11:00")
    # Nobody twice within the minimum interval:
    again = invoke(runner, base, "remind", now="2024-06-22T09:00", codes=(0, 1))
    assert len(list((base / "out" / ROUND / "reminders").glob("*.eml"))) == len(emls), again.output

    # Figures, every way the office can look at them.
    status_json = json.loads(invoke(runner, base, "status", "--format", "json", now="2024-06-22T09:00").output)
    with Ledger.open(base / "out") as ledger:
        ledger_states = {row["ags"]: row["state"] for row in ledger.status_rows(ROUND)}
        reminders = [row for row in ledger.events(ROUND) if row["kind"] == "reminder"]
    assert {doc["ags"]: doc["state"] for doc in status_json["documents"]} == ledger_states
    assert ledger_states[signed.ags] == "verified" and ledger_states[unsigned.ags] == "rejected"
    assert ledger_states[partial.ags] == "incomplete"
    assert {doc["ags"]: doc["pages_received"] for doc in status_json["documents"]}[partial.ags] == [1]
    assert status_json["summary"]["verified"] == 1 and sum(status_json["summary"].values()) == len(records)
    assert len(reminders) == len(emls)

    exported = invoke(runner, base, "status", "--format", "csv", now="2024-06-22T09:00").output
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) - 1 == len(records)
    assert sum("unterschrieben" in row for row in rows[1:]) == 1

    xlsx = base / "status.xlsx"
    invoke(runner, base, "status", "--format", "xlsx", "--output", str(xlsx), now="2024-06-22T09:00")
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert sheet.max_row - 1 == len(records) and sheet.freeze_panes

    invoke(runner, base, "report", now="2024-06-22T09:00")
    html = (base / "out" / ROUND / "report.html").read_text(encoding="utf-8")
    for record in records.values():
        assert record.signatory["bezeichnung"] in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # self-contained

    history = invoke(runner, base, "history", unsigned.ags, "--format", "json", now="2024-06-22T09:00").output
    kinds = [event["kind"] for event in json.loads(history)["events"]]
    assert kinds[0] == "rendered" and "sent" in kinds and "checkin" in kinds and kinds[-1] == "reminder"

    audit = invoke(runner, base, "check", now="2024-06-22T09:00")
    assert audit.output.startswith("Ledger and files agree:"), audit.output

    # German where a person reads it: the reasons in the CSV and XLSX exports, the report and the
    # reminders carry none of the English words the check-in writes its reasons with.
    english = ("not signed", "signature box", "signed (", "page ", "not received", "missing", "needs review",
               "unclear", "is empty", "verified", "rejected", "incomplete", "upload")
    from openpyxl import load_workbook

    csv_rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
    column = [cell.value for cell in load_workbook(xlsx).active[1]].index("Grund")
    xlsx_reasons = [row[column].value or "" for row in load_workbook(xlsx).active.iter_rows(min_row=2)]
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells, self.inside = [], False

        def handle_starttag(self, tag, attrs):
            self.inside = tag == "td"

        def handle_data(self, data):
            if self.inside:
                self.cells.append(data)

    cells = Cells()
    cells.feed(html)
    bodies = [email.message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
              for path in emls]
    for where, texts in (("CSV", [row["Grund"] for row in csv_rows]), ("XLSX", xlsx_reasons),
                         ("report", cells.cells), ("reminders", bodies)):
        import re

        plain = [re.sub(r"https?://\S+", "", text).lower() for text in texts]  # addresses are not words
        found = sorted({word for text in plain for word in english if word in text})
        assert not found, (where, found, texts)
    assert any("Unterschriftsfeld auf Seite 2 ist leer" in row["Grund"] for row in csv_rows)
