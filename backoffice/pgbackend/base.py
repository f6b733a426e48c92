"""Django's PostgreSQL backend, with truncations whose unit and time zone are written into the SQL,
and `bulk_create` batches that stay within the parameter limit.

With server-side parameter binding (settings: `DB_PREPARED_STATEMENTS`), Django's
`DATE_TRUNC(%s, col AT TIME ZONE %s)` becomes `DATE_TRUNC($1, col AT TIME ZONE $2)` in the select
list and `DATE_TRUNC($3, col AT TIME ZONE $4)` in `ORDER BY`, which PostgreSQL cannot match, so
`QuerySet.dates()`, `.datetimes()` and the admin's `date_hierarchy` fail ("for SELECT DISTINCT,
ORDER BY expressions must appear in select list"). Here a known unit and a plain time zone name
are literals, so both places read the same; anything else stays a parameter.
"""

import re

from django.db.backends.postgresql import base, operations

UNITS = frozenset({"year", "quarter", "month", "week", "day", "hour", "minute", "second"})
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_/+\-]{0,63}")
MAX_PARAMS = 65_535  # bind parameters a statement may carry (the wire protocol's limit)


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        """Rows per INSERT of `bulk_create` within PostgreSQL's parameter limit (Django's own
        backend puts every row in one statement): the bulk intake's timeline, 10,000 cases of
        about eight events, would be 80,000 rows of 6 parameters."""
        return max(1, min(len(objs), MAX_PARAMS // max(1, len(fields))))

    def _convert_sql_to_tz(self, sql, params, tzname):
        sql, params = super()._convert_sql_to_tz(sql, params, tzname)
        if sql.endswith(" AT TIME ZONE %s") and ZONE_NAME.fullmatch(str(params[-1])):
            return f"{sql[:-2]}'{params[-1]}'", params[:-1]
        return sql, params

    def _trunc(self, sql, params, lookup_type):
        if lookup_type in UNITS and sql.startswith("DATE_TRUNC(%s, "):
            return f"DATE_TRUNC('{lookup_type}', {sql[15:]}", params[1:]
        return sql, params

    def date_trunc_sql(self, lookup_type, sql, params, tzname=None):
        return self._trunc(*super().date_trunc_sql(lookup_type, sql, params, tzname), lookup_type)

    def datetime_trunc_sql(self, lookup_type, sql, params, tzname):
        return self._trunc(
            *super().datetime_trunc_sql(lookup_type, sql, params, tzname), lookup_type
        )

    def time_trunc_sql(self, lookup_type, sql, params, tzname=None):
        return self._trunc(*super().time_trunc_sql(lookup_type, sql, params, tzname), lookup_type)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
