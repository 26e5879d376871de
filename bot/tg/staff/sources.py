"""Named sources for offline material: a QR code for each, and how many people came.

`/qr Автобусны буудлын зурагт хуудас` registers a source and answers with a printable QR
code of its deep link, `https://t.me/<bot>?start=<code>`; `/start <code>` counts the person
once for that source (see `bot/tg/citizen/start.py`). `/sources` lists them with their
counts: people who opened the bot through a source, never people who saw the poster.
"""

from __future__ import annotations

import asyncio
import io

from telegram import InputFile, Update
from telegram.ext import CommandHandler, filters

from bot.core import reach
from bot.i18n import t
from bot.tg.access import Access
from bot.tg.common import App, Ctx, esc, lang_of, reply, reply_long
from bot.tg.staff.admin import not_staff

COMMANDS = ("qr", "sources")
# Error correction M (15 % of the code may be dirty or torn); a quiet zone of 4 modules,
# as the standard asks; at least this many pixels a side, for print.
QR_ERROR = "m"
QR_BORDER = 4
QR_MIN_PIXELS = 600


def deep_link(bot_username: str, code: str) -> str:
    """The link a source's QR code holds."""
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(url: str) -> bytes:
    """A QR code of `url` as a black-on-white PNG, square, at least QR_MIN_PIXELS wide."""
    import segno  # loads when a code is drawn, not at every start

    code = segno.make_qr(url, error=QR_ERROR)
    width, _ = code.symbol_size(scale=1, border=QR_BORDER)
    scale = -(-QR_MIN_PIXELS // width)  # whole pixels per module, rounded up
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=QR_BORDER)
    return out.getvalue()


async def qr(update: Update, ctx: Ctx) -> None:
    """`/qr <name>`: registers a source and sends its QR code, as a photo and a print file."""
    lang = await lang_of(update, ctx)
    assert update.effective_user is not None and update.effective_chat is not None
    name = " ".join(" ".join(ctx.args or []).split())
    if not name:
        await reply(update, t(lang, "sources.usage"))
        return
    try:
        code = await reach.add_source(ctx.svc.backend, name, ctx.svc.now(),
                                      staff_id=update.effective_user.id)
    except ValueError:
        await reply(update, t(lang, "sources.bad_name"))
        return
    url = deep_link(ctx.bot.username, code)
    png = await asyncio.to_thread(qr_png, url)
    chat = update.effective_chat
    await chat.send_photo(InputFile(png, filename=f"qr-{code}.png"), parse_mode="HTML",
                          caption=t(lang, "sources.qr_caption", name=esc(name), url=esc(url)))
    # Telegram recompresses photos; the file is the exact PNG, for the printer.
    await chat.send_document(InputFile(png, filename=f"qr-{code}.png"),
                             caption=t(lang, "sources.qr_file"))


async def list_sources(update: Update, ctx: Ctx) -> None:
    """`/sources`: every source with how many people arrived through it."""
    lang = await lang_of(update, ctx)
    found = await reach.sources(ctx.svc.backend)
    if not found:
        await reply(update, t(lang, "sources.none"))
        return
    lines = [t(lang, "sources.header")]
    lines += [t(lang, "sources.line", name=esc(s.name), people=s.people,
                url=esc(deep_link(ctx.bot.username, s.code))) for s in found]
    lines.append(t(lang, "sources.explain"))
    await reply_long(update, lines, sep="\n")


def register(app: App, access: Access) -> None:
    """`/qr` and `/sources` for admins, officers and editors; refused to anyone else."""
    app.add_handler(CommandHandler("qr", qr, filters=access.poster))
    app.add_handler(CommandHandler("sources", list_sources, filters=access.poster))
    # admin.ALL_STAFF_COMMANDS does not name these; refused here, right after, instead.
    app.add_handler(CommandHandler(list(COMMANDS), not_staff,
                                   filters=filters.ChatType.PRIVATE | filters.ChatType.GROUPS))
