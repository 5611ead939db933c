"""Titles, the signers' sentence and salutations: German that agrees with office and gender."""

import pytest

from pipeline import german


@pytest.mark.parametrize("typ, gender, expected", [
    ("Stadt", "m", "Bürgermeister"),
    ("Stadt", "f", "Bürgermeisterin"),
    ("Gemeinde", "f", "Bürgermeisterin"),
    ("kreisfreie Stadt", "m", "Oberbürgermeister"),
    ("kreisfreie Stadt", "f", "Oberbürgermeisterin"),
    ("Kreis", "m", "Landrat"),
    ("Kreis", "f", "Landrätin"),
    ("Städteregion", "m", "Städteregionsrat"),
    ("Städteregion", "f", "Städteregionsrätin"),
    ("Gemeinde", None, "Bürgermeisterin / Bürgermeister"),
])
def test_office_title_by_type_and_gender(typ, gender, expected):
    assert german.office_title(typ, gender) == expected


def test_funktion_overrides_the_title():
    assert german.office_title("Stadt", "f", " Erste Beigeordnete ") == "Erste Beigeordnete"


@pytest.mark.parametrize("first, second, expected", [
    ("f", "m", "Die Unterzeichnerin und der Unterzeichner erklären:"),
    ("m", "f", "Der Unterzeichner und die Unterzeichnerin erklären:"),
    ("f", "f", "Die Unterzeichnerinnen erklären:"),
    ("m", "m", "Die Unterzeichner erklären:"),
    ("f", None, "Die Unterzeichnenden erklären:"),
])
def test_signers_sentence_agrees_with_both_genders(first, second, expected):
    assert german.signers_sentence(first, second) == expected


@pytest.mark.parametrize("gender, office, titel, nachname, expected", [
    ("f", "Bürgermeisterin", "Dr.", "Schmitz", "Sehr geehrte Frau Bürgermeisterin Dr. Schmitz,"),
    ("m", "Landrat", "", "Müller", "Sehr geehrter Herr Landrat Müller,"),
    (None, "Bürgermeisterin / Bürgermeister", "", "", "Sehr geehrte Damen und Herren,"),
])
def test_salutation(gender, office, titel, nachname, expected):
    assert german.salutation(gender, office, titel, nachname) == expected
