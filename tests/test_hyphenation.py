"""The parsed German hyphenation patterns are cached per machine; a bad cache only costs time."""

from __future__ import annotations

import pyphen
import pytest

from pipeline.render import hyphenation

WORDS = ["Entwicklungswerkstätten", "Erfahrungsaustausch", "Wertschätzung", "Oberbürgermeisterin"]


@pytest.fixture
def empty_pyphen_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(pyphen, "hdcache", {})
    return tmp_path / "cache" / "engagiert"


def reference_positions() -> list[list[int]]:
    patterns = pyphen.HyphDict(pyphen.LANGUAGES[pyphen.language_fallback("de")])
    return [list(patterns.positions(word)) for word in WORDS]


def test_patterns_are_parsed_once_and_then_loaded_from_the_cache(empty_pyphen_cache, monkeypatch):
    expected = reference_positions()
    hyphenation.preload("de")
    cached = list(empty_pyphen_cache.glob("hyphenation-de*.pickle"))
    assert len(cached) == 1 and cached[0].stat().st_size > 100_000

    # A second process: the patterns must come from the cache, not from parsing.
    monkeypatch.setattr(pyphen, "hdcache", {})

    def no_parsing(self, path):
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(pyphen.HyphDict, "__init__", no_parsing)
    hyphenation.preload("de")
    monkeypatch.undo()
    dictionary = pyphen.Pyphen(lang="de")  # what WeasyPrint asks for
    assert [list(dictionary.hd.positions(word)) for word in WORDS] == expected
    assert dictionary.inserted("Erfahrungsaustausch") == "Er-fah-rungs-aus-tausch"


def test_a_damaged_cache_file_is_parsed_again_and_replaced(empty_pyphen_cache, monkeypatch):
    hyphenation.preload("de")
    cached = next(empty_pyphen_cache.glob("hyphenation-de*.pickle"))
    cached.write_bytes(b"\x80\x05not a pickle")
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.preload("de")
    assert [list(pyphen.Pyphen(lang="de").hd.positions(word)) for word in WORDS] == reference_positions()
    assert cached.stat().st_size > 100_000


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.preload("de")
    assert [list(pyphen.Pyphen(lang="de").hd.positions(word)) for word in WORDS] == reference_positions()
