"""Encryption at rest, keyed pseudonyms and receipt hashes, all from one master key.

Subkeys are derived with HKDF so that one secret can be backed up, and no subkey can be
turned into another. Content is sealed with AES-256-GCM; the associated data names what a
blob is for, so a blob moved to another column or row fails to open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core.errors import KeyMismatch

KEY_FILE = "secret.key"
_VERSION = b"\x01"
_NONCE = 12


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Vault:
    """Holds the subkeys; every secret operation in the bot goes through here."""

    def __init__(self, master: bytes, *, scrypt_n: int = 2**14) -> None:
        if len(master) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(_derive(master, b"ac110 content v1"))
        self._pseudonym = _derive(master, b"ac110 pseudonym v1")
        self._rotating = _derive(master, b"ac110 rotating v1")
        self._receipt_salt = _derive(master, b"ac110 receipt salt v1")
        self._tag = _derive(master, b"ac110 callback tag v1")
        self._check = _derive(master, b"ac110 key check v1")
        self._scrypt_n = scrypt_n

    # -- encryption at rest ------------------------------------------------------------
    def seal(self, plaintext: bytes, context: str) -> bytes:
        """Encrypt; `context` says what the blob is (`complaint.body`, `file:<name>` …)."""
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        """Decrypt a blob sealed for the same context."""
        if not blob.startswith(_VERSION):
            raise ValueError("unknown ciphertext version")
        nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag as exc:
            raise KeyMismatch(f"cannot decrypt {context}") from exc

    def seal_text(self, text: str, context: str) -> bytes:
        """Encrypt a string."""
        return self.seal(text.encode("utf-8"), context)

    def open_text(self, blob: bytes, context: str) -> str:
        """Decrypt a string."""
        return self.open(blob, context).decode("utf-8")

    # -- pseudonyms --------------------------------------------------------------------
    def pseudonym(self, purpose: str, value: str) -> bytes:
        """A stable keyed hash: the same user gives the same value, nobody can invert it."""
        return hmac.new(self._pseudonym, f"{purpose}\x00{value}".encode(), "sha256").digest()

    def rotating_pseudonym(self, purpose: str, period: str, value: str) -> bytes:
        """A keyed hash that changes with `period`, so yesterday's rows link to nobody today."""
        period_key = hmac.new(self._rotating, period.encode(), "sha256").digest()
        return hmac.new(period_key, f"{purpose}\x00{value}".encode(), "sha256").digest()

    # -- receipts ----------------------------------------------------------------------
    def receipt_hash(self, digits: str) -> bytes:
        """Slow keyed hash of a receipt; only this is stored, never the digits."""
        return hashlib.scrypt(
            digits.encode(),
            salt=self._receipt_salt,
            n=self._scrypt_n,
            r=8,
            p=1,
            maxmem=256 * 1024 * 1024,
            dklen=32,
        )

    # -- short tags for callback data --------------------------------------------------
    def tag(self, *parts: object) -> str:
        """10 url-safe characters (60 bits) binding button data to a chat, unforgeable."""
        message = "\x00".join(str(p) for p in parts).encode()
        digest = hmac.new(self._tag, message, "sha256").digest()
        return base64.urlsafe_b64encode(digest)[:10].decode()

    def check_tag(self, tag: str, *parts: object) -> bool:
        """Constant-time check of a tag made by `tag`."""
        return hmac.compare_digest(tag.encode(), self.tag(*parts).encode())

    def key_check(self) -> bytes:
        """A value stored in the database to notice a wrong key before data is written."""
        return hmac.new(self._check, b"key check", "sha256").digest()


def new_receipt_digits() -> str:
    """16 random digits from the OS's CSPRNG."""
    return f"{secrets.randbelow(10**16):016d}"


def load_master_key(data_dir: Path, configured: str | None) -> bytes:
    """The master key from configuration, else from `data_dir/secret.key` (made on first run).

    A configured key is 32 bytes in url-safe base64. The file is created owner-only and
    never overwritten: losing it makes every stored complaint unreadable.
    """
    if configured:
        try:
            key = base64.urlsafe_b64decode(configured.strip() + "==")
        except ValueError as exc:
            raise ValueError("BOT_SECRET_KEY is not base64") from exc
        if len(key) != 32:
            raise ValueError("BOT_SECRET_KEY must decode to 32 bytes")
        return key
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / KEY_FILE
    if path.exists():
        key = base64.urlsafe_b64decode(path.read_text(encoding="ascii").strip() + "==")
        if len(key) != 32:
            raise ValueError(f"{path}: not a 32-byte key")
        return key
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.urlsafe_b64encode(key).decode() + "\n")
    return key


def generate_key() -> str:
    """A fresh key in the form `BOT_SECRET_KEY` takes."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
