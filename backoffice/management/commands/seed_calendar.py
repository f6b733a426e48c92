"""`manage.py seed_calendar [--code cn] [--year 2026 ...]`: seed or update a calendar from chinesecalendar."""

from django.core.management.base import BaseCommand, CommandError

from backoffice.calendars.services import (
    DEFAULT_CODE,
    chinesecalendar_years,
    seed_calendar_from_chinesecalendar,
)


class Command(BaseCommand):
    help = (
        "Seed or update a business calendar's holidays and makeup working days from the "
        "chinesecalendar package (idempotent) and move verified_through to Dec 31 of the last year "
        "seeded. Years the package does not know are refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", default=DEFAULT_CODE, help="calendar code (default: cn)")
        parser.add_argument(
            "--year",
            dest="years",
            type=int,
            action="append",
            help="a year to seed; repeat for several (default: every year chinesecalendar knows)",
        )

    def handle(self, *args, code: str, years: list[int] | None, **options):
        known = chinesecalendar_years()
        unknown = sorted({year for year in years or () if year not in known})
        if unknown:
            raise CommandError(
                f"chinesecalendar has no data for {', '.join(map(str, unknown))} "
                f"(it knows {known.start}–{known.stop - 1}); refusing to guess. "
                "Upgrade chinesecalendar once the State Council publishes the schedule, "
                "or enter the days in the admin."
            )
        try:
            result = seed_calendar_from_chinesecalendar(code=code, years=years)
        except NotImplementedError as exc:  # the package's own refusal, should the check miss it
            raise CommandError(f"chinesecalendar refused: {exc}") from exc

        verb = "created" if result.created_calendar else "updated"
        first, last = result.years[0], result.years[-1]
        span = str(first) if first == last else f"{first}–{last} ({len(result.years)} years)"
        self.stdout.write(
            f"Calendar {code} {verb} from chinesecalendar for {span}: "
            f"{len(result.created)} days added, {len(result.updated)} corrected, "
            f"{result.unchanged} unchanged."
        )
        for label, days in (("added", result.created), ("corrected", result.updated)):
            if days and len(days) <= 40:
                self.stdout.write(f"  {label}: {', '.join(d.isoformat() for d in days)}")
        if result.extra:
            self.stdout.write(
                self.style.WARNING(
                    f"  kept {len(result.extra)} day(s) chinesecalendar does not list: "
                    + ", ".join(d.isoformat() for d in result.extra)
                )
            )
        self.stdout.write(
            self.style.SUCCESS(f"verified_through is {result.verified_through.isoformat()}.")
        )
