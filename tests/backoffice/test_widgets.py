"""The Python-rendered widgets write exactly what Django's templates write."""

import pytest
from django import forms

from backoffice.widgets import InlineCheckboxSelectMultiple

CHOICES = [
    ("new", "New"),
    ("in_progress", "In progress"),
    ("odd", 'Tom & "Jerry" <b>'),
    ("Group <1>", [("a", "Alpha"), ("b", "Beta")]),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, None),
        (["new", "b"], {"id": "id_status"}),
        (["odd"], {"id": "id_status", "class": "checks", "data-x": 'q"<'}),
        ([], {"required": True, "disabled": False}),
    ],
)
def test_inline_checkboxes_render_as_djangos_template(value, attrs):
    django_widget = forms.CheckboxSelectMultiple(choices=CHOICES)
    ours = InlineCheckboxSelectMultiple(choices=CHOICES)
    expected = django_widget.render("status", value, attrs=attrs)
    assert ours.render("status", value, attrs=attrs) == expected
    assert "Tom &amp; &quot;Jerry&quot; &lt;b&gt;" in expected


def test_a_bound_field_uses_it():
    class Form(forms.Form):
        status = forms.MultipleChoiceField(
            choices=CHOICES[:3], widget=InlineCheckboxSelectMultiple, required=False
        )

    field = Form({"status": ["in_progress"]})["status"]
    assert 'value="in_progress" id="id_status_1" checked>' in str(field)
