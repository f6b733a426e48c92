"""A blank form field's HTML, rendered once per process and reused.

Django renders a field through four or five templates (the field group, the label, the widget and,
for a select, one template per option): on the case workspace, whose side panel offers up to ten
blank action forms, that was a quarter of the page's time. A field of an unbound form is a
function of its definition alone, so its HTML is kept under a digest of everything that goes
into it: the form class, prefix and id pattern, the field's name, label, help text, required and
disabled, the widget's class, attributes and choices, the initial value, and the active language.
Another queue's agents, a new macro, an edited label or another language is another key: nothing
to invalidate. A bound form, or one with errors, is rendered each time.

The cache is per process and bounded (least recently used out first)."""

import hashlib
import threading
from collections import OrderedDict

from django.utils.translation import get_language

MAX_ENTRIES = 2048

_html: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def _text(value) -> str:
    """Choices, initial values and lazy texts as text (choices may be nested in groups)."""
    if isinstance(value, list | tuple):
        return "(" + ",".join(_text(v) for v in value) + ")"
    return f"{type(value).__name__}:{value}"


def _key(bound) -> str:
    form, field = bound.form, bound.field
    widget = field.widget
    parts = [
        type(form).__module__,
        type(form).__qualname__,
        form.prefix or "",
        str(form.auto_id),
        form.label_suffix or "",
        str(form.use_required_attribute),
        bound.html_name,
        bound.auto_id or "",
        str(bound.label),
        str(bound.help_text),
        str(field.required),
        str(field.disabled),
        str(getattr(field, "template_name", "")),
        type(widget).__module__,
        type(widget).__qualname__,
        _text(sorted(widget.attrs.items())),
        _text(list(getattr(widget, "choices", ()))),
        _text(bound.value()),
        get_language() or "",
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def field_group(bound) -> str:
    """`bound.as_field_group()`, from the cache when the form is blank."""
    if bound.form.is_bound or bound.errors:
        return bound.as_field_group()
    key = _key(bound)
    with _lock:
        html = _html.get(key)
        if html is not None:
            _html.move_to_end(key)
            return html
    html = bound.as_field_group()
    with _lock:
        _html[key] = html
        while len(_html) > MAX_ENTRIES:
            _html.popitem(last=False)
    return html


def clear() -> None:
    with _lock:
        _html.clear()
