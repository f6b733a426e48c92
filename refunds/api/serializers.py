from rest_framework import serializers

from backoffice.api.fields import StrictCharField
from backoffice.api.serializers import ModelOutput
from refunds.choices import Liability, RefundStatus
from refunds.models import Refund, RefundApproval, RefundAttempt


class RefundRequestInput(serializers.Serializer):
    case = StrictCharField(max_length=24, help_text="the case reference")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = serializers.ChoiceField(choices=[("CNY", "CNY")], required=False, default="CNY")
    reason = StrictCharField(max_length=1000)
    liability = serializers.ChoiceField(choices=Liability.choices)
    policy_basis = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class ApproveInput(serializers.Serializer):
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectInput(serializers.Serializer):
    reason = StrictCharField(max_length=2000)


class SettleInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[RefundStatus.SUCCEEDED, RefundStatus.FAILED])
    note = StrictCharField(max_length=2000)
    provider_reference = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Paid: the provider's reference of the payment found in its ledger; one "
        "reference marks one refund paid (409 `provider_reference_taken` otherwise).",
    )


class ApprovalOutput(ModelOutput):
    approver = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RefundApproval
        fields = ["approver", "decision", "comment", "approver_limit", "round", "created_at"]


class AttemptOutput(ModelOutput):
    class Meta:
        model = RefundAttempt
        fields = [
            "number",
            "idempotency_key",
            "status",
            "provider_reference",
            "error",
            "calls",
            "created_at",
            "finished_at",
        ]


class RefundOutput(ModelOutput):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    order = serializers.SlugRelatedField(slug_field="order_id", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reference = serializers.CharField(read_only=True)
    approvals = ApprovalOutput(many=True, read_only=True)
    attempts = AttemptOutput(many=True, read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "reference",
            "case",
            "order",
            "amount",
            "currency",
            "reason",
            "policy_basis",
            "liability",
            "status",
            "status_reason",
            "requester",
            "cumulative_amount",
            "approvals_needed",
            "approval_round",
            "approvals",
            "attempts",
            "provider_reference",
            "created_at",
            "approved_at",
            "finished_at",
        ]
