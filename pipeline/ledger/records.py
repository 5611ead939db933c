"""What the ledger hands out: typed records of its rows, and the clock and actor every event carries."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sqlite3
from dataclasses import dataclass

from ..geometry import Geometry


def now_iso() -> str:
    """UTC now; ENGAGIERT_NOW (ISO date or datetime) pins it for tests and for back-dating a dispatch."""
    pinned = os.environ.get("ENGAGIERT_NOW")
    if pinned:
        moment = dt.datetime.fromisoformat(pinned)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def current_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    round: str
    ags: str
    version: int
    fingerprint: str
    sha256: str
    path: str
    pages: int
    geometry: Geometry
    signatory: dict
    rendered_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DocumentRecord:
        values = {key: row[key] for key in cls.__dataclass_fields__}
        values["geometry"] = Geometry.from_json(values["geometry"])
        values["signatory"] = json.loads(values["signatory"])
        return cls(**values)
