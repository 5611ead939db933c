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


def test_dates_are_accepted_as_german_clerks_type_them():
    import datetime as dt

    import pytest

    from pipeline.german import parse_date

    for typed in ("17.05.2024", "17.5.2024", "17.5.24", "2024-05-17", " 17.05.2024 "):
        assert parse_date(typed) == dt.date(2024, 5, 17), typed
    for wrong in ("31.02.2024", "17/05/2024", "2024-5-17", "morgen", ""):
        with pytest.raises(ValueError):
            parse_date(wrong)


def test_mark_sent_takes_a_german_date(fresh_round, runner):
    import json

    from pipeline.cli import cli

    base = ["--out", str(fresh_round / "out"), "--round", str(fresh_round / "round.toml")]
    result = runner.invoke(cli, ["mark-sent", *base, "--date", "17.05.2024"])
    assert result.exit_code == 0, result.output
    assert "marked sent on 2024-05-17" in result.output
    wrong = runner.invoke(cli, ["mark-sent", *base, "--date", "31.02.2024"])
    assert wrong.exit_code == 2 and "'31.02.2024' is not a valid date" in wrong.output
    status = json.loads(runner.invoke(cli, ["status", *base, "--format", "json"]).output)
    assert {d["sent_at"] for d in status["documents"]} == {"2024-05-17"}


def test_times_a_person_reads_are_local_office_time_in_german_form():
    import datetime as dt

    from pipeline.german import local_time

    assert local_time(dt.datetime(2024, 6, 10, 7, 5, tzinfo=dt.UTC)) == "10.06.2024, 09:05 Uhr"   # summer time
    assert local_time(dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.UTC)) == "01.01.2025, 00:30 Uhr"


def test_designations_take_the_article_and_case_their_type_needs():
    from pipeline.german import designation_with_article as article

    assert article("Gemeinde Kirchlengern", "Gemeinde") == "die Gemeinde Kirchlengern"
    assert article("Stadt Köln", "kreisfreie Stadt", "dat") == "der Stadt Köln"
    assert article("Kreis Lippe", "Kreis") == "den Kreis Lippe"
    assert article("Kreis Lippe", "Kreis", "nom") == "der Kreis Lippe"
    assert article("Kreis Lippe", "Kreis", "dat") == "dem Kreis Lippe"
    assert article("StädteRegion Aachen", "Städteregion") == "die StädteRegion Aachen"
    assert article("Oberbergischer Kreis", "Kreis") == "den Oberbergischen Kreis"
    assert article("Märkischer Kreis", "Kreis", "nom") == "der Märkische Kreis"
    assert article("Rheinisch-Bergischer Kreis", "Kreis", "dat") == "dem Rheinisch-Bergischen Kreis"
    assert article("Rhein-Kreis Neuss", "Kreis") == "den Rhein-Kreis Neuss"
    assert article("Hochsauerlandkreis", "Kreis") == "den Hochsauerlandkreis"
    assert article("Ennepe-Ruhr-Kreis", "Kreis", "dat") == "dem Ennepe-Ruhr-Kreis"


def test_every_nrw_designation_gets_an_article_and_keeps_its_words():
    import csv

    from pipeline.german import designation_with_article

    from .helpers import NRW_CSV

    with open(NRW_CSV, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            phrase = designation_with_article(row["bezeichnung"], row["typ"])
            assert phrase.split()[0] in ("die", "den"), phrase
            if not row["bezeichnung"].split()[0].endswith("er"):  # only a leading adjective is declined
                assert phrase.endswith(row["bezeichnung"]), phrase


def test_organisations_take_their_article():
    from pipeline.german import organisation_with_article as article

    assert article("Staatskanzlei des Landes Nordrhein-Westfalen") == "die Staatskanzlei des Landes Nordrhein-Westfalen"
    assert article("Ministerium des Innern", "dat") == "dem Ministerium des Innern"
    assert article("Die Landesregierung") == "Die Landesregierung"
    assert article("Kommunen-Netzwerk engagiert") == "Kommunen-Netzwerk engagiert"   # unknown head: unchanged
