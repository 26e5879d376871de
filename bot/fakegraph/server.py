"""FakeGraph: Meta's Graph API for one Page over real HTTP, as strict as Meta, for tests.

Point the bot at it with ``BOT_FB_GRAPH_URL=fake.graph_url`` and subscribe the bot's webhook
with ``await fake.subscribe_webhook(url, verify_token)`` (the fake checks it with Meta's GET
first). Then ``alice = fake.person("Сараа")``, ``await alice.send("Сайн уу")``, and
``await alice.next_message()`` is what the bot answered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, web

from . import messages, pages, profile
from .delivery import FIELDS, Webhook
from .errors import (
    GraphApiError,
    internal,
    invalid_parameter,
    invalid_token,
    missing_permission,
    outside_window,
    person_unavailable,
    rate_limited,
    unknown_path,
)
from .limits import Bucket, SendLimits
from .people import FakePerson, cdn_file, new_psid
from .state import Call, CdnFile, Clock, PagePost, World

_LOGGER = logging.getLogger(__name__)
API_VERSION = "v25.0"
MAX_REQUEST_BYTES = 30 * 1024 * 1024
DEFAULT_SCOPES = frozenset({"pages_messaging", "pages_manage_posts", "pages_read_engagement",
                            "read_insights", "pages_show_list"})
# The permission each edge needs (docs/messenger.md, "Permissions").
NEEDS = {"messages": ("pages_messaging",), "messenger_profile": ("pages_messaging",),
         "feed": ("pages_manage_posts",), "photos": ("pages_manage_posts",),
         "videos": ("pages_manage_posts",), "insights": ("read_insights",
                                                         "pages_read_engagement"),
         "object": ("pages_read_engagement",)}
_CHUNK = 64 * 1024


def error_for(code: int) -> GraphApiError:
    """Meta's error for a code (what ``fail_next`` injects)."""
    known = {10: outside_window, 551: person_unavailable, 613: rate_limited, 190: invalid_token}
    if code in known:
        return known[code]()
    if code == 2:
        return GraphApiError(2, "An unexpected error has occurred. Please retry your request "
                             "later.", status=500)
    return GraphApiError(code, f"(#{code}) injected error")


