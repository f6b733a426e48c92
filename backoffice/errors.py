"""Domain errors raised by services; the API and the screens turn them into 400/403/404/409."""


class DomainError(Exception):
    status = 400
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class Invalid(DomainError):
    """Bad input: `errors` maps each bad field to its messages (DRF's shape)."""

    status = 400
    default_code = "invalid"

    def __init__(self, errors: dict, *, code: str | None = None):
        self.errors = {k: v if isinstance(v, list | dict) else [v] for k, v in errors.items()}
        super().__init__(" ".join(_messages(self.errors)), code=code)


def _messages(errors) -> list[str]:
    """The messages of a field-error structure, without the field names: a screen shows them
    to a person, in words (the API answers with the structure itself)."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


class Forbidden(DomainError):
    status = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The current state does not allow the action (or someone else took it first)."""

    status = 409
    default_code = "conflict"
