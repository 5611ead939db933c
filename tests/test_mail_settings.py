"""[mail] in round.toml: read whole and checked before any server is asked; unpacking limits and names."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipeline.errors import InvalidInputError
from pipeline.mail.containers import kind_of, unpack
from pipeline.mail.parts import MailLimits, display_name
from pipeline.round import load_round

from . import mailfiles
from .test_round_file import round_with, validate

GOOD = '[mail]\nhost = "imap.stk.nrw.example"\nuser = "engagiert@stk.nrw.example"\n'


def test_a_good_mail_section_gets_its_defaults(tmp_path):
    config = load_round(round_with(tmp_path, GOOD + 'password_file = "geheim.txt"\nreply = true')).mail
    assert config.configured and config.imap_port == 993 and config.tls == "ssl" and config.folder == "INBOX"
    assert config.password_file == tmp_path / "geheim.txt" and config.smtp_server == ("imap.stk.nrw.example", 587)
    assert config.smtp_login == "engagiert@stk.nrw.example" and not config.mark_seen and config.move_to == ""
    assert not load_round(round_with(tmp_path, "")).mail.configured


@pytest.mark.parametrize(("extra", "says"), [
    ('password = "hunter2"', "password does not belong in round.toml"),
    ('tls = "plain"', "tls must be one of ssl, starttls, none"),
    ('tls = "none"', "would send the password unencrypted to imap.stk.nrw.example"),
    ("port = 0", "port must be a port number"),
    ('port = "993"', "port must be a number"),
    ('reply = "yes"', "reply must be a bool (true or false)"),
    ('folder = ""', "folder must name a folder"),
    ("mailbox = 1", "[mail] has unknown key(s) mailbox"),
])
def test_a_bad_mail_section_is_refused_by_name(runner, tmp_path, extra, says):
    round_file = round_with(tmp_path, GOOD + extra)
    with pytest.raises(InvalidInputError, match=None) as caught:
        load_round(round_file)
    assert says in caught.value.message
    assert validate(runner, tmp_path, round_file).exit_code == 2


def test_a_reply_needs_a_from_address(tmp_path):
    text = round_with(tmp_path, GOOD + "reply = true").read_text().replace(
        'email = "engagiert@stk.nrw.example"', 'email = ""')
    (tmp_path / "round.toml").write_text(text)
    with pytest.raises(InvalidInputError) as caught:
        load_round(tmp_path / "round.toml")
    assert "reply = true needs a From address" in caught.value.message


def test_names_from_a_mail_are_shown_never_used_as_paths():
    assert display_name("../../etc/passwd", "x") == "passwd"
    assert display_name("C:\\Users\\scan.pdf", "x") == "scan.pdf"
    assert display_name("a\x00b\r\nc.pdf", "x") == "a b c.pdf"
    assert display_name("..", "Anhang 1") == "Anhang 1"
    assert len(display_name("y" * 500 + ".pdf", "x")) <= 121 and display_name("y" * 500 + ".pdf", "x").endswith(".pdf")


def test_zip_limits_members_ratio_and_nesting():
    pdf = b"%PDF-1.4\n" + bytes(50)
    many = mailfiles.zip_of([(f"s{n}.pdf", pdf) for n in range(30)])
    with pytest.raises(Exception, match="more than the limit of 20"):
        unpack(many, "zip", MailLimits(max_parts=20))
    bomb = unpack(mailfiles.zip_of([("null.pdf", bytes(5_000_000))]), "zip")
    assert "packed" in bomb.attachments[0].refused and bomb.attachments[0].data == b""
    nested = pdf
    for level in range(7):
        nested = mailfiles.zip_of([(f"ebene{level}.zip" if level else "scan.pdf", nested)])
    deep = unpack(nested, "zip")
    assert any("nested more than 5 deep" in attachment.refused for attachment in deep.attachments)
    assert not deep.wanted


def test_what_counts_as_a_mail_or_archive():
    docx, odt = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert kind_of(docx.getvalue()) is None and kind_of(odt.getvalue()) is None
    assert kind_of(mailfiles.zip_of([("a.pdf", b"%PDF")])) == "zip"
    assert kind_of(mailfiles.eml()) == "eml" and kind_of(b"From a@b Mon Jun 3\n" + mailfiles.eml()) == "eml"
    assert kind_of(mailfiles.msg()) == "msg" and kind_of(mailfiles.tnef()) == "tnef"
    assert kind_of(b"%PDF-1.7\nSubject: x\nFrom: y\n") is None
    assert kind_of(b"Hallo Welt: ein Text\nnoch einer") is None
    assert kind_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)) is None  # an old Word file, or damaged


def test_rfc2231_encoded_word_and_smime_names_and_parts():
    pdf = b"%PDF-1.4\n%%EOF"
    assert [a.name for a in unpack(mailfiles.eml([("Übersicht Rücksendung.pdf", pdf, "application/pdf")]),
                                   "eml").wanted] == ["Übersicht Rücksendung.pdf"]
    assert [a.name for a in unpack(mailfiles.eml_encoded_word_name("Gemeinde Möhnesee.pdf", pdf),
                                   "eml").wanted] == ["Gemeinde Möhnesee.pdf"]
    signed = unpack(mailfiles.smime_signed(("scan.pdf", pdf, "application/pdf")), "eml")
    assert [a.name for a in signed.wanted] == ["scan.pdf"] and "signature" in signed.attachments[-1].skipped
    opaque = unpack(mailfiles.smime_signed(("scan.pdf", pdf, "application/pdf"), opaque=True), "eml")
    assert [(a.name, a.data) for a in opaque.wanted] == [("scan.pdf", pdf)]
    assert unpack(mailfiles.eml(headers={"Precedence": "bulk"}), "eml").auto == "Precedence: bulk"
    assert unpack(mailfiles.eml(sender="MAILER-DAEMON@x.example"), "eml").auto.startswith("sent by")


def test_validate_reports_the_mail_settings_without_asking_a_server(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("ENGAGIERT_MAIL_PASSWORD", raising=False)
    round_file = round_with(tmp_path, GOOD + 'folder = "Rücksendungen"\nreply = true\nmove_to = "Erledigt"')
    result = validate(runner, tmp_path, round_file)
    assert result.exit_code == 0, result.output
    assert ("Mail: Rücksendungen of engagiert@stk.nrw.example at imap.stk.nrw.example:993 (ssl), password from "
            "$ENGAGIERT_MAIL_PASSWORD (not set); messages taken are moved to Erledigt; answers from "
            "engagiert@stk.nrw.example through imap.stk.nrw.example:587 (starttls).") in result.output
