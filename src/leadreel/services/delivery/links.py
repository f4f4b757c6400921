"""The addresses a prospect is sent: share page, thumbnail, GIF and the email snippet.

Why one module: the share page, the Videos page, exports and the assistant all hand out
these links, and a sent link must never change shape. Everything is derived from the
video's ``share_token`` and the public base URL (``LEADREEL_PUBLIC_URL``, else the
server's own address), so nothing here touches the database.
"""

from __future__ import annotations

import secrets
from html import escape

#: 24 random bytes = 192 bits, URL-safe (32 characters).
TOKEN_BYTES = 24


def new_share_token() -> str:
    """An unguessable token for a video's share page (never derived from its id)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def share_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/v/{token}"


def thumbnail_url(base_url: str, token: str) -> str:
    return f"{share_url(base_url, token)}/thumbnail.jpg"


def gif_url(base_url: str, token: str) -> str:
    return f"{share_url(base_url, token)}/preview.gif"


def email_thumbnail_url(base_url: str, token: str) -> str:
    """The thumbnail with a play button drawn on it, for email clients that show no GIF."""
    return f"{share_url(base_url, token)}/email.jpg"


def email_snippet(base_url: str, token: str, alt: str = "Watch the video", gif: bool = True) -> str:
    """An ``<a>`` around the animated GIF (or the play-button thumbnail) linking to the page."""
    image = gif_url(base_url, token) if gif else email_thumbnail_url(base_url, token)
    return (
        f'<a href="{escape(share_url(base_url, token))}">'
        f'<img src="{escape(image)}" alt="{escape(alt)}" width="480" '
        'style="display:block;max-width:100%;border:0"></a>'
    )
