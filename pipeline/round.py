"""The round's settings from round.toml: id, date line, co-signatory, deadline, sender."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInputError

ROUND_ID_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")


@dataclass(frozen=True)
class Cosignatory:
    name: str
    anrede: str
    office: str
    office_line2: str
    heading: str
    facsimile: Path | None

    @property
    def gender(self) -> str | None:
        from .german import gender_from_anrede

        return gender_from_anrede(self.anrede)


@dataclass(frozen=True)
class Sender:
    organisation: str
    department: str
    street: str
    plz: str
    ort: str
    contact_name: str
    phone: str
    email: str
    upload_url: str

    @property
    def town(self) -> str:
        return f"{self.plz} {self.ort}".strip()

    @property
    def postal(self) -> str:
        """The postal address on one line, for letters and reminders."""
        return ", ".join(part for part in (self.organisation, self.department, self.street, self.town) if part)


@dataclass(frozen=True)
class Letter:
    """The cover letter's own settings ([letter] in round.toml, every key optional)."""

    subject: str = ""          # empty: "<title>: Gemeinsame Erklärung zur Unterzeichnung"
    date: dt.date | None = None  # the letter's date; empty: the round's date
    return_line: str = ""      # Rücksendeangabe above the address; empty: built from [sender]
    signature_name: str = ""   # who signs the letter; empty: [sender] contact_name
    signature_title: str = ""  # the line under the name, e.g. "Referatsleiterin"
    closing: str = "Mit freundlichen Grüßen"


@dataclass(frozen=True)
class RoundConfig:
    id: str
    title: str
    place_date: str
    date: dt.date
    deadline: dt.date | None
    remind_after_days: int
    cosignatory: Cosignatory
    sender: Sender
    source: Path
    digest: str  # sha256 of the file: part of every document's fingerprint
    letter: Letter = Letter()

    def round_dir(self, out: Path) -> Path:
        return Path(out) / self.id


def _require(table: dict, key: str, where: str, path: Path, kind=str):
    if key not in table:
        raise InvalidInputError(f"{path}: [{where}] needs '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise InvalidInputError(f"{path}: [{where}] {key} must be a {kind.__name__}, not {value!r}")
    return value


def load_round(path: Path) -> RoundConfig:
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"{path}: round file not found (copy templates/round.example.toml)")
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: not valid TOML: {exc}") from exc

    round_table = data.get("round", {})
    round_id = str(_require(round_table, "id", "round", path)).strip().upper()
    if not ROUND_ID_PATTERN.match(round_id):
        raise InvalidInputError(f"{path}: [round] id '{round_id}' may use only letters, digits and '-' "
                                "(at most 20), e.g. \"2024-05\"")
    date = _require(round_table, "date", "round", path, dt.date)
    deadline = round_table.get("deadline")
    if deadline is not None and not isinstance(deadline, dt.date):
        raise InvalidInputError(f"{path}: [round] deadline must be a date like 2024-06-30")

    co = data.get("cosignatory", {})
    facsimile = co.get("facsimile") or None
    if facsimile:
        facsimile = (path.parent / facsimile).resolve()
        if not facsimile.is_file():
            raise InvalidInputError(f"{path}: [cosignatory] facsimile image {facsimile} not found")
    anrede = str(co.get("anrede", "")).strip()
    if anrede.lower() not in ("frau", "herr", ""):
        raise InvalidInputError(f"{path}: [cosignatory] anrede must be Frau, Herr or empty")
    cosignatory = Cosignatory(
        name=_require(co, "name", "cosignatory", path),
        anrede=anrede,
        office=_require(co, "office", "cosignatory", path),
        office_line2=co.get("office_line2", ""),
        heading=co.get("heading", ""),
        facsimile=facsimile,
    )
    sender_table = data.get("sender", {})
    sender = Sender(**{key: str(sender_table.get(key, "")) for key in Sender.__dataclass_fields__})
    letter = _load_letter(data.get("letter", {}), path)
    return RoundConfig(
        id=round_id,
        title=round_table.get("title", "Kommunen-Netzwerk: engagiert in NRW"),
        place_date=_require(round_table, "place_date", "round", path),
        date=date,
        deadline=deadline,
        remind_after_days=int(round_table.get("remind_after_days", 21)),
        cosignatory=cosignatory,
        sender=sender,
        source=path,
        digest=hashlib.sha256(raw + (facsimile.read_bytes() if facsimile else b"")).hexdigest(),
        letter=letter,
    )


def _load_letter(table: dict, path: Path) -> Letter:
    unknown = sorted(set(table) - set(Letter.__dataclass_fields__))
    if unknown:
        raise InvalidInputError(f"{path}: [letter] has unknown key(s) {', '.join(unknown)}; known: "
                                f"{', '.join(Letter.__dataclass_fields__)}")
    letter_date = table.get("date")
    if letter_date is not None and not isinstance(letter_date, dt.date):
        raise InvalidInputError(f"{path}: [letter] date must be a date like 2024-05-15")
    values = {}
    for key in ("subject", "return_line", "signature_name", "signature_title", "closing"):
        if key in table:
            if not isinstance(table[key], str):
                raise InvalidInputError(f"{path}: [letter] {key} must be a string, not {table[key]!r}")
            values[key] = table[key].strip()
    return Letter(date=letter_date, **values)
