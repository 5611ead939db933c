"""The round's settings from round.toml, read whole and validated once: [round], [cosignatory], [sender],
[letter], [checkin], [mail] and [portal].

An unknown section or key is refused (exit code 2), as a misspelt one would otherwise be ignored without a
word: `max_mb` typed as `maxmb` would leave uploads unlimited by the clerk's choice, `office_line2` typed
wrong would drop a line from every printed document."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidInputError
from .i18n import _
from .round_services import MailConfig, PortalConfig, load_mail, load_portal
from .templating import TEMPLATES_DIR

ROUND_ID_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
#: A complete, commented round.toml, shipped inside the package (found wherever the tool is installed).
ROUND_EXAMPLE = TEMPLATES_DIR / "round.example.toml"


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
    #: A folder of the round's own wording (cover letter and its style sheet, reminder texts, the answer to a
    #: mail: templating.OVERRIDABLE); a file there replaces the shipped one. None: the shipped wording.
    templates: Path | None = None


@dataclass(frozen=True)
class CheckinConfig:
    """[checkin]: where returned copies arrive, whose digital signatures count, what one upload may cost.
    Paths are resolved against the round file's folder; a limit left out is None (the check-in stage's
    default applies, see checkin/intake.py Limits)."""

    inbox: Path = Path("inbox")
    trust_roots: tuple[Path, ...] = ()
    max_mb: float | None = None
    max_pages: float | None = None
    max_megapixels: float | None = None
    max_seconds: float | None = None
    #: Per AGS, whose digital signatures count for that municipality: {"organisations": [...],
    #: "fingerprints": [...]} ([checkin.signers."05711000"]); without an entry, the spreadsheet's names decide.
    signers: dict = field(default_factory=dict)


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
    checkin: CheckinConfig = CheckinConfig()
    mail: MailConfig = MailConfig()
    portal: PortalConfig = PortalConfig()

    def round_dir(self, out: Path) -> Path:
        return Path(out) / self.id


def _require(table: dict, key: str, where: str, path: Path, kind=str):
    if key not in table:
        raise InvalidInputError(_("{file}: [{section}] needs '{key}'").format(file=path, section=where, key=key))
    value = table[key]
    if not isinstance(value, kind):
        raise InvalidInputError(_("{file}: [{section}] {key} must be a {kind}, not {value!r}").format(
            file=path, section=where, key=key, kind=kind.__name__, value=value))
    return value


TOML_POSITION = re.compile(r"^(?P<what>.*?) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$",
                           re.S)


def toml_error(path: Path, exc: Exception) -> str:
    """Where the file breaks TOML, in the reader's language; what tomllib says about it in parentheses."""
    found = TOML_POSITION.match(str(exc))
    if not found:
        return _("{file}: not valid TOML: {error}").format(file=path, error=exc)
    if not found["line"]:
        return _("{file}: not valid TOML at the end of the file ({error})").format(file=path, error=found["what"])
    return _("{file}: not valid TOML at line {line}, column {column} ({error})").format(
        file=path, line=found["line"], column=found["column"], error=found["what"])


def load_round(path: Path) -> RoundConfig:
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(_("{file}: round file not found; start from the commented example: cp {example} "
                                  "{file}").format(file=path, example=ROUND_EXAMPLE))
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(toml_error(path, exc)) from exc

    _check_keys(data, path)
    round_table = data.get("round", {})
    round_id = str(_require(round_table, "id", "round", path)).strip().upper()
    if not ROUND_ID_PATTERN.match(round_id):
        raise InvalidInputError(_("{file}: [round] id '{id}' may use only letters, digits and '-' (at most 20), "
                                  "e.g. \"2024-05\"").format(file=path, id=round_id))
    date = _require(round_table, "date", "round", path, dt.date)
    deadline = round_table.get("deadline")
    if deadline is not None and not isinstance(deadline, dt.date):
        raise InvalidInputError(_("{file}: [round] deadline must be a date like 2024-06-30").format(file=path))

    co = data.get("cosignatory", {})
    facsimile = co.get("facsimile") or None
    if facsimile:
        facsimile = (path.parent / facsimile).resolve()
        if not facsimile.is_file():
            raise InvalidInputError(_("{file}: [cosignatory] facsimile image {image} not found").format(
                file=path, image=facsimile))
    anrede = str(co.get("anrede", "")).strip()
    if anrede.lower() not in ("frau", "herr", ""):
        raise InvalidInputError(_("{file}: [cosignatory] anrede must be Frau, Herr or empty").format(file=path))
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
        remind_after_days=_remind_after_days(round_table, path),
        cosignatory=cosignatory,
        sender=sender,
        source=path,
        digest=hashlib.sha256(raw + (facsimile.read_bytes() if facsimile else b"")).hexdigest(),
        letter=letter,
        checkin=_load_checkin(data.get("checkin", {}), path),
        mail=load_mail(data.get("mail", {}), path, sender),
        portal=load_portal(data.get("portal", {}), path),
    )


def _load_letter(table: dict, path: Path) -> Letter:
    letter_date = table.get("date")
    if letter_date is not None and not isinstance(letter_date, dt.date):
        raise InvalidInputError(_("{file}: [letter] date must be a date like 2024-05-15").format(file=path))
    values = {}
    for key in ("subject", "return_line", "signature_name", "signature_title", "closing"):
        if key in table:
            if not isinstance(table[key], str):
                raise InvalidInputError(_("{file}: [letter] {key} must be a string, not {value!r}").format(
                    file=path, key=key, value=table[key]))
            values[key] = table[key].strip()
    if "templates" in table:
        values["templates"] = _letter_templates(table["templates"], path)
    return Letter(date=letter_date, **values)


