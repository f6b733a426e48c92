"""Reading the customer mailbox: IMAP (`imapclient`) in production, a local maildir for the demo.

One poll: first the rows a dead poller left pending are handled; then each unseen mail is
recorded (its own commit), handled (a second commit), and only then flagged \\Seen — so a poller
killed anywhere in a batch loses no mail and handles none twice (`inbound.models`).
"""

import logging
import mailbox as stdlib_mailbox
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from inbound import services
from inbound.models import InboundStatus

logger = logging.getLogger(__name__)

# What a mailbox that cannot be read raises (besides OSError: refused, timed out).
MailboxError = IMAPClientError

# A hook called after each step of each mail: (stage, count) with stage "recorded" or "handled".
Step = Callable[[str, int], None]


@dataclass
class PollResult:
    seen: int = 0
    new: int = 0
    retried: int = 0
    failed: int = 0
    statuses: dict = field(default_factory=dict)


class ImapBox:
    """The folder INBOUND_IMAP_FOLDER of the INBOUND_IMAP_* account."""

    def __init__(self):
        self.folder = settings.INBOUND_IMAP_FOLDER
        context = ssl.create_default_context() if settings.INBOUND_IMAP_SSL else None
        self.client = IMAPClient(
            settings.INBOUND_IMAP_HOST,
            port=settings.INBOUND_IMAP_PORT,
            ssl=settings.INBOUND_IMAP_SSL,
            ssl_context=context,
            timeout=settings.INBOUND_IMAP_TIMEOUT,
        )
        self.client.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
        selected = self.client.select_folder(self.folder)
        self.validity = selected.get(b"UIDVALIDITY", 0)

    def unseen(self, limit: int) -> Iterator[tuple[str, bytes, object]]:
        """(fallback key, raw bytes, handle) of the unseen mails, oldest first, read without
        setting \\Seen (BODY.PEEK)."""
        uids = sorted(self.client.search(["UNSEEN"]))[:limit]
        for uid in uids:
            fetched = self.client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            raw = fetched.get(b"BODY[]")
            if raw is None:
                continue
            yield f"imap:{self.folder}:{self.validity}:{uid}", bytes(raw), uid

    def done(self, handle) -> None:
        self.client.add_flags([handle], [b"\\Seen"])

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:
            logger.debug("IMAP logout failed", exc_info=True)


class MaildirBox:
    """A maildir on disk (INBOUND_MAILDIR): new mail under new/, moved to cur/ with S once read."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path or settings.INBOUND_MAILDIR)
        self.box = stdlib_mailbox.Maildir(self.path, factory=None, create=True)

    def unseen(self, limit: int) -> Iterator[tuple[str, bytes, object]]:
        keys = sorted(k for k, msg in self.box.iteritems() if "S" not in msg.get_flags())[:limit]
        for key in keys:
            yield f"maildir:{key}", self.box.get_bytes(key), key

    def done(self, handle) -> None:
        message = self.box.get_message(handle)
        message.set_subdir("cur")
        message.add_flag("S")
        self.box[handle] = message

    def close(self) -> None:
        self.box.close()


def open_box(backend: str | None = None):
    backend = backend or settings.INBOUND_BACKEND
    if backend == "imap":
        return ImapBox()
    if backend == "maildir":
        return MaildirBox()
    raise ValueError(f"INBOUND_BACKEND must be 'imap' or 'maildir', not {backend!r}")


def _noop(stage: str, count: int) -> None:
    pass


def poll(*, backend: str | None = None, limit: int | None = None, step: Step = _noop) -> PollResult:
    """One pass over the mailbox (see the module's docstring)."""
    result = PollResult()
    for pk in services.pending_ids():
        row = _handle(pk, result)
        result.retried += 1
        if row is not None:
            result.statuses[row.status] = result.statuses.get(row.status, 0) + 1
    box = open_box(backend)
    try:
        for fallback, raw, handle in box.unseen(limit or settings.INBOUND_BATCH):
            result.seen += 1
            received = services.email_record(
                raw=raw, external_id=services.email_key(raw, fallback=fallback)
            )
            result.new += int(received.new)
            step("recorded", result.seen)
            row = received.message
            if row.status == InboundStatus.PENDING:
                row = _handle(row.pk, result)
            if row is None:
                continue  # left unseen and pending: the next pass tries again
            result.statuses[row.status] = result.statuses.get(row.status, 0) + 1
            step("handled", result.seen)
            box.done(handle)
    finally:
        box.close()
    return result


def _handle(pk: int, result: PollResult):
    """Handle one recorded mail; a mail that breaks the handling stays pending (logged) and does
    not stop the others."""
    try:
        return services.email_handle(message_id=pk)
    except Exception:
        logger.exception("inbound mail %s could not be handled; it stays pending", pk)
        result.failed += 1
        return None
