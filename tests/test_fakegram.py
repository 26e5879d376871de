"""The fake Bot API, driven by a real python-telegram-bot 22 over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputMediaPhoto,
    InputTextMessageContent,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    SwitchInlineQueryChosenChat,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.fakegram import FakeTelegram, FakeUser, Limits

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns about int durations (RetryAfter.retry_after) unless opted in, as bot.tg does.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    # Shadows the project's fixture: no flood limits here, and no unknown-method assertion.
    async with FakeTelegram(limits=None) as server:
        yield server


@pytest.fixture
async def limited() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=Limits()) as server:
        yield server


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(
        token or fake.token,
        base_url=f"{fake.url}/bot",
        base_file_url=f"{fake.url}/file/bot",
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(fake) as client:
        yield client


@pytest.fixture
def alice(fake: FakeTelegram) -> FakeUser:
    return fake.user(first_name="Бат", username="bat")


async def raw(fake: FakeTelegram, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """A JSON-body request, as a non-PTB client would send it."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/bot{fake.token}/{method}", json=params) as response,
    ):
        return response.status, await response.json()


# --- an echo application over long polling -------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Тийм", callback_data="yes")]])
    payload = " ".join(context.args or [])
    await update.message.reply_text(f"start {payload}".strip(), reply_markup=keyboard)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"pressed {query.data}")


@pytest.fixture
async def echo_app(fake: FakeTelegram) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_echo_application_commands_buttons_and_shutdown(
    fake: FakeTelegram, alice: FakeUser, echo_app: Any
) -> None:
    sent = await alice.send("/start@ac110_bot tok_123")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 16}]
    reply = await alice.next_message()
    assert reply["text"] == "start tok_123"
    assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"

    await alice.send("Сайн уу")
    assert (await alice.next_message())["text"] == "Сайн уу"

    query_id = await alice.press("Тийм")
    edited = await alice.wait_for(lambda m: m.get("text") == "pressed yes")
    assert "reply_markup" not in edited  # edited without reply_markup: keyboard gone
    assert alice.callback_answers == [
        {
            "callback_query_id": query_id,
            "text": "got yes",
            "show_alert": False,
            "url": None,
            "cache_time": 0,
        }
    ]
    assert alice.texts() == ["pressed yes", "Сайн уу"]
    await fake.wait_idle()
    assert fake.unknown_methods == []


async def test_stop_answers_a_pending_long_poll_at_once(fake: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.1)
    began = time.monotonic()
    await fake.stop()
    assert await poll == ()
    assert time.monotonic() - began < 2


# --- the bot itself and updates -------------------------------------------------------------


async def test_get_me_and_wrong_token(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "ac110_bot")
    assert me.can_join_groups and not me.can_read_all_group_messages
    with pytest.raises(InvalidToken):
        async with make_bot(fake, "123456:WRONG"):
            pass


