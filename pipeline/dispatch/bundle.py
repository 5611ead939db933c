"""Print bundles: per group one PDF a print room can run as it is, and a manifest to check the stack.

``bundle_round`` takes the current document of every municipality from the ledger, groups and sorts
them (postal presort), and assembles per municipality its cover letter and N copies of its document
with pypdf. In duplex mode every part starts on a front side (blank backs are inserted), so a stack
never shifts by one page. ``mark_sent`` records the dispatch in the ledger (state "sent").

Everything is computed before the first file is written; files are written atomically and the same
ledger and round file give the same bytes (fixed /ID from the inputs, dates from round.toml).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError
from ..fileio import excel_csv, neutralise, slugify, write_bytes_atomic
from ..i18n import _, ngettext
from ..ledger import Ledger
from ..links import current_links
from ..round import RoundConfig
from ..signatories import Signatory
from ..units import A4_HEIGHT_PT, A4_WIDTH_PT
from .letters import (
    LetterChunk,
    RenderedLetters,
    addressee,
    chunked,
    letter_context,
    render_chunks,
)
from .selection import (  # noqa: F401 - select_only and selected_entries: the bundle's public selection
    ALL_GROUP,
    GROUP_BY,
    SORT_BY,
    Entry,
    corrections,
    current_entries,
    plan_groups,
    select_only,
    selected_entries,
)

PRINT_DIR = "print"
NO_ADDRESS_FILE = "ohne-anschrift.csv"
REPRINT_SUFFIX = "_nachdruck"
MANIFEST_COLUMNS = ("position", "ags", "bezeichnung", "empfaenger", "plz", "ort", "first_page", "last_page",
                    "pages", "sheets", "copies")


@dataclass
class BundleFile:
    group: str
    pdf_path: Path
    manifest_path: Path
    pages: int
    sheets: int
    entries: list[Entry]


@dataclass
class BundleSummary:
    round_id: str
    print_dir: Path
    files: list[BundleFile]
    no_address: list[tuple[Entry, list[str]]]
    no_address_file: Path | None
    removed: list[Path] = field(default_factory=list)
    duplex: bool = True

    @property
    def bundled_ags(self) -> list[str]:
        """The municipalities whose letters are in the bundles (what mark-sent should record)."""
        return [entry.signatory.ags for bundle_file in self.files for entry in bundle_file.entries]

    @property
    def needs_attention(self) -> bool:
        """Municipalities without a postal address were left out: a person has to find their address."""
        return bool(self.no_address)

    def lines(self, quiet: bool = False) -> list[str]:
        """What a run did, for the clerk: the files, the print-room settings, who was left out and why."""
        lines = []
        for bundle_file in self.files:
            count = len(bundle_file.entries)
            lines.append(ngettext("{file}: {pages} pages, {sheets} sheets, {count} municipality",
                                  "{file}: {pages} pages, {sheets} sheets, {count} municipalities", count).format(
                file=bundle_file.pdf_path, pages=bundle_file.pages, sheets=bundle_file.sheets, count=count))
        if self.removed and not quiet:
            names = ", ".join(path.name for path in self.removed[:6])
            more = (", … " + _("({count} more)").format(count=len(self.removed) - 6)) if len(self.removed) > 6 else ""
            lines.append(_("Removed {count} outdated file(s) of an earlier run from {folder}/: {names}").format(
                count=len(self.removed), folder=self.print_dir, names=names + more))
        if self.files:
            sides = _("duplex (long edge)") if self.duplex else _("simplex")
            lines.append(ngettext("For the print room: the {count} PDF file(s) above, A4, {sides}, 100 % (no fit to "
                                  "page), no stapling; with each its .csv manifest to check the stack (sheets per "
                                  "municipality).",
                                  "For the print room: the {count} PDF file(s) above, A4, {sides}, 100 % (no fit to "
                                  "page), no stapling; with each its .csv manifest to check the stack (sheets per "
                                  "municipality).", len(self.files)).format(count=len(self.files), sides=sides))
        if self.no_address:
            lines.append(_("Not bundled, no postal address ({count}, listed in {file}):").format(
                count=len(self.no_address), file=self.no_address_file))
            lines += ["  " + _("{ags} {designation}: {columns} missing").format(
                ags=entry.signatory.ags, designation=entry.signatory.bezeichnung, columns=", ".join(missing))
                for entry, missing in self.no_address]
        return lines


# --- choosing and ordering ---------------------------------------------------------------------------


# --- assembling ----------------------------------------------------------------------------------------

@dataclass
class Assembled:
    pdf: bytes
    manifest: bytes
    pages: int
    sheets: int


def _csv_bytes(columns: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """A manifest for Excel; names and designations come from the signatories file, so text is neutralised."""
    return excel_csv(columns, ([neutralise(cell) if isinstance(cell, str) else cell for cell in row] for row in rows))


def assemble(group: str, entries: list[Entry], letters: list[RenderedLetters], out: Path, round_cfg: RoundConfig,
             copies: int, duplex: bool) -> Assembled:
    """One bundle: per municipality its letter, then `copies` copies of its document, each part starting
    on a front side when `duplex`."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject, TextStringObject

    writer = PdfWriter()
    recipe = hashlib.sha256()
    letter_pages = {}
    for chunk in letters:
        reader = PdfReader(io.BytesIO(chunk.pdf))
        recipe.update(chunk.pdf)
        for ags, (start, count) in chunk.pages.items():
            letter_pages[ags] = reader.pages[start:start + count]
    rows = []

    def pad_to_front_side() -> None:
        if duplex and len(writer.pages) % 2:
            writer.add_blank_page(A4_WIDTH_PT, A4_HEIGHT_PT)

    for position, entry in enumerate(entries, start=1):
        first = len(writer.pages) + 1
        for page in letter_pages[entry.signatory.ags]:
            writer.add_page(page)
        pad_to_front_side()
        document_path = Path(out) / entry.record.path
        try:
            document_bytes = document_path.read_bytes()
        except FileNotFoundError as exc:
            raise InvalidInputError(_("{file}: the document of {designation} is missing; run `engagiert render` "
                                      "again to restore it").format(file=document_path,
                                                                    designation=entry.signatory.bezeichnung)) from exc
        if hashlib.sha256(document_bytes).hexdigest() != entry.record.sha256:
            raise InvalidInputError(_("{file}: the file differs from the rendered one in the ledger; run "
                                      "`engagiert render` again to restore it").format(file=document_path))
        recipe.update(entry.record.sha256.encode())
        document = PdfReader(io.BytesIO(document_bytes))
        for _copy in range(copies):
            for page in document.pages:
                writer.add_page(page)
            pad_to_front_side()
        last = len(writer.pages)
        pages = last - first + 1
        sheets = (pages + 1) // 2 if duplex else pages
        signatory = entry.signatory
        rows.append((position, signatory.ags, signatory.bezeichnung, addressee(signatory), signatory.plz,
                     signatory.ort, first, last, pages, sheets, copies))
    title = f"Druckpaket {group}: {round_cfg.title}, Runde {round_cfg.id}"
    date = _pdf_date(round_cfg.letter.date or round_cfg.date)
    writer.add_metadata({"/Title": title, "/Author": round_cfg.sender.organisation or "engagiert",
                         "/Subject": f"Anschreiben und {copies} Exemplar(e) je Kommune, "
                                     f"{'duplex' if duplex else 'simplex'}",
                         "/Creator": "engagiert", "/Producer": "WeasyPrint, pypdf",
                         "/CreationDate": date, "/ModDate": date})
    writer._root_object[NameObject("/Lang")] = TextStringObject("de")
    recipe.update(f"{title}|{copies}|{duplex}".encode())
    # A fixed /ID from the inputs: the same ledger and round file give the same bytes.
    digest = recipe.hexdigest()[:32].encode()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    buffer = io.BytesIO()
    writer.write(buffer)
    total_sheets = sum(row[9] for row in rows)
    return Assembled(buffer.getvalue(), _csv_bytes(MANIFEST_COLUMNS, rows), len(writer.pages), total_sheets)


