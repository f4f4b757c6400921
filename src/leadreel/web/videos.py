"""Videos: per-lead status, the player and file routes, batch renders and sample approval.

Views stay thin: they parse the request, call ``services.videos.*`` (which decide what is
allowed and what changes), commit, and render. Every file route checks the lead behind
the file, so a rep can only fetch videos and screenshots of their own leads. The media
library and the template editor live in :mod:`leadreel.web.video_studio`, nested here.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, RenderRun, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.delivery import links, shares, views
from leadreel.services.leads import selection as video_selection
from leadreel.services.leads.selection import VIDEO_FILTERS, Selection
from leadreel.services.permissions import can, scope_batches
from leadreel.services.videos import library, overview, pipeline, template_store
from leadreel.services.videos import runs as render_runs
from leadreel.services.videos import samples as sample_runs
from leadreel.services.videos.tasks import previous_capture
from leadreel.web.permissions import get_owned, require
from leadreel.web.share import public_base
from leadreel.web.video_studio import FILE_KINDS, IMAGE_KEYS, app_settings, call_service, user
from leadreel.web.video_studio import bp as studio_bp

bp = Blueprint("videos", __name__, url_prefix="/videos")
bp.register_blueprint(studio_bp)


# -- videos ---------------------------------------------------------------------------------


def _filters(args: Any) -> Selection:
    """The Videos page's filters (``status`` is the latest video's status, or ``none``)."""
    status = args.get("status", "").strip()
    return Selection(
        batch_id=args.get("batch", type=int),
        q=args.get("q", "").strip(),
        video_status=status if status in VIDEO_FILTERS else "",
        everything=True,
    )


@bp.route("/")
@require("renders.start")
def index():  # type: ignore[no-untyped-def]
    """Every lead the user may see with its latest video: status, progress, bulk renders."""
    filters = _filters(request.args)
    sort = "views" if request.args.get("sort") == "views" else ""
    page = overview.list_page(
        db.session,
        user(),
        filters,
        after=request.args.get("after", type=int),
        before=request.args.get("before", type=int),
        sort=sort,
        after_views=request.args.get("after_views", type=int),
    )
    shown_runs = render_runs.visible_runs(db.session, user())
    _reconcile([row.video for row in page.rows if row.video is not None], shown_runs)
    batches = db.session.scalars(
        scope_batches(select(ImportBatch), user()).order_by(ImportBatch.id.desc()).limit(100)
    ).all()
    return render_template(
        "videos/index.html",
        page=page,
        filters=filters,
        args={k: v for k, v in request.args.items() if k in ("q", "batch", "status") and v},
        sort=sort,
        statuses=VIDEO_FILTERS,
        batches=batches,
        templates=template_store.list_templates(db.session),
        render_runs=shown_runs,
        runs=sample_runs.held_runs(db.session, user()),
    )


@bp.route("/status.json")
@require("renders.start")
def status():  # type: ignore[no-untyped-def]
    """Polled by the videos page: status and progress of the listed videos and runs."""
    ids = [int(i) for i in request.args.get("ids", "").split(",") if i.strip().isdigit()][:200]
    rows = db.session.execute(
        select(Video, Lead).join(Lead, Lead.id == Video.lead_id).where(Video.id.in_(ids))
    )
    videos = [video for video, lead in rows if can(user(), "renders.start", lead)]
    run_ids = [r for r in request.args.get("runs", "").split(",") if r.strip().isalnum()][:20]
    shown = render_runs.get_runs(db.session, user(), run_ids)
    _reconcile(videos, shown)
    return jsonify(
        videos=[_video_json(v) for v in videos], runs=[render_runs.run_json(r) for r in shown]
    )


def _reconcile(videos: list[Video], runs: list[RenderRun] | None = None) -> None:
    """Best effort: fail videos whose chain stopped and runs whose fan-out task stopped.
    A busy SQLite writer means "next poll"."""
    try:
        changed = pipeline.reconcile(db.session, videos)
        changed += render_runs.reconcile(db.session, runs or [])
        if changed:
            db.session.commit()
    except OperationalError:
        db.session.rollback()


def _video_json(video: Video) -> dict[str, Any]:
    done = video.status in ("rendered", "uploading", "ready") and video.file_path
    return {
        "id": video.id,
        "status": video.status,
        "progress": round(video.progress or 0, 3),
        "error": video.error,
        "screenshot_source": video.screenshot_source,
        "thumbnail": url_for(".file", video_id=video.id, kind="thumbnail") if done else None,
        "url": url_for(".show", video_id=video.id),
        "share_url": links.share_url(public_base(), video.share_token)
        if done and video.share_token
        else None,
    }


@bp.route("/<int:video_id>")
@require("renders.start")
def show(video_id: int):  # type: ignore[no-untyped-def]
    """One video: the player, its files and how its screenshots were obtained."""
    video = call_service(lambda: pipeline.get_video(db.session, user(), video_id))
    lead = db.session.get(Lead, video.lead_id)
    if lead is None:
        abort(404)
    capture = previous_capture(lead.company.screenshots) if lead.company else None
    template = db.session.get(TemplateRow, video.template_id) if video.template_id else None
    latest = pipeline.latest_video(db.session, lead.id)
    return render_template(
        "videos/show.html",
        video=video,
        lead=lead,
        capture=capture,
        template=template,
        newer=latest if latest is not None and latest.id != video.id else None,
    )


@bp.route("/<int:video_id>/file/<kind>")
@require("renders.start")
def file(video_id: int, kind: str):  # type: ignore[no-untyped-def]
    """A rendered file of a video of one of the user's leads."""
    if kind not in FILE_KINDS:
        abort(404)
    video = call_service(lambda: pipeline.get_video(db.session, user(), video_id))
    column, mimetype = FILE_KINDS[kind]
    path = library.file_in_data_dir(app_settings(), getattr(video, column))
    if path is None:
        abort(404)
    download = request.args.get("download") == "1"
    name = f"video-{video.lead_id}-{video.id}{path.suffix}"
    return send_file(
        path, mimetype=mimetype, as_attachment=download, download_name=name, conditional=True
    )


