"""A stored file goes with its row: when an `Attachment` row is deleted (by itself, or with its case
or message by cascade), its file is removed from storage once the deletion commits; a deletion
rolled back leaves the file in place."""

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def _remove(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        # Left for the retention job's sweep of files without a row (docs/operations.md).
        logger.warning("attachment file not removed", extra={"file": name})


def remove_file_on_commit(sender, instance, using, **kwargs) -> None:
    if instance.file and instance.file.name:
        transaction.on_commit(partial(_remove, instance.file.storage, instance.file.name), using)
