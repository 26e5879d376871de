"""Access checks, once, where handlers are registered (the core checks again)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, filters

from bot.core.models import Role
from bot.core.staff import ADMIN_ROLES, CASE_ROLES, POST_ROLES
from bot.tg.common import Ctx, Services


class StaffFilter(filters.UpdateFilter):
    """Passes updates from staff with one of `roles`, in a private chat with the bot.

    Reads the in-memory copy of the staff table (`Services.staff`), refreshed whenever an
    admin changes staff; the core re-checks the database on every action.
    """

    def __init__(self, services: dict[str, Services], roles: frozenset[Role]) -> None:
        super().__init__(name=f"StaffFilter({sorted(roles)})")
        self._services = services
        self._roles = roles

    def filter(self, update: Update) -> bool:
        """Whether the sender is staff with a fitting role, writing privately."""
        user, chat = update.effective_user, update.effective_chat
        svc = self._services.get("svc")
        if user is None or chat is None or chat.type != chat.PRIVATE or svc is None:
            return False
        return svc.staff.get(user.id) in self._roles


class StaffCallbackHandler(CallbackQueryHandler[Ctx, Any]):
    """A button handler that only staff with the right role reach.

    PTB's CallbackQueryHandler takes no filters; this is the same check as `StaffFilter`.
    """

    def __init__(self, callback: Any, pattern: str, staff_filter: StaffFilter) -> None:
        super().__init__(callback, pattern=pattern)
        self._staff = staff_filter

    def check_update(self, update: object) -> Any:
        """Match the pattern only for staff."""
        # filter(), not check_update(): the base check accepts only message updates.
        if not isinstance(update, Update) or not self._staff.filter(update):
            return None
        return super().check_update(update)


class Access:
    """The filters the staff modules register with."""

    def __init__(self, services: dict[str, Services]) -> None:
        self.officer = StaffFilter(services, CASE_ROLES)
        self.admin = StaffFilter(services, ADMIN_ROLES)
        self.poster = StaffFilter(services, POST_ROLES)  # outreach: /post, /posts, /qr
        self.any_staff = StaffFilter(services, frozenset(Role))
