"""Forms of the held-mail screen: the shape of the input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AttachForm(forms.Form):
    reference = forms.CharField(
        label=_("Case reference"), max_length=32, help_text=_("e.g. CS-20261207-000001")
    )

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()


class DiscardForm(forms.Form):
    reason = forms.CharField(label=_("Why discard it"), max_length=500)
