"""What every core function works over: the database, the vault, the file store, the rules."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from bot.config import Settings
from bot.core.crypto import Vault, load_master_key
from bot.core.errors import KeyMismatch
from bot.core.files import FileStore
from bot.core.models import Role
from bot.storage import Database
from bot.storage import queries as q

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backend:
    """The bot's state and rules, passed to every core function."""

    db: Database
    vault: Vault
    files: FileStore
    settings: Settings

    def local_date(self, now: dt.datetime) -> dt.date:
        """The calendar date in the office's time zone."""
        return now.astimezone(self.settings.tz).date()

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


async def open_backend(settings: Settings, now: dt.datetime) -> Backend:
    """Open the data folder: key, database, migrations, the configured admins."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    master = load_master_key(settings.data_dir, settings.secret_key.get() or None)
    vault = Vault(master, scrypt_n=settings.receipt_scrypt_n)
    db = await Database.open(settings.db_path)
    try:
        await db.migrate(now)
        await _check_key(db, vault)
        await seed_admins(db, settings.admins, now)
    except BaseException:
        await db.close()
        raise
    return Backend(db=db, vault=vault, files=FileStore(settings.data_dir / "files", vault),
                   settings=settings)


async def _check_key(db: Database, vault: Vault) -> None:
    """Refuse to run with a key other than the one the data was written with."""
    async with db.tx() as conn:
        stored = await q.get_meta(conn, "key_check")
        if stored is None:
            await q.set_meta(conn, "key_check", vault.key_check())
        elif stored != vault.key_check():
            raise KeyMismatch(
                "the secret key does not match this database; restore the original key"
            )


async def seed_admins(db: Database, admins: frozenset[int], now: dt.datetime) -> None:
    """`BOT_ADMINS` are admins from the start, whatever the database says."""
    async with db.tx() as conn:
        for user_id in sorted(admins):
            await q.upsert_staff(
                conn, user_id=user_id, role=Role.ADMIN, name=None, added_by=None,
                added_at=now.isoformat(),
            )


async def record_event(
    b: Backend, name: str, now: dt.datetime, *, channel: str = "telegram",
    precision: Literal["hour", "day"] = "hour", **dims: Any,
) -> None:
    """Append a statistics event. Never raises: a statistic must not break a user's flow.

    Times are coarsened (to the hour, or the day for anything about a complaint), so the
    events table cannot re-time a submission whose own date is kept to the day.
    """
    at = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    if precision == "day":
        at = at.replace(hour=0)
    try:
        async with b.db.tx() as conn:
            await q.insert_event(
                conn, at=at.isoformat(), day=b.local_date(now).isoformat(), name=name,
                channel=channel, dims=json.dumps(dims, sort_keys=True, ensure_ascii=False),
            )
    except Exception:
        log.exception("could not record event %s", name)
