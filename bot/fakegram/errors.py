"""Bot API failures, coded and worded the way Telegram's server answers them."""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    """An unsuccessful answer: ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """Render the error body exactly as Telegram sends it."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    def __repr__(self) -> str:
        return f"BotApiError({self.error_code}, {self.description!r})"


def _tdlib_wording(message: str) -> str:
    """Lower the first letter unless the message is an UPPER_CASE server code, as tdlib does."""
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return message
    return message[:1].lower() + message[1:]


def bad_request(message: str) -> BotApiError:
    """400 with tdlib's capitalisation rule applied, so messages can be written as tdlib does."""
    return BotApiError(400, f"Bad Request: {_tdlib_wording(message)}")


def forbidden(message: str) -> BotApiError:
    """403, used for blocked or deactivated users and chats the bot cannot write to."""
    return BotApiError(403, f"Forbidden: {message}")


def conflict(message: str) -> BotApiError:
    """409, the answer to competing getUpdates calls or polling while a webhook is set."""
    return BotApiError(409, f"Conflict: {message}")


def too_many_requests(retry_after: int) -> BotApiError:
    """429 with ``parameters.retry_after``, which PTB turns into ``RetryAfter``."""
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def unauthorized() -> BotApiError:
    """401, Telegram's answer to a well-formed but wrong token."""
    return BotApiError(401, "Unauthorized")


def not_found() -> BotApiError:
    """404, Telegram's answer to a method name it does not know."""
    return BotApiError(404, "Not Found")


def entity_too_large() -> BotApiError:
    """413, the front end's answer to an upload above the 50 MB bot limit."""
    return BotApiError(413, "Request Entity Too Large")
