"""Domain errors raised by services and turned into messages by views and the API."""


class DomainError(Exception):
    """A rule refused the request; `code` is stable for the API."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """One or more fields are invalid; `fields` maps field name to message."""

    code = "validation"

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class NotFound(DomainError):
    """The object does not exist, or is not the caller's to see."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request clashes with the current state (a closed period, a taken email)."""

    code = "conflict"
    status = 409
