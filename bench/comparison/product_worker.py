"""The product's measuring worker for `bench/compare` (DJANGO_SETTINGS_MODULE=bench.settings).

    python -m bench.comparison.product_worker     # driven by bench/compare over stdin/stdout

The same clients as bench/run's in-process reads (bench/runner/inproc.py): the test Client logged
in as a manager for the screens, DRF's APIClient with the manager's token for the API list and the
intake user's token for intake, DEBUG off.
"""

import os
import time


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.conf import settings

    from bench.comparison.protocol import serve
    from bench.runner.inproc import PRODUCT_URL, api_client, prepare, sample_references
    from bench.runner.payloads import Payloads
    from cases.models import Case, Customer

    assert not settings.DEBUG
    creds = prepare()
    html = creds["html"]
    api = api_client(creds["manager_token"])
    intake = api_client(creds["intake_token"])
    references = sample_references(20)
    payloads = Payloads(customers=Customer.objects.count(), tag=f"cmp{int(time.time())}")
    turn = {"detail": 0}

    def detail():
        reference = references[turn["detail"] % len(references)]
        turn["detail"] += 1
        return [html.get(f"/cases/{reference}/")]

    ops = {
        "staff_list": (200, lambda: [html.get("/cases/")]),
        "api_list": (200, lambda: [api.get(PRODUCT_URL)]),
        "dashboard": (200, lambda: [html.get("/queues/")]),
        "reports": (200, lambda: [html.get("/reports/")]),
        "detail": (200, detail),
        "create": (201, lambda: [intake.post(PRODUCT_URL, payloads.case(), format="json")]),
    }

    def info() -> dict:
        return {
            "records": Case.objects.count(),
            "django": django.get_version(),
            "detail_sample": len(references),
        }

    serve(ops, info)


if __name__ == "__main__":
    main()