def _pdf_date(date: dt.date) -> str:
    return f"D:{date:%Y%m%d}000000Z"


# --- the stage ------------------------------------------------------------------------------------------

def bundle_round(round_cfg: RoundConfig, out: Path, *, group_by: str = "regierungsbezirk", sort: str = "plz",
                 copies: int = 2, duplex: bool = True, only: Iterable[str] = (), group: str | None = None,
                 signatories: list[Signatory] | None = None, workers: int = 1,
                 progress: Callable[[int], None] | None = None) -> BundleSummary:
    """Write the print bundles. `signatories`, when given, supplies current postal addresses
    (see refresh_addresses); otherwise the rows stored in the ledger at rendering are used."""
    if copies < 1:
        raise InvalidInputError(_("--copies must be at least 1"))
    out = Path(out)
    only = list(only)
    with Ledger.existing(out) as ledger:
        entries = selected_entries(ledger, round_cfg, signatories, only)
        corrected = corrections(ledger, round_cfg, entries)
    planned = plan_groups(entries, group_by, sort, group)
    upload_links = {ags: link.url for ags, link in current_links(out, round_cfg).items()}
    partial = bool(only) or group is not None
    no_address: list[tuple[Entry, list[str]]] = []
    print_dir = round_cfg.round_dir(out) / PRINT_DIR
    to_print: list[tuple[str, list[Entry], list[LetterChunk]]] = []
    for name, members in planned:
        postal = []
        for entry in members:
            missing = entry.signatory.missing_address_fields
            if missing:
                no_address.append((entry, missing))
            else:
                postal.append(entry)
        if postal:
            contexts = [letter_context(entry.signatory, entry.record.doc_id, round_cfg, copies,
                                       upload_links.get(entry.signatory.ags), corrected.get(entry.signatory.ags))
                        for entry in postal]
            meta = {"title": f"Anschreiben {name}", "author": round_cfg.sender.organisation,
                    "created": (round_cfg.letter.date or round_cfg.date).isoformat()}
            to_print.append((name, postal, chunked(contexts, meta, f"{round_cfg.id}-{slugify(name)}",
                                                     round_cfg.letter.templates)))
    # Lay out and assemble everything first: a letter that does not fit stops the run before any file.
    rendered = iter(render_chunks([chunk for _, _, chunks in to_print for chunk in chunks], workers, progress))
    outputs: list[tuple[BundleFile, Assembled]] = []
    for name, postal, chunks in to_print:
        letters = [next(rendered) for _ in chunks]
        assembled = assemble(name, postal, letters, out, round_cfg, copies, duplex)
        stem = slugify(name) + (REPRINT_SUFFIX if only else "")
        outputs.append((BundleFile(name, print_dir / f"{stem}.pdf", print_dir / f"{stem}.csv", assembled.pages,
                                   assembled.sheets, postal), assembled))
    for bundle_file, assembled in outputs:
        write_bytes_atomic(bundle_file.pdf_path, assembled.pdf, durable=False)
        write_bytes_atomic(bundle_file.manifest_path, assembled.manifest, durable=False)
    # A partial run lists only the municipalities it selected: under its own name, so the full list of
    # the last complete run is not overwritten.
    no_address_file = print_dir / NO_ADDRESS_FILE
    if partial:
        suffix = (f"_{slugify(group)}" if group is not None else "") + (REPRINT_SUFFIX if only else "")
        no_address_file = no_address_file.with_name(f"{no_address_file.stem}{suffix}.csv")
    if no_address:
        rows = [(entry.signatory.ags, entry.signatory.name, entry.signatory.bezeichnung, ", ".join(missing),
                 entry.record.doc_id) for entry, missing in no_address]
        write_bytes_atomic(no_address_file, _csv_bytes(("ags", "name", "bezeichnung", "fehlt", "doc_id"), rows))
    removed = [] if partial else _remove_stale(print_dir, {path for bundle_file, _ in outputs
                                                           for path in (bundle_file.pdf_path,
                                                                        bundle_file.manifest_path)}
                                               | ({no_address_file} if no_address else set()))
    return BundleSummary(round_cfg.id, print_dir, [bundle_file for bundle_file, _ in outputs], no_address,
                         no_address_file if no_address else None, removed, duplex)


def _remove_stale(print_dir: Path, keep: set[Path]) -> list[Path]:
    """After a full run print/ holds exactly its files: bundles of an earlier grouping or reprints would
    otherwise go to the print room too. print/ belongs to engagiert; only .pdf and .csv are touched."""
    if not print_dir.is_dir():
        return []
    stale = sorted(path for path in print_dir.iterdir()
                   if path.is_file() and path.suffix in (".pdf", ".csv") and path not in keep)
    for path in stale:
        path.unlink()
    return stale
