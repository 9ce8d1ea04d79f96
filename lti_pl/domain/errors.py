"""The errors a teacher or student can act on; `web/errors.py` alone maps them to HTTP."""


class DomainError(Exception):
    """Base of every error the domain and services raise on purpose."""


class NotFoundError(DomainError):
    """The thing asked for does not exist, or is not visible to the actor."""


class NotAllowedError(DomainError):
    """The actor may not do this."""


class InvalidInputError(DomainError):
    """The input breaks a rule; the message says which and how to fix it.

    Args:
        message: what is wrong, in the user's words.
        field: the form field it belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(DomainError):
    """The change conflicts with the current state (a duplicate, a stale edit)."""
