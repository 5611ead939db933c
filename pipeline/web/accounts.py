"""Clerks' accounts and login sessions.

Passwords are hashed with scrypt (the standard library's, OpenSSL's implementation; N=2^15, r=8, p=1, a
16-byte random salt: about 32 MiB and 0.1 s per attempt), so a copied ledger does not give them away and
guessing is slow. A login session is a 256-bit random id in an HttpOnly, SameSite=Strict cookie; the ledger
keeps only its SHA-256, the clerk, its CSRF token and when it ends ([portal] session_hours), so logging out
or changing a password ends it on every server at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidInputError
from ..i18n import _
from ..ledger import Ledger, now_iso

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSWORD_LENGTH = 10
NAME_PATTERN = re.compile(r"^[A-Za-z0-9ÄÖÜäöüß._-]{2,40}$")
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                  p=int(p), maxmem=64 * 1024 * 1024, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def add_clerk(out: Path, name: str, password: str) -> bool:
    """Create a clerk's account, or set a new password (which ends the clerk's sessions). True if new."""
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise InvalidInputError(_("clerk name '{name}': 2 to 40 letters, digits, '.', '_' or '-'").format(name=name))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(_("the password needs at least {count} characters").format(count=MIN_PASSWORD_LENGTH))
    hashed = hash_password(password)
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        return Ledger.set_clerk(cursor, name=name, password_hash=hashed, at=now_iso())


def clerk_names(out: Path) -> list[str]:
    with Ledger.open(out) as ledger:
        return ledger.clerk_names()


def verify_login(ledger: Ledger, name: str, password: str) -> str | None:
    """The clerk's name if the password is right, else None (the same work either way)."""
    global _DUMMY_HASH
    row = ledger.clerk(name.strip()) if name else None
    if row is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
        check_password(password, _DUMMY_HASH)
        return None
    return row["name"] if check_password(password, row["password_hash"]) else None


@dataclass(frozen=True)
class ClerkSession:
    clerk: str
    csrf: str
    token_sha256: str


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def start_session(ledger: Ledger, clerk: str, hours: float) -> tuple[str, ClerkSession]:
    """A new session: (the cookie's value, the session)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = dt.datetime.fromisoformat(now_iso())
    with ledger.transaction() as cursor:
        Ledger.add_session(cursor, token_sha256=session_hash(session_id), clerk=clerk, csrf=csrf,
                           created_at=now.isoformat(), expires_at=(now + dt.timedelta(hours=hours)).isoformat())
    return session_id, ClerkSession(clerk, csrf, session_hash(session_id))


def find_session(ledger: Ledger, session_id: str | None) -> ClerkSession | None:
    """The live session of this cookie value, or None (unknown, logged out, expired)."""
    if not session_id or len(session_id) > 100:
        return None
    row = ledger.session(session_hash(session_id))
    if row is None or row["ended_at"] is not None:
        return None
    if dt.datetime.fromisoformat(row["expires_at"]) <= dt.datetime.fromisoformat(now_iso()):
        return None
    return ClerkSession(row["clerk"], row["csrf"], row["token_sha256"])


def end_session(ledger: Ledger, session: ClerkSession) -> None:
    with ledger.transaction() as cursor:
        Ledger.end_session(cursor, token_sha256=session.token_sha256, at=now_iso())
