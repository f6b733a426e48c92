"""docs/operations.md shows only commands a test runs: each line of its code blocks is listed here
with the test file that runs it (and the words of that file that do), so a command added to the page
without a test fails here."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
STACK, STACK_TEST = "tests/production/stack.py", "tests/production/test_stack.py"
PARTITIONS_TEST = "tests/backoffice/test_partitions.py"
REPLICA_FIXTURE = "tests/replica/conftest.py"
RUN_BY = {
    "psql -v owner=backoffice_owner -v app=backoffice_app -d backoffice -f deploy/postgres/grants.sql": (
        STACK,
        '"-v", f"owner={',
    ),
    "deploy/release.sh": (STACK, 'DEPLOY / "release.sh"'),
    ".venv/bin/python manage.py create_staff NAME --role manager --password PASSWORD": (
        STACK_TEST,
        '"--role", "manager", "--password", PASSWORD',
    ),
    ".venv/bin/python manage.py backup_check": (STACK_TEST, 'manage("backup_check", owner=True)'),
    ".venv/bin/python manage.py axes_reset": (STACK_TEST, 'manage("axes_reset")'),
    "DATABASE_URL=$MIGRATE_DATABASE_URL manage.py partition_tables convert --table caseevent": (
        PARTITIONS_TEST,
        'convert("caseevent")',
    ),
    "DATABASE_URL=$MIGRATE_DATABASE_URL manage.py partition_tables convert --table auditentry": (
        PARTITIONS_TEST,
        'convert("auditentry")',
    ),
    # the fixture runs it against the tests' own server, as the user the tests connect as
    "pg_basebackup -h <primary> -U backoffice_replication -D /var/lib/postgresql/15/main -R -X stream --checkpoint=fast": (
        REPLICA_FIXTURE,
        '"-R", "-X", "stream", "--checkpoint=fast"',
    ),
}


def test_every_command_of_the_operations_page_is_run_by_a_test():
    page = (ROOT / "docs" / "operations.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", page, flags=re.S)
    commands = {line.strip() for block in blocks for line in block.splitlines() if line.strip()}
    assert commands == set(RUN_BY)
    for command, (path, words) in RUN_BY.items():
        assert words in (ROOT / path).read_text(), (command, path)
    assert "\n## Observability\n" in page
