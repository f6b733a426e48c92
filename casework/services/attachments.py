"""Evidence attachments: a file on a case, uploaded by an agent (the workspace, the API) or sent by
the customer with a message (the intake API; a later channel, e-mail, calls `attach` too).

`attach` is the one writer. The rules are `cases.files` (size, type sniffed from the content,
extension against content) and `cases.permissions.can_attach`; the file goes to Django's default
storage under a random name in the case's folder (`cases.models.messages.attachment_path`), with
its SHA-256, size and sniffed type on the row, and a timeline event. Deleting the row (or the case,
by cascade) removes the file once the deletion commits (`cases.apps`).
"""

import hashlib
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.errors import Forbidden, Invalid
from cases import files, permissions, policy
from cases.choices import AttachmentSource, EventType
from cases.events import audit_case, record_event
from cases.models import Attachment, Case, Message

logger = logging.getLogger(__name__)

STAFF_SOURCES = (AttachmentSource.WORKSPACE, AttachmentSource.API)


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it: the sender's name and the bytes (e.g. the API's base64)."""

    name: str
    data: bytes


def read_upload(file, *, field: str = "file") -> IncomingFile:
    """The bytes of an uploaded file (Django's `UploadedFile`, a `File`, or an `IncomingFile`),
    read no further than one byte past the limit: a file whose size is known to be too big is
    refused unread."""
    if isinstance(file, IncomingFile):
        return file
    limit = files.max_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise Invalid({field: [files.too_big_text()]}, code="file_too_big")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    return IncomingFile(name=getattr(file, "name", "") or "", data=bytes(data or b""))


def check_files(items, *, field: str) -> list[tuple[str, str]]:
    """Check several files before anything is written: `field` with each file's index."""
    if len(items) > files.max_per_message():
        raise Invalid({field: [files.too_many_text()]}, code="too_many_files")
    return [
        files.check(name=item.name, data=item.data, field=f"{field}.{i}")
        for i, item in enumerate(items)
    ]


def _store(*, case: Case, message, source, actor, name: str, content_type: str, data: bytes):
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        case=case,
        message=message,
        source=source,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
    )
    attachment.file.save("upload", ContentFile(data), save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)  # no file without its row
        raise
    record_event(
        case=case,
        type=EventType.ATTACHMENT_ADDED,
        actor=actor,
        payload={
            "attachment_id": attachment.pk,
            "name": name,
            "size": len(data),
            "content_type": content_type,
            "source": source,
            **({"message": message.pk} if message is not None else {}),
        },
    )
    audit_case(
        actor=actor,
        action="case.attachment",
        case=case,
        payload={"attachment_id": attachment.pk, "sha256": digest, "source": source},
    )
    return attachment


def _allow(*, actor, case: Case, message, source) -> None:
    if actor is None:
        # The system itself (a mail channel): only for what the customer sent.
        if source in STAFF_SOURCES:
            raise Forbidden(_("An upload needs the agent who makes it."))
        return
    permissions.require(permissions.can_attach(actor, case, message))


@transaction.atomic
def attach(
    *,
    case: Case,
    file,
    source: str,
    actor,
    message: Message | None = None,
    field: str = "file",
) -> Attachment:
    """Store one file on the case (and on `message`, when it came with one).

    Refused with `Invalid` naming `field`: an empty file, one over `ATTACHMENT_MAX_BYTES`, a type
    not in `ATTACHMENT_TYPES` (by its content), a name whose extension says another type.
    An agent's upload needs a case that still takes replies (409 `case_closed` otherwise)."""
    case = Case.objects.select_for_update(no_key=True).get(pk=case.pk)
    if message is not None and message.case_id != case.pk:
        raise Invalid({field: [_("The message belongs to another case.")]})
    _allow(actor=actor, case=case, message=message, source=source)
    if source in STAFF_SOURCES and message is None:
        policy.ensure_accepts_replies(case)
    incoming = read_upload(file, field=field)
    name, content_type = files.check(name=incoming.name, data=incoming.data, field=field)
    return _store(
        case=case,
        message=message,
        source=source,
        actor=actor,
        name=name,
        content_type=content_type,
        data=incoming.data,
    )


def attach_to_message(*, message: Message, items, source: str, actor) -> list[Attachment]:
    """The files that came with a message, each checked before any is stored (in the caller's
    transaction); errors name `attachments.<index>`."""
    incoming = [read_upload(item, field=f"attachments.{i}") for i, item in enumerate(items)]
    check_files(incoming, field="attachments")
    return [
        attach(
            case=message.case,
            file=item,
            source=source,
            actor=actor,
            message=message,
            field=f"attachments.{i}",
        )
        for i, item in enumerate(incoming)
    ]
