"""A risk flag's evidence, in the reader's language.

A flag is raised once (at intake, on the order feed) and read for years by agents in Chinese or
English, so its `detail` keeps the facts, not a sentence: `{"t": kind, …facts}` as compact JSON,
and `detail_text` writes the sentence when it is shown (the workspace, the timeline, the API, the
admin). Details written before this (plain English sentences) are shown as they are.
"""

import json
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from cases.choices import Carrier

REGULATOR = "regulator"
CARRIER = "carrier"
AMOUNT_EDITED = "amount_edited"
CEILING = "ceiling"
MEDIAN = "median"
WATCHED_IP = "watched_ip"
REPEAT = "repeat"
BURST = "burst"

SENTENCES = {
    REGULATOR: gettext_noop("Referred by the regulator"),
    CARRIER: gettext_noop(
        "Declared %(declared)s, number prefix says %(looked_up)s (a hint: the number may have "
        "been ported)"
    ),
    AMOUNT_EDITED: gettext_noop(
        "Amount edited %(edits)s times before paying (rule: more than %(threshold)s)"
    ),
    CEILING: gettext_noop("Paid %(amount)s %(currency)s, above the ceiling of %(ceiling)s"),
    MEDIAN: gettext_noop(
        "Paid %(amount)s %(currency)s, %(ratio)s× the median %(median)s of the customer's last "
        "%(orders)s orders (rule: above %(factor)s×)"
    ),
    WATCHED_IP: gettext_noop(
        "The order came from %(ip)s, on the watch list: %(failures)s failed top-ups between "
        "%(start)s and %(end)s"
    ),
    REPEAT: gettext_noop(
        "Case number %(count)s of this customer within %(within)s (earlier: %(earlier)s)"
    ),
    BURST: gettext_noop("%(failures)s failed top-ups from %(ip)s between %(start)s and %(end)s"),
}


def detail(kind: str, **facts) -> str:
    """The stored form of a flag's evidence (at most 500 characters: the column's size)."""
    assert kind in SENTENCES, kind
    text = json.dumps({"t": kind, **facts}, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(text) > 500 and "earlier" in facts:  # the repeat rule's list of references
        return detail(kind, **{**facts, "earlier": facts["earlier"][:3], "more": True})
    return text


def detail_text(stored: str) -> str:
    """The sentence for a stored detail, in the active language."""
    if not stored or not stored.startswith("{"):
        return stored or ""
    try:
        facts = json.loads(stored)
        kind = facts.pop("t")
        return gettext(SENTENCES[kind]) % _shown(kind, facts)
    except (ValueError, KeyError, TypeError, AttributeError):
        return stored


def _shown(kind: str, facts: dict) -> dict:
    shown = dict(facts)
    for key in ("declared", "looked_up"):
        if key in facts:
            shown[key] = _label(Carrier, facts[key])
    if "start" in facts:
        start, end = _moment(facts["start"]), _moment(facts["end"])
        same_day = start.date() == end.date()
        shown["start"] = start.strftime("%Y-%m-%d %H:%M")
        shown["end"] = end.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M")
    if kind == REPEAT:
        shown["within"] = _within(int(facts["window_minutes"]))
        shown["earlier"] = gettext(", ").join(facts.get("earlier", [])) + (
            ", …" if facts.get("more") else ""
        )
    return shown


def _within(minutes: int) -> str:
    if minutes >= 24 * 60 and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _moment(value: str) -> datetime:
    return timezone.localtime(datetime.fromisoformat(value))


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)