async def test_unknown_methods_answer_404_and_are_recorded(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert fake.unknown_methods == ["sendTelepathy"]
    assert raw_status(await raw(fake, "sendTelepathy")) == (404, "Not Found")


def raw_status(answer: tuple[int, dict[str, Any]]) -> tuple[int, str]:
    status, body = answer
    return status, body.get("description", "")


async def test_offsets_acknowledge_updates(fake: FakeTelegram, bot: Bot, alice: FakeUser) -> None:
    for text in ("one", "two", "three"):
        await alice.send(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["three"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_two_bot_instances_polling_conflict(fake: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    async with make_bot(fake) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=1))
        with pytest.raises(Conflict, match=r"terminated by other getUpdates request"):
            await first
        assert await second == ()


async def test_get_updates_refused_while_webhook_is_set(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match=r"webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_chat_member_updates_only_when_asked(fake: FakeTelegram, bot: Bot) -> None:
    owner, newcomer, late = fake.user(), fake.user(), fake.user()
    group = fake.group(members=[owner], bot_status="administrator")
    await group.add_member(newcomer)
    kinds = [u.to_dict().keys() - {"update_id"} for u in await bot.get_updates()]
    assert kinds == [{"message"}]  # the join message, no chat_member
    updates = await bot.get_updates(offset=-1, allowed_updates=["message", "chat_member"])
    await group.add_member(late)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.chat_member.new_chat_member.user.id for u in updates if u.chat_member] == [late.id]


# --- sendMessage: text, entities, markup ---------------------------------------------------


async def test_text_length_counts_after_entity_parsing(bot: Bot, alice: FakeUser) -> None:
    await bot.send_message(alice.id, "&lt;" * 4096, parse_mode=ParseMode.HTML)
    assert alice.texts() == ["<" * 4096]
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(alice.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(alice.id, "")
    with pytest.raises(BadRequest, match=r"^Text must be non-empty$"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_html_entities_match_telegram(bot: Bot, alice: FakeUser) -> None:
    text = (
        '😀 <b>bold</b> <a href="https://example.org/?a=1&b=2">link</a> '
        "<tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote> "
        '<pre><code class="language-python">x = 1</code></pre>'
    )
    message = await bot.send_message(alice.id, text, parse_mode=ParseMode.HTML)
    assert message.text == "😀 bold link s q x = 1"
    assert [e.to_dict() for e in message.entities] == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://example.org/?a=1&b=2"},
        {"type": "spoiler", "offset": 13, "length": 1},
        {"type": "expandable_blockquote", "offset": 15, "length": 1},
        {"type": "pre", "offset": 17, "length": 5, "language": "python"},
    ]


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("Өө</b>", "Unexpected end tag at byte offset 4"),
        ("AT&T", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
    ],
)
async def test_html_that_telegram_rejects(
    fake: FakeTelegram, bot: Bot, alice: FakeUser, html: str, description: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities: "):
        await bot.send_message(alice.id, html, parse_mode=ParseMode.HTML)
    # PTB lower-cases the description; the wire carries Telegram's exact wording
    error = fake.calls[-1].error
    assert error is not None
    assert error.description == f"Bad Request: can't parse entities: {description}"


async def test_markdown_v2_reserved_characters(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    message = await bot.send_message(alice.id, r"*Анхаар* 1\.5", parse_mode=ParseMode.MARKDOWN_V2)
    assert message.text == "Анхаар 1.5"
    assert message.entities[0].type == "bold"
    with pytest.raises(BadRequest, match=r"character '\.' is reserved and must be escaped"):
        await bot.send_message(alice.id, "1.5", parse_mode=ParseMode.MARKDOWN_V2)
    linked = await bot.send_message(
        alice.id, r"__дэлгэрэнгүй__ [энд](https://example.org)", parse_mode=ParseMode.MARKDOWN_V2
    )
    assert [(e.type, e.url) for e in linked.entities] == [
        ("underline", None),
        ("text_link", "https://example.org"),
    ]
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "*open", parse_mode=ParseMode.MARKDOWN_V2)
    error = fake.calls[-1].error
    assert error is not None
    assert error.description.endswith("entities: Can't find end of Bold entity at byte offset 0")


async def test_inline_keyboard_validation(fake: FakeTelegram, bot: Bot, alice: FakeUser) -> None:
    await bot.send_message(
        alice.id,
        "ok",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("б", callback_data="ж" * 32)]]),
    )  # 64 bytes: the limit is in bytes, not characters
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(
            alice.id,
            "too long",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("б", callback_data="ж" * 33)]]
            ),
        )
    both = {"inline_keyboard": [[{"text": "x", "url": "https://a.mn", "callback_data": "x"}]]}
    status, body = await raw(fake, "sendMessage", chat_id=alice.id, text="t", reply_markup=both)
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't parse inline keyboard button: "
        "exactly one of url, callback_data must be used",
    )
    plain = {"inline_keyboard": [[{"text": "x"}]]}
    assert raw_status(
        await raw(fake, "sendMessage", chat_id=alice.id, text="t", reply_markup=plain)
    ) == (
        400,
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
    )


