"""Approval rounds (issue 21, finding 1): a retry that finds the tier risen sends the refund back
for fresh approval, so its approvals are counted per round, and the database guard lets a failed
refund's tier (cumulative amount, approvals needed, round) be re-decided only on its way out of
`failed`. Everything else the guard of 0002 enforces stays: the requester and the approved payload
never change; `approved` needs as many distinct approvals of the current payload, in the current
round, by people other than the requester, as the refund needs."""

from django.conf import settings
from django.db import migrations, models

GUARD = """
CREATE OR REPLACE FUNCTION refunds_refund_guard() RETURNS trigger AS $$
DECLARE
    approvals integer;
BEGIN
    IF NEW.requester_id <> OLD.requester_id OR NEW.payload_hash <> OLD.payload_hash THEN
        RAISE EXCEPTION 'a refund''s requester and approved payload never change'
            USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.approvals_needed <> OLD.approvals_needed
        OR NEW.cumulative_amount <> OLD.cumulative_amount
        OR NEW.approval_round <> OLD.approval_round)
       AND NOT (OLD.status = 'failed' AND NEW.status IN ('approved', 'pending_approval')) THEN
        RAISE EXCEPTION 'a refund''s tier is re-decided only by a retry of a failed refund'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.approval_round < OLD.approval_round THEN
        RAISE EXCEPTION 'approval rounds only move forward' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status = 'approved' AND OLD.status IN ('pending_approval', 'failed') THEN
        SELECT count(DISTINCT approver_id) INTO approvals
          FROM refunds_refundapproval
         WHERE refund_id = NEW.id
           AND decision = 'approve'
           AND round = NEW.approval_round
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
"""

OLD_GUARD = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OLD_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0004_refund_pending_oldest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="refundapproval",
            name="one_decision_per_approver",
        ),
        migrations.AddField(
            model_name="refund",
            name="approval_round",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="A retry that finds the tier risen starts a new round: earlier approvals lapse",
                verbose_name="approval round",
            ),
        ),
        migrations.AddField(
            model_name="refundapproval",
            name="round",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="approval round"),
        ),
        migrations.AddConstraint(
            model_name="refundapproval",
            constraint=models.UniqueConstraint(
                fields=("refund", "approver", "round"), name="one_decision_per_approver_round"
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
