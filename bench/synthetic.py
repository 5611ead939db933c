"""Synthetic signatories for the whole country: every German municipality's worth of rows (10,800)."""

import csv
import random
from pathlib import Path

TYPES = ["Gemeinde", "Stadt", "Gemeinde", "Stadt", "kreisfreie Stadt"]
FIRST = [("Frau", "Anna"), ("Herr", "Jan"), ("Frau", "Eva"), ("Herr", "Tim"), ("", "")]


def write_synthetic(path: Path, count: int, seed: int = 10800) -> Path:
    generator = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ags", "name", "bezeichnung", "typ", "anrede", "vorname", "nachname", "titel"])
        for index in range(count):
            state, rest = divmod(index, 1000)
            ags = f"{state + 1:02d}{rest // 100:03d}{rest % 100:03d}"
            typ = generator.choice(TYPES)
            prefix = "Stadt" if "Stadt" in typ else "Gemeinde"
            name = f"Beispielort-{index:05d}" + ("-am-Musterbach" * generator.randint(0, 1))
            anrede, vorname = generator.choice(FIRST)
            writer.writerow([ags, name, f"{prefix} {name}", typ, anrede, vorname,
                             "Mustermann" if vorname else "", generator.choice(["", "", "Dr."])])
    return path
