"""What a case's file may be (evidence attachments): size and type limits, the content sniffed by
its bytes, and the sender's file name made safe to show. `casework.services.attachments` enforces
these; the workspace's upload form and the API's serializers ask them.

The type is recognised by `puremagic` (a maintained, pure-Python magic-number database: no system
library to install on every machine, the same answer on the SQLite demo and in production), never
by the file name or the content type the client declared. Plain text has no magic number: UTF-8
without control characters counts as text, unless it opens like markup (HTML, SVG, XML), which a
browser could be talked into running.
"""

import re
import unicodedata

import puremagic
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from backoffice.errors import Invalid

# Every type the product can accept, with the file-name extensions that belong to it. Settings
# (`ATTACHMENT_TYPES`) may narrow the list; SVG, HTML and anything else are never accepted.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": (".txt", ".text", ".log"),
}
# Shown inline (previews); everything else is sent as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
LABELS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "application/pdf": "PDF",
    "text/plain": "TXT",
}
UNKNOWN = "application/octet-stream"
# Text that opens like one of these is markup, not plain text (checked on its first kilobyte).
_MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|meta|link|style|a\s)",
    re.I,
)
_SNIFF_BYTES = 64 * 1024  # puremagic reads headers (and a few footers); the start is enough
NAME_MAX = 200


def allowed_types() -> list[str]:
    return [t for t in settings.ATTACHMENT_TYPES if t in EXTENSIONS]


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES


def accept_attribute() -> str:
    """The upload input's `accept` (a hint for the file picker; the server decides)."""
    return ",".join(ext for t in allowed_types() for ext in EXTENSIONS[t])


def label(content_type: str) -> str:
    return LABELS.get(content_type, content_type)


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(
        unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text
    ) and not _MARKUP.search(data[:1024])


def sniff(data: bytes) -> str:
    """The content type the bytes are, by their magic numbers; text/plain for clean UTF-8 text;
    `application/octet-stream` when nothing matches."""
    head = data[:_SNIFF_BYTES]
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        matches = []
    found = next((m.mime_type for m in matches if m.mime_type), None)
    if found in EXTENSIONS and found != "text/plain":
        return found
    if _is_text(data):
        return "text/plain"
    return found or UNKNOWN


def clean_name(name: str, content_type: str) -> str:
    """The sender's file name, fit to show and to put in a header: no folders, no control or
    direction-changing characters, at most 200 characters; `file.<ext>` when nothing is left."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if not name:
        name = "file" + EXTENSIONS.get(content_type, ("",))[0]
    if len(name) > NAME_MAX:
        _stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        name = name[: NAME_MAX - len(ext)] + ext
    return name


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem.strip(". ") else ""


def check(*, name: str, data: bytes, field: str = "file") -> tuple[str, str]:
    """(the name to keep, the sniffed content type), or `Invalid` naming `field`: empty, too big,
    a type that is not accepted, or a name whose extension says another type than the content."""
    limit = max_bytes()
    if not data:
        raise Invalid({field: [_("The file is empty.")]}, code="file_empty")
    if len(data) > limit:
        raise Invalid(
            {
                field: [
                    _("The file is too big: at most %(max)s (this one is %(size)s).")
                    % {"max": filesizeformat(limit), "size": filesizeformat(len(data))}
                ]
            },
            code="file_too_big",
        )
    content_type = sniff(data)
    allowed = allowed_types()
    if content_type not in allowed:
        raise Invalid(
            {
                field: [
                    _("This type of file is not accepted; accepted are: %(types)s.")
                    % {"types": ", ".join(label(t) for t in allowed)}
                ]
            },
            code="file_type_not_allowed",
        )
    extension = _extension(name)
    if extension and extension not in EXTENSIONS[content_type]:
        raise Invalid(
            {
                field: [
                    _("The file's name ends in %(ext)s but its content is %(type)s.")
                    % {"ext": extension, "type": label(content_type)}
                ]
            },
            code="file_extension_mismatch",
        )
    return clean_name(name, content_type), content_type


def too_big_text() -> str:
    return _("The file is too big: at most %(max)s.") % {"max": filesizeformat(max_bytes())}


def max_per_message() -> int:
    return settings.ATTACHMENT_MAX_PER_MESSAGE


def too_many_text() -> str:
    return _("At most %(n)d files with one message.") % {"n": max_per_message()}
