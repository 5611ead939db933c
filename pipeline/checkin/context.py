"""What every check-in step needs from the round: the settings, the ledger, the documents, the MAC key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..docid import load_secret
from ..errors import InvalidInputError
from ..i18n import _
from ..ledger import DocumentRecord, Ledger
from ..round import RoundConfig
from .intake import Limits


@dataclass
class Settings:
    inbox: Path
    limits: Limits = field(default_factory=Limits)
    trust_roots: list = field(default_factory=list)


def load_settings(round_cfg: RoundConfig, inbox: Path | None = None, trust_roots: tuple[Path, ...] = (), *,
                  max_mb: float | None = None, max_pages: int | None = None, max_megapixels: float | None = None,
                  max_seconds: float | None = None) -> Settings:
    """[checkin] of the round (read and checked by round.py), overridden by what is given here (the command
    line's options); the trust roots' certificates are read here (a broken one is refused with its name)."""
    from .digital import load_trust_roots

    configured = round_cfg.checkin
    defaults = Limits()

    def chosen(given, key: str):
        return given if given is not None else getattr(configured, key)

    mb, pages, megapixels, seconds = (chosen(max_mb, "max_mb"), chosen(max_pages, "max_pages"),
                                      chosen(max_megapixels, "max_megapixels"), chosen(max_seconds, "max_seconds"))
    values = {
        "max_bytes": int(mb * 1024 * 1024) if mb is not None else defaults.max_bytes,
        "max_pages": int(pages) if pages is not None else defaults.max_pages,
        "max_pixels": int(megapixels * 1e6) if megapixels is not None else defaults.max_pixels,
        "max_seconds": float(seconds) if seconds is not None else defaults.max_seconds,
    }
    if any(value <= 0 for value in values.values()):
        raise InvalidInputError(_("{file}: [checkin] limits must be positive numbers").format(file=round_cfg.source))
    return Settings(inbox=Path(inbox if inbox is not None else configured.inbox),
                    limits=Limits(**{**defaults.__dict__, **values}),
                    trust_roots=load_trust_roots([*configured.trust_roots, *trust_roots]))


class Context:
    """What analysis needs from the round: the documents, the MAC key, the limits. A clerk's decision needs
    no inbox or limits: `settings` is then None."""

    def __init__(self, round_cfg: RoundConfig, out: Path, ledger: Ledger, settings: Settings | None = None):
        self.round_cfg, self.out, self.ledger, self.settings = round_cfg, Path(out), ledger, settings
        self.secret = load_secret(out)

    def current_document(self, ags: str) -> DocumentRecord | None:
        """The newest version for a municipality, read now (a render may have run beside us)."""
        return self.ledger.current_document(self.round_cfg.id, ags)

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self.ledger.document(doc_id)

    def sample_documents(self, count: int = 2) -> list[DocumentRecord]:
        """A few documents of the round (the first by AGS): our page layout, and a stranger to compare with.
        Read once per context (reading every document of a big round cost 16 ms a page)."""
        if len(getattr(self, "_samples", ())) < count:
            documents = self.ledger.latest_documents(self.round_cfg.id)
            self._samples = [documents[ags] for ags in sorted(documents)[:max(count, 3)]]
        return self._samples[:count]

    def other_documents(self, doc_id: str) -> list[DocumentRecord]:
        """The round's other current documents (read once per context: only pages in doubt need them)."""
        if not hasattr(self, "_documents"):
            self._documents = list(self.ledger.latest_documents(self.round_cfg.id).values())
        return [record for record in self._documents if record.doc_id != doc_id]

    def layout(self):
        """Our documents' page layout for registering pages without a readable code (printed.Layout),
        made once per process from the round's first document; None if there is none."""
        if not hasattr(self, "_layout"):
            from .printed import Layout

            sample = self.sample_documents(1)
            self._layout = Layout.of(self.out / sample[0].path, sample[0].pages) if sample else None
        return self._layout
