"""Connecting to an SMTP server, once for every stage that sends mail (reminders, answers to senders).

A server that cannot be reached, or refuses the session (TLS, login), is a ``MailServerError`` (exit code 6)
raised before any message goes out, so the caller can say "nothing was sent" (or what else follows).
"""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path

from .errors import MailServerError
from .i18n import _

SMTP_TIMEOUT_SECONDS = 30


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The system's trusted authorities, or (for a server with an in-house certificate) the one given."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def open_smtp(host: str, port: int, *, tls: str = "opportunistic", user: str = "", password: str = "",
              ca_file: Path | None = None, timeout: float = SMTP_TIMEOUT_SECONDS,
              afterwards: str | None = None) -> smtplib.SMTP:
    """A logged-in SMTP session. `tls`: "ssl" (implicit TLS), "starttls" (required), "opportunistic" (STARTTLS
    when the server offers it, as reminders always did), "none". No `user`: no login. `afterwards`: what the
    error says follows from it (default: nothing was sent)."""
    afterwards = afterwards or _("nothing was sent")
    try:
        if tls == "ssl":
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(ca_file))
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailServerError(_("cannot reach the mail server {server} ({error}); {afterwards}").format(
            server=f"{host}:{port}", error=exc, afterwards=afterwards)) from exc
    try:
        connection.ehlo()
        if tls == "starttls" or (tls == "opportunistic" and connection.has_extn("starttls")):
            connection.starttls(context=tls_context(ca_file))
            connection.ehlo()
        if user:
            connection.login(user, password)
    except (OSError, smtplib.SMTPException) as exc:
        connection.close()
        raise MailServerError(_("mail server {server} refused the session ({error}); {afterwards}").format(
            server=f"{host}:{port}", error=exc, afterwards=afterwards)) from exc
    return connection
