"""The workspace's macro picker: choose one of the case's macros, preview it, apply it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.forms import PrefixedForm
from macros.selectors import macros_for_case


class MacroForm(PrefixedForm, forms.Form):
    id_prefix = "macro"
    macro = forms.TypedChoiceField(label=_("Macro"), coerce=int)

    def __init__(self, *args, macros=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.macros = {m.pk: m for m in macros}
        self.fields["macro"].choices = [("", _("— choose a macro —"))] + [
            (m.pk, m.name) for m in macros
        ]
        self.preview = None  # (text, changes, refusal) once previewed

    @property
    def chosen(self):
        return self.macros[self.cleaned_data["macro"]]


def macro_form(case, data=None, macros=None) -> MacroForm:
    """The picker of `case`: only the macros valid for its queue and category (`macros`: those,
    when the caller has them already)."""
    return MacroForm(data, macros=list(macros_for_case(case)) if macros is None else macros)