async def test_reply_keyboard_is_tracked_and_private_only_buttons(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    share = ReplyKeyboardMarkup([[KeyboardButton("Утас", request_contact=True)], ["Болих"]])
    await bot.send_message(alice.id, "утсаа хуваалцана уу", reply_markup=share)
    assert alice.reply_keyboard() == [
        [{"text": "Утас", "request_contact": True}],
        [{"text": "Болих"}],
    ]
    await bot.send_message(alice.id, "баярлалаа", reply_markup=ReplyKeyboardRemove())
    assert alice.reply_keyboard() is None
    group = fake.group(members=[alice])
    with pytest.raises(BadRequest, match=r"can be requested in private chats only"):
        await bot.send_message(group.id, "share", reply_markup=share)


async def test_recipients_that_cannot_receive(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(987654321, "hello")

    blocker = fake.user()
    await blocker.block()
    updates = await bot.get_updates()
    status = updates[-1].my_chat_member
    assert status is not None and status.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(blocker.id, "hello")
    await blocker.unblock()
    await bot.send_message(blocker.id, "welcome back")

    gone = fake.user()
    gone.deactivate()
    with pytest.raises(Forbidden, match=r"^Forbidden: user is deactivated$"):
        await bot.send_message(gone.id, "hello")


# --- limits and injected failures -----------------------------------------------------------


async def test_private_chat_flood_limit(limited: FakeTelegram) -> None:
    alice = limited.user()
    async with make_bot(limited) as bot:
        for index in range(5):
            sent = await bot.send_message(alice.id, f"burst {index}")
        with pytest.raises(RetryAfter):
            await bot.send_message(alice.id, "one too many")
        refusal = limited.calls_to("sendMessage")[-1].error
        assert refusal is not None and refusal.description == "Too Many Requests: retry after 1"
        assert refusal.parameters == {"retry_after": 1}
        # edits are not counted against the sending limits
        await bot.edit_message_text("edited", chat_id=alice.id, message_id=sent.message_id)


async def test_group_flood_limit(limited: FakeTelegram) -> None:
    group = limited.group()
    async with make_bot(limited) as bot:
        for index in range(20):
            await bot.send_message(group.id, f"announcement {index}")
        with pytest.raises(RetryAfter):
            await bot.send_message(group.id, "one more")


async def test_fail_next_injects_telegram_errors(fake: FakeTelegram, bot: Bot) -> None:
    alice, bob = fake.user(), fake.user()
    fake.fail_next("sendMessage", retry_after=7, chat_id=bob.id)
    fake.fail_next("sendMessage", code=403, count=2)
    with pytest.raises(Forbidden):
        await bot.send_message(alice.id, "a")
    with pytest.raises(RetryAfter) as error:
        await bot.send_message(bob.id, "b")
    assert error.value.retry_after == timedelta(seconds=7)
    with pytest.raises(Forbidden):
        await bot.send_message(bob.id, "b")
    await bot.send_message(bob.id, "b")
    assert [call.ok for call in fake.calls_to("sendmessage")] == [False, False, False, True]


# --- editing and deleting -------------------------------------------------------------------


async def test_edit_semantics(fake: FakeTelegram, bot: Bot, alice: FakeUser) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Илгээх", callback_data="send")]])
    message = await bot.send_message(alice.id, "Ноорог", reply_markup=keyboard)
    with pytest.raises(
        BadRequest, match=r"^Message is not modified: specified new message content"
    ):
        await bot.edit_message_text("Ноорог", alice.id, message.message_id, reply_markup=keyboard)
    # without reply_markup the same text is a change: it removes the keyboard
    await bot.edit_message_text("Ноорог", alice.id, message.message_id)
    assert "reply_markup" not in alice.messages()[0]
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("x", alice.id, 999)
    own = await alice.send("миний мессеж")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("x", alice.id, own["message_id"])
    with pytest.raises(BadRequest, match=r"^There is no caption in the message to edit$"):
        await bot.edit_message_caption(alice.id, message.message_id, caption="c")


async def test_delete_only_within_48_hours(fake: FakeTelegram, bot: Bot, alice: FakeUser) -> None:
    clock = [1_800_000_000]
    fake.now = lambda: clock[0]
    old = await bot.send_message(alice.id, "old")
    assert old.date.timestamp() == clock[0]
    clock[0] += 48 * 3600 + 1
    with pytest.raises(BadRequest, match=r"^Message can't be deleted$"):
        await bot.delete_message(alice.id, old.message_id)
    fresh = await bot.send_message(alice.id, "fresh")
    assert await bot.delete_message(alice.id, fresh.message_id)
    assert alice.texts() == ["old"]
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(alice.id, fresh.message_id)


async def test_callback_answers_once_and_forged_data(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="vote:a")]])
    message = await bot.send_message(alice.id, "vote", reply_markup=keyboard)
    pressed_id = await alice.press("vote:a")
    forged_id = await alice.press_data("admin:delete_all", message_id=message.message_id)
    queries = [u.callback_query for u in await bot.get_updates() if u.callback_query]
    assert [(q.id, q.data) for q in queries] == [
        (pressed_id, "vote:a"),
        (forged_id, "admin:delete_all"),
    ]
    assert queries[0].message is not None and queries[0].message.message_id == message.message_id
    await bot.answer_callback_query(pressed_id, text="ok")
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await bot.answer_callback_query(pressed_id)
    with pytest.raises(BadRequest, match=r"^Message_too_long$"):
        await bot.answer_callback_query(forged_id, text="x" * 201)
    with pytest.raises(LookupError, match=r"no callback button 'B'"):
        await alice.press("B")


# --- files ----------------------------------------------------------------------------------


