"""django-helpdesk's measuring worker for `bench/compare` (run inside the helpdesk's venv, with
this directory and the repository root on PYTHONPATH, DJANGO_SETTINGS_MODULE=hd_settings).

Logged in as `bench_admin` (a superuser: sees every queue, as the product's manager does), through
Django's test Client for the screens and DRF's APIClient (session authentication) for the API.
The staff list is what a user's first load of `/tickets/` costs: the page, then the one
`datatables_ticket_list` call its table makes for the first 25 rows (the page itself holds no
rows).
"""

import os
import re
from importlib.metadata import version

URL = re.compile(r"(/datatables_ticket_list/[^\"'\s]+)")


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hd_settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from helpdesk.models import FollowUp, Queue, Ticket
    from rest_framework.test import APIClient

    from bench.comparison.protocol import serve

    assert not settings.DEBUG
    admin = get_user_model().objects.get(username="bench_admin")
    html = Client()
    html.force_login(admin)
    api = APIClient()
    api.force_login(admin)
    top = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    step = max(1, top // 21)
    tickets = [step * (i + 1) for i in range(20)]
    queues = list(Queue.objects.order_by("id").values_list("id", flat=True))
    turn = {"detail": 0, "create": 0}

    def staff_list():
        page = html.get("/tickets/")
        found = URL.search(page.content.decode())
        if not found:
            raise RuntimeError("no datatables_ticket_list URL on /tickets/")
        rows = html.get(found.group(1), {"draw": 1, "start": 0, "length": 25})
        return [page, rows]

    def detail():
        ticket = tickets[turn["detail"] % len(tickets)]
        turn["detail"] += 1
        return [html.get(f"/tickets/{ticket}/")]

    def create():
        turn["create"] += 1
        body = {
            "queue": queues[turn["create"] % len(queues)],
            "title": "充值未到账",
            "description": "客户来电反映问题，请核实处理。",
            "submitter_email": f"customer{turn['create']}@example.com",
            "priority": 3,
        }
        return [api.post("/api/tickets/", body, format="json")]

    ops = {
        "staff_list": (200, staff_list),
        "api_list": (200, lambda: [api.get("/api/tickets/")]),
        "dashboard": (200, lambda: [html.get("/dashboard/")]),
        "reports": (200, lambda: [html.get("/reports/")]),
        "detail": (200, detail),
        "create": (201, create),
    }

    def info() -> dict:
        return {
            "records": Ticket.objects.count(),
            "followups": FollowUp.objects.count(),
            "django": django.get_version(),
            "helpdesk": version("django-helpdesk"),
            "detail_sample": len(tickets),
        }

    serve(ops, info)


if __name__ == "__main__":
    main()
