"""The storage layer: every SQL statement of the bot lives in this package."""

from bot.storage.db import Database

__all__ = ["Database"]
