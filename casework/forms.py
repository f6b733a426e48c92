"""Forms of the staff screens. They check the shape of the input only; the services decide."""

import re

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases import files, policy
from cases.choices import Priority, RootCause, Status, SubCause
from cases.transitions import ROOT_CAUSE_REQUIRED, allowed_targets, is_reopen, needs_root_cause

REFERENCE_SPLIT = re.compile(r"[\s,;，；]+")
MAX_BULK = 100


class PrefixedForm:
    """Forms of one page get distinct element ids (`reply-body`, `status-to`) and plain names."""

    id_prefix = "f"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def root_cause_choices(blank: bool = True):
    choices = list(RootCause.choices)
    return [("", _("— choose a root cause —")), *choices] if blank else choices


class ReplyForm(PrefixedForm, forms.Form):
    """A public reply or, with the other button (`kind=note`), an internal note."""

    id_prefix = "reply"
    body = forms.CharField(label=_("Message"), max_length=policy.MAX_MESSAGE, widget=_textarea(4))
    kind = forms.ChoiceField(
        choices=[("reply", _("Public reply")), ("note", _("Internal note"))], required=False
    )

    @property
    def internal(self) -> bool:
        return self.cleaned_data.get("kind") == "note"


class AttachmentForm(PrefixedForm, forms.Form):
    """One file for the case; `cases.files` (through the service) decides what it may be."""

    id_prefix = "attach"
    file = forms.FileField(label=_("File"), max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = files.accept_attribute()
        self.fields["file"].help_text = gettext("Accepted: %(types)s; at most %(max)s.") % {
            "types": ", ".join(files.label(t) for t in files.allowed_types()),
            "max": filesizeformat(files.max_bytes()),
        }


class AssignForm(PrefixedForm, forms.Form):
    id_prefix = "assign"
    assignee = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, usernames=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("— choose an agent —"))] + [
            (name, name) for name in usernames
        ]


def status_choices(current: str):
    labels = dict(Status.choices)
    choices = []
    for target in allowed_targets(current):
        label = labels[target]
        if is_reopen(current, target):
            label = _("Reopen (back to in progress)")
        choices.append((target, label))
    return choices