@bp.route("/<int:video_id>/rerender", methods=["POST"])
@require("renders.start")
def rerender(video_id: int):  # type: ignore[no-untyped-def]
    """Render a lead's video again (fresh screenshots, current template version)."""
    run = call_service(
        lambda: pipeline.queue_rerender(db.session, user(), video_id) or "busy", soft=True
    )
    if run == "busy":
        flash("This lead is already rendering.", "info")
    elif run is not None:
        flash("Queued again.", "info")
    return redirect(url_for(".index"))


# -- batch render and approval --------------------------------------------------------------


def _selection(args: Any) -> tuple[Selection, str]:
    """The leads a render form names, and its action.

    ``all_matching`` (the Videos page's "select all matching") takes the filters and drops
    the ticked ids; otherwise named ids win over filters, and the page's "render selected"
    needs one of the two. "Re-render failed" narrows any of them to leads whose latest
    video failed (with nothing ticked: every failed lead matching the filters).
    """
    action = args.get("action", "").strip()
    all_matching = args.get("all_matching") == "1"
    ids = [
        int(i)
        for i in args.getlist("lead_ids") + args.get("ids", "").split(",")
        if str(i).strip().isdigit()
    ]
    failed = "failed" if action == "rerender_failed" else ""
    if ids and not all_matching:
        return Selection(lead_ids=ids, video_status=failed), action
    if action in ("render", "samples") and not all_matching:
        return Selection(), action  # "render selected" with nothing ticked: refused
    video_status = failed or args.get("video_status", "").strip()
    return Selection(
        batch_id=args.get("batch", type=int),
        q=args.get("q", "").strip(),
        status=args.get("status", "").strip(),
        video_status=video_status if video_status in VIDEO_FILTERS else "",
        everything=all_matching,
    ), action


