"""Password hashing (argon2) and encryption of secrets at rest (Fernet)."""

from __future__ import annotations

import base64
import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

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


class SecretBox:
    """Encrypts refresh tokens and API keys; the key never leaves process memory."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("SecretBox needs a non-empty key")
        try:
            self._fernet = Fernet(key.encode())
        except ValueError:
            # Not a Fernet key: derive one, so any LEADREEL_SECRET_KEY works.
            digest = hashlib.sha256(b"leadreel-secrets:" + key.encode()).digest()
            self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with the configured key") from exc

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"
