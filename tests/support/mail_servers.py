"""Real local peers for the notification and inbound tests: an SMTP server, an HTTP SMS gateway and
an IMAP server (Debian's Dovecot, an instance of the run's own)."""

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.reachability import require
from tests.support.workers import free_port

DOVECOT = "/usr/sbin/dovecot"


class SmtpSink:
    """aiosmtpd on 127.0.0.1: collects every message it is handed."""

    def __init__(self):
        self.messages: list[dict] = []
        self.port = free_port()  # aiosmtpd's start-up check needs a real port, not 0
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
            }
        )
        return "250 OK"

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class SmsGateway:
    """An HTTP JSON SMS gateway that can be told to fail its next N requests with 500. It honours
    the Idempotency-Key: a key seen before is acknowledged without a second message."""

    def __init__(self):
        self.messages: list[dict] = []
        self.requests = 0
        self.fail_next = 0
        self.keys: dict[str, str] = {}
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway.lock:
                    gateway.requests += 1
                    if gateway.fail_next > 0:
                        gateway.fail_next -= 1
                        status, answer = 500, {"error": "try again"}
                    elif key in gateway.keys:
                        status, answer = 200, {"id": gateway.keys[key]}
                    else:
                        gateway.keys[key] = f"sms-{len(gateway.keys) + 1}"
                        gateway.messages.append({**body, "key": key})
                        status, answer = 200, {"id": gateway.keys[key]}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def start(self) -> "SmsGateway":
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = {uid}
mail_location = maildir:{dir}/mail/%u
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
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
    """Dovecot on 127.0.0.1 (plain IMAP, no TLS) with one account, its config, users, maildirs
    and sockets in a temporary folder. As root, the mail belongs to Debian's `dovecot` user and
    the login process runs as `dovenull` (Dovecot refuses root for both); otherwise everything
    runs as the current user."""

    user = "cs"
    password = "inbound-secret"

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.proc: subprocess.Popen | None = None

    def _identities(self) -> dict:
        if os.geteuid() == 0:
            mail = pwd.getpwnam("dovecot")
            return {
                "uid": mail.pw_uid,
                "gid": mail.pw_gid,
                "internal": "dovecot",
                "internal_group": "dovecot",
                "login": "dovenull",
            }
        me = pwd.getpwuid(os.geteuid())
        return {
            "uid": me.pw_uid,
            "gid": me.pw_gid,
            "internal": me.pw_name,
            "internal_group": me.pw_name,
            "login": me.pw_name,
        }

    def start(self) -> "Dovecot":
        ids = self._identities()
        self.dir.chmod(0o755)
        for sub in ("mail", "home"):
            (self.dir / sub).mkdir()
            os.chown(self.dir / sub, ids["uid"], ids["gid"])
        (self.dir / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.dir / "users").chmod(0o644)
        conf = self.dir / "dovecot.conf"
        conf.write_text(DOVECOT_CONF.format(dir=self.dir, port=self.port, **ids))
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def client(self):
        from imapclient import IMAPClient

        imap = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def settings(self) -> dict:
        """The INBOUND_* settings (and environment) that point the product at this server."""
        return {
            "INBOUND_BACKEND": "imap",
            "INBOUND_IMAP_HOST": "127.0.0.1",
            "INBOUND_IMAP_PORT": self.port,
            "INBOUND_IMAP_USER": self.user,
            "INBOUND_IMAP_PASSWORD": self.password,
            "INBOUND_IMAP_FOLDER": "INBOX",
            "INBOUND_IMAP_SSL": False,
        }

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class ImapMailbox:
    """The account's INBOX, emptied for one test: mails are delivered with IMAP APPEND."""

    def __init__(self, server: Dovecot):
        self.server = server
        self.imap = server.client()
        self.imap.select_folder("INBOX")
        existing = self.imap.search(["ALL"])
        if existing:
            self.imap.delete_messages(existing)
            self.imap.expunge()

    def deliver(self, raw: bytes) -> None:
        self.imap.append("INBOX", raw)

    def unseen(self) -> list[int]:
        self.imap.select_folder("INBOX")
        return sorted(self.imap.search(["UNSEEN"]))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.imap.logout()


@pytest.fixture(scope="session")
def dovecot():
    """One Dovecot for the run (skipped without it, a failure under CI=true)."""
    require(os.access(DOVECOT, os.X_OK), f"Dovecot ({DOVECOT}; apt-get install dovecot-imapd)")
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(dovecot, settings):
    """An empty INBOX, and the product's INBOUND_* settings pointing at it."""
    for name, value in dovecot.settings().items():
        setattr(settings, name, value)
    box = ImapMailbox(dovecot)
    yield box
    box.close()
