"""The web side of the login limiter: one per app, limits from the settings.

The counting lives in :mod:`leadreel.services.login_limits` (in the database, shared by
every process); the client address is ``request.remote_addr``, which ProxyFix sets from
``X-Forwarded-For`` when ``LEADREEL_PROXY_HOPS`` says proxies are trusted.
"""

from __future__ import annotations

from flask import current_app, request

from leadreel.services.login_limits import LoginLimiter


def login_limiter() -> LoginLimiter:
    ext = current_app.extensions
    if "login_limiter" not in ext:
        settings = current_app.config["SETTINGS"]
        ext["login_limiter"] = LoginLimiter(
            per_account=settings.login_rate_limit,
            per_address=settings.login_rate_limit_per_address,
            window=300,
        )
    return ext["login_limiter"]


def client_address() -> str:
    return request.remote_addr or "unknown"
