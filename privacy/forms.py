from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import PersonalField, Purpose


class RevealForm(forms.Form):
    """The workspace's reveal: which field, why (a purpose, and words when it is "other")."""

    field = forms.ChoiceField(label=_("Field"), choices=PersonalField.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    note = forms.CharField(label=_("Why, in words"), max_length=500, required=False)
