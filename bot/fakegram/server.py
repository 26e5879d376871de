"""FakeTelegram: a Bot API server over real HTTP, as strict as Telegram, for tests and sandboxes.

Point python-telegram-bot at it with
``ApplicationBuilder().base_url(f"{fake.url}/bot").base_file_url(f"{fake.url}/file/bot")``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from .actors import FakeChat, FakeUser, MemberStatus
from .api import BotApi
from .chaos import BAD_GATEWAY_HTML, DEFAULT_DELAY, STAT_KEYS, Chaos
from .errors import BotApiError, not_found, unauthorized
from .events import DEFAULT_QUEUE_SIZE, CallEvent, Event, EventQueue
from .files import FileStore
from .limits import DEFAULT_LIMITS, Limits, RateLimiter
from .methods.bot import scope_key
from .state import Call, World
from .wire import JSON, MAX_REQUEST_BYTES, Params, read_params

IDLE_QUIET_SECONDS = 0.05
_LOGGER = logging.getLogger(__name__)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(slots=True)
class _Injection:
    """A failure queued by ``fail_next``."""

    method: str  # lower-case
    code: int
    description: str
    parameters: JSON | None
    remaining: int
    chat_id: str | None

    def matches(self, method: str, params: Params) -> bool:
        return method == self.method and (
            self.chat_id is None or params.text("chat_id") == self.chat_id
        )


class FakeTelegram:
    """The fake Bot API server and the simulated Telegram around the bot."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",  # noqa: S107 - a fake server's fake token
        bot_username: str = "ac110_bot",
        bot_id: int | None = None,
        limits: Limits | None = DEFAULT_LIMITS,
        *,
        bot_name: str = "AC110 Bot",
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = False,
        inline_feedback: bool | float = False,
    ) -> None:
        """A bot as set up in @BotFather; nothing listens until ``start()``.

        ``supports_inline_queries`` is /setinline. ``inline_feedback`` is /setinlinefeedback:
        off by default as in @BotFather, so the bot gets no ``chosen_inline_result``; ``True``
        reports every chosen result, a float such as 0.1 that share of them (@BotFather's
        1/10, 1/100, 1/1000 settings for busy bots), sampled with a fixed seed.
        """
        feedback = float(inline_feedback)
        if not 0.0 <= feedback <= 1.0:
            raise ValueError("inline_feedback is a share between 0 and 1 (or a bool)")
        if bot_id is None:
            prefix = token.partition(":")[0]
            bot_id = int(prefix) if prefix.isdigit() else 123456
        bot: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        profile: JSON = {
            **bot,
            "can_join_groups": can_join_groups,
            "can_read_all_group_messages": can_read_all_group_messages,
            "supports_inline_queries": supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.token = token
        self.unknown_methods: list[str] = []  # methods the bot called that the fake lacks
        self._world = World(bot=bot, profile=profile, inline_feedback=feedback)
        self._api = BotApi(self._world, RateLimiter(limits) if limits is not None else None)
        self._injections: list[_Injection] = []
        self._chaos: Chaos | None = None
        self._chaos_stats: dict[str, int] = dict.fromkeys(STAT_KEYS, 0)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._user_ids = itertools.count(100_000_001)
        self._supergroup_ids = itertools.count(1_000_000_001)
        self._group_ids = itertools.count(4_000_000_001)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (a free port by default)."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already running")
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._on_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_file)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self._world.updates.reopen()
        self._runner = runner
        self._url = f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Answer pending long polls at once, then shut the server down."""
        self._world.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The Bot API root, e.g. ``http://127.0.0.1:54321`` (the bot's BOT_API_URL)."""
        if self._url is None:
            raise RuntimeError("FakeTelegram.start() has not been awaited")
        return self._url

    # --- inspection -----------------------------------------------------------------------

    @property
    def now(self) -> Callable[[], int]:
        """The server clock (Unix seconds) behind ``date`` fields and the 48-hour rules."""
        return self._world.now

    @now.setter
    def now(self, clock: Callable[[], int]) -> None:
        self._world.now = clock

    @property
    def bot(self) -> JSON:
        """The bot's User object."""
        return self._world.bot

    @property
    def calls(self) -> list[Call]:
        """Every request, in the order they were answered."""
        return self._world.calls

    def calls_to(self, method: str) -> list[Call]:
        """The calls of one method (names compare case-insensitively, like Telegram's)."""
        wanted = method.lower()
        return [call for call in self._world.calls if call.method.lower() == wanted]

    @property
    def files(self) -> FileStore:
        """``file_id`` -> bytes for every file uploaded by the bot or by users."""
        return self._world.files

    @property
    def webhook(self) -> JSON:
        """The webhook set by setWebhook (empty while polling)."""
        return self._api.bot.webhook

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands set for a scope (default scope when ``None``) and language."""
        return self._api.bot.commands.get(scope_key(scope, language_code), [])

    def forget_inline_answers(self) -> None:
        """Empty Telegram's cache of inline answers (it also expires with ``now``)."""
        self._world.inline_cache.clear()

    def subscribe(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> EventQueue:
        """A bounded queue of every later event (see ``bot.fakegram.events``).

        Events: messages stored, edited or deleted in any chat (the users' too), callback
        answers, and each API call as answered. A full queue drops its oldest event
        (``queue.dropped`` counts them): a slow reader never blocks the server. Call
        ``unsubscribe`` when done.
        """
        return self._world.events.subscribe(maxsize)

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        """Stop delivering events to ``queue``."""
        self._world.events.unsubscribe(queue)

    def fail_next(
        self,
        method: str,
        *,
        code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (to ``chat_id`` if given) fail.

        A 429 always carries ``parameters.retry_after`` (5 s unless given), as Telegram's does.
        """
        parameters: JSON | None = None
        if code == 429:
            retry_after = retry_after or 5
            description = description or f"Too Many Requests: retry after {retry_after}"
        if retry_after:
            parameters = {"retry_after": retry_after}
        self._injections.append(
            _Injection(
                method=method.lower(),
                code=code,
                description=description or _DEFAULT_DESCRIPTIONS.get(code, f"Error {code}"),
                parameters=parameters,
                remaining=count,
                chat_id=None if chat_id is None else str(chat_id),
            )
        )

    def chaos(
        self,
        error_rate: float | None = 0.0,
        *,
        drop_rate: float = 0.0,
        delay_rate: float = 0.0,
        delay: float = DEFAULT_DELAY,
        methods: Iterable[str] | None = None,
        exclude: Iterable[str] = ("getUpdates",),
        drop_after_action: bool | float = True,
        seed: int = 0,
    ) -> None:
        """Make Telegram flaky from now on; ``chaos(None)`` (or ``calm()``) switches it off.

        Each request of ``methods`` (default: all but ``exclude``, which keeps polling alive)
        rolls one fault at most: with ``error_rate`` an nginx HTML 502 page (nothing done),
        with ``drop_rate`` a connection closed without an answer, after performing the action
        when ``drop_after_action`` is true (a float is the share of drops that come after it),
        with ``delay_rate`` an answer held ``delay`` seconds after performing the action. The
        same ``seed`` and the same sequence of requests give the same faults.
        ``chaos_stats`` counts what was done; each call's ``fault`` and ``answered`` say it too.
        """
        if error_rate is None:
            self._chaos = None
            return
        self._chaos = Chaos.build(
            error_rate,
            drop_rate=drop_rate,
            delay_rate=delay_rate,
            delay=delay,
            methods=methods,
            exclude=exclude,
            drop_after_action=drop_after_action,
            seed=seed,
        )
        self._chaos_stats = self._chaos.stats

    def calm(self) -> None:
        """Switch chaos off; ``chaos_stats`` keeps its counts until the next ``chaos()``."""
        self._chaos = None

    @property
    def chaos_stats(self) -> dict[str, int]:
        """What chaos did: eligible ``calls``, then each fault's count.

        Keys: ``calls``, ``bad_gateway``, ``dropped_before_action``, ``dropped_after_action``,
        ``delayed`` and ``delayed_abandoned`` (delayed answers the bot stopped waiting for).
        """
        return dict(self._chaos_stats)

    def deliveries(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Calls of ``method`` whose action took effect, whether or not the bot got the answer.

        For sendMessage: every message Telegram accepted. Their count minus the messages the
        bot meant to send is the number of duplicates; ``[c for c in ... if not c.answered]``
        are the deliveries the bot could not know about.
        """
        return [
            call
            for call in self.calls_to(method)
            if call.ok and (chat_id is None or _chat_of(call) == chat_id)
        ]

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every update was fetched and no request came for a short while."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if (
                not self._world.updates.has_undelivered
                and self._in_flight == 0
                and now - self._last_activity >= IDLE_QUIET_SECONDS
            ):
                return
            if now > deadline:
                raise TimeoutError(
                    f"The bot did not go idle within {timeout} s "
                    f"(unfetched updates: {self._world.updates.has_undelivered}, "
                    f"requests in flight: {self._in_flight}).\n"
                    f"Recent calls:\n{self._world.recent_calls()}"
                )
            await asyncio.sleep(IDLE_QUIET_SECONDS / 5)

    # --- the simulated Telegram -----------------------------------------------------------

    def user(
        self,
        first_name: str = "Бат",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "mn",
        user_id: int | None = None,
    ) -> FakeUser:
        """A user who has started the bot; the private chat id equals the user id."""
        user_id = next(self._user_ids) if user_id is None else user_id
        if user_id in self._world.chats or user_id == self._world.bot_id:
            raise ValueError(f"id {user_id} is already taken")
        user = FakeUser(self._world, user_id, first_name, last_name, username, language_code)
        self._world.users[user_id] = user
        self._world.chats[user_id] = user.chat
        return user

    def group(
        self,
        title: str = "Staff",
        chat_id: int | None = None,
        members: Iterable[FakeUser] = (),
        *,
        admins: Iterable[FakeUser] = (),
        supergroup: bool = True,
        username: str | None = None,
        bot_status: MemberStatus = "member",
        member_count: int | None = None,
    ) -> FakeChat:
        """A (super)group with the bot in it as ``bot_status`` ("left" to add it later).

        ``member_count`` sets what getChatMemberCount answers (see ``FakeChat.member_count``).
        """
        if chat_id is None:
            chat_id = (
                -1_000_000_000_000 - next(self._supergroup_ids)
                if supergroup
                else -next(self._group_ids)
            )
        chat = FakeChat(
            self._world,
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            username=username,
            bot_status=bot_status,
        )
        for member in members:
            chat.members[member.id] = "member"
        for admin in admins:
            chat.members[admin.id] = "administrator"
        if member_count is not None:
            chat.member_count = member_count
        return self._register(chat)

    def channel(
        self,
        title: str = "News",
        chat_id: int | None = None,
        username: str | None = None,
        *,
        bot_status: MemberStatus = "administrator",
        member_count: int | None = None,
    ) -> FakeChat:
        """A channel; bots can only post to channels they administer.

        ``member_count`` is its subscriber count as getChatMemberCount answers it (the bot
        included); without it only the members added with ``add_member`` are counted.
        """
        if chat_id is None:
            chat_id = -1_000_000_000_000 - next(self._supergroup_ids)
        chat = FakeChat(
            self._world, chat_id, "channel", title=title, username=username, bot_status=bot_status
        )
        if member_count is not None:
            chat.member_count = member_count
        return self._register(chat)

    async def add_bot_to(self, chat: FakeChat, *, by: FakeUser, admin: bool = False) -> None:
        """``by`` adds the bot to a group or channel: ``my_chat_member`` and a join message."""
        chat.change_bot_status("administrator" if admin else "member", by=by)

    async def remove_bot_from(self, chat: FakeChat, *, by: FakeUser) -> None:
        """``by`` removes (bans) the bot: later sends fail with 403 "bot was kicked"."""
        chat.change_bot_status("kicked", by=by)

    def _register(self, chat: FakeChat) -> FakeChat:
        if chat.id in self._world.chats:
            raise ValueError(f"chat id {chat.id} is already taken")
        self._world.chats[chat.id] = chat
        if chat.username:
            self._world.public_chats[chat.username.lower()] = chat
        return chat

    # --- HTTP -----------------------------------------------------------------------------

    async def _on_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._answer(method, Params({}), error=unauthorized())
        counted = method.lower() != "getupdates"  # a waiting long poll is not activity
        if counted:
            self._in_flight += 1
        try:
            return await self._handle(request, method)
        finally:
            if counted:
                self._in_flight -= 1

    async def _handle(self, request: web.Request, method: str) -> web.Response:
        try:
            params = await read_params(request)
        except BotApiError as unreadable:
            return self._answer(method, Params({}), error=unreadable)
        chaos = self._chaos
        fault = chaos.roll(method.lower()) if chaos is not None else None
        if fault == "bad_gateway":
            self._record(method, params, error=BotApiError(502, "Bad Gateway"), fault=fault)
            return web.Response(text=BAD_GATEWAY_HTML, status=502, content_type="text/html")
        if fault == "dropped_before_action":
            self._record(method, params, performed=False, fault=fault, answered=False)
            return _drop(request)
        result, error = await self._perform(method, params)
        if fault == "dropped_after_action":
            self._record(method, params, result=result, error=error, fault=fault, answered=False)
            return _drop(request)
        if fault == "delayed" and chaos is not None:
            try:
                await asyncio.sleep(chaos.delay)
            except asyncio.CancelledError:  # the bot gave up waiting and closed the connection
                chaos.stats["delayed_abandoned"] += 1
                self._record(
                    method, params, result=result, error=error, fault=fault, answered=False
                )
                raise
        return self._answer(method, params, result=result, error=error, fault=fault)

    async def _perform(self, method: str, params: Params) -> tuple[Any, BotApiError | None]:
        try:
            return await self._dispatch(method, params), None
        except BotApiError as failure:
            return None, failure
        except Exception as exc:  # a bug in the fake: answer like Telegram's 500 and log it
            _LOGGER.exception("fakegram failed on %s", method)
            return None, BotApiError(500, f"Internal Server Error: fakegram bug: {exc!r}")

    async def _dispatch(self, method: str, params: Params) -> Any:
        key = method.lower()
        for injection in self._injections:
            if injection.matches(key, params):
                injection.remaining -= 1
                if injection.remaining <= 0:
                    self._injections.remove(injection)
                raise BotApiError(injection.code, injection.description, injection.parameters)
        handler = self._api.methods.get(key)
        if handler is None:
            self.unknown_methods.append(method)
            raise not_found()
        return await handler(params)

    def _record(
        self,
        method: str,
        params: Params,
        *,
        result: Any = None,
        error: BotApiError | None = None,
        performed: bool = True,
        fault: str | None = None,
        answered: bool = True,
    ) -> Call:
        now = time.monotonic()
        if error is not None or result != [] or fault:  # an empty poll result is not activity
            self._last_activity = now
        ok = performed and error is None
        method = self._api.names.get(method.lower(), method)
        call = Call(method, params.decoded(), ok, result, error, now, fault, answered)
        self._world.calls.append(call)
        if self._world.events:
            self._world.events.publish(CallEvent(call))
        return call

    def _answer(
        self,
        method: str,
        params: Params,
        *,
        result: Any = None,
        error: BotApiError | None = None,
        fault: str | None = None,
    ) -> web.Response:
        self._record(method, params, result=result, error=error, fault=fault)
        if error is not None:
            body, status = error.to_json(), error.error_code
        else:
            body, status = {"ok": True, "result": result}, 200
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    async def _on_file(self, request: web.Request) -> web.Response:
        stored = (
            self._world.files.by_path(request.match_info["path"])
            if request.match_info["token"] == self.token
            else None
        )
        if stored is None:
            error = not_found()
            return web.json_response(error.to_json(), status=error.error_code)
        return web.Response(body=stored.data, content_type="application/octet-stream")


def _chat_of(call: Call) -> int | None:
    result = call.result
    if isinstance(result, dict) and isinstance(result.get("chat"), dict):
        return int(result["chat"]["id"])
    chat_id = call.params.get("chat_id")
    return chat_id if isinstance(chat_id, int) else None


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering; the response returned is never sent."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)