async def test_user_photo_download_round_trip(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    original = b"\xff\xd8\xff\xe0 fake jpeg with EXIF" * 100
    await alice.send_photo(original, caption="баримт")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.caption == "баримт"
    sizes = update.message.photo
    assert len(sizes) >= 2 and sizes[-1].width == 1280
    largest = await (await sizes[-1].get_file()).download_as_bytearray()
    assert bytes(largest) == original
    thumbnail = await (await sizes[0].get_file()).download_as_bytearray()
    assert bytes(thumbnail) != original  # photo[0] is a thumbnail, as on Telegram


async def test_bot_upload_is_stored_and_resendable(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    report = b"%PDF-1.7 report"
    sent = await bot.send_document(alice.id, InputFile(report, filename="report.pdf"))
    assert sent.document is not None
    assert sent.document.file_name == "report.pdf"
    assert fake.files[sent.document.file_id] == report
    again = await bot.send_document(alice.id, sent.document.file_id, caption="again")
    assert again.document is not None and again.document.file_id == sent.document.file_id
    with pytest.raises(BadRequest, match=r"^Wrong file identifier/http url specified$"):
        await bot.send_document(alice.id, "BQACAgnot-a-real-id")
    photo = await bot.send_photo(alice.id, b"\x89PNG image")
    with pytest.raises(BadRequest, match=r"^Can't use file of type photo as document$"):
        await bot.send_document(alice.id, photo.photo[-1].file_id)


async def test_file_size_limits(fake: FakeTelegram, bot: Bot, alice: FakeUser) -> None:
    await alice.send_document(b"", file_name="scan.tiff", file_size=30_000_000)
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    with pytest.raises(BadRequest, match=r"^File is too big$"):
        await update.message.document.get_file()
    with pytest.raises(BadRequest, match=r"^Photo_save_file_invalid$"):
        await bot.send_photo(alice.id, b"x" * (10 * MB + 1))
    with pytest.raises(NetworkError, match=r"Request Entity Too Large"):
        await bot.send_document(alice.id, b"x" * (50 * MB + 1), write_timeout=30)
    with pytest.raises(BadRequest, match=r"^File must be non-empty$"):
        await bot.send_document(alice.id, InputFile(b"", filename="empty.txt"))


async def test_caption_limit(bot: Bot, alice: FakeUser) -> None:
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(alice.id, b"jpeg", caption="x" * 1025)


async def test_media_group_albums(fake: FakeTelegram, bot: Bot, alice: FakeUser) -> None:
    album = [InputMediaPhoto(b"one", caption="1"), InputMediaPhoto(b"two")]
    messages = await bot.send_media_group(alice.id, album)
    assert len({m.media_group_id for m in messages}) == 1
    assert [m.caption for m in messages] == ["1", None]
    with pytest.raises(BadRequest, match=r"^Too few messages to send as an album"):
        await bot.send_media_group(alice.id, [InputMediaPhoto(b"one")])
    photo_id = messages[0].photo[-1].file_id
    media = [{"type": "photo", "media": photo_id}] * 2
    buttons = {"inline_keyboard": [[{"text": "x", "callback_data": "x"}]]}
    status, body = await raw(
        fake, "sendMediaGroup", chat_id=alice.id, media=media, reply_markup=buttons
    )
    assert status == 400 and "albums have no buttons" in body["description"]


# --- chats, groups and channels -------------------------------------------------------------


async def test_copy_hides_origin_and_forward_shows_it(
    fake: FakeTelegram, bot: Bot, alice: FakeUser
) -> None:
    staff = fake.group(members=[alice])
    complaint = await alice.send("Гомдол: авлига")
    copied = await bot.copy_message(staff.id, alice.id, complaint["message_id"])
    forwarded = await bot.forward_message(staff.id, alice.id, complaint["message_id"])
    by_id = {m["message_id"]: m for m in staff.messages()}
    assert "forward_origin" not in by_id[copied.message_id]
    assert by_id[forwarded.message_id]["forward_origin"]["sender_user"]["id"] == alice.id
    assert len(fake.calls_to("forwardMessage")) == 1


async def test_group_privacy_mode(fake: FakeTelegram, bot: Bot) -> None:
    alice, bob = fake.user(), fake.user()
    group = fake.group(members=[alice, bob])
    await alice.send("just chatting", chat=group)
    await alice.send("/report@other_bot", chat=group)
    await alice.send("/report@ac110_bot now", chat=group)
    await bob.send("hey @ac110_bot", chat=group)
    question = await bot.send_message(group.id, "Хэн хариуцах вэ?")
    await bob.send("би", chat=group, reply_to=question.message_id)
    texts = [u.message.text for u in await bot.get_updates() if u.message]
    assert texts == ["/report@ac110_bot now", "hey @ac110_bot", "би"]


async def test_bot_membership_in_groups_and_channels(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user()
    group = fake.group(members=[alice], bot_status="left")
    with pytest.raises(Forbidden, match=r"bot is not a member of the supergroup chat"):
        await bot.send_message(group.id, "hello")
    await fake.add_bot_to(group, by=alice, admin=True)
    update = (await bot.get_updates())[0]
    assert update.my_chat_member is not None
    assert isinstance(update.my_chat_member.new_chat_member, ChatMemberAdministrator)
    await bot.send_message(group.id, "hello")
    assert group.texts() == ["hello"]
    admins = await bot.get_chat_administrators(group.id)
    assert [a.user.id for a in admins] == [fake.bot["id"]]
    assert await bot.get_chat_member_count(group.id) == 2
    assert (await bot.get_chat_member(group.id, alice.id)).status == "member"
    assert (await bot.get_chat(group.id)).title == "Staff"

    news = fake.channel(username="ac110_news")
    await bot.send_message("@ac110_news", "мэдээ")
    assert news.texts() == ["мэдээ"]
    await news.post("channel post")
    update = (await bot.get_updates(offset=update.update_id + 1))[-1]
    assert update.channel_post is not None and update.channel_post.text == "channel post"
    await fake.remove_bot_from(group, by=alice)
    with pytest.raises(Forbidden, match=r"bot was kicked from the supergroup chat"):
        await bot.send_message(group.id, "still here?")


async def test_channel_reaction_counts_reach_admin_bots_that_ask(
    fake: FakeTelegram, bot: Bot
) -> None:
    channel = fake.channel(member_count=1234)
    post = await bot.send_message(channel.id, "Шинэ мэдээ")
    await channel.react(post.message_id, {"👍": 1})
    assert await bot.get_updates() == ()  # opt-in: not in the default allowed_updates
    assert await bot.get_updates(allowed_updates=["message_reaction_count"]) == ()
    sent = await channel.react(post.message_id, {"👍": 5, "❤": 7, "🔥": 0})
    [update] = await bot.get_updates()
    counted = update.message_reaction_count
    assert counted is not None
    assert (counted.chat.id, counted.message_id) == (channel.id, post.message_id)
    assert [(r.type.to_dict()["emoji"], r.total_count) for r in counted.reactions] == [
        ("❤", 7),
        ("👍", 5),
    ]
    assert sent["reactions"] == channel.reactions[post.message_id]
    with pytest.raises(ValueError, match="without U\\+FE0F"):
        await channel.react(post.message_id, {"❤️": 1})
    with pytest.raises(ValueError, match="not a channel"):
        await fake.group().react(1, {"👍": 1})

    left = fake.channel(bot_status="left")
    foreign = await left.post("бусдын мэдээ")
    await left.react(foreign["message_id"], {"👍": 3})  # the bot is not an administrator
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_member_counts_can_be_set_and_still_move(fake: FakeTelegram, bot: Bot) -> None:
    channel = fake.channel(member_count=1234)
    assert await bot.get_chat_member_count(channel.id) == 1234
    await channel.add_member(fake.user())
    assert await bot.get_chat_member_count(channel.id) == 1235
    group = fake.group(members=[fake.user()])
    assert await bot.get_chat_member_count(group.id) == 2  # counted: one user and the bot
    group.member_count = 50
    assert await bot.get_chat_member_count(group.id) == 50


async def test_commands_by_scope_and_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Эхлэх"), ("report", "Гомдол")], language_code="mn")
    assert [c.command for c in await bot.get_my_commands(language_code="mn")] == [
        "start",
        "report",
    ]
    assert await bot.get_my_commands() == ()
    assert fake.commands(language_code="mn")[0] == {"command": "start", "description": "Эхлэх"}
    with pytest.raises(BadRequest, match=r"^Bot_command_invalid$"):
        await bot.set_my_commands([("Start", "bad")])


async def test_next_message_timeout_explains_itself(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user()
    await bot.send_message(alice.id, "first")
    assert (await alice.next_message())["text"] == "first"
    with pytest.raises(TimeoutError, match=r"(?s)No new bot message.*sendMessage\(chat_id="):
        await alice.next_message(timeout=0.05)


async def test_user_edits_arrive_as_edited_message(bot: Bot, alice: FakeUser) -> None:
    original = await alice.send("Гомдол")
    await alice.edit(original["message_id"], "Гомдол (засвар)")
    updates = await bot.get_updates()
    edited = updates[-1].edited_message
    assert edited is not None and edited.text == "Гомдол (засвар)"
    assert edited.edit_date is not None


async def test_download_digest_matches_through_an_application(
    fake: FakeTelegram, alice: FakeUser
) -> None:
    async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        data = await (await update.message.document.get_file()).download_as_bytearray()
        await update.message.reply_text(hashlib.sha256(data).hexdigest())

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.Document.ALL, digest))
    evidence = b"%PDF-1.4 evidence with GPS metadata"
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        await alice.send_document(evidence, file_name="evidence.pdf")
        reply = await alice.next_message()
        await app.updater.stop()
        await app.stop()
    assert reply["text"] == hashlib.sha256(evidence).hexdigest()


async def test_polls_and_inline_queries() -> None:
    async with FakeTelegram(limits=None, supports_inline_queries=True) as fake:
        alice = fake.user()
        async with make_bot(fake) as client:
            poll = await client.send_poll(
                alice.id, "Үйлчилгээ таалагдсан уу?", ["Тийм", "Үгүй"], is_anonymous=False
            )
            await alice.answer_poll(poll.message_id, [0])
            query_id = await alice.inline_query("гомдол")
            updates = await client.get_updates()
            answer = next(u.poll_answer for u in updates if u.poll_answer)
            assert answer.user is not None
            assert (answer.user.id, answer.option_ids) == (alice.id, (0,))
            inline = next(u.inline_query for u in updates if u.inline_query)
            assert (inline.id, inline.query) == (query_id, "гомдол")
            await client.answer_inline_query(query_id, [], cache_time=0)
            assert alice.inline_answers[0]["inline_query_id"] == query_id


async def test_every_user_message_kind_parses_in_ptb(fake: FakeTelegram, bot: Bot) -> None:
    alice = fake.user(last_name="Дорж", username="bat_dorj")
    await alice.send_photo(b"jpeg", caption="зураг")
    await alice.send_document(b"%PDF", file_name="a.pdf")
    await alice.send_voice(b"OggS", duration=4)
    await alice.send_video(b"mp4", caption="бичлэг")
    await alice.send_audio(b"ID3", title="Дуу", performer="Хамтлаг")
    await alice.send_sticker()
    await alice.send_location(47.92, 106.92)
    await alice.send_contact("+97699112233", "Бат")
    updates = await bot.get_updates()
    messages = [u.message for u in updates if u.message]
    kinds = [type(m.effective_attachment).__name__ for m in messages]
    assert kinds == [
        "tuple",  # photo sizes
        "Document",
        "Voice",
        "Video",
        "Audio",
        "Sticker",
        "Location",
        "Contact",
    ]
    contact = messages[-1].contact
    assert contact is not None and contact.user_id == alice.id
    member = await bot.get_chat_member(alice.id, alice.id)
    assert member.status == "member"


# --- inline mode: answers, shares, feedback ---------------------------------------------------

INVITE = "https://t.me/ac110_bot?start=ref_bat"


def invite_result(result_id: str = "invite", link: str = INVITE) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id,
        "Найздаа санал болгох",
        InputTextMessageContent(f"Авлигын эсрэг бот: <b>{link}</b>", parse_mode=ParseMode.HTML),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Нээх", url=link)]]),
    )


@pytest.fixture
async def inline_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=None, supports_inline_queries=True) as server:
        yield server


