"""The prospect's share page and its media, public: no login, reached by token only.

Why a blueprint apart: everything here is public and answers for one video only, found by
its unguessable token; nothing here can reach another video's files or any app page. The
page loads only our own CSS and script (no third-party resource), carries Open Graph and
Twitter card tags with absolute URLs so a pasted link unfurls, and its script reports
plays, progress and CTA clicks to a CSRF-exempt JSON endpoint bound to the visit key the
page was given (see :mod:`leadreel.services.delivery.views` for what counts as a view).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file

from leadreel.config import Settings
from leadreel.extensions import csrf, db
from leadreel.models import Video
from leadreel.services.delivery import links, shares, views
from leadreel.services.delivery.email_image import email_image
from leadreel.web.flood_guard import RateLimiter

bp = Blueprint("share", __name__)
EVENT_LIMITER = RateLimiter(limit=120, window_seconds=60)
MAX_EVENT_BYTES = 2048
MEDIA = {
    "video.mp4": ("video", "video/mp4"),
    "thumbnail.jpg": ("thumbnail", "image/jpeg"),
    "preview.gif": ("gif", "image/gif"),
}


def _settings() -> Settings:
    return current_app.config["SETTINGS"]  # type: ignore[no-any-return]


def public_base() -> str:
    """The base of every link a prospect gets: ``LEADREEL_PUBLIC_URL``, else this server."""
    return (_settings().public_url or request.host_url).rstrip("/")


def _shared(token: str) -> Video:
    video = shares.find_shared(db.session, token)
    if video is None:
        abort(404)
    return video


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/v/<token>", methods=["GET", "HEAD"])
def page(token: str):  # type: ignore[no-untyped-def]
    """The share page: player, headline, message, sender and the call to action."""
    video = _shared(token)
    visit = views.record_open(
        db.session,
        video,
        method=request.method,
        user_agent=request.headers.get("User-Agent", ""),
        client_ip=request.remote_addr or "",
    )
    db.session.commit()
    base = public_base()
    content = shares.page_for(db.session, video)
    html = render_template(
        "share/page.html",
        video=video,
        page=content,
        visit_key=visit.key if visit is not None and visit.kind == "open" else "",
        share_url=links.share_url(base, token),
        thumbnail_url=links.thumbnail_url(base, token),
        video_url=f"{links.share_url(base, token)}/video.mp4",
        events_url=f"{links.share_url(base, token)}/events",
    )
    return _no_store(current_app.make_response(html))


@bp.route("/v/<token>/<name>", methods=["GET", "HEAD"])
def media(token: str, name: str):  # type: ignore[no-untyped-def]
    """The shared video's MP4 (with Range requests), thumbnail, GIF or email image."""
    video = _shared(token)
    if name == "email.jpg":
        thumb = shares.media_path(_settings().data_dir, video, "thumbnail")
        if thumb is None:
            abort(404)
        path = email_image(thumb, _settings().data_dir / "cache" / "share", f"email-{video.id}")
        return send_file(path, mimetype="image/jpeg", conditional=True, max_age=300)
    if name not in MEDIA:
        abort(404)
    kind, mimetype = MEDIA[name]
    path = shares.media_path(_settings().data_dir, video, kind)
    if path is None:
        abort(404)
    return send_file(path, mimetype=mimetype, conditional=True, max_age=300)


@bp.route("/v/<token>/events", methods=["POST"])
@csrf.exempt
def events(token: str):  # type: ignore[no-untyped-def]
    """What the page's script reports: ``{"visit": key, "kind": "play", "value": 25}``."""
    address = request.remote_addr or "?"
    if EVENT_LIMITER.blocked(address):
        return jsonify(ok=False, error="slow down"), 429
    EVENT_LIMITER.hit(address)
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        abort(413)
    video = _shared(token)
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        return jsonify(ok=False, error="expected a JSON object"), 400
    value = data.get("value")
    counted = views.record_event(
        db.session,
        video,
        str(data.get("visit") or ""),
        str(data.get("kind") or ""),
        value if isinstance(value, int) and not isinstance(value, bool) else None,
    )
    db.session.commit()
    return jsonify(ok=True, counted=counted)