def _letter_templates(value, path: Path) -> Path:
    from .templating import OVERRIDABLE

    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(_("{file}: [letter] templates must be a folder name, not {value!r}").format(
            file=path, value=value))
    folder = path.parent / value.strip()
    if not folder.is_dir():
        raise InvalidInputError(_("{file}: [letter] templates: the folder {folder} does not exist").format(
            file=path, folder=folder))
    unknown = sorted(item.name for item in folder.iterdir() if item.is_file() and item.name not in OVERRIDABLE
                     and not item.name.startswith("."))
    if unknown:  # a misspelt file name would otherwise be ignored without a word
        raise InvalidInputError(_("{file}: [letter] templates: {folder} holds {unknown}, which replace nothing; a "
                                  "round may replace: {known}").format(file=path, folder=folder,
                                                                       unknown=", ".join(unknown),
                                                                       known=", ".join(OVERRIDABLE)))
    return folder


# Every key round.toml may hold, per section.
KNOWN_KEYS = {
    "round": ("id", "title", "place_date", "date", "deadline", "remind_after_days"),
    "cosignatory": ("name", "anrede", "office", "office_line2", "heading", "facsimile"),
    "sender": tuple(Sender.__dataclass_fields__),
    "letter": tuple(Letter.__dataclass_fields__),
    "checkin": tuple(CheckinConfig.__dataclass_fields__),
    "mail": tuple(MailConfig.__dataclass_fields__),
    "portal": tuple(PortalConfig.__dataclass_fields__),
}


def _check_keys(data: dict, path: Path) -> None:
    if isinstance(data.get("mail"), dict) and "password" in data["mail"]:
        raise InvalidInputError(_("{file}: [mail] password does not belong in round.toml (it is copied and mailed "
                                  "around): put it in the environment variable named by password_env (default "
                                  "ENGAGIERT_MAIL_PASSWORD) or in a file named by password_file").format(file=path))
    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise InvalidInputError(_("{file}: unknown section(s) or key(s) outside a section: {unknown}; known "
                                  "sections: {known}").format(file=path, unknown=", ".join(unknown),
                                                              known=", ".join(f"[{name}]" for name in KNOWN_KEYS)))
    for section, known in KNOWN_KEYS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise InvalidInputError(_("{file}: [{section}] must be a section (a table), not {value!r}").format(
                file=path, section=section, value=table))
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise InvalidInputError(_("{file}: [{section}] has unknown key(s) {unknown}; known: {known}").format(
                file=path, section=section, unknown=", ".join(unknown), known=", ".join(known)))


def _remind_after_days(table: dict, path: Path) -> int:
    value = table.get("remind_after_days", 21)
    try:
        days = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise InvalidInputError(_("{file}: [round] remind_after_days must be a number of days (0 or more), not "
                                  "{value!r}").format(file=path, value=value))
    return days


def _load_checkin(table: dict, path: Path) -> CheckinConfig:
    base = path.parent
    inbox = table.get("inbox", "inbox")
    if not isinstance(inbox, str) or not inbox.strip():
        raise InvalidInputError(_("{file}: [checkin] inbox must be a folder name or path, not {value!r}").format(
            file=path, value=inbox))
    roots = table.get("trust_roots", [])
    if isinstance(roots, str):
        roots = [roots]
    if not isinstance(roots, list) or not all(isinstance(root, str) and root.strip() for root in roots):
        raise InvalidInputError(_("{file}: [checkin] trust_roots must be a list of certificate files, e.g. "
                                  "[\"ca.pem\"], not {value!r}").format(file=path, value=roots))
    limits = {}
    for key in ("max_mb", "max_pages", "max_megapixels", "max_seconds"):
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InvalidInputError(_("{file}: [checkin] {key} must be a positive number, not {value!r}").format(
                file=path, key=key, value=value))
        limits[key] = value
    return CheckinConfig(inbox=base / inbox, trust_roots=tuple(base / root for root in roots), **limits,
                         signers=_load_signers(table.get("signers", {}), path))


def _load_signers(table, path: Path) -> dict:
    """[checkin.signers."<AGS>"]: organisations = [...], fingerprints = [...] (hex SHA-256, colons allowed)."""
    import re

    if not isinstance(table, dict):
        raise InvalidInputError(_("{file}: [checkin.signers] must be a table of municipalities by AGS").format(
            file=path))
    signers = {}
    for ags, rule in table.items():
        where = f'{path}: [checkin.signers."{ags}"]'
        if not re.fullmatch(r"\d{5}|\d{8}", str(ags)) or not isinstance(rule, dict):
            raise InvalidInputError(_("{where} must be a table under a 5- or 8-digit AGS").format(where=where))
        unknown = sorted(set(rule) - {"organisations", "fingerprints"})
        if unknown:
            raise InvalidInputError(_("{where} has unknown key(s) {unknown}; known: organisations, fingerprints")
                                    .format(where=where, unknown=", ".join(unknown)))
        organisations = rule.get("organisations", [])
        fingerprints = rule.get("fingerprints", [])
        if not (isinstance(organisations, list) and all(isinstance(o, str) and o.strip() for o in organisations)):
            raise InvalidInputError(_("{where} organisations must be a list of names").format(where=where))
        cleaned = [str(value).replace(":", "").strip().lower() for value in fingerprints] \
            if isinstance(fingerprints, list) else None
        if cleaned is None or not all(re.fullmatch(r"[0-9a-f]{64}", value) for value in cleaned):
            raise InvalidInputError(_("{where} fingerprints must be a list of SHA-256 certificate fingerprints (64 "
                                      "hex digits, colons allowed)").format(where=where))
        signers[str(ags)] = {"organisations": tuple(organisations), "fingerprints": tuple(cleaned)}
    return signers


