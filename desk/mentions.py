"""`@username` mentions in an internal note.

A mention is `@` followed by a user name's characters (ASCII letters, digits and `_ . + - @`, as
the staff user names are made), not preceded by one, so an e-mail address (`li@x.cn`) mentions
nobody while Chinese text around it (`请@li.wei看一下`) needs no spaces. A trailing dot or hyphen
is punctuation. The scan is one linear regular
expression over a bounded text, and at most `LIMIT` distinct names count."""

import re

MENTION = re.compile(r"(?<![A-Za-z0-9_@.+-])@([A-Za-z0-9_.+@-]{1,150})")
LIMIT = 20
TRAILING = ".-@+"


def mentioned_usernames(text: str) -> list[str]:
    """The distinct user names mentioned in `text`, in order of first mention (at most LIMIT)."""
    found: list[str] = []
    for match in MENTION.finditer(text or ""):
        name = match.group(1).rstrip(TRAILING)
        if name and name not in found:
            found.append(name)
            if len(found) == LIMIT:
                break
    return found
