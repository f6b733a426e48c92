"""`manage.py poll_mailbox [--once] [--backend imap|maildir]`: read the customer mailbox now (the
demo, an operator) — the beat task `inbound.poll_mailbox` does the same every minute."""

import os
import signal
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inbound import mailbox

# Tests only (tests/inbound/test_imap_poller.py): stop dead after N mails at a stage, to prove
# that a poller killed mid-batch loses nothing and handles nothing twice.
DIE_AFTER = "INBOUND_TEST_DIE_AFTER"  # "N" or "N:recorded" / "N:handled" (the default)


def _die_hook():
    spec = os.environ.get(DIE_AFTER, "")
    if not spec:
        return mailbox._noop
    count, _sep, stage = spec.partition(":")
    limit, stage = int(count), stage or "handled"

    def step(at: str, n: int) -> None:
        if at == stage and n >= limit:
            sys.stdout.write(f"dying after {n} {at}\n")
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    return step


class Command(BaseCommand):
    help = "Read the customer mailbox (INBOUND_BACKEND) and handle each new mail once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--backend", choices=["imap", "maildir"], default=None)
        parser.add_argument("--every", type=float, default=60.0, help="Seconds between passes.")

    def handle(self, *args, **options):
        backend = options["backend"] or settings.INBOUND_BACKEND
        if not backend:
            raise CommandError("Set INBOUND_BACKEND (imap or maildir) or pass --backend.")
        step = _die_hook()
        while True:
            try:
                result = mailbox.poll(backend=backend, step=step)
            except (OSError, mailbox.MailboxError) as exc:
                raise CommandError(f"The mailbox cannot be read: {exc}") from exc
            counts = ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items()))
            self.stdout.write(
                f"read {result.seen} mail(s), {result.new} new, {result.retried} retried"
                + (f": {counts}" if counts else "")
            )
            if options["once"]:
                return
            time.sleep(options["every"])
