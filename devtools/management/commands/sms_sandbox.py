import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.providers.sms_sandbox import SmsSandbox


class Command(BaseCommand):
    help = (
        "Run the sandbox SMS gateway: takes POST /sms and calls the product's webhook "
        "(POST /api/v1/sms/events/) with a signed delivery report. Point SMS_GATEWAY_URL at it. "
        "Stops on SIGTERM or Ctrl-C."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766, help="0 picks a free port (printed)")
        parser.add_argument(
            "--webhook",
            default="http://127.0.0.1:8000/api/v1/sms/events/",
            help="the product's webhook URL",
        )
        parser.add_argument(
            "--secret", default="", help="signing secret (default: the first SMS_WEBHOOK_SECRET)"
        )
        parser.add_argument("--fail-rate", type=float, default=0.0, help="share reported failed")
        parser.add_argument("--report-delay", type=float, default=0.5, help="seconds")
        parser.add_argument(
            "--out",
            default=str(getattr(settings, "VAR_DIR", settings.BASE_DIR / "var") / "sms-sandbox"),
            help="folder where each message is written",
        )
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        from pathlib import Path

        secret = options["secret"] or next(iter(settings.SMS_WEBHOOK_SECRET), "")
        if not secret:
            raise CommandError("no signing secret: pass --secret or set SMS_WEBHOOK_SECRET")
        if not 0.0 <= options["fail_rate"] <= 1.0:
            raise CommandError("--fail-rate is between 0 and 1")
        sandbox = SmsSandbox(
            host=options["host"],
            port=options["port"],
            webhook=options["webhook"],
            secret=secret,
            fail_rate=options["fail_rate"],
            report_delay=options["report_delay"],
            out=Path(options["out"]),
            seed=options["seed"],
        ).start()
        self.stdout.write(f"sms sandbox on {sandbox.url}, reporting to {options['webhook']}")
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *a: stop.set())
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        sandbox.stop()
