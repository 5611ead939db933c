"""Load the German hyphenation patterns once per machine instead of once per process.

WeasyPrint hyphenates with pyphen, which parses its 78,000 German patterns from text the first time a
process needs them: about 0.8 s, a tenth of rendering all 427 NRW documents. The parsed dictionary is
kept as a pickle in the user's cache folder, keyed by the pattern file's contents and pyphen's version,
and handed to pyphen through its own module cache (`pyphen.hdcache`, keyed by the file's path), which
is where pyphen looks before parsing. Loading it takes about 50 ms. Any problem with the cache (no
cache folder, a damaged or foreign file) only means the patterns are parsed as before.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from ..fileio import write_bytes_atomic


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "engagiert"


def preload(lang: str) -> None:
    import pyphen

    language = pyphen.language_fallback(lang)
    if language is None:
        return
    path = pyphen.LANGUAGES[language]
    if path in pyphen.hdcache:
        return
    digest = hashlib.sha256(path.read_bytes() + pyphen.__version__.encode()).hexdigest()[:16]
    cached = cache_dir() / f"hyphenation-{language}-{digest}.pickle"
    patterns = None
    try:
        patterns = pickle.loads(cached.read_bytes())  # our own file, in the user's own cache folder
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError):
        pass
    if not isinstance(patterns, pyphen.HyphDict):
        patterns = pyphen.HyphDict(path)
        try:
            write_bytes_atomic(cached, pickle.dumps(patterns, protocol=pickle.HIGHEST_PROTOCOL), durable=False)
        except OSError:
            pass  # a read-only home: parse again next time
    pyphen.hdcache[path] = patterns
