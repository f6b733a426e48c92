"""A case's file as an HTTP response, the same for the workspace and the API: the sniffed type,
never sniffed again by the browser, shown inline only when it is a raster image, in a sandbox that
runs nothing, under the sender's file name made safe for the header (RFC 6266 / RFC 5987)."""

from urllib.parse import quote

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from cases.files import clean_name
from cases.models import Attachment

# Nothing in a served file may run, load or be framed: an HTML or SVG payload that slipped past the
# sniffer would still be inert.
SANDBOX_CSP = "default-src 'none'; sandbox"


def content_disposition(kind: str, name: str) -> str:
    """`kind; filename="ascii fallback"; filename*=UTF-8''percent-encoded`: no quote, backslash,
    semicolon, control character or non-ASCII character in the quoted form."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in name)
    return f"{kind}; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(attachment: Attachment, *, download: bool = False) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("The file is no longer stored.")) from exc
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = FileResponse(handle, content_type=content_type)
    inline = attachment.is_image and not download
    name = clean_name(attachment.original_name, attachment.content_type)
    response["Content-Disposition"] = content_disposition(
        "inline" if inline else "attachment", name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, max-age=300"
    response["ETag"] = f'"{attachment.sha256}"'
    return response
