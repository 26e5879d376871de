"""Attachments, encrypted, one file each under `data/files/` with a random name.

Files are named by random tokens, not by case, so the folder says nothing about who sent
what; the link from a case to its files lives only in the (encrypted) database rows.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

from bot.core.crypto import Vault


class FileStore:
    """Put, get and delete encrypted blobs."""

    def __init__(self, root: Path, vault: Vault) -> None:
        self._root = root
        self._vault = vault
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, name: str) -> Path:
        if not name.isalnum():
            raise ValueError("bad blob name")
        return self._root / f"{name}.bin"

    async def put(self, data: bytes) -> str:
        """Store bytes; returns the blob's name."""
        name = secrets.token_hex(16)
        sealed = self._vault.seal(data, f"file:{name}")
        await asyncio.to_thread(self._write, self._path(name), sealed)
        return name

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    async def get(self, name: str) -> bytes:
        """The plaintext of a blob."""
        sealed = await asyncio.to_thread(self._path(name).read_bytes)
        return self._vault.open(sealed, f"file:{name}")

    async def delete(self, name: str) -> None:
        """Remove a blob; a missing one is already gone."""
        await asyncio.to_thread(self._path(name).unlink, True)

    def exists(self, name: str) -> bool:
        """Whether the blob is on disk."""
        return self._path(name).exists()
