"""[mail] and [portal] of round.toml: the services around a round (the mailbox read over IMAP, the web portal),
read and checked by round.py like every other section."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInputError
from .i18n import _


@dataclass(frozen=True)
class MailConfig:
    """[mail]: the mailbox signed copies are sent to (read over IMAP) and the optional answer to each sender
    (SMTP). The password never stands in round.toml: it comes from the environment variable `password_env`
    or from `password_file` (resolved against the round file's folder), read only when connecting (mail/servers.py)."""

    host: str = ""
    port: int | None = None          # None: 993 with tls = "ssl", 143 otherwise
    tls: str = "ssl"                 # ssl (implicit TLS), starttls, none (only to this computer)
    user: str = ""
    folder: str = "INBOX"
    password_env: str = "ENGAGIERT_MAIL_PASSWORD"
    password_file: Path | None = None
    ca_file: Path | None = None      # the CA of a server with an in-house certificate
    mark_seen: bool = False          # flag a checked-in message as read; False: its flags stay as they were
    move_to: str = ""                # move a checked-in message to this folder; empty: it stays where it is
    reply: bool = False              # answer each sender with the verdict (at most once per message)
    reply_from: str = ""             # empty: [sender] email
    smtp_host: str = ""              # empty: host
    smtp_port: int | None = None     # None: 465 with smtp_tls = "ssl", 587 otherwise
    smtp_tls: str = "starttls"
    smtp_user: str | None = None     # None: user; "": send without logging in (an internal relay)

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.tls == "ssl" else 143)

    @property
    def smtp_server(self) -> tuple[str, int]:
        return self.smtp_host or self.host, self.smtp_port or (465 if self.smtp_tls == "ssl" else 587)

    @property
    def smtp_login(self) -> str:
        return self.user if self.smtp_user is None else self.smtp_user

    @property
    def mailbox(self) -> str:
        """The mailbox's name in the ledger: a message's UIDs count only within it."""
        return f"{self.user}@{self.host}/{self.folder}"


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


TLS_MODES = ("ssl", "starttls", "none")


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def load_mail(table: dict, path: Path, sender) -> MailConfig:  # sender: round.Sender (round imports us)
    """[mail], checked whole: a password in the file, a plain-text connection to another computer, a
    reply without a From address are refused here, before any server is asked."""
    if not table:
        return MailConfig()
    values: dict = {}
    for key in MailConfig.__dataclass_fields__:
        if key not in table:
            continue
        value = table[key]
        wanted = {"port": int, "smtp_port": int, "mark_seen": bool, "reply": bool}.get(key, str)
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            kind = _("a number") if wanted is int else _("a bool (true or false)") if wanted is bool else _("a text")
            raise InvalidInputError(_("{file}: [mail] {key} must be {kind}, not {value!r}").format(
                file=path, key=key, kind=kind, value=value))
        if wanted is int and not 0 < value < 65536:
            raise InvalidInputError(_("{file}: [mail] {key} must be a port number (1 to 65535), not {value}").format(
                file=path, key=key, value=value))
        values[key] = value.strip() if isinstance(value, str) and key not in ("password_env",) else value
    for key in ("password_file", "ca_file"):
        if values.get(key):
            values[key] = path.parent / values[key]
        else:
            values.pop(key, None)
    config = MailConfig(**values)
    for key in ("host", "user"):
        if not getattr(config, key):
            raise InvalidInputError(_("{file}: [mail] needs '{key}' (or leave the section out)").format(
                file=path, key=key))
    for key in ("tls", "smtp_tls"):
        if getattr(config, key) not in TLS_MODES:
            raise InvalidInputError(_("{file}: [mail] {key} must be one of {modes}, not {value!r}").format(
                file=path, key=key, modes=", ".join(TLS_MODES), value=getattr(config, key)))
    for key, host in (("tls", config.host), ("smtp_tls", config.smtp_server[0])):
        if getattr(config, key) == "none" and host.lower().strip("[]") not in LOOPBACK \
                and not host.startswith("127."):
            raise InvalidInputError(_("{file}: [mail] {key} = \"none\" would send the password unencrypted to "
                                      "{host}; use \"ssl\" or \"starttls\" (\"none\" is only for a server on this "
                                      "computer)").format(file=path, key=key, host=host))
    if not config.folder:
        raise InvalidInputError(_("{file}: [mail] folder must name a folder, e.g. \"INBOX\"").format(file=path))
    if config.reply and not (config.reply_from or sender.email):
        raise InvalidInputError(_("{file}: [mail] reply = true needs a From address: reply_from, or [sender] "
                                  "email").format(file=path))
    if not config.password_env and not config.password_file:
        raise InvalidInputError(_("{file}: [mail] needs password_env or password_file: where the password "
                                  "is").format(file=path))
    return config


def load_portal(table: dict, path: Path) -> PortalConfig:
    values: dict = {}
    url = table.get("public_url", "")
    if not isinstance(url, str) or (url.strip() and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url.strip())):
        raise InvalidInputError(_("{file}: [portal] public_url must be an http(s) address like "
                                  "\"https://engagiert.nrw.example\", not {value!r}").format(file=path, value=url))
    values["public_url"] = url.strip().rstrip("/")
    until = table.get("link_valid_until")
    if until is not None and (not isinstance(until, dt.date) or isinstance(until, dt.datetime)):
        raise InvalidInputError(_("{file}: [portal] link_valid_until must be a date like 2024-12-31").format(
            file=path))
    values["link_valid_until"] = until
    for key, kind, low in (("trusted_proxies", int, 0), ("session_hours", float, 0.01),
                           ("max_request_mb", float, 0.001), ("link_requests_per_minute", int, 1),
                           ("address_requests_per_minute", int, 1), ("login_attempts_per_hour", int, 1)):
        if key not in table:
            continue
        value = table[key]
        wrong_type = kind is int and not isinstance(value, int)
        if isinstance(value, bool) or not isinstance(value, int | float) or wrong_type or value < low:
            text = (_("{file}: [portal] {key} must be a whole number of at least {low}, not {value!r}") if kind is int
                    else _("{file}: [portal] {key} must be a number of at least {low}, not {value!r}"))
            raise InvalidInputError(text.format(file=path, key=key, low=low, value=value))
        values[key] = kind(value)
    return PortalConfig(**values)
