"""Returns by e-mail: mails and archives in the inbox, the office's mailbox read over IMAP, answers to senders.

- ``containers``: which files are mails or archives (by their bytes), and unpacking one whole, nested ones too.
- ``mime``: an Internet mail (.eml, or fetched over IMAP): sender, subject, Message-ID, every file it carries.
- ``outlook``: Outlook's .msg (extract-msg) and winmail.dat (TNEF, tnefparse).
- ``zips``: ZIP archives of scans, under limits of our own.
- ``parts``: what unpacking yields; names from a mail made safe to show (never a path).
- ``take``: storing a mail under its hash, recognising it again, writing its files to check in.
- ``record``: the ledger rows of a mail, its parts and the uploads they became, and the sender on each document.
- ``run``: a run over mails and archives, their files checked in by the check-in stage in one go.
- ``mailbox``: ``engagiert checkin --mail``: the new messages of an IMAP folder.
- ``reply``: the one answer to a sender, in German, through SMTP.
"""

from .mailbox import MailboxRun, check_in_mailbox, mail_settings_line
from .run import check_in_with_mail, split_mail_files

__all__ = ["MailboxRun", "check_in_mailbox", "check_in_with_mail", "mail_settings_line", "split_mail_files"]
