"""Message content from request arguments: text, captions, files and InputMedia."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

from ..errors import bad_request, entity_too_large
from ..files import MAX_PHOTO_UPLOAD_BYTES, PHOTO, FileStore, StoredFile
from ..formatting import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, FormattedText, format_text
from ..wire import JSON, MAX_UPLOAD_BYTES, Params, Upload

DEFAULT_PHOTO_SIZE = (1280, 960)  # the fake does not decode images


@dataclass(frozen=True, slots=True)
class MediaKind:
    """One kind of file message: its parameter, file type, upload limit and attributes."""

    name: str  # request parameter, InputMedia type and Message field
    file_type: str  # tdlib FileType name
    upload_limit: int = MAX_UPLOAD_BYTES
    attributes: tuple[str, ...] = ()  # copied from the request into the file object
    defaults: JSON = field(default_factory=dict)  # what Telegram would read from the file
    keeps_file_name: bool = True
    captioned: bool = True


_VISUAL = ("duration", "width", "height")
MEDIA_KINDS = {
    kind.name: kind
    for kind in (
        MediaKind("photo", PHOTO, upload_limit=MAX_PHOTO_UPLOAD_BYTES, keeps_file_name=False),
        MediaKind("document", "Document"),
        MediaKind("video", "Video", attributes=_VISUAL, defaults=dict.fromkeys(_VISUAL, 0)),
        MediaKind("animation", "Animation", attributes=_VISUAL, defaults=dict.fromkeys(_VISUAL, 0)),
        MediaKind(
            "audio",
            "Audio",
            attributes=("duration", "title", "performer"),
            defaults={"duration": 0},
        ),
        MediaKind(
            "voice",
            "VoiceNote",
            attributes=("duration",),
            defaults={"duration": 0, "mime_type": "audio/ogg"},
            keeps_file_name=False,
        ),
        MediaKind(
            "sticker",
            "Sticker",
            attributes=("emoji",),
            defaults={
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
            keeps_file_name=False,
            captioned=False,
        ),
    )
}
INPUT_MEDIA_TYPES = ("photo", "video", "animation", "audio", "document")
ALBUM_TYPES = ("photo", "video", "document", "audio")
# Message fields that carry content, i.e. what copyMessage and forwardMessage reproduce.
CONTENT_FIELDS = frozenset(
    {"text", "entities", "caption", "caption_entities", "location", "contact", *MEDIA_KINDS}
)
CAPTION_FIELDS = ("caption", "caption_entities")


def has_media(message: JSON) -> bool:
    """Whether the message carries a file (and so may carry a caption)."""
    return any(kind in message for kind in MEDIA_KINDS)


def content_of(message: JSON) -> JSON:
    """The content fields of a message, without sender, chat, date or markup."""
    return {k: v for k, v in message.items() if k in CONTENT_FIELDS}


def media_content(kind: MediaKind, stored: StoredFile) -> JSON:
    """The Message fields for a file of this kind."""
    if kind.file_type == PHOTO:
        return {"photo": [size.to_json() for size in stored.photo]}
    document = stored.to_json()
    if kind.name == "animation":
        return {"animation": document, "document": document}  # as Telegram sends animations
    return {kind.name: document}


class Content:
    """Parses content arguments with Telegram's limits; stores uploads in the file store."""

    def __init__(self, files: FileStore) -> None:
        self.files = files

    def message_text(self, p: Params) -> FormattedText:
        """``text`` with ``parse_mode``/``entities``: 1-4096 characters after parsing."""
        text = p.text("text")
        if not text:
            raise bad_request("Message text is empty")
        formatted = format_text(text, p.text("parse_mode"), p.json("entities", "entities"))
        if len(formatted.text) > MAX_TEXT_LENGTH:
            raise bad_request("Message is too long")
        return formatted

    def caption(self, p: Params) -> FormattedText:
        """``caption`` with ``parse_mode``/``caption_entities``: 0-1024 characters."""
        return _checked_caption(
            format_text(
                p.text("caption"),
                p.text("parse_mode"),
                p.json("caption_entities", "caption entities"),
                allow_empty=True,
            )
        )

    def input_file(
        self,
        p: Params,
        kind: MediaKind,
        value: str,
        *,
        upload_name: str | None,
        attributes: JSON | None = None,
    ) -> StoredFile | None:
        """Resolve an InputFile: a multipart part, ``attach://name``, or an existing file_id."""
        if value.startswith("attach://"):
            upload = p.file(value.removeprefix("attach://"))
        elif not value:
            upload = p.file(upload_name) if upload_name else None
        else:
            return self._existing(value, kind)
        if upload is None:
            return None
        if attributes is None:
            attributes = {name: _attribute(p.text(name)) for name in kind.attributes if p.has(name)}
        return self._store(upload, kind, attributes)

    def input_media(self, p: Params, item: Any, *, for_album: bool) -> JSON:
        """Message content fields from one InputMedia object."""
        if not isinstance(item, dict):
            raise bad_request("Can't parse InputMedia: expected an Object")
        caption = item.get("caption", "")
        if not isinstance(caption, str):
            raise bad_request('Can\'t parse InputMedia: Field "caption" must be of type String')
        formatted = _checked_caption(
            format_text(
                caption,
                str(item.get("parse_mode", "")),
                item.get("caption_entities"),
                allow_empty=True,
            )
        )
        media_type = item.get("type")
        if not isinstance(media_type, str):
            raise bad_request('Can\'t parse InputMedia: Field "type" must be of type String')
        if media_type not in INPUT_MEDIA_TYPES:
            raise bad_request(f'Can\'t parse InputMedia: type "{media_type}" is unsupported')
        if for_album and media_type not in ALBUM_TYPES:
            raise bad_request(
                f"Can't parse InputMedia: type \"{media_type}\" can't be used in sendMediaGroup"
            )
        kind = MEDIA_KINDS[media_type]
        attributes = {name: item[name] for name in kind.attributes if name in item}
        stored = self.input_file(
            p, kind, str(item.get("media", "")), upload_name=None, attributes=attributes
        )
        if stored is None:
            raise bad_request("Can't parse InputMedia: media not found")
        return {**media_content(kind, stored), **formatted.fields(*CAPTION_FIELDS)}

    def _existing(self, file_id: str, kind: MediaKind) -> StoredFile:
        stored = self.files.record(file_id)
        if stored is None:
            if file_id.startswith(("http://", "https://")):
                raise bad_request("Failed to get HTTP URL content")  # the fake fetches nothing
            raise bad_request("Wrong file identifier/HTTP URL specified")
        if (stored.file_type == PHOTO) != (kind.file_type == PHOTO):
            raise bad_request(f"Can't use file of type {stored.file_type} as {kind.file_type}")
        return stored

    def _store(self, upload: Upload, kind: MediaKind, attributes: JSON) -> StoredFile:
        size = len(upload.data)
        if size == 0:
            raise bad_request("File must be non-empty")
        if size > kind.upload_limit:
            if kind.file_type == PHOTO:
                raise bad_request("PHOTO_SAVE_FILE_INVALID")
            raise entity_too_large()
        if kind.file_type == PHOTO:
            return self.files.add_photo(upload.data, *DEFAULT_PHOTO_SIZE)[-1]
        meta: JSON = {**kind.defaults, **attributes}
        name = upload.filename or ""
        if kind.keeps_file_name:
            if name:
                meta["file_name"] = name
            meta.setdefault(
                "mime_type",
                upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
            )
        return self.files.add(kind.file_type, upload.data, meta=meta)


def _checked_caption(caption: FormattedText) -> FormattedText:
    if len(caption.text) > MAX_CAPTION_LENGTH:
        raise bad_request("Message caption is too long")
    return caption


def _attribute(raw: str) -> int | str:
    return int(raw) if raw.lstrip("-").isdigit() else raw
