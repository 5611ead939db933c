"""The round's settings from round.toml, read whole and validated once: [round], [cosignatory], [sender],
[letter], [checkin] and [portal].

An unknown section or key is refused (exit code 2), as a misspelt one would otherwise be ignored without a
word: `max_mb` typed as `maxmb` would leave uploads unlimited by the clerk's choice, `office_line2` typed
wrong would drop a line from every printed document."""

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


@dataclass(frozen=True)
class PortalConfig:
    """[portal]: the web app (`engagiert serve`) and the municipalities' private links (`engagiert links`).

    `public_url` is the address people reach the server at (behind the TLS proxy), the base of every link;
    without it no links are issued and letters print [sender] upload_url as before."""

    public_url: str = ""
    link_valid_until: dt.date | None = None  # links stop working after this day; default: no end
    trusted_proxies: int = 0        # reverse proxies in front whose X-Forwarded-For/-Proto are believed
    session_hours: float = 8.0      # a clerk's login lasts this long (a working day)
    max_request_mb: float = 60.0    # one upload request (all its files); larger: 413
    link_requests_per_minute: int = 30   # per private link (its page and its uploads)
    address_requests_per_minute: int = 120  # per client address, whatever it asks for
    login_attempts_per_hour: int = 20    # failed and successful logins per client address

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over TLS when the public address is https (the proxy terminates TLS)."""
        return self.public_url.lower().startswith("https://")


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
    portal: PortalConfig = PortalConfig()

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

    _check_keys(data, path)
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
        remind_after_days=_remind_after_days(round_table, path),
        cosignatory=cosignatory,
        sender=sender,
        source=path,
        digest=hashlib.sha256(raw + (facsimile.read_bytes() if facsimile else b"")).hexdigest(),
        letter=letter,
        checkin=_load_checkin(data.get("checkin", {}), path),
        portal=_load_portal(data.get("portal", {}), path),
    )


def _load_letter(table: dict, path: Path) -> Letter:
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


# Every key round.toml may hold, per section.
KNOWN_KEYS = {
    "round": ("id", "title", "place_date", "date", "deadline", "remind_after_days"),
    "cosignatory": ("name", "anrede", "office", "office_line2", "heading", "facsimile"),
    "sender": tuple(Sender.__dataclass_fields__),
    "letter": tuple(Letter.__dataclass_fields__),
    "checkin": tuple(CheckinConfig.__dataclass_fields__),
    "portal": tuple(PortalConfig.__dataclass_fields__),
}


def _check_keys(data: dict, path: Path) -> None:
    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise InvalidInputError(f"{path}: unknown section(s) or key(s) outside a section: {', '.join(unknown)}; "
                                f"known sections: {', '.join(f'[{name}]' for name in KNOWN_KEYS)}")
    for section, known in KNOWN_KEYS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise InvalidInputError(f"{path}: [{section}] must be a section (a table), not {table!r}")
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise InvalidInputError(f"{path}: [{section}] has unknown key(s) {', '.join(unknown)}; known: "
                                    f"{', '.join(known)}")


def _remind_after_days(table: dict, path: Path) -> int:
    value = table.get("remind_after_days", 21)
    try:
        days = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise InvalidInputError(f"{path}: [round] remind_after_days must be a number of days (0 or more), "
                                f"not {value!r}")
    return days


def _load_checkin(table: dict, path: Path) -> CheckinConfig:
    base = path.parent
    inbox = table.get("inbox", "inbox")
    if not isinstance(inbox, str) or not inbox.strip():
        raise InvalidInputError(f"{path}: [checkin] inbox must be a folder name or path, not {inbox!r}")
    roots = table.get("trust_roots", [])
    if isinstance(roots, str):
        roots = [roots]
    if not isinstance(roots, list) or not all(isinstance(root, str) and root.strip() for root in roots):
        raise InvalidInputError(f"{path}: [checkin] trust_roots must be a list of certificate files, "
                                f"e.g. [\"ca.pem\"], not {roots!r}")
    limits = {}
    for key in ("max_mb", "max_pages", "max_megapixels", "max_seconds"):
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InvalidInputError(f"{path}: [checkin] {key} must be a positive number, not {value!r}")
        limits[key] = value
    return CheckinConfig(inbox=base / inbox, trust_roots=tuple(base / root for root in roots), **limits)


def _load_portal(table: dict, path: Path) -> PortalConfig:
    values: dict = {}
    url = table.get("public_url", "")
    if not isinstance(url, str) or (url.strip() and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url.strip())):
        raise InvalidInputError(f"{path}: [portal] public_url must be an http(s) address like "
                                f"\"https://engagiert.nrw.example\", not {url!r}")
    values["public_url"] = url.strip().rstrip("/")
    until = table.get("link_valid_until")
    if until is not None and (not isinstance(until, dt.date) or isinstance(until, dt.datetime)):
        raise InvalidInputError(f"{path}: [portal] link_valid_until must be a date like 2024-12-31")
    values["link_valid_until"] = until
    for key, kind, low in (("trusted_proxies", int, 0), ("session_hours", float, 0.01),
                           ("max_request_mb", float, 0.001), ("link_requests_per_minute", int, 1),
                           ("address_requests_per_minute", int, 1), ("login_attempts_per_hour", int, 1)):
        if key not in table:
            continue
        value = table[key]
        wrong_type = kind is int and not isinstance(value, int)
        if isinstance(value, bool) or not isinstance(value, int | float) or wrong_type or value < low:
            raise InvalidInputError(f"{path}: [portal] {key} must be a {'whole ' if kind is int else ''}number of at "
                                    f"least {low}, not {value!r}")
        values[key] = kind(value)
    return PortalConfig(**values)
