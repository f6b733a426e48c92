"""Log scrubbing: no customer phone number, API token or password leaves the process in a log line.

`ScrubFilter` is attached to every handler in `settings.LOGGING`. It masks, in the message, its
arguments, extra attributes (e.g. Django's `sql`/`params`) and the formatted traceback:

- mainland-China mobile numbers (`+8613912345678`, `8613912345678`, `13912345678`,
  `139 1234 5678`) → `+86 139****5678`, the shape `cases.phones.mask_phone` shows on screens;
- API tokens: `Token <40 hex>` → `Token ****`, and any bare 40-hex value → `****`;
- password-like key/value pairs (`password=…`, `"password": "…"`, `'new_password1': ['…']`,
  `secret: …`, `api_key=…`) → the value becomes `****`.

The phone mask is written out here rather than imported from `cases.phones`: `backoffice` never
imports `cases` (STYLE.md rule 1) and logging is configured before the apps load. The unit tests pin
that both give the same text.
"""

import logging
import re

MASK = "****"

_PASSWORD_KEY = r"[\w.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key)[\w.-]*"  # noqa: S105 (a pattern of key names, not a password)
_PASSWORD_PAIR = re.compile(
    r"(?P<key>(?P<kq>[\"']?)\b" + _PASSWORD_KEY + r"(?P=kq))"
    r"(?P<sep>\s*[:=]\s*)"
    r"(?P<value>\[[^\]]*\]|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s&,;)}\]\"']+)",
    re.IGNORECASE,
)
_TOKEN_HEADER = re.compile(r"\b(Token|Bearer)\s+[0-9a-fA-F]{40}(?![0-9a-fA-F])")
_BARE_TOKEN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{40}(?![0-9a-fA-F])")
_CN_MOBILE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[ -]?)?(?P<head>1[3-9]\d)[ -]?\d{4}[ -]?(?P<tail>\d{4})(?!\d)"
)

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


def _mask_value(match: re.Match) -> str:
    value = match.group("value")
    if value.startswith("["):
        masked = f"['{MASK}']"
    elif value[0] in "\"'":
        masked = f"{value[0]}{MASK}{value[0]}"
    else:
        masked = MASK
    return f"{match.group('key')}{match.group('sep')}{masked}"


def scrub_text(text: str) -> str:
    """The text with passwords, tokens and Chinese mobile numbers masked (idempotent)."""
    text = _PASSWORD_PAIR.sub(_mask_value, text)
    text = _TOKEN_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _BARE_TOKEN.sub(MASK, text)
    return _CN_MOBILE.sub(lambda m: f"+86 {m.group('head')}****{m.group('tail')}", text)


def scrub_value(value):
    """Strings scrubbed, containers rebuilt with their strings scrubbed, anything else as it is."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "replace"))
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(item) for item in value)
    return value


class ScrubFilter(logging.Filter):
    """Masks secrets on the record in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_scrubbed", False):
            return True
        self._scrub_message(record)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_ATTRS and not name.startswith("_"):
                setattr(record, name, scrub_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        record._scrubbed = True
        return True

    @staticmethod
    def _scrub_message(record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: scrub each part instead
            record.msg = scrub_value(str(record.msg))
            record.args = scrub_value(record.args)
            return
        scrubbed = scrub_text(message)
        if scrubbed != message:
            # The arguments are folded into the message: an object's `str()` may hold the secret.
            record.msg, record.args = scrubbed, ()
