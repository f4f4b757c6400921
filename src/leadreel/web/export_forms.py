"""What the export pages share: the selection a form or query names, the service call
wrapper, and the logged-in user as a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, request
from flask_login import current_user

from leadreel.config import Settings
from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.services.exports.runner import base_url_for
from leadreel.services.leads.selection import VIDEO_FILTERS, Selection
from leadreel.web import lead_filters
from leadreel.web.lead_filters import ticked_ids

SELECTION_KEYS = ("ids", "batch", "q", "status", "video_status", "all_matching", "scope")


def user() -> Any:
    """The logged-in User itself (services take a model, not the proxy)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def selection_from(args: Any) -> Selection:
    """The leads a form names: ticked ids (the overview's boxes), or its filters.

    ``all_matching=1`` (the overview's "select all matching") or ``scope=all`` takes the
    filters and ignores ticked ids; with neither, ticked ids win, else the filters; an
    empty form is an empty selection (refused by the service, never "everything"). The
    filters are read as the Leads page writes them (``lead_filters``); the Videos page
    names its video filter ``video_status``.
    """
    ids = ticked_ids(args)
    every = args.get("all_matching") == "1" or args.get("scope") == "all"
    if ids and not every:
        return Selection(lead_ids=ids)
    selection = lead_filters.selection_from(args, everything=every)
    video_status = str(args.get("video_status", "")).strip()
    if not selection.video_status and video_status in VIDEO_FILTERS:
        selection.video_status = video_status
    return selection


def selection_args(selection: Selection) -> dict[str, Any]:
    """The selection as form fields/query args (the inverse of ``selection_from``)."""
    if selection.lead_ids:
        return {"ids": ",".join(str(i) for i in sorted(set(selection.lead_ids)))}
    out = lead_filters.selection_args(selection)
    if selection.everything:
        out["scope"] = "all"
    return out


def request_base_url(settings: Settings) -> str:
    """Share links: ``LEADREEL_PUBLIC_URL``, else this server's address as the user sees it."""
    return base_url_for(settings, request.host_url)


def call(fn: Callable[[], Any], *, soft: bool = True) -> Any:
    """Run a service call and commit; errors become a flash (soft) or 403/404."""
    try:
        result = fn()
        db.session.commit()
        return result
    except (NotFound, PermissionDenied) as exc:
        db.session.rollback()
        abort(404 if isinstance(exc, NotFound) else 403)
    except ValidationError as exc:
        db.session.rollback()
        if not soft:
            raise
        flash(str(exc), "error")
        return None
