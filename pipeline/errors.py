"""Exit codes and the one exception family that carries them to the CLI.

Modelled on OCRmyPDF's exceptions module: every stage raises an ``EngagiertError``
subclass with a message for the clerk; the CLI catches the base class once and
exits with its code, so nobody sees a traceback for a mistake in their own input.
A run that finished but left work for a person is no error: its result says so
(``needs_attention``) and the CLI turns that into code 1, in the same place.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    ok = 0
    #: the run finished but left items for a person (needs review, missing addresses)
    needs_attention = 1
    #: the input (CSV, round.toml, options) is invalid; nothing was written
    invalid_input = 2
    #: a system library or program the product needs is missing
    missing_dependency = 3
    #: the ledger or the output folder is locked or inconsistent
    ledger_error = 4
    #: a file or folder could not be read or written (permissions, disk full)
    file_error = 5
    #: the mail server could not be reached, or broke off the session (remind --smtp)
    mail_error = 6
    #: something broke that is our fault
    internal_error = 15
    #: stopped with Ctrl-C (128 + SIGINT, as shells report it); every file is whole, the ledger consistent
    interrupted = 130


class EngagiertError(Exception):
    exit_code = ExitCode.internal_error

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInputError(EngagiertError):
    exit_code = ExitCode.invalid_input


class MissingDependencyError(EngagiertError):
    exit_code = ExitCode.missing_dependency


class LedgerError(EngagiertError):
    exit_code = ExitCode.ledger_error


class MailServerError(EngagiertError):
    """The mail server cannot be reached or ends the session; what it accepted before is recorded."""

    exit_code = ExitCode.mail_error


def library_detail(exc: BaseException, limit: int = 120) -> str:
    """A library's exception as one short line, for the parentheses after our own words: its kind and message
    (the library's words, not ours: a clerk may pass them on; never a traceback)."""
    message = " ".join(str(exc).split())[:limit]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
