"""Placeholder: being written (see the module's issue)."""

from __future__ import annotations

from bot.tg.common import App


def register(app: App) -> None:
    """Nothing yet."""
