"""Key the audit chain (HMAC-SHA256, key outside the database) and anchor the legacy prefix.

Existing entries are not rewritten (that would lock and rewrite the whole trail, and destroy the
evidence the plain chain is): they keep their plain sha256 links, and one keyed entry,
`audit.chain_keyed`, is appended after them naming the boundary (`legacy_last_seq`,
`legacy_head_hash`). Its HMAC covers the legacy head, so the prefix cannot be changed without
breaking it; `verify_audit` accepts plain-hash entries only before that entry (docs/security.md).
"""

from django.db import migrations, models
from django.utils import timezone

from backoffice.audit.chain import KEYED_MARKER_ACTION, LEGACY_KEY_ID, sign

_LOCK_KEY = 0x6175646974  # the chain's advisory lock (backoffice.audit.services)


def anchor_legacy_prefix(apps, schema_editor):
    AuditEntry = apps.get_model("backoffice", "AuditEntry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    head = AuditEntry.objects.order_by("-seq").first()
    if head is None or head.key_id != LEGACY_KEY_ID:
        return  # a fresh trail is keyed from its first entry
    marker = AuditEntry(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor=None,
        actor_label="system",
        action=KEYED_MARKER_ACTION,
        object_type="backoffice.auditentry",
        object_id=str(head.seq),
        payload={"legacy_last_seq": head.seq, "legacy_head_hash": head.hash},
    )
    sign(marker, head.hash)
    AuditEntry.objects.bulk_create([marker])


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0005_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="key id"),
        ),
        migrations.RunPython(anchor_legacy_prefix, migrations.RunPython.noop),
    ]
