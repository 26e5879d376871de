"""The domain's value types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a citizen drops into the box."""

    COMPLAINT = "complaint"  # гомдол
    SUGGESTION = "suggestion"  # санал
    REPORT = "report"  # мэдээлэл: a report of a corruption case


class Status(StrEnum):
    """Where a case stands; see `TRANSITIONS` for the allowed moves."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    ANSWERED = "answered"
    FORWARDED = "forwarded"
    REJECTED = "rejected"
    CLOSED = "closed"


# Open cases run against their deadline; the others have been dealt with.
OPEN_STATUSES = frozenset({Status.RECEIVED, Status.IN_REVIEW})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset(
        {Status.IN_REVIEW, Status.ANSWERED, Status.FORWARDED, Status.REJECTED}
    ),
    Status.IN_REVIEW: frozenset({Status.ANSWERED, Status.FORWARDED, Status.REJECTED}),
    Status.ANSWERED: frozenset({Status.CLOSED, Status.IN_REVIEW}),
    Status.FORWARDED: frozenset({Status.CLOSED, Status.IN_REVIEW}),
    Status.REJECTED: frozenset({Status.CLOSED, Status.IN_REVIEW}),
    Status.CLOSED: frozenset({Status.IN_REVIEW}),
}

# These moves need a reason the citizen will read (whom it went to, why it was refused).
NEEDS_REASON = frozenset({Status.FORWARDED, Status.REJECTED})


class Role(StrEnum):
    """Staff roles, from most to least powerful."""

    ADMIN = "admin"
    OFFICER = "officer"
    EDITOR = "editor"
    VIEWER = "viewer"


class AttachmentKind(StrEnum):
    """The kinds of file a citizen may attach."""

    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    VIDEO = "video"


class Author(StrEnum):
    """Who wrote a line of a case's thread."""

    CITIZEN = "citizen"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class Citizen:
    """A person on a channel as the adapter knows them; only ever stored as a keyed hash."""

    channel: str
    user_ref: str

    @property
    def ref(self) -> str:
        """`channel:user`, the value every keyed hash of this person is made from."""
        return f"{self.channel}:{self.user_ref}"


@dataclass(frozen=True)
class AttachmentRef:
    """A file already stored, encrypted, in the file store."""

    blob: str
    kind: AttachmentKind
    size: int
    mime: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class Identity:
    """Name and phone of a citizen who chose to file a named petition."""

    name: str
    phone: str


@dataclass
class Draft:
    """A submission being written; kept encrypted until it is sent or expires."""

    step: str = "kind"
    kind: Kind | None = None
    org_code: str | None = None
    texts: list[str] = field(default_factory=list)
    attachments: list[AttachmentRef] = field(default_factory=list)
    named: bool = False
    name: str | None = None
    phone: str | None = None
    lang: str = "mn"
    # Set once the complaint is stored, until the citizen has seen the receipt.
    receipt: str | None = None
    complaint_id: int | None = None

    @property
    def text(self) -> str:
        """The description as the office will read it."""
        return "\n\n".join(self.texts)

    @property
    def text_length(self) -> int:
        """Characters of description so far, as the limits count them."""
        return len(self.text)

    @property
    def identity(self) -> Identity | None:
        """The identity, when the citizen chose to be named and gave both parts."""
        if self.named and self.name and self.phone:
            return Identity(self.name, self.phone)
        return None


@dataclass(frozen=True)
class Receipt:
    """What the citizen keeps: 16 random digits, the only key to the case."""

    digits: str
    complaint_id: int
    due_on: dt.date

    @property
    def display(self) -> str:
        """`1234 5678 9012 3456`, easy to copy from a phone and to read aloud."""
        return format_receipt(self.digits)


def format_receipt(digits: str) -> str:
    """Group 16 digits in fours."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


@dataclass(frozen=True)
class ThreadEntry:
    """One line of a case's conversation."""

    author: Author
    body: str
    created_on: dt.date
    internal: bool = False
    staff_id: int | None = None
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True)
class CitizenView:
    """What `/status` shows the holder of a receipt."""

    complaint_id: int
    kind: Kind
    org_code: str | None
    received_on: dt.date
    due_on: dt.date
    status: Status
    extended: bool
    thread: tuple[ThreadEntry, ...]


@dataclass(frozen=True)
class CaseSummary:
    """One line of the staff inbox: no content, no identity."""

    complaint_id: int
    kind: Kind
    org_code: str | None
    status: Status
    received_on: dt.date
    due_on: dt.date
    assignee_id: int | None
    named: bool
    attachments: int


@dataclass(frozen=True)
class CaseView:
    """Everything an officer sees when opening a case."""

    summary: CaseSummary
    text: str
    identity: Identity | None
    attachments: tuple[AttachmentRef, ...]
    thread: tuple[ThreadEntry, ...]
    status_reason: str | None
    extension_reason: str | None
    extended: bool


@dataclass(frozen=True)
class NoticeTarget:
    """Where to send a content-free "there is news" notice; decrypted, used once."""

    channel: str
    chat_id: str
    lang: str


@dataclass(frozen=True)
class StaffMember:
    """A member of staff and what they may do."""

    user_id: int
    role: Role
    name: str | None
    added_by: int | None
    added_at: dt.datetime


@dataclass(frozen=True)
class AuditEntry:
    """One append-only line of the audit log."""

    at: dt.datetime
    staff_id: int
    action: str
    complaint_id: int | None
    detail: str | None


@dataclass(frozen=True)
class Digest:
    """The morning list for the staff group: overdue and soon-due open cases."""

    today: dt.date
    overdue: tuple[CaseSummary, ...]
    due_soon: tuple[CaseSummary, ...]
    open_total: int
