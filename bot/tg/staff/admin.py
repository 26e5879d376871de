"""Admins: `/staff` to list, add and remove staff, `/audit` to read the audit log."""

from __future__ import annotations

import contextlib

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.core import staff
from bot.core.errors import DomainError, StaffError
from bot.core.models import Role
from bot.i18n import t
from bot.tg.access import Access
from bot.tg.common import App, Ctx, esc, lang_of, reply, reply_long
from bot.tg.staff.cases import refuse

# Staff see their commands in Telegram's menu; citizens never see these.
_OUTREACH = ("post", "posts", "log", "qr", "sources", "survey")
_FIGURES = ("stats", "export", "report")
STAFF_COMMANDS = {
    Role.ADMIN: ("inbox", "case", *_OUTREACH, *_FIGURES, "chats", "staff", "audit", "cancel"),
    Role.OFFICER: ("inbox", "case", *_OUTREACH, *_FIGURES, "cancel"),
    Role.EDITOR: (*_OUTREACH, *_FIGURES, "cancel"),
    Role.VIEWER: (*_FIGURES, "cancel"),
}
ALL_STAFF_COMMANDS = ("inbox", "case", "staff", "audit", "chats")


async def refresh_staff(ctx: Ctx) -> None:
    """Reload the access filters' copy of the staff table, and their command menus."""
    svc = ctx.svc
    before = dict(svc.staff)
    svc.staff = await staff.staff_ids(svc.backend)
    for user_id, role in svc.staff.items():
        if before.get(user_id) != role:
            await set_staff_commands(ctx, user_id, role)


async def set_staff_commands(ctx: Ctx, user_id: int, role: Role) -> None:
    """Show this staff member their commands (in their private chat only)."""
    commands = [BotCommand(c, t("mn", f"command.{c}")) for c in STAFF_COMMANDS[role]]
    # Fails if the person has not opened the bot yet; their menu is set at the next start.
    with contextlib.suppress(TelegramError):
        await ctx.bot.set_my_commands(commands, scope=BotCommandScopeChat(user_id))


async def staff_command(update: Update, ctx: Ctx) -> None:
    """`/staff`, `/staff add <id> <role> [name]`, `/staff remove <id>`."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    assert update.effective_user is not None
    admin_id = update.effective_user.id
    args = ctx.args or []
    try:
        if not args:
            members = await staff.list_staff(svc.backend, admin_id)
            lines = [t(lang, "staff.list_header")]
            lines += [t(lang, "staff.list_line", id=m.user_id, role=t(lang, f"role.{m.role.value}"),
                        name=esc(m.name or "")) for m in members]
            await reply_long(update, [*lines, "", t(lang, "staff.usage")], sep="\n")
            return
        if args[0] == "add" and len(args) >= 3 and args[1].isdigit() and args[2] in set(Role):
            name = " ".join(args[3:]) or None
            await staff.add_staff(svc.backend, admin_id, int(args[1]), Role(args[2]), svc.now(),
                                  name)
            await refresh_staff(ctx)
            await reply(update, t(lang, "staff.added", id=args[1],
                                  role=t(lang, f"role.{args[2]}")))
            return
        if args[0] == "remove" and len(args) == 2 and args[1].isdigit():
            await staff.remove_staff(svc.backend, admin_id, int(args[1]), svc.now())
            await refresh_staff(ctx)
            with contextlib.suppress(TelegramError):
                await ctx.bot.delete_my_commands(scope=BotCommandScopeChat(int(args[1])))
            await reply(update, t(lang, "staff.removed", id=args[1]))
            return
    except StaffError as exc:
        await reply(update, t(lang, f"staff.error.{exc}"))
        return
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    await reply(update, t(lang, "staff.usage"))


async def audit_command(update: Update, ctx: Ctx) -> None:
    """`/audit [case]`: the newest audit entries."""
    lang = await lang_of(update, ctx)
    svc = ctx.svc
    assert update.effective_user is not None
    arg = (ctx.args or [""])[0].lstrip("№#")
    try:
        entries = await staff.read_audit(svc.backend, update.effective_user.id, svc.now(),
                                         complaint_id=int(arg) if arg.isdigit() else None)
    except DomainError as exc:
        await refuse(update, ctx, exc)
        return
    tz = svc.settings.tz
    lines = [t(lang, "audit.header")]
    lines += [
        t(lang, "audit.line", at=e.at.astimezone(tz).strftime("%Y.%m.%d %H:%M"),
          staff=e.staff_id, action=esc(e.action),
          case=f" №{e.complaint_id}" if e.complaint_id else "", detail=esc(e.detail or ""))
        for e in entries
    ]
    await reply_long(update, lines, sep="\n")


async def not_staff(update: Update, ctx: Ctx) -> None:
    """A staff command from someone who is not staff (or in the wrong chat)."""
    lang = await lang_of(update, ctx)
    chat = update.effective_chat
    key = "staff.private_only" if chat is not None and chat.type != chat.PRIVATE else "staff.only"
    await reply(update, t(lang, key))


def register(app: App, access: Access) -> None:
    """Admin commands."""
    app.add_handler(CommandHandler("staff", staff_command, filters=access.admin))
    app.add_handler(CommandHandler("audit", audit_command, filters=access.admin))


def register_refusals(app: App) -> None:
    """Any staff command that no staff handler took is refused, politely."""
    app.add_handler(CommandHandler(list(ALL_STAFF_COMMANDS), not_staff,
                                   filters=filters.ChatType.PRIVATE | filters.ChatType.GROUPS))
