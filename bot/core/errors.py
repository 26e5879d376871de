"""Named exceptions the adapters turn into polite answers."""


class DomainError(Exception):
    """Base for every refusal the core can give."""


class NotFound(DomainError):
    """No such case, or a receipt that matches nothing (the two look the same to citizens)."""


class NotAuthorized(DomainError):
    """The user lacks the role this action needs."""


class TooManyAttempts(DomainError):
    """A per-user limit was hit; `retry_after` says how long until it resets."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"retry after {retry_after_seconds} s")
        self.retry_after = retry_after_seconds


class InvalidDraft(DomainError):
    """The draft is not complete or breaks a limit; `reason` is a catalog key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidTransition(DomainError):
    """The case cannot move to that status from where it is."""


class DeadlineAlreadyExtended(DomainError):
    """The law allows one extension only."""


class DeadlinePassed(DomainError):
    """A deadline that has already passed cannot be extended."""


class StaffError(DomainError):
    """A staff-management request that cannot be done (e.g. removing the last admin)."""


class KeyMismatch(DomainError):
    """The encryption key does not match the one the database was made with."""
