import argparse
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.providers.sandbox import Config, check_setting, serve


def _setting(name: str):
    def parse(text: str) -> float | int:
        try:
            return check_setting(name, text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {name}: {text!r}") from None

    return parse


class Command(BaseCommand):
    help = (
        "Run the sandbox refund provider: its own HTTP process and SQLite ledger, with fault "
        "injection (see API.md, 'Refund provider'). Stops on SIGTERM or Ctrl-C."
    )
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        default_db = (
            getattr(settings, "VAR_DIR", settings.BASE_DIR / "var") / "provider-sandbox.sqlite3"
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
        parser.add_argument("--latency-ms", type=_setting("latency_ms"), default=0)
        parser.add_argument(
            "--respond-delay-ms",
            type=_setting("respond_delay_ms"),
            default=0,
            help="wait this long after committing a refund before answering",
        )
        parser.add_argument("--fail-rate", type=_setting("fail_rate"), default=0.0)
        parser.add_argument("--timeout-rate", type=_setting("timeout_rate"), default=0.0)
        parser.add_argument("--error-rate", type=_setting("error_rate"), default=0.0)
        parser.add_argument("--pending-rate", type=_setting("pending_rate"), default=0.0)
        parser.add_argument("--settle-ms", type=_setting("settle_ms"), default=1000)
        parser.add_argument(
            "--db", default=str(default_db), help=f"ledger file (default {default_db})"
        )
        parser.add_argument("--seed", type=int, default=None, help="fault-injection seed")
        parser.add_argument("--quiet", action="store_true", help="no line per request on stderr")

    def handle(self, *args, **options):
        config = Config(
            fail_rate=options["fail_rate"],
            timeout_rate=options["timeout_rate"],
            error_rate=options["error_rate"],
            pending_rate=options["pending_rate"],
            latency_ms=options["latency_ms"],
            respond_delay_ms=options["respond_delay_ms"],
            settle_ms=options["settle_ms"],
        )
        seed = options["seed"]
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        try:
            serve(
                host=options["host"],
                port=options["port"],
                db=options["db"],
                config=config,
                seed=seed,
                quiet=options["quiet"],
                out=self.stdout,
            )
        except OSError as exc:  # the port is taken, the ledger's folder is not writable, …
            raise CommandError(f"provider sandbox cannot start: {exc}") from exc
