"""Correct German for people and offices: titles by type and gender, the signers' sentence, salutations.

Everything that depends on grammatical gender lives here, so the templates only print strings.
Gender is derived from the ``anrede`` column: "Frau" -> "f", "Herr" -> "m", empty -> None (unknown:
the document then uses both forms, as German forms do, and the signer fills in the name by hand).
"""

from __future__ import annotations

# Canonical municipality types, as in nrw-kommunen.csv.
KREISFREIE_STADT = "kreisfreie Stadt"
STADT = "Stadt"
GEMEINDE = "Gemeinde"
KREIS = "Kreis"
STAEDTEREGION = "Städteregion"
KNOWN_TYPES = (KREISFREIE_STADT, STADT, GEMEINDE, KREIS, STAEDTEREGION)
DISTRICT_TYPES = (KREIS, STAEDTEREGION)

# (masculine, feminine) office title of a municipality's head, by type.
OFFICE_TITLES = {
    KREISFREIE_STADT: ("Oberbürgermeister", "Oberbürgermeisterin"),
    STADT: ("Bürgermeister", "Bürgermeisterin"),
    GEMEINDE: ("Bürgermeister", "Bürgermeisterin"),
    KREIS: ("Landrat", "Landrätin"),
    STAEDTEREGION: ("Städteregionsrat", "Städteregionsrätin"),
}

ANREDE_TO_GENDER = {"frau": "f", "herr": "m", "": None}


def gender_from_anrede(anrede: str) -> str | None:
    return ANREDE_TO_GENDER[anrede.strip().lower()]


def office_title(typ: str, gender: str | None, override: str = "") -> str:
    """The office as it is printed under the name: "Landrätin", "Oberbürgermeister", ...

    A ``funktion`` given in the CSV wins (e.g. "Erster Beigeordneter" signing in lieu).
    """
    if override.strip():
        return override.strip()
    masculine, feminine = OFFICE_TITLES[typ]
    if gender == "f":
        return feminine
    if gender == "m":
        return masculine
    return f"{feminine} / {masculine}"


def signers_sentence(first_gender: str | None, second_gender: str | None) -> str:
    """The sentence that opens the declaration, agreeing with both signers' genders.

    The first signer is the state's co-signatory, the second the municipality's head.
    """
    if first_gender is None or second_gender is None:
        return "Die Unterzeichnenden erklären:"
    if first_gender == second_gender == "f":
        return "Die Unterzeichnerinnen erklären:"
    if first_gender == second_gender == "m":
        return "Die Unterzeichner erklären:"
    if first_gender == "f":
        return "Die Unterzeichnerin und der Unterzeichner erklären:"
    return "Der Unterzeichner und die Unterzeichnerin erklären:"


def full_name(titel: str, vorname: str, nachname: str) -> str:
    return " ".join(part for part in (titel.strip(), vorname.strip(), nachname.strip()) if part)


def salutation(gender: str | None, office: str, titel: str, nachname: str) -> str:
    """DIN 5008 letter salutation with office and academic title.

    "Sehr geehrte Frau Bürgermeisterin Dr. Schmitz," / "Sehr geehrter Herr Landrat Müller,".
    Without a known gender or name the letter addresses the office neutrally.
    """
    name = " ".join(part for part in (titel.strip(), nachname.strip()) if part)
    if gender == "f" and nachname.strip():
        return f"Sehr geehrte Frau {office} {name},"
    if gender == "m" and nachname.strip():
        return f"Sehr geehrter Herr {office} {name},"
    return "Sehr geehrte Damen und Herren,"
