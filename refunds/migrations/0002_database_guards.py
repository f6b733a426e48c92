"""What PostgreSQL itself enforces about approvals, whatever path a write takes (ORM, admin,
queryset update, raw SQL):

- an approval row carries the refund's real requester (composite foreign key), and the CHECK
  `approver_is_not_requester` then makes a self-approval impossible;
- a refund becomes `approved` only with as many distinct approvals of its current payload, by
  people other than its requester, as it needs;
- a refund's requester, the approvals it needs and the payload hash it was approved on never
  change (an edit of the amount itself is possible, and the submit refuses it: the hash no longer
  matches).
"""

from django.db import migrations

FORWARD = """
ALTER TABLE refunds_refundapproval
    ADD CONSTRAINT refundapproval_requester_is_the_refunds
    FOREIGN KEY (refund_id, requester_id) REFERENCES refunds_refund (id, requester_id)
    DEFERRABLE INITIALLY DEFERRED;

CREATE OR REPLACE FUNCTION refunds_refund_guard() RETURNS trigger AS $$
DECLARE
    approvals integer;
BEGIN
    IF NEW.requester_id <> OLD.requester_id
       OR NEW.approvals_needed <> OLD.approvals_needed
       OR NEW.payload_hash <> OLD.payload_hash
       OR NEW.cumulative_amount <> OLD.cumulative_amount THEN
        RAISE EXCEPTION 'a refund''s requester, approvals needed and approved payload never change'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = 'approved' AND OLD.status = 'pending_approval' THEN
        SELECT count(DISTINCT approver_id) INTO approvals
          FROM refunds_refundapproval
         WHERE refund_id = NEW.id
           AND decision = 'approve'
           AND approver_id <> NEW.requester_id
           AND payload_hash = NEW.payload_hash;
        IF approvals < NEW.approvals_needed THEN
            RAISE EXCEPTION 'refund % needs % approvals by people other than its requester, has %',
                NEW.id, NEW.approvals_needed, approvals USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER refunds_refund_guard
    BEFORE UPDATE ON refunds_refund
    FOR EACH ROW EXECUTE FUNCTION refunds_refund_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS refunds_refund_guard ON refunds_refund;
DROP FUNCTION IF EXISTS refunds_refund_guard();
ALTER TABLE refunds_refundapproval DROP CONSTRAINT IF EXISTS refundapproval_requester_is_the_refunds;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


TIERS = [
    # name, role, max cumulative amount (None: no limit), approvals needed
    ("Agent up to 100.00", "agent", "100.00", 1),
    ("Supervisor up to 1,000.00", "supervisor", "1000.00", 1),
    ("Finance up to 10,000.00", "finance", "10000.00", 1),
    ("Finance above 10,000.00: two approvals", "finance", None, 2),
]


def seed_tiers(apps, schema_editor):
    ApprovalTier = apps.get_model("refunds", "ApprovalTier")
    if ApprovalTier.objects.exists():
        return
    for name, role, max_amount, needed in TIERS:
        ApprovalTier.objects.create(name=name, role=role, max_amount=max_amount, approvals_needed=needed)


class Migration(migrations.Migration):
    dependencies = [("refunds", "0001_initial")]
    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(seed_tiers, migrations.RunPython.noop),
    ]
