"""What the fake Meta knows: the Page, its Messenger profile, files on the CDN, posts, calls."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .delivery import Webhook
from .errors import GraphApiError

if TYPE_CHECKING:
    from .people import FakePerson


@dataclass(frozen=True, slots=True)
class Call:
    """One Graph API request as the fake answered it (the token is never kept)."""

    method: str  # GET, POST, DELETE
    edge: str  # messages, messenger_profile, feed, photos, videos, insights, object
    path: str
    params: dict[str, Any]
    status: int
    result: Any = None
    error: GraphApiError | None = None

    @property
    def ok(self) -> bool:
        """The call succeeded."""
        return self.error is None


@dataclass(slots=True)
class CdnFile:
    """An attachment a person sent, served at its URL (bytes, or ``size`` made-up bytes)."""

    content_type: str
    size: int
    data: bytes | None = None
    downloads: int = 0
    name: str | None = None  # the file name it was uploaded with, if any


@dataclass
class PagePost:
    """A post on the Page, with the figures Meta would report for it."""

    id: str
    kind: str  # status, link, photo, video
    message: str
    created_time: float
    link: str | None = None
    media_id: str | None = None
    media_bytes: int = 0
    # What people did; tests set these. Views are unique people (Meta's "views").
    views: int = 0
    reactions: int = 0
    comments: int = 0
    shares: int = 0


class Clock:
    """The server's clock: the real time plus whatever a test moved it by."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, **delta: float) -> None:
        """Move the clock on, e.g. ``advance(hours=25)``."""
        self.offset += dt.timedelta(**delta).total_seconds()


@dataclass
class World:
    """Shared by the server and the simulated people."""

    page_id: str
    webhook: Webhook
    clock: Clock = field(default_factory=Clock)
    base_url: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    people: dict[str, FakePerson] = field(default_factory=dict)
    cdn: dict[str, CdnFile] = field(default_factory=dict)
    posts: dict[str, PagePost] = field(default_factory=dict)
    videos: dict[str, str] = field(default_factory=dict)  # video id -> post id
    calls: list[Call] = field(default_factory=list)
    page_likes: int = 500
    # Called with each Call answered and each message a person receives (FakeGraph.observe).
    observers: list[Callable[[object], None]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def tell(self, event: object) -> None:
        """Hand ``event`` to every observer (they must not block)."""
        for observer in list(self.observers):
            observer(event)

    def put_file(self, file: CdnFile) -> str:
        """Put a file on the CDN; returns its URL."""
        key = f"{self.next_id()}{secrets.token_hex(8)}"
        self.cdn[key] = file
        return f"{self.base_url}/cdn/{key}"

    def now_ms(self) -> int:
        """The clock in milliseconds, as webhook timestamps are."""
        return int(self.clock() * 1000)

    def next_id(self) -> int:
        """A fresh number for ids of posts, photos, videos, files."""
        return next(self._ids)

    @staticmethod
    def new_mid() -> str:
        """A message id in Meta's style."""
        return "m_" + secrets.token_urlsafe(24)
