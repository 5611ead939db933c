"""Correct German for people and offices: titles by type and gender, the signers' sentence, salutations.

Everything that depends on grammatical gender lives here, so the templates only print strings.
Gender is derived from the ``anrede`` column: "Frau" -> "f", "Herr" -> "m", empty -> None (unknown:
the document then uses both forms, as German forms do, and the signer fills in the name by hand).
"""

from __future__ import annotations

from .i18n import N_, _

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
#: Python's words for an impossible date, translated where they are shown (parse_date).
DATE_ERRORS = (N_("day is out of range for month"), N_("month must be in 1..12"), N_("year 0 is out of range"))
NUMBER_WORDS = ("null", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
                "elf", "zwölf")


def parse_date(text: str):
    """A date as a clerk types it: German "17.05.2024", "17.5.2024", "17.5.24", or ISO "2024-05-17".
    Raises ValueError with the accepted forms when it is none of them."""
    import datetime as dt
    import re

    value = text.strip()
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})", value)
    try:
        if german:
            day, month, year = (int(part) for part in german.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(_("'{value}' is not a valid date ({error})").format(value=value, error=_(str(exc)))) from exc
    raise ValueError(_("'{value}' is not a date: write it as 17.05.2024 or 2024-05-17").format(value=value))


#: The office's clock: times a person reads are local time, whatever the server's zone.
OFFICE_TIMEZONE = "Europe/Berlin"


def local_time(moment) -> str:
    """A moment as an office in NRW reads it: "30.11.2026, 06:10 Uhr" (local time, summer time included)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(OFFICE_TIMEZONE)).strftime("%d.%m.%Y, %H:%M Uhr")


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
        "digital_changed_before": ("Das Dokument wurde vor dem Signieren verändert (Text, Seiten, Formularfelder "
                                   "oder Anmerkungen). Bitte signieren Sie die beigefügte PDF-Datei unverändert."),
        "digital_untrusted": ("Digital signiert, aber das Zertifikat ist hier nicht als vertrauenswürdig "
                              "hinterlegt: die Unterschrift wird von Hand geprüft."),
        "digital_wrong_signer": ("Digital signiert, aber nicht von der Person oder Kommune, für die das Dokument "
                                 "bestimmt ist: die Unterschrift wird von Hand geprüft."),
        "digitally_signed": "Digital signiert.",
        "page_mismatch": ("Eine Seite trägt den Code dieses Dokuments, zeigt aber ein anderes (Name, Amt oder "
                          "Dokumentnummer stimmen nicht überein): die Seite passt nicht zu ihrem Code und wird von "
                          "Hand geprüft."),
        "seal_broken": ("Das elektronische Siegel der Datei ist gebrochen: sie wurde nach dem Versiegeln verändert. "
                        "Bitte senden Sie den Scan erneut, wie ihn Ihr Dokumentensystem versiegelt hat."),
        "signed": f"Unterschrieben (Unterschriftsfeld auf Seite {page}).",
        "ambiguous": f"Ob unterschrieben wurde, ist nicht eindeutig (Seite {page}): die Unterschrift wird von Hand "
                     "geprüft.",
        "rendered_missing": "Unsere eigene Datei fehlt zum Vergleich: die Unterschrift wird von Hand geprüft.",
        "after_hand_rejection": ("Ein neues Exemplar nach einer Ablehnung von Hand: es wird von Hand geprüft."),
        "outdated_version": (f"Unterschrieben wurde die veraltete Fassung V{details.get('old_version', '?')}; "
                             f"gültig ist V{details.get('version', '?')}. Die Sachbearbeitung entscheidet, ob die "
                             "alte Fassung gilt."),
        "other_municipality": ("Über den Link einer anderen Kommune eingereicht: das Exemplar wird von Hand "
                               "geprüft."),
        "duplicate_copy": ("Ein weiteres, anderes Exemplar eines bereits bestätigten Dokuments: es wird unter "
                           "received/ aufbewahrt, das bestätigte bleibt."),
        "outdated_after_verified": (f"Ein Exemplar der veralteten Fassung V{details.get('old_version', '?')} ist "
                                    f"eingegangen; V{details.get('version', '?')} ist bereits bestätigt und bleibt "
                                    "es."),
        "joined_complete": (f"Nachgereicht: {pages_de(details.get('added_pages') or [1])} ergänzt das von Hand "
                            "bestätigte Exemplar; es ist jetzt vollständig."),
        "joined_partly": (f"Nachgereicht: {pages_de(details.get('added_pages') or [1])} ergänzt das von Hand "
                          f"bestätigte Exemplar; es fehlt noch {pages_de(details.get('missing') or [1])}."),
        "waits_for_review": "Eingegangen; das Dokument wartet weiter auf die Prüfung von Hand.",
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
        if details.get("sealed_by"):   # a scan sealed by the municipality's document system: noted, not judged
            text += f" Elektronisch versiegelt von {details['sealed_by']}."
        return text
    return reason or ""  # a clerk's own words, as typed


# --- articles and case ----------------------------------------------------------------------------

#: Definite article by grammatical gender (f, m, n) and case (nom, acc, dat).
ARTICLES = {"f": {"nom": "die", "acc": "die", "dat": "der"},
            "m": {"nom": "der", "acc": "den", "dat": "dem"},
            "n": {"nom": "das", "acc": "das", "dat": "dem"}}
#: The grammatical gender of what a designation names, by type: "die Stadt", "die Gemeinde", "der Kreis",
#: "die StädteRegion".
TYPE_GENDER = {KREISFREIE_STADT: "f", STADT: "f", GEMEINDE: "f", KREIS: "m", STAEDTEREGION: "f"}
#: Head nouns of the offices that send and receive (the first word of an organisation's name decides).
ORGANISATION_GENDER = {"staatskanzlei": "f", "kanzlei": "f", "landesregierung": "f", "regierung": "f",
                       "verwaltung": "f", "behörde": "f", "bezirksregierung": "f", "stadtverwaltung": "f",
                       "kreisverwaltung": "f", "geschäftsstelle": "f", "ministerium": "n", "amt": "n",
                       "landesamt": "n", "büro": "n", "referat": "n", "sekretariat": "n", "landtag": "m",
                       "städtetag": "m", "landkreistag": "m", "verband": "m"}


def _decline_adjectives(words: list[str], case: str) -> list[str]:
    """Weak adjective endings after a definite article: "Oberbergischer Kreis" → "der Oberbergische Kreis",
    "den Oberbergischen Kreis". Only words before the head noun that end in -er and are capitalised
    adjectives ("Märkischer", "Rheinisch-Bergischer") change; only the last part of a hyphenated one."""
    declined = []
    for word in words:
        stem, _, last = word.rpartition("-")
        if last.endswith("er") and last[:1].isupper() and last[:-2].endswith(("isch", "sch")):
            last = last[:-1] if case == "nom" else last[:-2] + "en"
        declined.append(f"{stem}-{last}" if stem else last)
    return declined


def designation_with_article(bezeichnung: str, typ: str, case: str = "acc") -> str:
    """The designation as a sentence needs it: "für die Gemeinde Kirchlengern", "für den Kreis Lippe",
    "für den Oberbergischen Kreis", "der StädteRegion Aachen" (dative). An unknown type gets no article."""
    gender = TYPE_GENDER.get(typ)
    if gender is None or not bezeichnung.strip():
        return bezeichnung
    words = bezeichnung.split()
    head = next((index for index, word in enumerate(words) if word.endswith(("Kreis", "kreis"))), None)
    if gender == "m" and head:
        words = _decline_adjectives(words[:head], case) + words[head:]
    return f"{ARTICLES[gender][case]} {' '.join(words)}"


def organisation_with_article(name: str, case: str = "acc") -> str:
    """"an die Staatskanzlei des Landes Nordrhein-Westfalen", "an das Ministerium für …"; a name whose head
    noun is not known (or that already starts with an article) is left as it is."""
    words = name.split()
    if not words or words[0].lower() in ("der", "die", "das", "den", "dem"):
        return name
    gender = ORGANISATION_GENDER.get(words[0].lower())
    return f"{ARTICLES[gender][case]} {name}" if gender else name

#: A check-in's verdict as a municipality reads it (the upload page and the answer by e-mail use these words).
VERDICT_WORDS = {"verified": "angenommen", "needs_review": "wird geprüft", "rejected": "abgelehnt",
                 "incomplete": "unvollständig"}
NEXT_STEPS = {
    "verified": "Vielen Dank. Sie müssen nichts weiter tun.",
    "needs_review": "Wir prüfen das Exemplar und melden uns, falls noch etwas fehlt. Sie müssen jetzt nichts tun.",
    "rejected": ("Bitte senden Sie uns das Dokument erneut, vollständig und im Unterschriftsfeld unterschrieben "
                 "(alle Seiten, in Originalgröße gedruckt)."),
    "incomplete": "Bitte senden Sie die fehlende(n) Seite(n) nach; was schon angekommen ist, bleibt gespeichert.",
}
CHECKIN_CODES = {"signed", "digitally_signed", "unsigned", "ambiguous", "pages_missing", "old_version",
                 "outdated_version", "after_hand_rejection", "digital_not_ours", "digital_invalid",
                 "digital_partial", "digital_modified", "digital_untrusted", "page_mismatch", "seal_broken"}


def verdict_in_german(state: str, code: str | None, reason: str | None, details: dict | None = None) \
        -> tuple[str, str]:
    """(verdict, what to do next): "angenommen", "wird geprüft", "abgelehnt: <Grund>", "unvollständig: …".
    A check-in's own reason is English (for the clerk) and is never shown: its code's German text is, or a
    general one; a clerk's reason for a rejection by hand is shown as typed."""
    word = VERDICT_WORDS.get(state, "eingegangen")
    if state in ("rejected", "incomplete"):
        why = reason_in_german(code, reason, details)
        if code in CHECKIN_CODES and why == (reason or "").strip():
            why = "Das Exemplar war nicht vollständig unterschrieben." if state == "rejected" else ""
        word = f"{word}: {why}" if why else word
    return word, NEXT_STEPS.get(state, "Wir melden uns, falls noch etwas fehlt.")