@pytest.fixture
async def inline_bot(inline_fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(inline_fake) as client:
        yield client


async def share_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    assert query is not None
    await query.answer([invite_result()], is_personal=True, cache_time=0)


async def test_share_via_button_end_to_end() -> None:
    async with FakeTelegram(
        limits=None, supports_inline_queries=True, inline_feedback=True
    ) as fake:
        alice, bob = fake.user(), fake.user(first_name="Болд")
        group = fake.group(members=[alice])
        chosen: list[Any] = []
        seen: list[Any] = []

        async def on_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            chosen.append(update.chosen_inline_result)

        async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            seen.append(update.effective_message)

        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(f"{fake.url}/bot")
            .base_file_url(f"{fake.url}/file/bot")
            .build()
        )
        app.add_handler(InlineQueryHandler(share_handler))
        app.add_handler(ChosenInlineResultHandler(on_chosen))
        app.add_handler(MessageHandler(filters.ALL, on_message))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0)
            button = InlineKeyboardButton("Хуваалцах", switch_inline_query="найз")
            offer = await app.bot.send_message(
                alice.id, "Найздаа хуваалцаарай", reply_markup=InlineKeyboardMarkup([[button]])
            )
            shared = await alice.share_via_button(offer.to_dict(), "Хуваалцах", chat=bob)
            in_group = await alice.share_via_button(offer.to_dict(), "Хуваалцах", chat=group)
            await fake.wait_idle()
            await app.updater.stop()
            await app.stop()

    assert shared["via_bot"]["id"] == fake.bot["id"]
    assert shared["from"]["id"] == alice.id and shared["chat"]["id"] == bob.id
    assert shared["text"] == f"Авлигын эсрэг бот: {INVITE}"
    assert shared["entities"][0]["type"] == "bold"
    assert shared["reply_markup"]["inline_keyboard"][0][0]["url"] == INVITE
    assert bob.inbox() == [shared] and alice.inbox() == []  # the bot never sees bob's chat
    assert [c.result_id for c in chosen] == ["invite", "invite"]
    assert {(c.from_user.id, c.query) for c in chosen} == {(alice.id, "найз")}
    assert all(c.inline_message_id for c in chosen)  # the result has a keyboard
    # a message via the bot reaches it in a group even in privacy mode
    assert [m.via_bot.id for m in seen] == [fake.bot["id"]]
    assert seen[0].chat.id == group.id and in_group["chat"]["id"] == group.id
    queries = [c.params for c in fake.calls_to("answerInlineQuery")]
    assert len(queries) == 2  # is_personal, cache_time=0: each share asks the bot


