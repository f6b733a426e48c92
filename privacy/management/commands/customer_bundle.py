"""`manage.py customer_bundle <external_id> --out DIR`: everything held about one customer, as
`<id>.json` and `<id>.html` in DIR (privacy.bundle)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.models import Customer
from privacy.bundle import write_bundle


class Command(BaseCommand):
    help = "Write everything the product holds about one customer as JSON and HTML."

    def add_arguments(self, parser):
        parser.add_argument("external_id", help="The customer's external id.")
        parser.add_argument("--out", required=True, help="The directory to write the files to.")

    def handle(self, *args, external_id: str, out: str, **options):
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise CommandError(f"external_id: no customer {external_id!r}")
        json_path, html_path = write_bundle(
            actor="manage.py customer_bundle", customer=customer, out=Path(out)
        )
        self.stdout.write(f"{json_path}\n{html_path}")
