"""The database router (settings.DATABASE_ROUTERS).

Reads go to the replica only inside `backoffice.db.replica.on_replica` (a report or an export
that chose it); every other read goes to `default`, even of an object that was read from the
replica (Django would otherwise follow the object's own database). Writes always go to
`default`; migrations never run on the replica.
"""

from django.db import DEFAULT_DB_ALIAS

from backoffice.db import replica


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return replica.reading_alias() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: one database, two addresses.
        same = {DEFAULT_DB_ALIAS, replica.REPLICA}
        if obj1._state.db in same and obj2._state.db in same:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == replica.REPLICA else None
