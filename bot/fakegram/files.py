"""Files known to the bot: uploads by the bot or by users, addressed by ``file_id``.

Photos get several sizes like on Telegram. Only the largest carries the uploaded bytes; the
smaller ones hold a short placeholder, so a bot that downloads ``photo[0]`` instead of
``photo[-1]`` gets visibly different bytes in a test, as it would get a thumbnail in production.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from .wire import JSON, MB

MAX_DOWNLOAD_BYTES = 20 * MB
MAX_PHOTO_UPLOAD_BYTES = 10 * MB

# tdlib's FileType names, used in "Can't use file of type X as Y"
PHOTO = "Photo"

_ID_PREFIX = {
    "Photo": "AgAC",
    "Document": "BQAC",
    "Video": "BAAC",
    "VoiceNote": "AwAC",
    "Audio": "CQAC",
    "Animation": "CgAC",
    "Sticker": "CAAC",
}
_DIRECTORY = {
    "Photo": ("photos", ".jpg"),
    "Document": ("documents", ""),
    "Video": ("videos", ".mp4"),
    "VoiceNote": ("voice", ".oga"),
    "Audio": ("music", ".mp3"),
    "Animation": ("animations", ".mp4"),
    "Sticker": ("stickers", ".webp"),
}
# Telegram's thumbnail sizes: (longest side, size letter)
_PHOTO_SIZES = ((90, "s"), (320, "m"), (800, "x"))


@dataclass(eq=False, slots=True)
class StoredFile:
    """One file as Telegram's server holds it."""

    file_id: str
    file_unique_id: str
    file_type: str
    data: bytes
    size: int
    meta: JSON = field(default_factory=dict)  # width, height, file_name, mime_type, duration...
    photo: tuple[StoredFile, ...] = ()  # every size of the photo this size belongs to
    path: str | None = None

    def to_json(self) -> JSON:
        """The file as a Bot API object (PhotoSize, Document, Voice, ...)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            **self.meta,
        }


class FileStore(Mapping[str, bytes]):
    """``file_id`` -> bytes, with the records behind them."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, StoredFile] = {}
        self._counter = 0

    def __getitem__(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def record(self, file_id: str) -> StoredFile | None:
        """The stored file behind ``file_id``."""
        return self._files.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        """The file served at ``/file/bot<token>/<path>`` once getFile has named it."""
        return self._paths.get(path)

    def add(
        self, file_type: str, data: bytes, *, size: int | None = None, meta: JSON | None = None
    ) -> StoredFile:
        """Register a non-photo file; ``size`` may claim more than ``data`` holds."""
        stored = self._new(file_type, data, len(data) if size is None else size, meta or {})
        self._files[stored.file_id] = stored
        return stored

    def add_photo(
        self, data: bytes, width: int, height: int, *, size: int | None = None
    ) -> tuple[StoredFile, ...]:
        """Register a photo with Telegram-like smaller sizes before the full one."""
        longest = max(width, height, 1)
        digest = hashlib.sha256(data).hexdigest()[:16]
        sizes: list[StoredFile] = []
        for side, letter in _PHOTO_SIZES:
            if side >= longest:
                break
            placeholder = f"fakegram thumbnail {letter} of {digest}".encode()
            scale = side / longest
            meta = {"width": round(width * scale), "height": round(height * scale)}
            sizes.append(self._new(PHOTO, placeholder, len(placeholder), meta))
        full_size = len(data) if size is None else size
        sizes.append(self._new(PHOTO, data, full_size, {"width": width, "height": height}))
        photo = tuple(sizes)
        for stored in photo:
            stored.photo = photo
            self._files[stored.file_id] = stored
        return photo

    def path_for(self, stored: StoredFile) -> str:
        """Give the file a download path, as getFile does."""
        if stored.path is None:
            directory, extension = _DIRECTORY[stored.file_type]
            name = str(stored.meta.get("file_name", ""))
            suffix = PurePosixPath(name).suffix or extension
            if not suffix:
                suffix = mimetypes.guess_extension(str(stored.meta.get("mime_type", ""))) or ""
            stored.path = f"{directory}/file_{len(self._paths)}{suffix}"
            self._paths[stored.path] = stored
        return stored.path

    def _new(self, file_type: str, data: bytes, size: int, meta: JSON) -> StoredFile:
        self._counter += 1
        seed = hashlib.sha512(f"{file_type}:{self._counter}".encode()).digest()
        token = base64.urlsafe_b64encode(seed).decode().rstrip("=")
        return StoredFile(
            file_id=f"{_ID_PREFIX[file_type]}Ag{token[:48]}",
            file_unique_id=f"AQAD{token[48:60]}",
            file_type=file_type,
            data=data,
            size=size,
            meta=meta,
        )
