"""`sla_badge` and `flag_list` (backoffice/templatetags/ui.py) render what the per-row includes
they replaced rendered, byte for byte, in both languages and for every badge state."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from cases.choices import FlagCode
from cases.models import CaseFlag
from casework.views.sla import BADGES, CaseSla

# The two templates as they were before they became filters.
OLD_BADGE = (
    '<span class="badge {{ sla.badge.2 }}"><span aria-hidden="true">{{ sla.badge.0 }}</span> '
    '{{ sla.badge.1 }}</span>{% if sla.remaining %}<span class="remaining">{{ sla.remaining }}'
    "</span>{% endif %}"
)
OLD_FLAGS = (
    '{% load i18n %}{% if flags %}<ul class="flags" aria-label="{% translate \'Risk flags\' %}">'
    '{% for flag in flags %}<li class="flag"><span aria-hidden="true">⚑</span> '
    "{{ flag.get_code_display }}</li>{% endfor %}</ul>{% endif %}"
)


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("state", list(BADGES))
@pytest.mark.parametrize("remaining", ["", "2h 15m <left>"])
def test_sla_badge_renders_as_the_include_did(language, state, remaining):
    sla = CaseSla(state=state, remaining=remaining, due_at=timezone.now() + timedelta(hours=2))
    with translation.override(language):
        new = render("{% load ui %}{{ sla|sla_badge }}", sla=sla)
        assert new == render(OLD_BADGE, sla=sla)
    assert ("remaining" in new) == bool(remaining)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("codes", [[], [FlagCode.CARRIER_MISMATCH], list(FlagCode)[:3]])
def test_flag_list_renders_as_the_include_did(language, codes):
    flags = [CaseFlag(code=code, detail="<b>x</b>") for code in codes]
    with translation.override(language):
        new = render("{% load ui %}{{ flags|flag_list }}", flags=flags)
        assert new == render(OLD_FLAGS, flags=flags)
    assert new.count('<li class="flag">') == len(codes)
