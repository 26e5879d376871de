"""Graph API failures in Meta's shape, worded as Meta words them.

The body: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``; the
sources of each code are in docs/messenger.md.
"""

from __future__ import annotations

import secrets
from typing import Any


class GraphApiError(Exception):
    """An error answer of the Graph API; ``to_json`` renders the body Meta sends."""

    def __init__(self, code: int, message: str, *, subcode: int | None = None,
                 kind: str = "OAuthException", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.kind = kind
        self.status = status

    def to_json(self) -> dict[str, Any]:
        """The body, with a fresh ``fbtrace_id`` as every Meta error has."""
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = secrets.token_urlsafe(8)
        return {"error": error}

    def __repr__(self) -> str:
        return f"GraphApiError({self.code}, {self.subcode}, {self.message!r})"


def invalid_token() -> GraphApiError:
    """190: a token Meta cannot parse, or one that expired or was revoked."""
    return GraphApiError(190, "Invalid OAuth access token - Cannot parse access token")


def outside_window() -> GraphApiError:
    """10 / 2018278: sent after the 24-hour window (or a tag's own window) closed."""
    return GraphApiError(10, "(#10) This message is sent outside of allowed window.",
                         subcode=2018278)


def person_unavailable() -> GraphApiError:
    """551 / 1545041: the person blocked the Page, turned its messages off or is gone."""
    return GraphApiError(551, "(#551) This person isn't available right now.", subcode=1545041)


def rate_limited() -> GraphApiError:
    """613: the Page sent faster than the Send API allows."""
    return GraphApiError(613, "(#613) Calls to this api have exceeded the rate limit.")


def no_matching_user() -> GraphApiError:
    """100 / 2018001: no person with that PSID for this Page."""
    return GraphApiError(100, "(#100) No matching user found", subcode=2018001)


def invalid_parameter(detail: str) -> GraphApiError:
    """100: a parameter Meta refuses (too long, too many, missing, of the wrong type)."""
    return GraphApiError(100, f"(#100) {detail}")


def missing_permission(permission: str) -> GraphApiError:
    """200 (230 for messaging): the token lacks a permission the call needs."""
    code = 230 if permission == "pages_messaging" else 200
    return GraphApiError(code, f"(#{code}) Requires {permission} permission to manage the object")


def unknown_path(path: str) -> GraphApiError:
    """Meta's answer to an edge or object it does not know."""
    return GraphApiError(
        100, f"Unsupported post request. Object with ID '{path}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation",
        subcode=33, kind="GraphMethodException")


def insights_unavailable() -> GraphApiError:
    """Insights asked of a Page with fewer than 100 likes (Pages API error codes)."""
    return GraphApiError(2874008, "Facebook Page insights are only available for Pages with "
                         "at least 100 likes.")


def internal(detail: str) -> GraphApiError:
    """1: an unknown error (here: a bug in the fake, which should never happen)."""
    return GraphApiError(1, f"An unknown error has occurred. (fakegraph: {detail})",
                         status=500)
