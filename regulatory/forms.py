from django import forms
from django.utils.translation import gettext_lazy as _

from regulatory import policy


class CorrectionForm(forms.Form):
    """The three codes of the coding's code set, and why they are corrected."""

    a = forms.ChoiceField(label=_("A · channel"))
    b = forms.ChoiceField(label=_("B · business type"))
    c = forms.ChoiceField(label=_("C · cause"))
    reason = forms.CharField(
        label=_("Reason"), max_length=policy.MAX_REASON, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, codes: dict, coding=None, **kwargs):
        initial = kwargs.pop("initial", {}) or {}
        if coding is not None:
            for axis in "abc":
                code = getattr(coding, axis)
                initial.setdefault(axis, code.code if code else "")
        super().__init__(*args, initial=initial, **kwargs)
        for axis in "ABC":
            self.fields[axis.lower()].choices = [("", "—")] + [
                (code.code, str(code)) for code in codes[axis]
            ]
