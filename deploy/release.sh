#!/usr/bin/env bash
# Put the release in this checkout live. Run as root from the new release's directory, after its
# virtual environment is installed (docs/operations.md, "Upgrade"):
#
#   /opt/backoffice/releases/<version>/deploy/release.sh
#
# 1. migrations: refused when one would lock a big table (`manage.py migration_locks`), unless
#    ALLOW_LOCKING_MIGRATIONS=1; applied as the owner role (MIGRATE_DATABASE_URL) when it is set;
#    then `partition_tables maintain` as that role (partitions ahead, their grants);
# 2. collectstatic (the release's own STATIC_ROOT, served by whitenoise);
# 3. `check --deploy`, which must be clean (warnings fail too);
# 4. /opt/backoffice/current → this release;
# 5. restarts, each only where the unit runs on this host (`systemctl try-restart`): the workers
#    first, so that no old worker receives a task the new web process sends under a name it does not
#    know yet; a stopping worker finishes its task (warm shutdown) or gives it back (acks_late), and
#    messages wait in the broker meanwhile; then web; then beat.
#
# Steps 1-3 change nothing the running release depends on; a failure there leaves it serving.
# Environment: ENV_FILE (/etc/backoffice/backoffice.env), CURRENT (/opt/backoffice/current),
# SYSTEMCTL (systemctl), WORKER_QUEUES ("refunds notifications sla celery").
set -euo pipefail
cd "$(dirname "$0")/.."
RELEASE=$(pwd -P)
ENV_FILE=${ENV_FILE:-/etc/backoffice/backoffice.env}
CURRENT=${CURRENT:-/opt/backoffice/current}
SYSTEMCTL=${SYSTEMCTL:-systemctl}
WORKER_QUEUES=${WORKER_QUEUES:-refunds notifications sla celery}

# The env file is systemd's format (KEY=VALUE, values may hold spaces): read it, do not source it.
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in '' | \#*) continue ;; esac
  export "${line%%=*}=${line#*=}"
done <"$ENV_FILE"
manage() { "$RELEASE/.venv/bin/python" "$RELEASE/manage.py" "$@"; }

echo "== migrations"
DATABASE_URL=${MIGRATE_DATABASE_URL:-$DATABASE_URL} manage migration_locks
DATABASE_URL=${MIGRATE_DATABASE_URL:-$DATABASE_URL} manage migrate --noinput
# The coming months' partitions and the partitions' grants (docs/operations.md, "Partitioned tables").
DATABASE_URL=${MIGRATE_DATABASE_URL:-$DATABASE_URL} manage partition_tables maintain
echo "== static files"
manage collectstatic --noinput --verbosity 0
echo "== check --deploy"
manage check --deploy --fail-level WARNING
echo "== switch $CURRENT → $RELEASE"
ln -sfn "$RELEASE" "$CURRENT.next"
mv -T "$CURRENT.next" "$CURRENT"
echo "== restart: workers, web, beat"
for queue in $WORKER_QUEUES; do
  $SYSTEMCTL try-restart "backoffice-worker@$queue.service"
done
$SYSTEMCTL try-restart backoffice-web.service
$SYSTEMCTL try-restart backoffice-beat.service
echo "released $RELEASE"