async def test_choosing_results_is_strict(inline_bot: Bot, inline_fake: FakeTelegram) -> None:
    fake, bot = inline_fake, inline_bot
    alice, bob = fake.user(), fake.user()
    query_id = await alice.inline_query("гомдол", chat=bob)
    [update] = await bot.get_updates()
    assert update.inline_query is not None and update.inline_query.chat_type == "private"
    with pytest.raises(LookupError, match="not answered"):
        await alice.choose_inline_result(query_id, "invite", chat=bob)
    with pytest.raises(LookupError, match="sent no inline query"):
        await bob.choose_inline_result(query_id, "invite", chat=alice)
    await bot.answer_inline_query(query_id, [invite_result()])
    with pytest.raises(LookupError, match=r"no result 'other': \['invite'\]"):
        await alice.choose_inline_result(query_id, "other", chat=bob)
    posted = await alice.choose_inline_result(query_id, "invite", chat=bob)
    assert posted["via_bot"]["username"] == "ac110_bot"
    # inline feedback is off by default, as in @BotFather
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_answer_inline_query_validation(inline_fake: FakeTelegram) -> None:
    fake = inline_fake
    alice = fake.user()

    async def answer(results: Any) -> dict[str, Any]:
        query_id = await alice.inline_query("x")
        _, body = await raw(fake, "answerInlineQuery", inline_query_id=query_id, results=results)
        return body

    text = {"message_text": "hi"}
    article = {"type": "article", "id": "a", "title": "A", "input_message_content": text}
    assert (await answer([article]))["ok"]
    assert (await answer([article, article]))["description"] == "Bad Request: RESULT_ID_DUPLICATE"
    assert (await answer([{**article, "id": "x" * 65}]))["description"].endswith(
        "RESULT_ID_INVALID"
    )
    no_content = {"type": "article", "id": "a", "title": "A"}
    assert (await answer([no_content]))["description"] == (
        "Bad Request: can't parse inline query result: Can't find field \"message_text\""
    )
    plain = {**article, "reply_markup": {"inline_keyboard": [[{"text": "x"}]]}}
    assert (await answer([plain]))["description"] == (
        "Bad Request: can't parse inline query result: Can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard"
    )
    keyboard = {**article, "reply_markup": {"keyboard": [["x"]]}}
    assert (await answer([keyboard]))["description"] == "Bad Request: inline keyboard expected"
    assert (await answer([{**article, "type": "poll"}]))["description"].endswith(
        'type "poll" is unsupported for the inline query result'
    )
    assert (await answer([article] * 51))["description"] == (
        "Bad Request: too many inline query results specified"
    )
    bad_html = {**article, "input_message_content": {"message_text": "<b>x", "parse_mode": "HTML"}}
    assert "can't parse entities" in (await answer([bad_html]))["description"]


