"""Each municipality's private upload link: ``<[portal] public_url>/k/<token>``.

The token is 256 bits: HMAC-SHA256 under ``out/links.secret`` (32 random bytes, owner-only, made on first
use like docid.secret) of a per-link random nonce (128 bits) with round and AGS. The ledger stores the nonce
and the token's SHA-256, never the token: a copied ledger alone opens no link, while letters, reminders and
`engagiert links` can print the same link again from the secret. A request's token is looked up by its
SHA-256 and compared in constant time. Revoking ends a link at once; reissuing gives a new nonce and so a
new token. A link also ends after [portal] link_valid_until.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInputError
from .i18n import _
from .ledger import Ledger, current_actor, now_iso
from .round import RoundConfig
from .states import EventKind

SECRET_FILE = "links.secret"
LINK_PATH = "/k/"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Link:
    ags: str
    name: str
    bezeichnung: str
    url: str
    issued_at: str
    valid_until: str  # ISO date or "" (no end)

    def as_row(self) -> dict:
        return {"ags": self.ags, "name": self.name, "bezeichnung": self.bezeichnung, "url": self.url,
                "issued_at": self.issued_at, "valid_until": self.valid_until}


def load_link_secret(out: Path) -> bytes:
    """The key that turns a link's nonce into its token; created once with owner-only permissions."""
    path = Path(out) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # a parallel process made it a moment ago
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_bytes(32).hex())
    return bytes.fromhex(path.read_text().strip())


def token_of(secret: bytes, nonce: str, round_id: str, ags: str) -> str:
    digest = hmac.new(secret, f"{nonce}|{round_id}|{ags}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{LINK_PATH}{token}"


def _require_portal(round_cfg: RoundConfig) -> str:
    if not round_cfg.portal.public_url:
        raise InvalidInputError(_("{file}: links need [portal] public_url, the address the web app is reached at, "
                                  "e.g. public_url = \"https://engagiert.nrw.example\"").format(file=round_cfg.source))
    return round_cfg.portal.public_url


def _valid_until(round_cfg: RoundConfig) -> str:
    until = round_cfg.portal.link_valid_until
    return until.isoformat() if until else ""


def issue_links(out: Path, round_cfg: RoundConfig, *, only: list[str] | None = None, reissue: bool = False,
                actor: str | None = None) -> list[Link]:
    """Every municipality of the round gets a link if it has none (or, with `reissue`, a new one in place of
    its old one); returns the links of the municipalities asked for (all by default), by AGS."""
    public_url = _require_portal(round_cfg)
    secret = load_link_secret(out)
    who = actor or current_actor()
    with Ledger.existing(out) as ledger:
        names = dict(ledger.designations(round_cfg.id))
        if not names:
            raise InvalidInputError(_("the ledger has no documents for round {round}; run `engagiert render` first")
                                    .format(round=round_cfg.id))
        wanted = list(names) if only is None else [_known_ags(ags, names, round_cfg) for ags in only]
        with ledger.transaction() as cursor:
            active = ledger.active_links(round_cfg.id)
            for ags in wanted:
                if ags in active and not reissue:
                    continue
                at = now_iso()
                if ags in active:
                    Ledger.revoke_links(cursor, round_id=round_cfg.id, ags=ags, at=at, by=who)
                nonce = secrets.token_hex(16)
                Ledger.add_link(cursor, round_id=round_cfg.id, ags=ags, nonce=nonce, issued_at=at, issued_by=who,
                                token_sha256=token_hash(token_of(secret, nonce, round_cfg.id, ags)))
                Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.LINK_ISSUED, ags=ags, actor=who,
                                 reason="a new link in place of the old one" if ags in active else None)
        return _links(ledger, round_cfg, public_url, secret, wanted)


def revoke_link(out: Path, round_cfg: RoundConfig, ags: str, actor: str | None = None) -> int:
    """End a municipality's link now (its page answers 404 from now on); how many links were ended."""
    who = actor or current_actor()
    with Ledger.existing(out) as ledger:
        ags = _known_ags(ags, dict(ledger.designations(round_cfg.id)), round_cfg)
        with ledger.transaction() as cursor:
            count = Ledger.revoke_links(cursor, round_id=round_cfg.id, ags=ags, at=now_iso(), by=who)
            if count:
                Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.LINK_REVOKED, ags=ags, actor=who)
    return count


def current_links(out: Path, round_cfg: RoundConfig) -> dict[str, Link]:
    """AGS → its active link (none issued yet, or no [portal] public_url: empty). Read-only."""
    if not round_cfg.portal.public_url or not (Path(out) / SECRET_FILE).is_file():
        return {}
    secret = load_link_secret(out)
    with Ledger.open_existing(out) as ledger:
        if ledger is None:
            return {}
        try:
            return {link.ags: link for link in _links(ledger, round_cfg, round_cfg.portal.public_url, secret, None)}
        except Exception as exc:  # a ledger from before the links (schema 2, opened read-only): no links
            if "no such table" in str(exc):
                return {}
            raise


def resolve_token(ledger: Ledger, round_cfg: RoundConfig, token: str, today: dt.date) -> str | None:
    """The AGS a token opens, or None: unknown, revoked, expired, another round, or not shaped like a token."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    digest = token_hash(token)
    row = ledger.link_by_token_hash(digest)
    if row is None or not hmac.compare_digest(row["token_sha256"], digest):
        return None
    if row["revoked_at"] is not None or row["round"] != round_cfg.id:
        return None
    until = round_cfg.portal.link_valid_until
    if until is not None and today > until:
        return None
    return row["ags"]


def _links(ledger: Ledger, round_cfg: RoundConfig, public_url: str, secret: bytes,
           wanted: list[str] | None) -> list[Link]:
    active = ledger.active_links(round_cfg.id)
    documents = ledger.latest_documents(round_cfg.id)
    links = []
    for ags in sorted(active if wanted is None else [ags for ags in wanted if ags in active]):
        row, signatory = active[ags], documents[ags].signatory if ags in documents else {}
        links.append(Link(ags, signatory.get("name", ""), signatory.get("bezeichnung", ""),
                          link_url(public_url, token_of(secret, row["nonce"], round_cfg.id, ags)),
                          row["issued_at"], _valid_until(round_cfg)))
    return links


def _known_ags(ags: str, names: dict[str, str], round_cfg: RoundConfig) -> str:
    typed = ags.strip()
    if typed in names:
        return typed
    padded = typed.zfill(8) if typed.isdigit() and len(typed) in (7, 8) else typed
    if padded in names:
        return padded
    raise InvalidInputError(_("AGS '{ags}': no document of round {round} has this key{hint}").format(
        ags=typed, round=round_cfg.id, hint=""))


LINK_COLUMNS = ("ags", "name", "bezeichnung", "url", "issued_at", "valid_until")


def links_table(links: list[Link], fmt: str) -> bytes:
    """The links as CSV (German Excel form), JSON or an XLSX workbook; one row per municipality."""
    import json

    from .fileio import excel_csv, neutralise

    rows = [link.as_row() for link in links]
    if fmt == "json":
        return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "csv":
        return excel_csv(LINK_COLUMNS, [[neutralise(str(row[key])) for key in LINK_COLUMNS] for row in rows])
    if fmt == "xlsx":
        import io

        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Links"
        sheet.append(list(LINK_COLUMNS))
        for row in rows:
            sheet.append([neutralise(str(row[key])) for key in LINK_COLUMNS])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown links format {fmt!r}")
