"""Materials on demand: the content library's posts, when the person asks, never broadcast.

Meta allows a Page to write within 24 hours of a person's message, and forbids promotional
messages outside it (its marketing-messages opt-in was retired on 2026-02-10); so the
Messenger side has no subscription at all: a post is sent only as the answer to the
person's own choice. "The latest" are the library's posts most recently sent to Telegram
subscribers, then the rest of the library in its order; topics are the posts' ``topics``
that have a name in the catalogs (``messenger.topic.<tag>``).

Payloads: ``M:latest``, ``M:topics``, ``M:t:<topic>``, ``M:p:<post id>``.
"""

from __future__ import annotations

import logging
import mimetypes

from bot.core import posts
from bot.core.backend import record_event
from bot.core.content import Post
from bot.i18n import DEFAULT_LANG, catalog
from bot.messenger.chat import CHANNEL, Turn, menu, plain, title
from bot.messenger.graph import (
    BUTTONS_MAX,
    QUICK_REPLIES_MAX,
    Button,
    GraphError,
    GraphUnavailable,
    PostbackButton,
    QuickReply,
    UrlButton,
)
from bot.messenger.profile import Payload
from bot.tg.common import esc

log = logging.getLogger(__name__)

SHOWN = 5  # posts offered at a time
KINDS = {"photo": "image", "video": "video", "document": "file"}


def topics(turn: Turn) -> list[str]:
    """The topics that have a name in the catalogs and at least one post, library order."""
    named = {k.removeprefix("messenger.topic.") for k in catalog(DEFAULT_LANG)
             if k.startswith("messenger.topic.")}
    found: dict[str, None] = {}
    for post in turn.env.services.content.posts:
        for topic in post.topics:
            if topic in named:
                found[topic] = None
    return list(found)


async def choose(turn: Turn) -> None:
    """Offers the latest materials and the topics."""
    quick = [turn.quick("materials.latest", "M:latest")]
    quick += [QuickReply(title(turn.t(f"messenger.topic.{topic}")), f"M:t:{topic}")
              for topic in topics(turn)[: QUICK_REPLIES_MAX - 1]]
    await turn.text(turn.t("messenger.materials.choose"), quick)


async def latest(turn: Turn) -> None:
    """The posts most recently sent out, then the rest of the library."""
    library = turn.env.services.content
    order: dict[str, None] = {}
    for sent in await posts.recent(turn.env.backend, limit=20):
        meta = await posts.load(turn.env.backend, sent.post_id)
        if meta is not None and meta[1].content_id and library.get(meta[1].content_id):
            order[meta[1].content_id] = None
    for post in library.posts:
        order[post.id] = None
    await _offer(turn, [p for i in order if (p := library.get(i)) is not None][:SHOWN])


async def topic(turn: Turn, tag: str) -> None:
    """The posts of one topic."""
    found = [p for p in turn.env.services.content.posts if tag in p.topics]
    if not found or tag not in topics(turn):
        await turn.text(turn.t("messenger.materials.none"), [turn.quick("materials.topics",
                                                                        "M:topics")])
        return
    await _offer(turn, found[:SHOWN])


async def _offer(turn: Turn, found: list[Post]) -> None:
    listed = "\n".join(f"{i}. {p.title_for(turn.lang)}" for i, p in enumerate(found, 1))
    quick = [QuickReply(title(f"{i}. {p.title_for(turn.lang)}"), f"M:p:{p.id}")
             for i, p in enumerate(found, 1)]
    quick.append(turn.quick("materials.topics", "M:topics"))
    await turn.text(turn.t("messenger.materials.list", items=esc(listed)), quick)


async def send_post(turn: Turn, post_id: str) -> None:
    """One post: its files, its text, its links; counted as a material sent."""
    post = turn.env.services.content.get(post_id)
    if post is None:
        await turn.text(turn.t("error.stale_button"), menu(turn.lang))
        return
    lang = post.language(turn.lang)
    for media in post.media:
        try:
            data = media.path.read_bytes()
            await turn.env.graph.send_attachment(
                turn.psid, KINDS.get(media.type, "file"), data, filename=media.path.name,
                content_type=mimetypes.guess_type(media.path.name)[0]
                or "application/octet-stream")
        except OSError as exc:
            log.warning("material file not readable: %s", exc.__class__.__name__)
        except (GraphError, GraphUnavailable) as exc:
            log.warning("material file not sent: %s", exc.__class__.__name__)
    # Links, and the post's "file a complaint" and survey buttons; counted presses (useful,
    # pledge) and shares belong to broadcasts, which Messenger does not have.
    links: list[Button] = []
    for b in post.buttons:
        if b.url:
            links.append(UrlButton(title(b.label(lang)), b.url))
        elif b.action == "complain":
            links.append(PostbackButton(title(b.label(lang)), str(Payload.COMPLAIN)))
        elif b.action == "survey" and b.survey:
            links.append(PostbackButton(title(b.label(lang)), f"SV:go:{b.survey}"))
    sent = await turn.text(plain(post.message(lang)),
                           [] if links else [turn.quick("materials.topics", "M:topics")])
    if sent and links:
        await turn.buttons(turn.t("messenger.materials.links"), links[:BUTTONS_MAX])
    if sent:
        await record_event(turn.env.backend, "material_sent", turn.now, channel=CHANNEL,
                           post=post.id)
