"""Secrets kept at rest encrypted (webhook signing secrets): Fernet, keyed from the settings.

The Fernet key is derived from DISPMON_SECRET_KEY with HKDF-SHA256, so any long random string
will do as the setting. DISPMON_SECRET_KEY_PREVIOUS still decrypts while `dispmon rekey`
re-encrypts everything with the current key; then it can be dropped.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import SecretUnreadable
from app.settings import Settings

_INFO = b"dispmon/webhook-secrets/fernet/v1"  # a new purpose gets a new label, so a new key


def fernet_key(secret_key: str) -> bytes:
    """The Fernet key (urlsafe base64 of 32 bytes) derived from a DISPMON_SECRET_KEY."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode())
    return base64.urlsafe_b64encode(derived)


_UNREADABLE = ("a stored secret was encrypted with a key that is neither DISPMON_SECRET_KEY nor "
               "DISPMON_SECRET_KEY_PREVIOUS")


class SecretBox:
    """Encrypts with the current key; decrypts with the current or the previous one."""

    def __init__(self, current: str, previous: str | None = None) -> None:
        keys = [current] + ([previous] if previous else [])
        self._fernet = MultiFernet([Fernet(fernet_key(k)) for k in keys])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(_UNREADABLE) from exc

    def rotate(self, token: str) -> str:
        """`token` encrypted with the current key (unchanged secret)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(_UNREADABLE) from exc


def secret_box(settings: Settings) -> SecretBox:
    previous = settings.secret_key_previous
    return SecretBox(settings.encryption_key,
                     previous.get_secret_value() if previous is not None else None)
