"""Forms of the refund screens: shape only; `refunds.services` decides."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import PrefixedForm
from refunds.choices import Liability


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
