"""One typed, frozen settings object, read from the environment and an optional `.env` file.

The `BOT_*` names are an interface: other tools, the sandbox and CI set them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.models import Kind

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v25.0"
# The content shipped with the code; a deployment may point BOT_CONTENT_DIR elsewhere.
SHIPPED_CONTENT = Path(__file__).resolve().parent.parent / "content"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class Secret:
    """A string that never shows itself in a repr, a traceback or a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret value; call only where it is sent or used."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class FacebookSettings:
    """The office's Facebook Page and Meta app: Messenger and Page posts (see docs/messenger.md)."""

    page_id: str
    page_token: Secret
    app_secret: Secret  # signs every webhook POST (X-Hub-Signature-256)
    verify_token: Secret  # Meta's webhook subscription check (hub.verify_token)
    graph_url: str = DEFAULT_GRAPH_URL


# Facebook is on when these are set, and all of them are needed (BOT_FB_GRAPH_URL has a
# default and does not count): the token sends, the secret checks what Meta sends, the
# verify token answers Meta's subscription check, the page id names the Page.
FB_REQUIRED = ("BOT_FB_PAGE_ID", "BOT_FB_PAGE_TOKEN", "BOT_FB_APP_SECRET", "BOT_FB_VERIFY_TOKEN")


def _facebook(get: Callable[[str], str | None]) -> FacebookSettings | None:
    """Facebook settings when any required one is set; a partial set names what is missing."""
    given = {name: get(name) for name in FB_REQUIRED}
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise ConfigError(f"Facebook is half configured: {', '.join(missing)} missing "
                          f"(set all of {', '.join(FB_REQUIRED)}, or none)")
    page_id = given["BOT_FB_PAGE_ID"] or ""
    if not page_id.isdigit():
        raise ConfigError(f"BOT_FB_PAGE_ID: {page_id!r} is not a Page id (digits only)")
    graph_url = (get("BOT_FB_GRAPH_URL") or DEFAULT_GRAPH_URL).rstrip("/")
    if not graph_url.startswith(("https://", "http://")):
        raise ConfigError(f"BOT_FB_GRAPH_URL: {graph_url!r} is not an http(s) URL")
    return FacebookSettings(
        page_id=page_id, page_token=Secret(given["BOT_FB_PAGE_TOKEN"] or ""),
        app_secret=Secret(given["BOT_FB_APP_SECRET"] or ""),
        verify_token=Secret(given["BOT_FB_VERIFY_TOKEN"] or ""), graph_url=graph_url)


