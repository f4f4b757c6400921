"""Secrets at rest and password hashing."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from leadreel.security import SecretBox, hash_password, verify_password


def test_password_roundtrip():
    stored = hash_password("s3cret-pass")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "s3cret-pass")
    assert not verify_password(stored, "s3cret-pasS")
    assert not verify_password("not-a-hash", "s3cret-pass")


@pytest.mark.parametrize("key", ["any passphrase at all", Fernet.generate_key().decode()])
def test_secret_box_encrypts_and_hides(key):
    box = SecretBox(key)
    token = box.encrypt("1//refresh-token-value")
    assert b"refresh-token-value" not in token
    assert box.decrypt(token) == "1//refresh-token-value"
    assert "refresh" not in repr(box) and key not in repr(box)


def test_secret_box_wrong_key_is_a_clear_error():
    token = SecretBox("key one").encrypt("x")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("key two").decrypt(token)
