"""Who may correct a case's regulatory codes, and what closing a case needs of them."""

from cases import permissions

MAX_REASON = 500


def may_correct(user, case) -> bool:
    """A supervisor of the case's queue (agents see the codes, they do not change them)."""
    return permissions.can_supervise_case(user, case)
