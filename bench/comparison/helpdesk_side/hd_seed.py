"""Seed django-helpdesk's database for `bench/compare` (run inside the helpdesk's venv).

    python hd_seed.py --tickets 100000 [--reset]

Migrates, then makes the staff (one superuser, `bench_admin`, who measures; 20 agents), six queues
and, in one transaction of set-based SQL, N tickets (35 % open or reopened, as the product's seed
makes 35 % of its cases open; 70 % assigned; created over the past year; submitters drawn from
N/10 addresses) with two follow-ups each (the opening one and a staff comment). Does nothing if
the database already holds N tickets or more (unless --reset). Prints one JSON line.
"""

import argparse
import json
import os
import sys
import time

import django

QUEUES = ["recharge", "credit", "refund", "complaint", "account", "general"]
AGENTS = 20
ADMIN = "bench_admin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hd_settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM helpdesk_ticket")
        have = cur.fetchone()[0]
    if have >= args.tickets and not args.reset:
        print(json.dumps({"tickets": have, "seeded": False}))
        return
    from helpdesk.models import Queue

    User = get_user_model()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE helpdesk_ticketchange, helpdesk_followup, helpdesk_ticketcc,"
            " helpdesk_ticketcustomfieldvalue, helpdesk_ticket RESTART IDENTITY CASCADE"
        )
        if not User.objects.filter(username=ADMIN).exists():
            User.objects.create_superuser(ADMIN, f"{ADMIN}@example.com", "bench-compare")
        for i in range(1, AGENTS + 1):
            name = f"bench_agent_{i:02d}"
            if not User.objects.filter(username=name).exists():
                User.objects.create_user(
                    name, f"{name}@example.com", "bench-compare", is_staff=True
                )
        for slug in QUEUES:
            Queue.objects.get_or_create(slug=slug, defaults={"title": slug.title()})
        queues = list(Queue.objects.filter(slug__in=QUEUES).values_list("id", flat=True))
        agents = list(
            User.objects.filter(username__startswith="bench_agent_").values_list("id", flat=True)
        )
        cur.execute("SELECT setseed(0.42)")
        cur.execute(
            """
            INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status,
                on_hold, description, resolution, priority, due_date, last_escalation,
                assigned_to_id, queue_id, secret_key, kbitem_id, merged_to_id)
            SELECT '充值未到账 #' || g,
                   created, created + interval '2 hours',
                   'customer' || (1 + floor(random() * %(customers)s)::int) || '@example.com',
                   CASE WHEN r < 0.30 THEN 1 WHEN r < 0.35 THEN 2
                        WHEN r < 0.60 THEN 3 ELSE 4 END,
                   false, '客户来电反映问题，请核实处理。', '', (1 + floor(random() * 5))::int,
                   NULL, NULL,
                   CASE WHEN random() < 0.7
                        THEN (%(agents)s::int[])[1 + floor(random() * %(n_agents)s)::int] END,
                   (%(queues)s::int[])[1 + floor(random() * %(n_queues)s)::int],
                   gen_random_uuid()::text, NULL, NULL
            FROM (SELECT g, random() AS r,
                         now() - random() * interval '365 days' AS created
                  FROM generate_series(1, %(n)s) g) s
            ORDER BY created
            """,
            {
                "n": args.tickets,
                "customers": max(1, args.tickets // 10),
                "agents": agents,
                "n_agents": len(agents),
                "queues": queues,
                "n_queues": len(queues),
            },
        )
        cur.execute(
            """
            INSERT INTO helpdesk_followup (date, title, comment, public, new_status, ticket_id,
                user_id, message_id, time_spent, email_recipients)
            SELECT t.created + (k - 1) * interval '1 hour',
                   CASE k WHEN 1 THEN 'Ticket Opened' ELSE 'Comment' END,
                   CASE k WHEN 1 THEN t.description ELSE '已联系客户，正在核实订单。' END,
                   true, NULL, t.id,
                   CASE k WHEN 1 THEN NULL ELSE t.assigned_to_id END,
                   NULL, NULL, NULL
            FROM helpdesk_ticket t CROSS JOIN generate_series(1, 2) k
            ORDER BY t.id, k
            """
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM helpdesk_ticket")
        tickets = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM helpdesk_followup")
        followups = cur.fetchone()[0]
    print(
        json.dumps(
            {
                "tickets": tickets,
                "followups": followups,
                "queues": len(queues),
                "seeded": True,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
