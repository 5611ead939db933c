"""Connecting to an SMTP server, once for every stage that sends mail (reminders, answers to senders).

A server that cannot be reached, or refuses the session (TLS, login), is a ``MailServerError`` (exit code 6)
raised before any message goes out, so the caller can say "nothing was sent".
"""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path

from .errors import MailServerError

SMTP_TIMEOUT_SECONDS = 30


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The system's trusted authorities, or (for a server with an in-house certificate) the one given."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def open_smtp(host: str, port: int, *, tls: str = "opportunistic", user: str = "", password: str = "",
              ca_file: Path | None = None, timeout: float = SMTP_TIMEOUT_SECONDS) -> smtplib.SMTP:
    """A logged-in SMTP session. `tls`: "ssl" (implicit TLS), "starttls" (required), "opportunistic" (STARTTLS
    when the server offers it, as reminders always did), "none". No `user`: no login."""
    try:
        if tls == "ssl":
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(ca_file))
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailServerError(f"cannot reach the mail server {host}:{port} ({exc}); nothing was sent") from exc
    try:
        connection.ehlo()
        if tls == "starttls" or (tls == "opportunistic" and connection.has_extn("starttls")):
            connection.starttls(context=tls_context(ca_file))
            connection.ehlo()
        if user:
            connection.login(user, password)
    except (OSError, smtplib.SMTPException) as exc:
        connection.close()
        raise MailServerError(f"mail server {host}:{port} refused the session ({exc}); nothing was sent") from exc
    return connection