class StatusForm(PrefixedForm, forms.Form):
    """Change the status; resolving needs a root cause (internal) and a summary the customer reads
    (written, or a standard text picked); resolved → in progress is a reopen."""

    id_prefix = "status"
    to = forms.ChoiceField(label=_("New status"))
    root_cause = forms.ChoiceField(
        label=_("Root cause"),
        required=False,
        help_text=_("Required to resolve. Internal: the customer is not told."),
    )
    note = forms.CharField(
        label=_("Internal note"),
        max_length=policy.MAX_NOTE,
        required=False,
        widget=_textarea(2),
        help_text=_("Staff only: never sent to the customer."),
    )
    summary = forms.ChoiceField(label=_("Standard text for the customer"), required=False)
    customer_summary = forms.CharField(
        label=_("Summary for the customer"),
        max_length=policy.MAX_CUSTOMER_SUMMARY,
        required=False,
        widget=_textarea(2),
        help_text=_(
            "Required to resolve. The customer will read this: write it, or pick a standard text."
        ),
    )

    def __init__(self, *args, current: str = Status.NEW, canned=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing preselected: a form sent without a choice is an error, never a silent "waiting
        # for the customer" that pauses the clocks.
        self.fields["to"].choices = [("", _("— choose the new status —")), *status_choices(current)]
        self.fields["root_cause"].choices = root_cause_choices()
        self.canned = {str(c.pk): c.text for c in canned}
        self.fields["summary"].choices = [("", _("— write your own —"))] + [
            (str(c.pk), c.title) for c in canned
        ]

    def clean(self):
        data = super().clean()
        text = ""
        if needs_root_cause(data.get("to")):
            if not data.get("root_cause"):
                self.add_error("root_cause", gettext(ROOT_CAUSE_REQUIRED))
            text = (data.get("customer_summary") or "").strip()
            text = text or self.canned.get(data.get("summary") or "", "")
            if not text:
                self.add_error("customer_summary", _("Write or pick what the customer will read."))
        data["customer_summary"] = text
        return data


class ExtendForm(PrefixedForm, forms.Form):
    id_prefix = "extend"
    reason = forms.CharField(
        label=_("Reason for the extension"),
        max_length=policy.MAX_EXTEND_REASON,
        widget=_textarea(2),
        help_text=_("The customer is told."),
    )


class CaseIncidentForm(PrefixedForm, forms.Form):
    id_prefix = "incident"
    incident = forms.ChoiceField(label=_("Incident"))

    def __init__(self, *args, incidents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [("", _("— choose an open incident —"))] + [
            (i.code, f"{i.code} · {i.title}") for i in incidents
        ]


class SubCauseForm(PrefixedForm, forms.Form):
    id_prefix = "subcause"
    sub_cause = forms.ChoiceField(label=_("Sub-cause"), choices=SubCause.choices)


class MergeForm(PrefixedForm, forms.Form):
    id_prefix = "merge"
    into = forms.ChoiceField(
        label=_("Merge this case into"),
        help_text=_("Another case of the same customer; this one is closed as its duplicate."),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [("", _("— choose a case —"))] + [
            (c.reference, f"{c.reference} · {c.subject}") for c in candidates
        ]


class IncidentForm(PrefixedForm, forms.Form):
    id_prefix = "new"
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Letters, digits and hyphens, e.g. cm-outage-1")
    )
    title = forms.CharField(label=_("Title"), max_length=policy.MAX_SUBJECT)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=policy.MAX_MESSAGE, widget=_textarea(3)
    )


def parse_references(text: str) -> list[str]:
    refs = []
    for part in REFERENCE_SPLIT.split(text or ""):
        ref = part.strip().upper()
        if ref and ref not in refs:
            refs.append(ref)
    return refs


class IncidentCasesForm(PrefixedForm, forms.Form):
    id_prefix = "link"
    references = forms.CharField(
        label=_("Case references"),
        widget=_textarea(3),
        help_text=_("One or more, separated by spaces, commas or new lines."),
    )

    def clean_references(self):
        refs = parse_references(self.cleaned_data["references"])
        if not refs:
            raise forms.ValidationError(_("Give at least one case reference."))
        if len(refs) > MAX_BULK:
            raise forms.ValidationError(_("At most %(n)d cases at once.") % {"n": MAX_BULK})
        return refs


class IncidentResolveForm(PrefixedForm, forms.Form):
    id_prefix = "resolve"
    root_cause = forms.ChoiceField(label=_("Root cause"))
    note = forms.CharField(
        label=_("Resolution note"), required=False, max_length=policy.MAX_NOTE, widget=_textarea(2)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].choices = root_cause_choices()


class BulkForm(forms.Form):
    """A bulk action on the ticked cases of a list: claim, assign, change the priority, link to an
    incident, resolve with a reply. The shape only; the service decides per case."""

    action = forms.ChoiceField(
        choices=[
            ("claim", _("Claim")),
            ("assign", _("Assign")),
            ("priority", _("Change priority")),
            ("incident", _("Link to incident")),
            ("resolve", _("Resolve")),
            ("close", _("Close")),
            ("macro", _("Apply a macro")),
        ]
    )
    assignee = forms.CharField(required=False, max_length=150)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", "—"), *Priority.choices]
    )
    incident = forms.CharField(label=_("Incident"), required=False, max_length=40)
    reply = forms.CharField(
        label=_("Reply to each customer"),
        required=False,
        max_length=policy.MAX_MESSAGE,
        widget=_textarea(2),
    )
    root_cause = forms.ChoiceField(label=_("Root cause"), required=False)
    macro = forms.IntegerField(label=_("Macro"), required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].choices = root_cause_choices()
        self.references = [
            r.strip().upper() for r in (self.data.getlist("cases") if self.data else []) if r
        ][:MAX_BULK]

    def clean(self):
        data = super().clean()
        if not self.references:
            raise forms.ValidationError(_("Tick at least one case."))
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose who gets the cases."))
        if action == "priority" and not data.get("priority"):
            self.add_error("priority", _("Choose the new priority."))
        if action == "incident" and not data.get("incident"):
            self.add_error("incident", _("Choose an open incident."))
        if action == "resolve" and not data.get("root_cause"):
            self.add_error("root_cause", gettext(ROOT_CAUSE_REQUIRED))
        if action == "macro" and not data.get("macro"):
            self.add_error("macro", _("Choose a macro."))
        return data
