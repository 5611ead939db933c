"""Build the demo signatories.csv from ../shared/data/nrw-kommunen.csv (run once; the output is committed).

Real keys, names, designations, types and districts; the office holders, streets and e-mail addresses
are plainly fictional (surnames like "Mustermann", domains under .example).
"""

import csv
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pipeline.fileio import slugify  # noqa: E402

SOURCE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nrw-kommunen.csv"
WANTED = [  # by official designation: every type, the longest real designations, both Aachens
    "Stadt Düsseldorf", "Stadt Köln", "Stadt Bielefeld", "Stadt Dortmund", "Stadt Münster", "Stadt Bottrop",
    "Stadt Aachen", "Stadt Schloß Holte-Stukenbrock", "Stadt Schieder-Schwalenberg", "Stadt Dormagen",
    "Stadt Neuss", "Stadt Castrop-Rauxel", "Stadt Menden (Sauerland)", "Stadt Bad Berleburg", "Stadt Kleve",
    "Stadt Detmold", "Stadt Lüdenscheid", "Stadt Dülmen", "Stadt Siegburg", "Stadt Rheda-Wiedenbrück",
    "Gemeinde Alfter", "Gemeinde Neunkirchen-Seelscheid", "Gemeinde Nachrodt-Wiblingwerde",
    "Gemeinde Herzebrock-Clarholz", "Gemeinde Rommerskirchen", "Gemeinde Kalletal", "Gemeinde Wettringen",
    "Gemeinde Hürtgenwald", "Gemeinde Kirchlengern",
    "Kreis Borken", "Hochsauerlandkreis", "Rhein-Kreis Neuss", "Rhein-Sieg-Kreis", "Kreis Gütersloh",
    "Kreis Lippe", "Märkischer Kreis", "Kreis Kleve", "Oberbergischer Kreis", "StädteRegion Aachen",
]
# One row shows a deputy signing (funktion overrides the title), one a vacancy (no office holder yet).
FUNKTION = {"Stadt Siegburg": "Erste Beigeordnete"}
VACANT = {"Gemeinde Kalletal"}
FIRST_F = ["Anna", "Birgit", "Claudia", "Dilek", "Eva", "Franziska", "Gül", "Hanna", "Ines", "Julia"]
FIRST_M = ["Andreas", "Bernd", "Christian", "Deniz", "Elias", "Frank", "Georg", "Hendrik", "Jan", "Klaus"]
SURNAMES = ["Mustermann", "Musterfrau", "Beispiel", "Exempel", "Platzhalter", "Vorlage", "Muster-Schmitz",
            "Beispiel-Yılmaz", "Schablone", "Entwurf", "Probe", "Attrappe"]
COLUMNS = ["ags", "name", "bezeichnung", "typ", "kreis", "regierungsbezirk", "anrede", "titel", "vorname",
           "nachname", "funktion", "strasse", "plz", "ort", "email"]


def main() -> None:
    rows = {row["bezeichnung"]: row for row in csv.DictReader(SOURCE.open(encoding="utf-8"))}
    seat = {}  # a district's postal address: its first municipality's (the demo addresses are fictional)
    for row in rows.values():
        if row["kreis"] and row["plz"]:
            seat.setdefault(row["kreis"], (row["plz"], row["name"]))
    generator = random.Random(2024)
    out = csv.DictWriter(sys.stdout, COLUMNS, lineterminator="\n")
    out.writeheader()
    for index, bezeichnung in enumerate(WANTED):
        row = rows[bezeichnung]
        female = index % 2 == 0
        district = row["typ"] in ("Kreis", "Städteregion")
        record = {key: row.get(key, "") for key in COLUMNS}
        record.update(
            anrede="Frau" if female else "Herr",
            titel=generator.choice(["", "", "", "Dr.", "Prof. Dr."]),
            vorname=generator.choice(FIRST_F if female else FIRST_M),
            nachname=SURNAMES[index % len(SURNAMES)],
            strasse=(f"Musterweg {index + 1}" if district else f"Rathausplatz {index + 1}"),
            plz=seat[row["bezeichnung"]][0] if district else row["plz"],
            ort=seat[row["bezeichnung"]][1] if district else row["name"],
            email=f"{'landrat' if district else 'buergermeister'}@{slugify(row['name']).lower()}.example",
        )
        record["funktion"] = FUNKTION.get(bezeichnung, "")
        if bezeichnung in VACANT:
            record.update(anrede="", titel="", vorname="", nachname="")
        out.writerow(record)


if __name__ == "__main__":
    main()
