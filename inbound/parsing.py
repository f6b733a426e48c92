"""Reading an e-mail (stdlib `email`, policy=default): who sent it, to what address, its case token,
its text (from HTML when it has no plain part, tags stripped, quoted history trimmed), its files,
and whether it is an automatic message we must not answer or act on."""

import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags

# the day's number has six digits, more past the day's 999,999th case (cases.references)
TOKEN = re.compile(r"\bCS-\d{8}-\d{6,12}\b", re.I)
SUBJECT_TOKEN = re.compile(r"\[\s*(CS-\d{8}-\d{6,12})\s*\]", re.I)
BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Our own outgoing mail (`notifications.channels.send_email`): `<…notification-N@DOMAIN>`.
OUR_MESSAGE_ID = re.compile(r"\.notification-\d+@(?P<domain>[^>\s]+)>?$", re.I)
# Where a reply's quoted history starts (clients in English and Chinese).
QUOTE_STARTS = (
    re.compile(r"^On .{0,200} wrote:\s*$", re.I | re.M),
    re.compile(r"^-{2,}\s*(Original Message|原始邮件)\s*-{2,}\s*$", re.I | re.M),
    re.compile(r"^在.{0,200}写道[:：]\s*$", re.M),
    re.compile(r"^(From|发件人)[:：] .*$", re.M),
)


@dataclass
class ParsedMail:
    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    text: str
    received_at: object
    files: list[tuple[str, bytes]] = field(default_factory=list)
    automatic: str = ""  # the reason code when the mail is automatic, a bounce or our own

    @property
    def token(self) -> str:
        """The case reference the mail names: in a recipient's plus-address (cs+CS-…@) first,
        then in `[CS-…]` in the subject; never from other subject text."""
        for address in self.recipients:
            local = address.rsplit("@", 1)[0]
            if "+" in local:
                found = TOKEN.search(local.split("+", 1)[1])
                if found:
                    return found.group(0).upper()
        found = SUBJECT_TOKEN.search(self.subject)
        return found.group(1).upper() if found else ""


def parse(raw: bytes) -> ParsedMail:
    mail: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    sender = parseaddr(_header(mail, "From"))[1].strip()
    recipients = [
        a.strip().lower()
        for _name, a in getaddresses(
            [_header(mail, h) for h in ("To", "Cc", "Delivered-To", "X-Original-To")]
        )
        if a
    ]
    return ParsedMail(
        message_id=_header(mail, "Message-ID").strip(),
        sender=sender,
        recipients=recipients,
        subject=" ".join(_header(mail, "Subject").split())[:255],
        text=_text(mail),
        received_at=_date(mail),
        files=_files(mail),
        automatic=automatic_reason(mail, sender),
    )


def _header(mail, name: str) -> str:
    try:
        value = mail.get(name, "")
    except (ValueError, IndexError, TypeError):  # a header the parser cannot read
        return ""
    return str(value or "")


def _date(mail):
    try:
        value = parsedate_to_datetime(_header(mail, "Date"))
    except (TypeError, ValueError, IndexError):
        value = None
    if value is None or timezone.is_naive(value):
        return timezone.now()
    return value


def automatic_reason(mail, sender: str) -> str:
    """Why the mail is not a person writing to us ("" when it is one)."""
    auto = _header(mail, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto_submitted"
    if _header(mail, "Precedence").strip().lower() in BULK_PRECEDENCE:
        return "precedence"
    if _header(mail, "X-Autoreply") or _header(mail, "X-Autorespond"):
        return "autoreply"
    if _header(mail, "X-Auto-Response-Suppress"):
        return "auto_response_suppress"
    return_path = _header(mail, "Return-Path").strip()
    if not sender or ("Return-Path" in mail and return_path in ("<>", "")):
        return "bounce"
    local = sender.rsplit("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return "bounce"
    if is_ours(_header(mail, "Message-ID")):
        return "loop"
    return ""


def is_ours(message_id: str) -> bool:
    found = OUR_MESSAGE_ID.search(message_id.strip())
    return bool(found) and found.group("domain").lower() == settings.EMAIL_MESSAGE_ID_DOMAIN.lower()


def _text(mail) -> str:
    part = mail.get_body(preferencelist=("plain",))
    text = _content(part) if part is not None else ""
    if not text.strip():
        part = mail.get_body(preferencelist=("html",))
        text = html_to_text(_content(part)) if part is not None else ""
    return trim_quoted(text)


def _content(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset or broken encoding
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    return content if isinstance(content, str) else ""


_BLOCKS = re.compile(r"<\s*(script|style|head)\b.*?<\s*/\s*\1\s*>", re.I | re.S)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.I)
_QUOTES = re.compile(r"<\s*blockquote\b.*?<\s*/\s*blockquote\s*>", re.I | re.S)


def html_to_text(markup: str) -> str:
    """The words of an HTML mail: scripts, styles and quoted blocks dropped, tags stripped,
    entities decoded; never rendered anywhere as HTML."""
    markup = _BLOCKS.sub("", markup)
    markup = _QUOTES.sub("", markup)
    markup = _BREAKS.sub("\n", markup)
    text = html.unescape(strip_tags(markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trim_quoted(text: str) -> str:
    """The new text of a reply: from the first 'On … wrote:' line (or alike) on, and lines quoted
    with '>', are the earlier messages."""
    text = text.replace("\r\n", "\n").replace("\x00", "")
    cut = len(text)
    for pattern in QUOTE_STARTS:
        found = pattern.search(text)
        if found and found.start() > 0:
            cut = min(cut, found.start())
    kept = [line for line in text[:cut].split("\n") if not line.startswith(">")]
    return "\n".join(kept).strip()


def _files(mail) -> list[tuple[str, bytes]]:
    found = []
    for part in mail.iter_attachments():
        if part.is_multipart():
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except (ValueError, TypeError):
            data = b""
        found.append((part.get_filename() or "", data))
    return found