class FakeGraph:
    """The fake Graph API server and the simulated Messenger around one Page."""

    def __init__(
        self,
        page_id: str = "102030405060708",
        page_token: str = "EAAfakePageToken",  # noqa: S107 - a fake server's fake token
        app_secret: str = "fake-app-secret",  # noqa: S107
        *,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        send_limits: SendLimits | None = SendLimits(),  # noqa: B008 - frozen
        page_likes: int = 500,
        small_page_insights: str = "error",
        require_appsecret_proof: bool = False,
    ) -> None:
        """A Page and its app.

        ``small_page_insights``: how insights of a Page under 100 likes are refused,
        ``"error"`` (Meta's documented error 2874008) or ``"empty"`` (``{"data": []}``, what
        older API versions answered); the bot must handle both.
        """
        if small_page_insights not in pages.SMALL_PAGE_ANSWERS:
            raise ValueError(f"small_page_insights is one of {pages.SMALL_PAGE_ANSWERS}")
        self.page_token = page_token
        self.app_secret = app_secret
        self.scopes = frozenset(scopes)
        self.small_page_insights = small_page_insights
        self.require_appsecret_proof = require_appsecret_proof
        self.unknown_calls: list[str] = []
        self._world = World(page_id=page_id, webhook=Webhook(app_secret), page_likes=page_likes)
        self._limits = send_limits
        self._text_rate = Bucket(send_limits.per_second) if send_limits else None
        self._media_rate = Bucket(send_limits.media_per_second) if send_limits else None
        self._expired = False
        self._injections: list[tuple[str, GraphApiError, list[int], str | None]] = []
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        """Listen on 127.0.0.1 (a free port by default)."""
        if self._runner is not None:
            raise RuntimeError("FakeGraph is already running")
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", r"/{version:v\d+\.\d+}/{path:.*}", self._on_api)
        app.router.add_get("/cdn/{key}", self._on_cdn)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                               shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self._runner = runner
        self._url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._world.base_url = self._url

    async def stop(self) -> None:
        """Shut the server down and close the webhook client."""
        await self._world.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGraph:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, traceback: TracebackType | None) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:54321``."""
        if self._url is None:
            raise RuntimeError("FakeGraph.start() has not been awaited")
        return self._url

    @property
    def graph_url(self) -> str:
        """What the bot's BOT_FB_GRAPH_URL is set to: the root with the API version."""
        return f"{self.url}/{API_VERSION}"

    # --- the simulated world ---------------------------------------------------------

    @property
    def page_id(self) -> str:
        """The Page's id."""
        return self._world.page_id

    @property
    def clock(self) -> Clock:
        """The server clock behind timestamps and the messaging windows (``advance(hours=25)``)."""
        return self._world.clock

    @property
    def webhook(self) -> Webhook:
        """The app's webhook subscription, with every delivery attempt in ``posts``."""
        return self._world.webhook

    async def subscribe_webhook(self, url: str, verify_token: str,
                                fields: Iterable[str] = FIELDS) -> None:
        """Set the app's callback URL; Meta first checks it answers ``hub.challenge``."""
        await self._world.webhook.subscribe(url, verify_token, fields)

    def batch(self) -> AbstractAsyncContextManager[None]:
        """``async with fake.batch():`` — the events made inside go in one POST."""
        return self._world.webhook.batch()

    def person(self, name: str = "Сараа", locale: str = "mn_MN", psid: str | None = None
               ) -> FakePerson:
        """Someone on Messenger who can write to the Page (a PSID of their own)."""
        psid = psid or new_psid()
        if psid in self._world.people:
            raise ValueError(f"PSID {psid} is taken")
        person = FakePerson(self._world, psid, name, locale)
        self._world.people[psid] = person
        return person

    def attachment(self, kind: str, *, data: bytes | None = None, size: int | None = None,
                   content_type: str | None = None, name: str | None = None
                   ) -> dict[str, Any]:
        """A file on the fake CDN for ``person.send_attachments``.

        ``size`` alone serves that many made-up bytes (a 30 MB video without 30 MB in memory).
        """
        return cdn_file(self._world, kind, data=data, size=size, content_type=content_type,
                        name=name)

    def file(self, url: str) -> CdnFile | None:
        """The file behind a CDN URL: one a person sent, or one the Page uploaded to them."""
        prefix = f"{self._world.base_url}/cdn/"
        if not url.startswith(prefix):
            return None
        return self._world.cdn.get(url.removeprefix(prefix))

    def downloads(self, attachment: dict[str, Any]) -> int:
        """How many times the file behind an attachment was downloaded."""
        key = str(attachment["payload"]["url"]).rsplit("/", 1)[-1]
        return self._world.cdn[key].downloads

    @property
    def profile(self) -> dict[str, Any]:
        """The Page's Messenger profile as last set."""
        return self._world.profile

    @property
    def page_likes(self) -> int:
        """The Page's likes; under 100, Meta gives no insights."""
        return self._world.page_likes

    @page_likes.setter
    def page_likes(self, value: int) -> None:
        self._world.page_likes = value

    @property
    def posts(self) -> list[PagePost]:
        """The Page's posts, oldest first."""
        return list(self._world.posts.values())

    def post(self, post_id: str) -> PagePost:
        """One post, to read or to set its figures (views, reactions, comments, shares)."""
        return self._world.posts[post_id]

    def expire_token(self) -> None:
        """The Page token stops working (a password change, an admin removed …): 190."""
        self._expired = True

    def fail_next(self, edge: str, error: GraphApiError | int = 613, *, count: int = 1,
                  psid: str | None = None) -> None:
        """Answer the next ``count`` calls of ``edge`` (to ``psid``, if given) with an error."""
        failure = error if isinstance(error, GraphApiError) else error_for(error)
        self._injections.append((edge, failure, [count], psid))

    # --- inspection ------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every Graph API request, in the order answered."""
        return self._world.calls

    def calls_to(self, edge: str) -> list[Call]:
        """The calls of one edge (messages, messenger_profile, feed, photos, videos …)."""
        return [c for c in self._world.calls if c.edge == edge]

    def observe(self, observer: Callable[[object], None]) -> Callable[[], None]:
        """Call ``observer`` with each `Call` answered and each `Sent` message, as it happens.

        ``Sent``: a person received the Page's message. The observer must not block.
        Returns the function that stops it.
        """
        self._world.observers.append(observer)

        def stop() -> None:
            if observer in self._world.observers:
                self._world.observers.remove(observer)

        return stop

    # --- HTTP ------------------------------------------------------------------------

    async def _on_api(self, request: web.Request) -> web.Response:
        path = request.match_info["path"].strip("/")
        edge, node = "unknown", ""
        params: dict[str, Any] = {}
        try:
            params, upload, uploaded = await _read_params(request)
            token = _token(request, params)
            edge, node = self._route(request.method, path)
            result = self._perform(request.method, edge, node, params, token, upload, uploaded)
        except GraphApiError as error:
            self._record(request.method, edge, path, params, error.status, error=error)
            return web.json_response(error.to_json(), status=error.status)
        except Exception as exc:  # a bug in the fake: answer like Meta's unknown error
            _LOGGER.exception("fakegraph failed on %s %s", request.method, path)
            bug = internal(repr(exc))
            self._record(request.method, edge, path, params, bug.status, error=bug)
            return web.json_response(bug.to_json(), status=bug.status)
        self._record(request.method, edge, path, params, 200, result=result)
        return web.json_response(result)

    def _route(self, method: str, path: str) -> tuple[str, str]:
        parts = path.split("/")
        node = self.page_id if parts[0] == "me" else parts[0]
        tail = parts[1] if len(parts) == 2 else None
        if len(parts) > 2 or not node:
            raise self._unknown(method, path)
        routes = {("POST", "messages"), ("POST", "messenger_profile"),
                  ("GET", "messenger_profile"), ("DELETE", "messenger_profile"),
                  ("POST", "feed"), ("POST", "photos"), ("POST", "videos")}
        if node == self.page_id and tail is not None and (method, tail) in routes:
            return tail, node
        if node != self.page_id and tail == "insights" and method == "GET":
            return "insights", node
        if node != self.page_id and tail is None and method == "GET":
            return "object", node
        raise self._unknown(method, path)

    def _unknown(self, method: str, path: str) -> GraphApiError:
        self.unknown_calls.append(f"{method} {path}")
        return unknown_path(path)

    def _perform(self, method: str, edge: str, node: str, params: dict[str, Any],
                 token: str | None, upload: int | None, uploaded: CdnFile | None = None
                 ) -> Any:
        self._authorize(token, params)
        for permission in NEEDS.get(edge, ()):
            if permission not in self.scopes:
                raise missing_permission(permission)
        self._inject(edge, params)
        world = self._world
        if edge == "messages":
            out = messages.check(world, params, upload)
            bucket = self._media_rate if out.media else self._text_rate
            if bucket is not None and not bucket.take():
                raise rate_limited()
            return messages.deliver(world, out, uploaded)
        if edge == "messenger_profile":
            if method == "GET":
                fields = [f for f in str(params.get("fields", "")).split(",") if f]
                if not fields:
                    raise invalid_parameter("param fields is required")
                found = {f: world.profile[f] for f in fields if f in world.profile}
                return {"data": [found] if found else []}
            if method == "DELETE":
                names = params.get("fields")
                if not isinstance(names, list) or not names:
                    raise invalid_parameter("param fields must be a non-empty array")
                profile.delete_properties(world.profile, [str(f) for f in names])
            else:
                profile.set_properties(world.profile, params)
            return {"result": "success"}
        if edge == "feed":
            return pages.publish_feed(world, params)
        if edge == "photos":
            return pages.publish_photo(world, params, upload)
        if edge == "videos":
            return pages.publish_video(world, params, upload)
        if edge == "insights":
            return pages.insights(world, node, params.get("metric"), self.small_page_insights)
        return pages.read_object(world, node, params.get("fields"))

    def _authorize(self, token: str | None, params: dict[str, Any]) -> None:
        if token is None:
            raise GraphApiError(104, "An access token is required to request this resource.")
        if not hmac.compare_digest(token.encode(), self.page_token.encode()):
            raise invalid_token()
        if self._expired:
            raise GraphApiError(190, "Error validating access token: Session has expired.",
                                subcode=463)
        proof = params.get("appsecret_proof")
        if proof is None:
            if self.require_appsecret_proof:
                raise invalid_parameter("API calls from the server require an appsecret_proof "
                                        "argument")
            return
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(str(proof).encode(), expected.encode()):
            raise invalid_parameter("Invalid appsecret_proof provided in the API argument")

    def _inject(self, edge: str, params: dict[str, Any]) -> None:
        for injection in self._injections:
            wanted, error, remaining, psid = injection
            recipient = params.get("recipient")
            to = str(recipient.get("id")) if isinstance(recipient, dict) else None
            if wanted == edge and (psid is None or psid == to):
                remaining[0] -= 1
                if remaining[0] <= 0:
                    self._injections.remove(injection)
                raise error

    def _record(self, method: str, edge: str, path: str, params: dict[str, Any], status: int,
                *, result: Any = None, error: GraphApiError | None = None) -> None:
        kept = {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof")}
        call = Call(method, edge, path, kept, status, result, error)
        self._world.calls.append(call)
        self._world.tell(call)

    async def _on_cdn(self, request: web.Request) -> web.StreamResponse:
        stored = self._world.cdn.get(request.match_info["key"])
        if stored is None:
            return web.Response(status=404, text="Not Found")
        stored.downloads += 1
        response = web.StreamResponse(headers={"Content-Type": stored.content_type})
        response.content_length = stored.size
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        async for chunk in _chunks(stored.data, stored.size):
            await response.write(chunk)
        await response.write_eof()
        return response


async def _chunks(data: bytes | None, size: int) -> AsyncIterator[bytes]:
    if data is not None:
        for start in range(0, len(data), _CHUNK):
            yield data[start:start + _CHUNK]
        return
    pattern = bytes(range(256)) * (_CHUNK // 256)
    sent = 0
    while sent < size:
        piece = pattern[: min(_CHUNK, size - sent)]
        sent += len(piece)
        yield piece


def _token(request: web.Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    token = params.get("access_token")
    return str(token) if token else None


def _decode(value: str) -> Any:
    """Form and query values that hold JSON (``recipient={"id": …}``) are read as JSON."""
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            raise invalid_parameter(f"a parameter is not valid JSON: {stripped[:40]!r}") \
                from None
    return value


async def _read_params(request: web.Request
                       ) -> tuple[dict[str, Any], int | None, CdnFile | None]:
    """Query and body parameters (JSON, form or multipart), the size of an upload, the file.

    The (first) uploaded file is kept so a person can be shown what the Page sent them.
    """
    params: dict[str, Any] = {k: _decode(v) for k, v in request.query.items()}
    upload: int | None = None
    uploaded: CdnFile | None = None
    if request.method in ("POST", "DELETE") and request.can_read_body:
        kind = request.content_type
        if kind == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise invalid_parameter("the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise invalid_parameter("the request body must be a JSON object")
            params.update(body)
        elif kind == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.filename is not None:
                    data = bytes(await part.read())
                    upload = (upload or 0) + len(data)
                    if uploaded is None:
                        uploaded = CdnFile(part.headers.get("Content-Type")
                                           or "application/octet-stream", len(data), data,
                                           name=part.filename)
                else:
                    params[str(part.name)] = _decode(await part.text())
        else:
            form = await request.post()
            params.update({k: _decode(str(v)) for k, v in form.items()})
    return params, upload, uploaded
