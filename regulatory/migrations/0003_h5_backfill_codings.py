"""The cases opened before the classification existed get their default codes (as intake gives
them: the active set's mapped codes, the root cause's C before the category's), so that they can
be closed and counted. Province and city stay empty: intake reads them from the phone number of
the cases opened from now on (a later task may geocode the older ones)."""

from django.db import migrations

BACKFILL = """
INSERT INTO regulatory_casecoding (case_id, code_set_id, a_id, b_id, c_id, source, reason,
  province, city)
SELECT c.id, cs.id, ca.id, cb.id, cc.id, 'default', '', '', ''
FROM cases_case c
CROSS JOIN (SELECT id FROM regulatory_codeset WHERE active) cs
LEFT JOIN regulatory_codemapping ma ON ma.source = 'channel' AND ma.value = c.channel
  AND ma.axis = 'A'
LEFT JOIN regulatory_codemapping mb ON mb.source = 'category' AND mb.value = c.category
  AND mb.axis = 'B'
LEFT JOIN regulatory_codemapping mr ON mr.source = 'root_cause' AND mr.value = c.root_cause
  AND mr.axis = 'C'
LEFT JOIN regulatory_codemapping mc ON mc.source = 'category' AND mc.value = c.category
  AND mc.axis = 'C'
LEFT JOIN regulatory_code ca ON ca.code_set_id = cs.id AND ca.code = ma.code
LEFT JOIN regulatory_code cb ON cb.code_set_id = cs.id AND cb.code = mb.code
LEFT JOIN regulatory_code cc ON cc.code_set_id = cs.id AND cc.code = coalesce(mr.code, mc.code)
WHERE NOT EXISTS (SELECT 1 FROM regulatory_casecoding x WHERE x.case_id = c.id)
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL)


class Migration(migrations.Migration):
    dependencies = [
        ("regulatory", "0002_h5_seed_codes"),
        ("cases", "0026_customer_channels"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
