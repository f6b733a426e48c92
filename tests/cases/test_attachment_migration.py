"""cases 0021 gives every attachment its case: on a database with files, going back to 0020 and
forward again keeps them, and a row written under the old state (a file on a message only) gets the
message's case. The migration fills rows and then constrains them, which PostgreSQL refuses in one
transaction ("pending trigger events"): it runs without one, and this test runs it on rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.choices import AttachmentSource
from cases.models import Attachment
from casework.services import IncomingFile, attach, case_customer_message
from tests.support.factories import open_case, order_data, staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BEFORE = [("cases", "0020_models_leave_for_sla_risk_notifications")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def latest() -> list[tuple[str, str]]:
    return list(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_existing_files_get_their_case_back_and_forth():
    intake = staff("intake", username="app")
    cases = [open_case(customer_id=f"U{n}", order=order_data(order_id=f"R{n}")) for n in range(2)]
    messages = [
        case_customer_message(
            actor=intake, case=case, body="附件", files=[IncomingFile("a.txt", b"receipt")]
        )
        for case in cases
    ]
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE[0]).apps.get_model("cases", "Attachment")
        assert old.objects.count() == 2
        old.objects.create(
            message_id=messages[1].pk,
            file="attachments/old/receipt",
            original_name="old.txt",
            content_type="text/plain",
            size=7,
            sha256="0" * 64,
        )
    finally:
        migrate(latest())

    rows = list(Attachment.objects.order_by("id").values_list("case_id", "message_id", "source"))
    assert rows == [
        (cases[0].pk, messages[0].pk, AttachmentSource.INTAKE),
        (cases[1].pk, messages[1].pk, AttachmentSource.INTAKE),
        (cases[1].pk, messages[1].pk, AttachmentSource.INTAKE),  # on a customer's message
    ]
    # and the new state works on them
    agent = staff("agent", "recharge", username="agent")
    attach(case=cases[0], file=IncomingFile("b.txt", b"more"), source="workspace", actor=agent)
    assert cases[0].attachments.count() == 2
