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


def name_of_row(row: dict) -> str:
    """The signer's full name from a signatories row as the ledger keeps it."""
    return full_name(row.get("titel", ""), row.get("vorname", ""), row.get("nachname", ""))


def office_of_row(row: dict) -> tuple[str, str | None]:
    """Office title and gender ("f", "m" or None) from a signatories row as the ledger keeps it. A type or
    Anrede this version does not know (an older ledger) gives the funktion column and no gender, so
    letters fall back to the neutral salutation."""
    try:
        gender = gender_from_anrede(row.get("anrede", ""))
        return office_title(row.get("typ", ""), gender, row.get("funktion", "")), gender
    except KeyError:
        return row.get("funktion", ""), None


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


MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember")
NUMBER_WORDS = ("null", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
                "elf", "zwölf")


def long_date(date) -> str:
    """A date as German letters write it: "30. Juni 2024" (no leading zero, month spelled out)."""
    return f"{date.day}. {MONTHS[date.month - 1]} {date.year}"


def count_words(count: int, singular: str, plural: str) -> str:
    """ "ein Original", "zwei Originale", "13 Originale": numbers up to twelve in words (DIN 5008 habit)."""
    number = NUMBER_WORDS[count] if 0 <= count < len(NUMBER_WORDS) else str(count)
    return f"{number} {singular if count == 1 else plural}"


def addressee_lines(gender: str | None, office: str, name: str) -> list[str]:
    """The person lines of a postal address: ["Frau Bürgermeisterin", "Dr. Maria Schmitz"].

    Without a known gender the office stands alone (both forms, as on the document); without a name
    only the office line remains, so the letter reaches whoever holds the office.
    """
    prefix = {"f": "Frau ", "m": "Herrn "}.get(gender or "", "")
    return [line for line in (f"{prefix}{office}".strip(), name.strip()) if line]


def pages_de(pages: list[int]) -> str:
    """[2] -> "Seite 2", [1, 2, 3] -> "Seiten 1, 2 und 3", [] -> ""."""
    numbers = [str(page) for page in pages]
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"Seite {numbers[0]}"
    return "Seiten " + ", ".join(numbers[:-1]) + f" und {numbers[-1]}"


def reason_in_german(code: str | None, reason: str | None, details: dict | None = None) -> str:
    """Why a returned copy was refused, for a letter or e-mail to the municipality. Check-in records a
    code with each outcome; a clerk's own reason (typed in German) is used as it is."""
    details = details or {}
    page = details.get("signature_page", 2)
    texts = {
        "unsigned": f"Das Unterschriftsfeld auf Seite {page} ist leer: das Exemplar wurde nicht unterschrieben.",
        "pages_missing": f"Es fehlt noch {pages_de(details.get('missing') or [1])}.",
        "old_version": (f"Unterschrieben wurde eine ältere Fassung (V{details.get('old_version', '?')}) des "
                        f"Dokuments. Gültig ist nur die beigefügte Fassung V{details.get('version', '?')}, "
                        "weil sich die Angaben darin geändert haben."),
        "digital_not_ours": ("Die digital signierte Datei ist nicht unser Dokument im Originalzustand: sie wurde "
                             "vor dem Signieren verändert oder neu gespeichert. Bitte signieren Sie die beigefügte "
                             "PDF-Datei unverändert."),
        "digital_invalid": "Die digitale Signatur ist ungültig oder passt nicht zum Inhalt der Datei.",
        "digital_partial": "Die digitale Signatur erfasst nicht die ganze Datei.",
        "digital_modified": "Das Dokument wurde nach dem Signieren noch verändert.",
        # What check-in saw in a signature box it could not accept on its own (needs review): for a clerk
        # who rejects after looking, and for the review screen.
        "seal_only": f"Im Unterschriftsfeld auf Seite {page} ist ein Dienstsiegel, aber keine Unterschrift zu sehen.",
        "typed_text": (f"Im Unterschriftsfeld auf Seite {page} steht nur gedruckter oder getippter Text (etwa "
                       "„gez. …“), keine handschriftliche Unterschrift."),
        "crossed_out": f"Das Unterschriftsfeld auf Seite {page} ist durchgestrichen.",
        "filled": (f"Das Unterschriftsfeld auf Seite {page} ist geschwärzt oder ausgefüllt; eine Unterschrift ist "
                   "nicht zu erkennen."),
        "small_mark": (f"Im Unterschriftsfeld auf Seite {page} ist nur ein kurzes Zeichen (etwa ein Haken) zu sehen, "
                       "keine Unterschrift."),
        "faint": f"Die Unterschrift auf Seite {page} ist so blass, dass sie nicht sicher zu erkennen ist.",
        "outside_box": f"Die Unterschrift steht nicht im Unterschriftsfeld auf Seite {page}.",
        "not_on_paper": ("In die PDF-Datei wurde ein Bild oder eine Zeichnung einer Unterschrift eingefügt. Bitte "
                         "drucken Sie das Dokument aus, unterschreiben Sie es von Hand und senden Sie uns den Scan, "
                         "oder signieren Sie die PDF-Datei digital."),
        "not_located": (f"Das Unterschriftsfeld auf Seite {page} ist auf der Rücksendung nicht sicher zu erkennen "
                        "(das Bild ist zu unscharf, zu stark verzerrt oder beschnitten)."),
    }
    if code in texts:
        text = texts[code]
        if code == "unsigned" and details.get("missing"):
            text += f" Außerdem fehlt {pages_de(details['missing'])}."
        return text
    return (reason or "").strip()
