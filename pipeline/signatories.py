"""Read signatories.csv / .xlsx as Excel writes them (spreadsheet.py), validate every row, and normalise.

Excel in a German office writes CSV as Windows-1252 with semicolons, or UTF-8 with a BOM and commas,
and drops the leading zero of a key it took for a number. All of that is accepted; everything that
is really wrong is collected, so the clerk sees **all** problems at once, each with the row number
Excel shows (the header is row 1) and the column name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import german, spreadsheet
from .errors import InvalidInputError
from .i18n import _, ngettext

REQUIRED_COLUMNS = ("ags", "name", "bezeichnung", "typ")
OPTIONAL_COLUMNS = ("kreis", "regierungsbezirk", "anrede", "titel", "vorname", "nachname", "funktion",
                    "strasse", "plz", "ort", "email")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Columns of nrw-kommunen.csv that carry no meaning for a document but are welcome in the file.
IGNORED_COLUMNS = ("einwohner",)

MAX_CELL_LENGTH = 300  # the longest real designation is ~40 characters; 300 leaves room for addresses

REGIERUNGSBEZIRK_BY_DIGIT = {"1": "Düsseldorf", "3": "Köln", "5": "Münster", "7": "Detmold", "9": "Arnsberg"}
EMAIL_PATTERN = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[A-Za-z]{2,}$")
TYPES_BY_LOWER = {typ.lower(): typ for typ in german.KNOWN_TYPES}


def normalise_ags(value: str) -> str:
    """An AGS as typed: Excel and people drop the leading zero of NRW keys ("5711000" -> "05711000")."""
    value = value.strip()
    return f"0{value}" if value.isdigit() and len(value) in (4, 7) else value


@dataclass(frozen=True, slots=True)  # slots: a run holds every row; 10,800 of them without a __dict__ each
class Signatory:
    """One municipality and its head, as one document is rendered for it."""

    row: int
    ags: str
    name: str
    bezeichnung: str
    typ: str
    kreis: str = ""
    regierungsbezirk: str = ""
    anrede: str = ""
    titel: str = ""
    vorname: str = ""
    nachname: str = ""
    funktion: str = ""
    strasse: str = ""
    plz: str = ""
    ort: str = ""
    email: str = ""

    @property
    def gender(self) -> str | None:
        return german.gender_from_anrede(self.anrede)

    @property
    def office(self) -> str:
        return german.office_title(self.typ, self.gender, self.funktion)

    @property
    def signer_name(self) -> str:
        return german.full_name(self.titel, self.vorname, self.nachname)

    @property
    def missing_address_fields(self) -> list[str]:
        """The postal-address columns a cover letter needs and this row leaves empty."""
        return [column for column in ("strasse", "plz", "ort") if not getattr(self, column).strip()]

    @property
    def has_postal_address(self) -> bool:
        return not self.missing_address_fields


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column:
            where.append(_("column '{column}'").format(column=self.column))
        return f"{', '.join(where)}: {self.message}"


class SignatoriesInvalid(InvalidInputError):
    MAX_LISTED = 100  # all problems are collected; a message listing 100,000 helps nobody

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems[:self.MAX_LISTED])
        if len(problems) > self.MAX_LISTED:
            lines += "\n  " + _("… and {count} more").format(count=len(problems) - self.MAX_LISTED)
        super().__init__(ngettext("{count} problem(s) in the signatories file, nothing was written:",
                                  "{count} problem(s) in the signatories file, nothing was written:",
                                  len(problems)).format(count=len(problems)) + f"\n{lines}")


@dataclass
class LoadResult:
    signatories: list[Signatory]
    warnings: list[Problem] = field(default_factory=list)


# --- validating ----------------------------------------------------------------------------------


def _clean(value: str) -> str:
    """Unicode NFC, non-breaking spaces and runs of whitespace folded, ends trimmed, soft hyphens gone."""
    value = unicodedata.normalize("NFC", value).replace("\u00ad", "")
    return " ".join(value.replace("\u00a0", " ").split())


def _invisible_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def _normalise_header(cells: list[str], file: str, problems: list[Problem], warnings: list[Problem]):
    columns = [_clean(cell).lower() for cell in cells]
    seen: dict[str, int] = {}
    for position, column in enumerate(columns):
        if not column:
            continue
        if column in seen:
            problems.append(Problem(file, 1, column, _("the column appears twice in the header")))
        seen.setdefault(column, position)
        if column not in KNOWN_COLUMNS and column not in IGNORED_COLUMNS:
            warnings.append(Problem(file, 1, column, _("unknown column, ignored")))
    missing = [required for required in REQUIRED_COLUMNS if required not in seen]
    if missing and len(columns) == 1:
        problems.append(Problem(file, 1, None, _("the header is a single column ('{header}'): the file must be "
                                                 "separated by commas, semicolons or tabs").format(
            header=columns[0][:60])))
        return seen
    for required in missing:
        problems.append(Problem(file, 1, required, _("required column is missing")))
    return seen


def _check_ags(ags: str, typ: str, file: str, row: int, problems: list[Problem],
               warnings: list[Problem]) -> str:
    if not ags.isdigit() or not ags.isascii():
        problems.append(Problem(file, row, "ags", _("'{value}' is not a key: digits only").format(value=ags[:40])))
        return ags
    if not typ:  # unknown type, already reported: the length cannot be judged
        return ags
    expected = 5 if typ in german.DISTRICT_TYPES else 8
    if len(ags) == expected - 1:
        # Excel stores a key like 05111000 as the number 5111000; the lost zero is restored exactly.
        warnings.append(Problem(file, row, "ags", _("'{value}' lost its leading zero (Excel); read as '0{value}'")
                                .format(value=ags)))
        ags = "0" + ags
    if len(ags) != expected:
        message = (_("'{value}' has {digits} digits; a {type} needs a Kreis key (5 digits)") if expected == 5
                   else _("'{value}' has {digits} digits; a {type} needs an AGS of 8 digits"))
        problems.append(Problem(file, row, "ags", message.format(value=ags, digits=len(ags), type=typ)))
    return ags


def _validate_record(values: dict[str, str], file: str, row: int, problems: list[Problem],
                     warnings: list[Problem]) -> Signatory | None:
    before = len(problems)
    for column, value in values.items():
        if len(value) > MAX_CELL_LENGTH:
            message = _("the cell holds {count} characters (at most {limit})").format(count=len(value),
                                                                                     limit=MAX_CELL_LENGTH)
            if value.count(",") + value.count(";") >= 5:  # the rows below were read into this cell
                message += _(": a quote (\") opened in this cell is never closed, so the rows after it were read "
                             "into it and are not checked; close or remove the quote")
            problems.append(Problem(file, row, column, message))
            values[column] = ""
        elif _invisible_characters(value):
            problems.append(Problem(file, row, column, _("the cell contains invisible control characters")))
    for column in REQUIRED_COLUMNS:
        if not values.get(column):
            problems.append(Problem(file, row, column, _("required value is empty")))

    typ = TYPES_BY_LOWER.get(values.get("typ", "").lower(), "")
    if values.get("typ") and not typ:
        problems.append(Problem(file, row, "typ", _("unknown type '{value}'; expected one of: {types}").format(
            value=values["typ"][:40], types=", ".join(german.KNOWN_TYPES))))
    ags = values.get("ags", "")
    if ags:
        ags = _check_ags(ags, typ, file, row, problems, warnings)

    anrede = values.get("anrede", "")
    if anrede.lower() not in german.ANREDE_TO_GENDER:
        problems.append(Problem(file, row, "anrede", _("'{value}' is not Frau, Herr or empty").format(
            value=anrede[:40])))
        anrede = ""
    anrede = anrede.capitalize()

    email = values.get("email", "")
    if email and not EMAIL_PATTERN.match(email):
        problems.append(Problem(file, row, "email", _("'{value}' is not an e-mail address").format(value=email[:60])))

    plz = values.get("plz", "")
    if plz and plz.isdigit() and len(plz) == 4:
        warnings.append(Problem(file, row, "plz", _("'{value}' lost its leading zero (Excel); read as '0{value}'")
                                .format(value=plz)))
        plz = "0" + plz
    if plz and not (plz.isdigit() and len(plz) == 5 and plz.isascii()):
        problems.append(Problem(file, row, "plz", _("'{value}' is not a German postcode (5 digits)").format(
            value=plz[:20])))

    regierungsbezirk = values.get("regierungsbezirk", "")
    if not regierungsbezirk and len(ags) >= 3 and ags.startswith("05"):
        regierungsbezirk = REGIERUNGSBEZIRK_BY_DIGIT.get(ags[2], "")

    if len(problems) > before:
        return None
    signatory = Signatory(
        row=row, ags=ags, name=values["name"], bezeichnung=values["bezeichnung"], typ=typ,
        kreis=values.get("kreis", ""), regierungsbezirk=regierungsbezirk, anrede=anrede,
        titel=values.get("titel", ""), vorname=values.get("vorname", ""), nachname=values.get("nachname", ""),
        funktion=values.get("funktion", ""), strasse=values.get("strasse", ""), plz=plz,
        ort=values.get("ort", ""), email=email,
    )
    for column, value in values.items():
        if value[:1] in ("=", "+", "@"):
            warnings.append(Problem(file, row, column, _("'{value}' looks like a spreadsheet formula; it is printed "
                                                         "as text").format(value=value[:40])))
    if not signatory.nachname:
        warnings.append(Problem(file, row, "nachname", _("no office holder named: the document gets an empty name "
                                                         "line to fill in by hand")))
    for column in TEXT_COLUMNS:
        damage = encoding_damage(values.get(column, ""))
        if damage:
            warnings.append(Problem(file, row, column, damage))
    return signatory


#: Columns of names and words, where a lost letter shows.
TEXT_COLUMNS = ("name", "bezeichnung", "kreis", "titel", "vorname", "nachname", "funktion", "strasse", "ort")
# "Y?lmaz", "M?nster": a letter a non-UTF-8 export could not write became "?". "\ufffd": a byte that was
# not readable in the file's encoding.
_LOST_LETTER = re.compile(r"\w\?\w|\ufffd")
# "DÃ¼sseldorf": UTF-8 bytes read as Windows-1252 or Latin-1 somewhere before the file reached us.
_MOJIBAKE = re.compile(r"[ÃÂâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def encoding_damage(value: str) -> str:
    """Why `value` looks damaged by a wrong encoding on its way into the file, or "" if it does not."""
    if _LOST_LETTER.search(value):
        return _("'{value}': a letter seems lost ('?' inside a word): the file was probably saved in an encoding "
                 "that lacks it (Excel: save as 'CSV UTF-8'); check the spelling").format(value=value[:40])
    if _MOJIBAKE.search(value):
        try:
            repaired = value.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            repaired = ""
        hint = _(" (probably '{repaired}')").format(repaired=repaired[:40]) if repaired else ""
        return _("'{value}' looks like UTF-8 read in another encoding{hint}: check the file's encoding and the "
                 "spelling").format(value=value[:40], hint=hint)
    return ""


def completeness_lines(signatories: list[Signatory]) -> list[str]:
    """What is missing from the rows, counted, with what each gap will block later (so that a clerk fills
    it in now, not when `bundle` or `remind` stops weeks later)."""
    gaps = [
        ([s for s in signatories if not s.nachname],
         _("{count} of {total} without office holder ({rows}): their documents get an empty name line to fill in "
           "by hand")),
        ([s for s in signatories if s.missing_address_fields],
         _("{count} of {total} without a complete postal address ({rows}): no cover letter: `bundle` leaves them "
           "out")),
        ([s for s in signatories if not s.email],
         _("{count} of {total} without e-mail address ({rows}): no reminder by e-mail: `remind` lists them")),
        ([s for s in signatories if not s.anrede and s.nachname],
         _("{count} of {total} without anrede ({rows}): the office title and salutation stay neutral (both "
           "forms)")),
    ]
    lines = []
    for rows, text in gaps:
        if rows:
            sample = ", ".join(_("row {row}").format(row=s.row) for s in rows[:5]) + (", …" if len(rows) > 5 else "")
            lines.append("  " + text.format(count=len(rows), total=len(signatories), rows=sample))
    return ([_("Completeness:"), *lines] if lines else
            [_("Completeness: all {count} rows have an office holder, a postal and an e-mail address.").format(
                count=len(signatories))])


def validate_rows(rows: list[list[str]], file: str, warnings: list[Problem] | None = None) -> LoadResult:
    warnings = [] if warnings is None else warnings
    problems: list[Problem] = []
    if not rows or not any(_clean(cell) for cell in rows[0]):
        raise SignatoriesInvalid([Problem(file, 1, None, _("the file is empty or its first row (the header) is "
                                                          "blank"))])
    positions = _normalise_header(rows[0], file, problems, warnings)
    if problems:
        raise SignatoriesInvalid(problems)

    signatories: list[Signatory] = []
    first_row_of_ags: dict[str, int] = {}
    for index, cells in enumerate(rows[1:], start=2):
        cleaned = [_clean(cell) for cell in cells]
        if not any(cleaned):
            continue  # blank line: Excel shows it, we skip it
        if len(cleaned) > len(rows[0]) and any(cleaned[len(rows[0]):]):
            problems.append(Problem(file, index, None, _("the row has {cells} cells but the header only {header}: a "
                                                         "separator inside a value?").format(
                cells=len(cleaned), header=len(rows[0]))))
            continue
        values = {column: (cleaned[pos] if pos < len(cleaned) else "") for column, pos in positions.items()
                  if column in KNOWN_COLUMNS}
        signatory = _validate_record(values, file, index, problems, warnings)
        if signatory is None:
            continue
        if signatory.ags in first_row_of_ags:
            problems.append(Problem(file, index, "ags", _("'{value}' already appears in row {row}").format(
                value=signatory.ags, row=first_row_of_ags[signatory.ags])))
            continue
        first_row_of_ags[signatory.ags] = index
        signatories.append(signatory)
    if problems:
        raise SignatoriesInvalid(problems)
    if not signatories:
        raise SignatoriesInvalid([Problem(file, None, None, _("the file has a header but no data rows"))])
    return LoadResult(signatories, warnings)


def load_signatories(path: Path) -> LoadResult:
    """Read and validate a signatories file; raise SignatoriesInvalid listing every problem."""
    rows, notes = spreadsheet.read_rows(Path(path))
    warnings = [Problem(Path(path).name, None, None, note) for note in notes]
    return validate_rows(rows, Path(path).name, warnings)


def warning_lines(warnings: list[Problem], limit: int = 20) -> list[str]:
    """The warnings as a person reads them: the same warning on many rows is one line ("… (427 rows: 2,
    3, 4, 5, 6, …)"), at most `limit` lines and then how many more."""
    groups: dict[tuple, list[Problem]] = {}
    for warning in warnings:
        groups.setdefault((warning.file, warning.column, warning.message), []).append(warning)
    lines = []
    for (file, column, message), members in groups.items():
        if len(members) <= 3:
            lines.extend(_("warning: {problem}").format(problem=member) for member in members)
        else:
            rows = ", ".join(str(member.row) for member in members[:5])
            lines.append(_("warning: {file}, column '{column}': {message} ({count} rows: {rows}, …)").format(
                file=file, column=column, message=message, count=len(members), rows=rows))
    if len(lines) > limit:
        return [*lines[:limit], ngettext("… and {count} more warning(s)", "… and {count} more warning(s)",
                                         len(lines) - limit).format(count=len(lines) - limit)]
    return lines
