"""Forms of the refund screens: shape only; `refunds.services` decides."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import PrefixedForm
from refunds.choices import Liability, RefundStatus


class RefundRequestForm(PrefixedForm, forms.Form):
    id_prefix = "refund"
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )
    liability = forms.ChoiceField(label=_("Liability"), choices=Liability.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=1_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    policy_basis = forms.CharField(
        label=_("Policy basis"),
        max_length=200,
        required=False,
        help_text=_("e.g. the clause of the refund policy this follows"),
    )


class ApproveForm(PrefixedForm, forms.Form):
    comment = forms.CharField(
        label=_("Comment"), max_length=2_000, required=False, widget=forms.TextInput()
    )


class RejectForm(PrefixedForm, forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=2_000)


class RetryForm(forms.Form):
    """Send a failed refund again. `seen_attempts`: the attempts shown when the button was
    pressed; another attempt since (a double submit, a colleague) is refused, not sent again."""

    seen_attempts = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class SettleForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What the provider's ledger shows"),
        choices=[
            (RefundStatus.SUCCEEDED, _("Paid: mark it paid")),
            (RefundStatus.FAILED, _("Not paid: mark it failed")),
        ],
        widget=forms.RadioSelect,
    )
    provider_reference = forms.CharField(
        label=_("Provider's reference of the payment"), max_length=100, required=False
    )
    note = forms.CharField(
        label=_("What you checked"), max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == RefundStatus.SUCCEEDED and not data.get("provider_reference"):
            self.add_error(
                "provider_reference",
                _("Give the reference of the payment found in the provider's ledger."),
            )
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is given up"), max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )
