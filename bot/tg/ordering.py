"""Updates from different people run concurrently; one person's updates run in order.

PTB processes updates one at a time by default, so one slow send (a 429 wait, a large
upload) makes everyone wait. Fully concurrent processing would let two quick presses of the
same person race through their conversation. This processor gives each person (each chat
for anonymous updates) a lock, and bounds the work running at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB holds its semaphore while we wait for a person's lock, so its bound must not be what
# limits the work: a flooding person would fill every slot. Ours is applied inside.
_PTB_SLOTS = 100_000


class PerPersonOrder(BaseUpdateProcessor):
    """A lock per person, and at most `max_running` handlers running at once."""

    def __init__(self, max_running: int = 32) -> None:
        super().__init__(_PTB_SLOTS)
        self._running = asyncio.BoundedSemaphore(max_running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this person's earlier updates, then for a free slot, then run."""
        key = _person(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            # Keep memory flat: forget a person's lock once nobody waits on it.
            self._holders[key] -= 1
            if self._holders[key] == 0:
                del self._holders[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _person(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