async def test_inline_answers_are_cached_for_everyone_unless_personal(
    inline_bot: Bot, inline_fake: FakeTelegram
) -> None:
    fake, bot = inline_fake, inline_bot
    alice, bob, carol = fake.user(), fake.user(), fake.user()
    clock = [fake.now()]
    fake.now = lambda: clock[0]
    first = await alice.inline_query("урих")
    await bot.answer_inline_query(first, [invite_result(link=INVITE)])  # cached 300 s, shared
    second = await bob.inline_query("урих")
    updates = await bot.get_updates()
    assert [u.inline_query.id for u in updates if u.inline_query] == [first]  # bob's: cached
    [result] = await bob.inline_results(second)
    assert INVITE in result["input_message_content"]["message_text"]  # alice's personal link!

    clock[0] += 301  # the cache expired
    third = await carol.inline_query("урих")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.inline_query.id for u in updates if u.inline_query] == [third]
    await bot.answer_inline_query(third, [invite_result()], is_personal=True)
    fourth = await alice.inline_query("урих")
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.inline_query.id for u in updates if u.inline_query] == [fourth]  # not carol's


async def test_chosen_inline_result_honours_allowed_updates_and_feedback_share() -> None:
    async with FakeTelegram(
        limits=None, supports_inline_queries=True, inline_feedback=True
    ) as fake:
        alice = fake.user()
        async with make_bot(fake) as client:
            await client.get_updates(allowed_updates=["message"])
            query_id = await alice.inline_query("x", chat=alice.chat)
            await client.answer_inline_query(query_id, [invite_result()])  # no update: filtered
            posted = await alice.choose_inline_result(query_id, "invite", chat=alice.chat)
            [update] = await client.get_updates()
            assert update.message is not None and update.message.via_bot is not None
            assert update.message.message_id == posted["message_id"]
    with pytest.raises(ValueError, match="between 0 and 1"):
        FakeTelegram(inline_feedback=2)
    async with FakeTelegram(
        limits=None, supports_inline_queries=True, inline_feedback=0.1
    ) as sampled:
        alice, friend = sampled.user(), sampled.user()
        async with make_bot(sampled) as client:
            query_id = await alice.inline_query("x")
            await client.answer_inline_query(query_id, [invite_result()])
            for _ in range(300):
                await alice.choose_inline_result(query_id, "invite", chat=friend)
            updates = await client.get_updates(offset=1)
            reported = sum(1 for u in updates if u.chosen_inline_result)
    assert len(friend.inbox()) == 300
    assert 10 <= reported <= 60  # about one in ten, with @BotFather's sampling


