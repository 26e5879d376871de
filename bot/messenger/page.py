"""`GraphPage`: the core's `PageTarget` over the Graph API (`bot.core.page`).

Texts are stored as Telegram HTML; the Page gets plain text (`chat.plain`: tags dropped,
a link's address kept), with link buttons written under it as "label: address". A text
post with a link button becomes a link post (Facebook shows the page's preview). Meta's
errors become the core's: network trouble, 5xx and the rate limits (4, 17, 32, 613) and
Meta's own "temporary" codes (1, 2) are `PageUnavailable`, 190 is `PageTokenRefused`,
506 ("duplicate post": Meta already has this text, perhaps from an answer the bot never
got) is `PageRefused("duplicate")`, anything else `PageRefused` with its code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bot.config import FacebookSettings
from bot.core.page import (
    PageContent,
    PageRefused,
    PageTokenRefused,
    PageUnavailable,
    Reading,
)
from bot.messenger.chat import plain
from bot.messenger.graph import (
    GraphClient,
    GraphError,
    GraphUnavailable,
    InvalidToken,
    RateLimited,
)

# Meta's "wait and retry" codes (Graph API error handling; 32: Page-level throttling).
TEMPORARY = frozenset({1, 2, 4, 17, 32, 341, 368, 613})
DUPLICATE = 506  # "Duplicate post": the same content posted just before


def page_text(content: PageContent) -> str:
    """The post's words as the Page shows them."""
    lines = [plain(content.text).strip()]
    lines += [f"{label}: {url}" if label and label != url else url
              for label, url in content.links]
    return "\n\n".join(line for line in lines if line)


def _translated(error: GraphError | GraphUnavailable) -> Exception:
    if isinstance(error, GraphUnavailable):
        return PageUnavailable(str(error) or "unavailable")
    if isinstance(error, InvalidToken):
        return PageTokenRefused("190")
    if error.code == DUPLICATE:
        return PageRefused("duplicate")
    code = f"{error.code}/{error.subcode}" if error.subcode else str(error.code)
    if isinstance(error, RateLimited) or error.code in TEMPORARY or error.status >= 500:
        return PageUnavailable(code)
    return PageRefused(code)


class GraphPage:
    """The office's Page through a `GraphClient`."""

    def __init__(self, graph: GraphClient) -> None:
        self._graph = graph

    async def publish(self, content: PageContent) -> tuple[str, str]:
        """A photo, video, link or text post; returns (its id, its form)."""
        text = page_text(content)
        try:
            if content.media is not None and content.media.kind == "photo":
                return await self._graph.publish_photo(
                    caption=text, data=content.media.data,
                    filename=content.media.filename), "photo"
            if content.media is not None:
                return await self._graph.publish_video(
                    description=text, data=content.media.data,
                    filename=content.media.filename), "video"
            if content.link is not None:
                return await self._graph.publish(text, link=content.link), "link"
            return await self._graph.publish(text), "status"
        except (GraphError, GraphUnavailable) as exc:
            raise _translated(exc) from exc

    async def figures(self, post_id: str) -> Reading:
        """Unique views (None where Facebook gives no insights), reactions, comments, shares."""
        try:
            found = await self._graph.post_figures(post_id)
        except (GraphError, GraphUnavailable) as exc:
            raise _translated(exc) from exc
        return Reading(views=found.views, reactions=found.reactions, comments=found.comments,
                       shares=found.shares)


@asynccontextmanager
async def open_page(facebook: FacebookSettings, *, seconds: float) -> AsyncIterator[GraphPage]:
    """A `GraphPage` on a session of its own, for one pass; each call waits `seconds` at most."""
    async with aiohttp.ClientSession() as session:
        yield GraphPage(GraphClient(session, facebook, timeout=seconds))
