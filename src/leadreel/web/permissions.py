"""Route-side use of the permission check: one decorator, and a loader that 404s what the
user may not see."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from leadreel.extensions import db
from leadreel.services.permissions import can

F = TypeVar("F", bound=Callable[..., Any])


def require(action: str) -> Callable[[F], F]:
    """Log-in plus a named access type; 403 otherwise."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def get_owned(model: type, ident: int, action: str) -> Any:
    """Load a record the current user may act on; 404 (not 403) so ids do not leak."""
    obj = db.session.get(model, ident)
    if obj is None or not can(current_user, action, obj):
        abort(404)
    return obj