def _default_deadlines() -> dict[Kind, int]:
    # Mongolia's law on petitions: an answer within 30 days, for every kind.
    return {kind: 30 for kind in Kind}


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    token: Secret = field(default_factory=lambda: Secret(""))
    api_url: str = DEFAULT_API_URL
    data_dir: Path = Path("data")
    content_dir: Path = SHIPPED_CONTENT
    admins: frozenset[int] = frozenset()
    staff_chat: int | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ulaanbaatar"))
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    deadline_days: Mapping[Kind, int] = field(default_factory=_default_deadlines)
    max_extension_days: int = 30
    max_complaints_per_day: int = 5
    max_status_tries: int = 5
    status_window_minutes: int = 15
    draft_idle_minutes: int = 30
    digest_hour: int = 9
    # scrypt cost for receipt hashes: 2**14 takes ~50 ms here; tests lower it.
    receipt_scrypt_n: int = 2**14
    # Telegram's limits for sends: overall per second, and per group or channel per minute.
    send_per_second: float = 30.0
    group_per_minute: float = 20.0
    # Paid broadcasts (`allow_paid_broadcast`): up to 1,000 messages a second, each beyond
    # the free 30 charged in Telegram Stars to the bot's balance. Off unless asked for.
    paid_broadcast: bool = False
    paid_per_second: float = 1000.0
    # No posts to subscribers between these local times (None: any time of day).
    quiet_hours: tuple[dt.time, dt.time] | None = (dt.time(22, 0), dt.time(8, 0))
    # Seconds to wait for Telegram to answer a request before trying again.
    http_timeout: float = 10.0
    log_level: str = "INFO"
    webhook_url: str | None = None
    webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # None: Facebook is off (see FB_REQUIRED).
    facebook: FacebookSettings | None = None

    @property
    def db_path(self) -> Path:
        """Where the SQLite database lives."""
        return self.data_dir / "bot.sqlite3"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read settings; real environment variables win over the `.env` file."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update(parse_env_file(env_file.read_text(encoding="utf-8")))
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from already-merged variables."""

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        kwargs: dict[str, object] = {}
        if (token := get("BOT_TOKEN")) is not None:
            kwargs["token"] = Secret(token)
        if (api := get("BOT_API_URL")) is not None:
            kwargs["api_url"] = api.rstrip("/")
        if (data := get("BOT_DATA_DIR")) is not None:
            kwargs["data_dir"] = Path(data)
        if (content := get("BOT_CONTENT_DIR")) is not None:
            kwargs["content_dir"] = Path(content)
        if (admins := get("BOT_ADMINS")) is not None:
            kwargs["admins"] = frozenset(_int("BOT_ADMINS", a) for a in admins.split(",") if a)
        if (chat := get("BOT_STAFF_CHAT")) is not None:
            kwargs["staff_chat"] = _int("BOT_STAFF_CHAT", chat)
        if (tz := get("BOT_TZ")) is not None:
            try:
                kwargs["tz"] = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ConfigError(f"BOT_TZ: unknown time zone {tz!r}") from exc
        if (key := get("BOT_SECRET_KEY")) is not None:
            kwargs["secret_key"] = Secret(key)
        if (deadlines := get("BOT_DEADLINE_DAYS")) is not None:
            kwargs["deadline_days"] = _deadlines(deadlines)
        for name, attr in _INT_SETTINGS.items():
            if (raw := get(name)) is not None:
                kwargs[attr] = _int(name, raw, minimum=1)
        for name, attr in (("BOT_SEND_PER_SECOND", "send_per_second"),
                           ("BOT_GROUP_PER_MINUTE", "group_per_minute"),
                           ("BOT_HTTP_TIMEOUT", "http_timeout")):
            if (raw := get(name)) is not None:
                kwargs[attr] = float(_int(name, raw, minimum=1))
        if (quiet := get("BOT_QUIET_HOURS")) is not None:
            kwargs["quiet_hours"] = _quiet_hours(quiet)
        if (paid := get("BOT_PAID_BROADCAST")) is not None:
            kwargs["paid_broadcast"] = _bool("BOT_PAID_BROADCAST", paid)
        if (level := get("BOT_LOG_LEVEL")) is not None:
            kwargs["log_level"] = level.upper()
        if (hook := get("BOT_WEBHOOK_URL")) is not None:
            kwargs["webhook_url"] = hook
        if (hook_secret := get("BOT_WEBHOOK_SECRET")) is not None:
            kwargs["webhook_secret"] = Secret(hook_secret)
        if (host := get("BOT_HTTP_HOST")) is not None:
            kwargs["http_host"] = host
        if (port := get("BOT_HTTP_PORT")) is not None:
            kwargs["http_port"] = _int("BOT_HTTP_PORT", port, minimum=1)
        if (facebook := _facebook(get)) is not None:
            kwargs["facebook"] = facebook
        return cls(**kwargs)  # type: ignore[arg-type]

    def deadline_for(self, kind: Kind) -> int:
        """Days the office has to answer a submission of this kind."""
        return self.deadline_days.get(kind, 30)


_INT_SETTINGS = {
    "BOT_MAX_EXTENSION_DAYS": "max_extension_days",
    "BOT_MAX_COMPLAINTS_PER_DAY": "max_complaints_per_day",
    "BOT_MAX_STATUS_TRIES": "max_status_tries",
    "BOT_STATUS_WINDOW_MINUTES": "status_window_minutes",
    "BOT_DRAFT_IDLE_MINUTES": "draft_idle_minutes",
    "BOT_DIGEST_HOUR": "digest_hour",
    "BOT_RECEIPT_SCRYPT_N": "receipt_scrypt_n",
}


def _quiet_hours(raw: str) -> tuple[dt.time, dt.time] | None:
    """Quiet hours from text like `22:00-08:00` (local times), or `off`."""
    if raw.strip().lower() in ("off", "none", "no", "0"):
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError:
        raise ConfigError(f"BOT_QUIET_HOURS: {raw!r} is not like 22:00-08:00 or off") from None
    if start == end:
        raise ConfigError("BOT_QUIET_HOURS: the start and the end are the same time")
    return start, end


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: {raw!r} is not yes or no (use true or false)")


def _int(name: str, raw: str, minimum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from exc
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {value}")
    return value


def _deadlines(raw: str) -> dict[Kind, int]:
    """Parse `complaint=30,suggestion=30,report=15`; kinds not named keep 30."""
    result = _default_deadlines()
    for part in raw.split(","):
        if not part.strip():
            continue
        name, sep, days = part.partition("=")
        if not sep:
            raise ConfigError(f"BOT_DEADLINE_DAYS: expected kind=days, got {part!r}")
        try:
            kind = Kind(name.strip())
        except ValueError as exc:
            choices = ", ".join(k.value for k in Kind)
            raise ConfigError(f"BOT_DEADLINE_DAYS: unknown kind {name!r} ({choices})") from exc
        result[kind] = _int("BOT_DEADLINE_DAYS", days, minimum=1)
    return result


def parse_env_file(text: str) -> dict[str, str]:
    """A small `.env` reader: `NAME=value` lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values
