"""Placeholder: being written (see the module's issue)."""

from __future__ import annotations

from bot.tg.access import Access
from bot.tg.common import App


def register(app: App, access: Access) -> None:
    """Nothing yet."""
