"""The Content-Security-Policy every page gets, in one place.

Why a function: a page that must send the browser elsewhere after a form (Storage's
"Connect Google Drive" redirects to Google's consent page) widens ``form-action`` for that
one response; everything else stays as strict as on every other page.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def content_security_policy(*form_targets: str) -> str:
    """The policy; ``form_targets`` are extra URLs a form's redirect may lead to."""
    origins = " ".join(
        f"{p.scheme}://{p.netloc}" for p in map(urlsplit, form_targets) if p.scheme and p.netloc
    )
    form_action = f"'self' {origins}".strip()
    return (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
        f"form-action {form_action}; base-uri 'self'"
    )
