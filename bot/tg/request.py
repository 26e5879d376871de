"""PTB's HTTP layer over aiohttp instead of httpx.

Measured in `bench/broadcast.py` (docs/benchmarks.md): a `sendMessage` through httpx costs
the bot 3–7 ms of CPU with 32 requests in flight, mostly in httpcore's pool bookkeeping;
through aiohttp about 0.6 ms. At Telegram's 30 sends a second either is plenty; a paid
broadcast (1,000 a second) needs the cheaper one. The bot already depends on aiohttp
(webhooks, Messenger), so this adds no library.

The contract is PTB's `BaseRequest`: the status and body of one request, `TimedOut` when an
answer did not come in time and `NetworkError` when the connection failed. Bodies carry PTB's own
argument strings, as JSON, or multipart when a file is attached, so Telegram (and the fake
Bot API) reads the same arguments as from `HTTPXRequest`.
"""

from __future__ import annotations

import io

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}
UPLOAD_BYTES_PER_SECOND = 100_000  # the slowest uplink an upload is given time for


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of keep-alive connections to the Bot API.

    Timeouts mean what they mean for `HTTPXRequest`: `connect` to open a connection,
    `pool` to wait for a free one, `read` between bytes of the answer. aiohttp has no
    timeout on writing a body, so the sum of all four bounds a request as a whole, an upload
    getting a second more for every `UPLOAD_BYTES_PER_SECOND` it carries: a slow uplink is
    not a hung one, and a server that stopped reading cannot hang a handler.
    """

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_read", "_session",
                 "_write")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds it to a long poll's own timeout)."""
        return self._read

    async def initialize(self) -> None:
        """Open the session (it needs the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # No cookies, no proxies from the environment: a bot talks to one API.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; the status and the raw body of Telegram's answer."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) \
            else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write if files else self._write
        else:
            write = write_timeout
        if files and write is not None:
            write += sum(len(part[1]) for part in files.values() if isinstance(part[1], bytes)) \
                / UPLOAD_BYTES_PER_SECOND
        timeout = aiohttp.ClientTimeout(
            total=_sum(connect, pool, write, read),
            connect=_sum(pool, connect), sock_connect=connect, sock_read=read)

        body: aiohttp.FormData | bytes | None = None
        headers = None
        if files and request_data is not None:
            # Raw UTF-8 file names (Cyrillic ones included), as httpx sends them.
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                # A stream, not bytes: aiohttp writes bytes in one go (and warns above 1 MB
                # that it blocks the loop); a stream goes out chunk by chunk.
                stream = io.BytesIO(content) if isinstance(content, bytes) else content
                form.add_field(name, stream, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None and request_data.parameters:
            # JSON rather than PTB's form encoding: a tenth of the CPU for a long Cyrillic
            # text (0.01 vs 0.1 ms), and Telegram reads both the same way (every argument a
            # string: PTB's values are already JSON-encoded strings).
            body, headers = request_data.json_payload, _JSON
        try:
            async with session.request(method, url, data=body, headers=headers,
                                       timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The URL holds the bot's token: never in a message that may be logged.
            detail = str(exc).replace(url, "<the Bot API URL>")
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {detail}") from exc


def _sum(*parts: float | None) -> float | None:
    """None (no limit) when any part is unlimited."""
    total = 0.0
    for part in parts:
        if part is None:
            return None
        total += part
    return total