async def test_switch_inline_buttons_and_channels(
    inline_fake: FakeTelegram, inline_bot: Bot
) -> None:
    fake, bot = inline_fake, inline_bot
    alice = fake.user()
    channel = fake.channel()
    share = InlineKeyboardMarkup([[InlineKeyboardButton("Share", switch_inline_query="")]])
    with pytest.raises(BadRequest, match=r"Can't use switch_inline_query button in a channel"):
        await bot.send_message(channel.id, "мэдээ", reply_markup=share)
    with pytest.raises(BadRequest, match="Inline keyboard expected"):
        await bot.send_message(channel.id, "мэдээ", reply_markup=ReplyKeyboardMarkup([["a"]]))
    none = {"inline_keyboard": [[{"text": "x", "switch_inline_query_chosen_chat": {"query": "q"}}]]}
    status, body = await raw(fake, "sendMessage", chat_id=alice.id, text="x", reply_markup=none)
    assert (status, body["description"]) == (
        400,
        "Bad Request: at least one chat type must be allowed",
    )
    groups_only = SwitchInlineQueryChosenChat("q", allow_group_chats=True)
    every = SwitchInlineQueryChosenChat(
        "q",
        allow_user_chats=True,
        allow_bot_chats=True,
        allow_group_chats=True,
        allow_channel_chats=True,
    )
    here = InlineKeyboardButton("Энд", switch_inline_query_current_chat="q")
    sent = await bot.send_message(
        alice.id,
        "x",
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Групп", switch_inline_query_chosen_chat=groups_only)],
                [InlineKeyboardButton("Бүгд", switch_inline_query_chosen_chat=every)],
                [here],
            ]
        ),
    )
    rows = sent.to_dict()["reply_markup"]["inline_keyboard"]
    assert rows[1][0] == {"text": "Бүгд", "switch_inline_query": "q"}  # as tdlib shows it
    with pytest.raises(ValueError, match="does not let the user pick user chats"):
        await alice.share_via_button(sent.to_dict(), "Групп", chat=fake.user())
    sharing = asyncio.create_task(alice.share_via_button(sent.to_dict(), "Энд"))
    [update] = await bot.get_updates()
    assert update.inline_query is not None and update.inline_query.chat_type == "private"
    await bot.answer_inline_query(update.inline_query.id, [invite_result()])
    posted = await sharing
    assert posted["chat"]["id"] == alice.id
    [update] = await bot.get_updates(offset=update.update_id + 1)
    assert update.message is not None and update.message.via_bot is not None


async def test_inline_messages_are_pressed_and_edited_by_inline_message_id(
    inline_bot: Bot, inline_fake: FakeTelegram
) -> None:
    fake, bot = inline_fake, inline_bot
    alice, bob = fake.user(), fake.user()
    query_id = await alice.inline_query("санал")
    vote = InlineKeyboardMarkup([[InlineKeyboardButton("Тийм", callback_data="yes")]])
    content = InputTextMessageContent("Дэмжих үү?")
    result = InlineQueryResultArticle("poll", "Санал", content, reply_markup=vote)
    await bot.answer_inline_query(query_id, [result])
    posted = await alice.choose_inline_result(query_id, "poll", chat=bob)
    await bot.get_updates()
    press_id = await bob.press_inline(posted, "Тийм")
    [update] = await bot.get_updates(offset=-1)
    query = update.callback_query
    assert query is not None and query.message is None and query.inline_message_id
    assert (query.id, query.data) == (press_id, "yes")
    await query.answer("баярлалаа")
    assert await bot.edit_message_text("Дэмжсэн: 1", inline_message_id=query.inline_message_id)
    assert [m["text"] for m in bob.inbox()] == ["Дэмжсэн: 1"]
    assert "reply_markup" not in bob.inbox()[0]  # edited without reply_markup: keyboard gone
    with pytest.raises(BadRequest, match=r"(?i)message_id_invalid"):  # PTB capitalises it
        await bot.edit_message_text("x", inline_message_id="AgAAAAAAAAAAAAAAAAAA")
    _, body = await raw(fake, "editMessageText", text="x")
    assert body["description"] == "Bad Request: message identifier is not specified"
    with pytest.raises(ValueError, match="not in the chat"):
        await fake.user().press_inline(posted, "Тийм")


async def test_method_names_are_case_insensitive_and_recorded_as_documented() -> None:
    async with FakeTelegram(limits=None) as fake:
        alice = fake.user()
        async with aiohttp.ClientSession() as session:
            url = f"{fake.url}/bot{fake.token}/SENDMESSAGE"
            async with session.post(url, json={"chat_id": alice.id, "text": "Сайн уу"}) as r:
                assert (await r.json())["ok"] is True
        assert alice.texts() == ["Сайн уу"]
        assert [call.method for call in fake.calls] == ["sendMessage"]
