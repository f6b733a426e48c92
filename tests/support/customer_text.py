"""Customer messages end with the link to the case's status page (portal, issue 25)."""

import re

LINK_LINE = re.compile(
    r"\n(查看进度、补充材料：|Status and evidence: )http\S+/c/[A-Za-z0-9_-]{22}/$"
)


def without_status_link(text: str) -> str:
    """`text` without its status link line, which it must have."""
    assert LINK_LINE.search(text), text
    return LINK_LINE.sub("", text)
