"""Real mail servers on loopback ports for the mail tests: Debian's Dovecot (IMAP, a configuration written to a
temporary folder, users in a passwd-file, plain login without TLS on 127.0.0.1 only) and aiosmtpd (SMTP, as
the reminder tests use it). Each test gets a mailbox user of its own on the one Dovecot of the session."""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .test_remind import Inbox, free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USERS, PASSWORD = 20, "geheim"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = engagiert-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.users = 0
        if os.geteuid() == 0:  # Dovecot refuses to log in or read mail as root: its own users and nobody
            login_user, internal_user, mail_user, mail_group = "dovenull", "dovecot", "nobody", "nogroup"
        else:
            login_user = internal_user = mail_user = getpass.getuser()
            mail_group = str(os.getgid())
        for folder in ("run", "state", "mail"):
            (root / folder).mkdir()
        if os.geteuid() == 0:
            record = pwd.getpwnam(mail_user)
            os.chown(root / "mail", record.pw_uid, record.pw_gid)
        # Every user up front: Dovecot reads the passwd-file again only when its mtime moves on, which a
        # change within the same second does not do.
        (root / "passwd").write_text("".join(f"clerk{n}:{{PLAIN}}{PASSWORD}-{n}\n" for n in range(1, USERS + 1)))
        (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=self.port, login_user=login_user,
                                                         internal_user=internal_user, mail_user=mail_user,
                                                         mail_group=mail_group))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not open its port within 15 s")

    def add_user(self) -> tuple[str, str]:
        """A mailbox of its own for a test: (user, password)."""
        self.users += 1
        assert self.users <= USERS, "more mail tests than users: raise USERS"
        return f"clerk{self.users}", f"{PASSWORD}-{self.users}"

    def client(self, user: str, password: str):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def deliver(self, user: str, password: str, messages: list[bytes], folder: str = "INBOX") -> None:
        client = self.client(user, password)
        try:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            for data in messages:
                client.append(folder, data)
        finally:
            client.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def dovecot():
    if os.environ.get("ENGAGIERT_SKIP_DOVECOT"):
        pytest.skip("ENGAGIERT_SKIP_DOVECOT is set")
    if not Path(DOVECOT).is_file():
        pytest.fail("dovecot is not installed: run scripts/test-deps.sh (apt-get install dovecot-imapd), "
                    "or set ENGAGIERT_SKIP_DOVECOT=1")
    # Not under pytest's own temporary folder: Dovecot's unprivileged processes must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="engagiert-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_inbox():
    """aiosmtpd on a loopback port: (what it received, port)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
