"""Taking a citizen's file: check before download, download, encrypt, describe."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Message
from telegram.error import BadRequest, TelegramError

from bot.core.errors import InvalidDraft
from bot.core.models import AttachmentKind, AttachmentRef
from bot.tg.common import Ctx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A file in a message, before download."""

    file_id: str
    kind: AttachmentKind
    size: int | None
    mime: str | None
    file_name: str | None


def incoming_file(message: Message) -> Incoming | None:
    """The one file a message carries, if it is of a kind we accept."""
    if message.photo:
        # Telegram sends several sizes; the last is the largest (and re-compressed, no EXIF).
        photo = message.photo[-1]
        return Incoming(photo.file_id, AttachmentKind.PHOTO, photo.file_size, "image/jpeg", None)
    if (doc := message.document) is not None:
        return Incoming(doc.file_id, AttachmentKind.DOCUMENT, doc.file_size, doc.mime_type,
                        doc.file_name)
    if (voice := message.voice) is not None:
        return Incoming(voice.file_id, AttachmentKind.VOICE, voice.file_size, voice.mime_type,
                        None)
    if (video := message.video) is not None:
        return Incoming(video.file_id, AttachmentKind.VIDEO, video.file_size, video.mime_type,
                        video.file_name)
    return None


async def download(ctx: Ctx, incoming: Incoming) -> AttachmentRef:
    """Fetch the file from Telegram and store it encrypted; raises `InvalidDraft`."""
    try:
        tg_file = await ctx.bot.get_file(incoming.file_id)
        data = bytes(await tg_file.download_as_bytearray())
    except BadRequest as exc:
        if "too big" in exc.message.lower():
            raise InvalidDraft("file_too_big") from exc
        log.warning("attachment download refused: %s", exc.message)
        raise InvalidDraft("file_failed") from exc
    except TelegramError as exc:
        log.warning("attachment download failed: %s", exc.__class__.__name__)
        raise InvalidDraft("file_failed") from exc
    blob = await ctx.svc.backend.files.put(data)
    return AttachmentRef(blob=blob, kind=incoming.kind, size=len(data), mime=incoming.mime,
                         file_name=incoming.file_name)