@bp.route("/render", methods=["GET", "POST"])
@require("renders.start")
def render():  # type: ignore[no-untyped-def]
    """Render a batch, the leads page's current filter, or selected leads.

    The request records a run and enqueues its one fan-out task; the worker creates the
    renders (the Videos page shows the run as preparing until then).
    """
    args = request.form if request.method == "POST" else request.args
    selection, action = _selection(args)
    if request.method == "POST":
        template_id = request.form.get("template_id", type=int)
        wanted = request.form.get("samples", 0, type=int) if action in ("", "samples") else 0
        samples = max(0, min(wanted, render_runs.MAX_SAMPLES))
        run = call_service(
            lambda: pipeline.queue_renders(
                db.session,
                user(),
                selection,
                template_id,
                samples=samples,
                refresh_screenshots=action == "rerender_failed",
            ),
            soft=True,
        )
        if run is not None:
            message = f"Preparing {run.total:,} render(s)"
            if samples and run.total > samples:
                message += f": the first {samples} as samples, the rest wait for your approval"
            flash(message + ".", "success")
            return redirect(url_for(".index"))
        if request.form.get("back") == "index":
            return redirect(request.referrer or url_for(".index"))
    count = None
    if not selection.is_empty():
        try:
            video_selection.check_access(db.session, user(), selection)
            count = video_selection.count(db.session, user(), selection)
        except (ValidationError, PermissionDenied) as exc:
            flash(str(exc), "error")
    batches = db.session.scalars(
        scope_batches(select(ImportBatch), user()).order_by(ImportBatch.id.desc()).limit(100)
    ).all()
    return render_template(
        "videos/render.html",
        selection=selection,
        count=count,
        batches=batches,
        templates=template_store.list_templates(db.session),
    )


@bp.route("/runs/<run_id>/<decision>", methods=["POST"])
@require("renders.start")
def decide(run_id: str, decision: str):  # type: ignore[no-untyped-def]
    """Approve (render the rest) or reject (cancel the rest) a samples-first run."""
    actions = {"approve": sample_runs.approve_samples, "reject": sample_runs.reject_samples}
    action = actions.get(decision)
    if action is None:
        abort(404)
    count = call_service(lambda: action(db.session, user(), run_id))
    flash(f"{count} render(s) {'released' if decision == 'approve' else 'cancelled'}.", "success")
    return redirect(url_for(".index"))


@bp.route("/leads/<int:lead_id>/screenshot/<key>")
@require("renders.start")
def screenshot(lead_id: int, key: str):  # type: ignore[no-untyped-def]
    """The last captured image of a lead's company (website, website_viewport or ads)."""
    lead = get_owned(Lead, lead_id, "renders.start")
    capture = previous_capture(lead.company.screenshots) if lead.company else None
    item = getattr(capture, key, None) if capture is not None and key in IMAGE_KEYS else None
    path = library.file_in_data_dir(app_settings(), item.path if item else None)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", conditional=True)


@bp.route("/<int:video_id>/share", methods=["POST"])
@require("videos.share")
def share(video_id: int):  # type: ignore[no-untyped-def]
    """Switch a video's share link off (the prospect gets a 404) or on again."""
    enabled = request.form.get("enabled") == "1"
    call_service(lambda: shares.set_enabled(db.session, user(), video_id, enabled))
    db.session.commit()
    flash("Share link switched on." if enabled else "Share link switched off.", "success")
    back = request.form.get("next", "")
    safe = back.startswith("/") and not back.startswith("//") and "\\" not in back
    return redirect(back if safe else url_for(".show", video_id=video_id))


@bp.app_template_global("share_links")
def share_links(video: Video | None) -> dict[str, str] | None:
    """The prospect's link, email snippets and image URLs of a video (None: no link yet)."""
    if video is None or not video.share_token:
        return None
    base, token = public_base(), video.share_token
    return {
        "url": links.share_url(base, token),
        "snippet": links.email_snippet(base, token, alt="Watch the video"),
        "snippet_jpg": links.email_snippet(base, token, alt="Watch the video", gif=False),
        "thumbnail": links.thumbnail_url(base, token),
        "gif": links.gif_url(base, token),
        "email_image": links.email_thumbnail_url(base, token),
    }


@bp.app_template_global("view_stats")
def view_stats(video: Video) -> views.ViewStats:
    """For pages that already checked access to the video's lead."""
    return views.stats(db.session, video)


@bp.app_template_global("lead_video")
def lead_video(lead_id: int) -> Video | None:
    """For ``videos/_lead_video.html``, included by the lead's page (which checked access)."""
    return pipeline.latest_video(db.session, lead_id)


@bp.app_template_global("shared_video")
def shared_video(lead_id: int) -> Video | None:
    """The lead's video that holds its share link (the last good render), if any."""
    return db.session.scalars(
        select(Video).where(Video.lead_id == lead_id, Video.share_token.is_not(None)).limit(1)
    ).first()
