"""What every check-in step needs from the round: the settings, the ledger, the documents, the MAC key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..docid import load_secret
from ..errors import InvalidInputError
from ..ledger import DocumentRecord, Ledger
from ..round import RoundConfig
from .intake import Limits


@dataclass
class Settings:
    inbox: Path
    limits: Limits = field(default_factory=Limits)
    trust_roots: list = field(default_factory=list)


def load_settings(round_cfg: RoundConfig, inbox: Path | None = None, trust_roots: tuple[Path, ...] = (),
                  **limit_overrides) -> Settings:
    """[checkin] from round.toml (inbox, trust_roots, limits), overridden by the command line."""
    from .digital import load_trust_roots

    table = tomllib.loads(round_cfg.source.read_text("utf-8-sig")).get("checkin", {})
    base = round_cfg.source.parent
    limits = Limits()

    def number(key: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InvalidInputError(f"{round_cfg.source}: [checkin] {key} must be a positive number, not {value!r}")
        return value

    values = {
        "max_bytes": int(number("max_mb", limits.max_bytes / 1024 / 1024) * 1024 * 1024),
        "max_pages": int(number("max_pages", limits.max_pages)),
        "max_pixels": int(number("max_megapixels", limits.max_pixels / 1e6) * 1e6),
        "max_seconds": float(number("max_seconds", limits.max_seconds)),
    }
    for key, value in limit_overrides.items():
        if value is not None:
            values[key] = value
    if any(value <= 0 for value in values.values()):
        raise InvalidInputError(f"{round_cfg.source}: [checkin] limits must be positive numbers")
    roots = [base / path for path in table.get("trust_roots", [])] + list(trust_roots)
    inbox_path = inbox if inbox is not None else base / table.get("inbox", "inbox")
    return Settings(inbox=Path(inbox_path), limits=Limits(**{**limits.__dict__, **values}),
                    trust_roots=load_trust_roots(roots))


class Context:
    """What analysis needs from the round: the documents, the MAC key, the limits."""

    def __init__(self, round_cfg: RoundConfig, out: Path, ledger: Ledger, settings: Settings):
        self.round_cfg, self.out, self.ledger, self.settings = round_cfg, Path(out), ledger, settings
        self.secret = load_secret(out)

    def current_document(self, ags: str) -> DocumentRecord | None:
        """The newest version for a municipality, read now (a render may have run beside us)."""
        row = self.ledger.connection.execute(
            "SELECT doc_id FROM documents WHERE round = ? AND ags = ? ORDER BY version DESC LIMIT 1",
            (self.round_cfg.id, ags)).fetchone()
        return self.ledger.document(row["doc_id"]) if row else None

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.ledger.document(doc_id)

    def sample_documents(self, count: int = 2) -> list[DocumentRecord]:
        """A few documents of the round (the first by AGS): our page layout, and a stranger to compare with."""
        documents = self.ledger.latest_documents(self.round_cfg.id)
        return [documents[ags] for ags in sorted(documents)[:count]]

    def layout(self):
        """Our documents' page layout for registering pages without a readable code (printed.Layout),
        made once per process from the round's first document; None if there is none."""
        if not hasattr(self, "_layout"):
            from .printed import Layout

            sample = self.sample_documents(1)
            self._layout = Layout.of(self.out / sample[0].path, sample[0].pages) if sample else None
        return self._layout
