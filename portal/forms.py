from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import PrefixedForm
from portal.services import MAX_REASON


class RevokeLinkForm(PrefixedForm, forms.Form):
    id_prefix = "link"
    reason = forms.CharField(label=_("Reason for revoking"), max_length=MAX_REASON)
