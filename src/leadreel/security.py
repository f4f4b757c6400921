"""Password hashing (argon2) and encryption of secrets at rest (Fernet)."""

from __future__ import annotations

import base64
import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        # Not a Fernet key: derive one, so any LEADREEL_SECRET_KEY works.
        digest = hashlib.sha256(b"leadreel-secrets:" + key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


class SecretBox:
    """Encrypts refresh tokens and API keys; the keys never leave process memory.

    ``key`` may list several comma-separated keys, newest first (``LEADREEL_ENCRYPTION_KEY``):
    new secrets are encrypted with the first, old ones still decrypt with any, and
    ``rotate`` re-encrypts a stored secret with the first (``leadreel storage rotate-key``).
    """

    def __init__(self, key: str) -> None:
        keys = [part.strip() for part in (key or "").split(",") if part.strip()]
        if not keys:
            raise ValueError("SecretBox needs a non-empty key")
        self._fernet = MultiFernet([_fernet(k) for k in keys])
        self.key_count = len(keys)

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the configured key") from exc

    def rotate(self, token: bytes) -> bytes:
        """The same secret encrypted with the newest key (raises ValueError if none fits)."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the configured key") from exc

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"
