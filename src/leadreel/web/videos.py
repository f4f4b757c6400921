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
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.permissions import can, scope_batches, scope_leads
from leadreel.services.videos import library, pipeline, template_store
from leadreel.services.videos import samples as sample_runs
from leadreel.services.videos.pipeline import Selection
from leadreel.services.videos.tasks import previous_capture
from leadreel.web.permissions import get_owned, require
from leadreel.web.video_studio import FILE_KINDS, IMAGE_KEYS, app_settings, call_service, user
from leadreel.web.video_studio import bp as studio_bp

bp = Blueprint("videos", __name__, url_prefix="/videos")
bp.register_blueprint(studio_bp)
PAGE_SIZE = 50


# -- videos ---------------------------------------------------------------------------------


@bp.route("/")
@require("renders.start")
def index():  # type: ignore[no-untyped-def]
    """The latest video of each lead the user may see, with live status."""
    latest = select(func.max(Video.id).label("id")).group_by(Video.lead_id).subquery()
    query = scope_leads(
        select(Video, Lead)
        .join(latest, Video.id == latest.c.id)
        .join(Lead, Lead.id == Video.lead_id),
        user(),
    )
    if status := request.args.get("status"):
        query = query.where(Video.status == status)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.execute(
        query.order_by(Video.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    _reconcile([video for video, _ in rows])
    return render_template(
        "videos/index.html",
        rows=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        status=status,
        runs=sample_runs.held_runs(db.session, user()),
    )


@bp.route("/status.json")
@require("renders.start")
def status():  # type: ignore[no-untyped-def]
    """Polled by the videos page: status and progress of the listed videos."""
    ids = [int(i) for i in request.args.get("ids", "").split(",") if i.strip().isdigit()][:200]
    videos = [
        v
        for v in db.session.scalars(select(Video).where(Video.id.in_(ids)))
        if can(user(), "renders.start", db.session.get(Lead, v.lead_id))
    ]
    _reconcile(videos)
    return jsonify(videos=[_video_json(v) for v in videos])


def _reconcile(videos: list[Video]) -> None:
    """Best effort: fail videos whose chain stopped. A busy SQLite writer means "next poll"."""
    try:
        if pipeline.reconcile(db.session, videos):
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
    return render_template(
        "videos/show.html", video=video, lead=lead, capture=capture, template=template
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
    result = call_service(lambda: pipeline.rerender(db.session, user(), video_id), soft=True)
    if result is not None:
        flash("Queued again." if result.started else "This lead is already rendering.", "info")
    return redirect(url_for(".index"))


# -- batch render and approval --------------------------------------------------------------


@bp.route("/render", methods=["GET", "POST"])
@require("renders.start")
def render():  # type: ignore[no-untyped-def]
    """Render a batch, the leads page's current filter, or selected leads."""
    args = request.form if request.method == "POST" else request.args
    selection = Selection(
        lead_ids=[
            int(i)
            for i in args.getlist("lead_ids") + args.get("ids", "").split(",")
            if str(i).strip().isdigit()
        ],
        batch_id=args.get("batch", type=int),
        q=args.get("q", "").strip(),
        status=args.get("status", "").strip(),
    )
    if request.method == "POST":
        template_id = request.form.get("template_id", type=int)
        samples = max(0, min(request.form.get("samples", 0, type=int), 100))
        result = call_service(
            lambda: pipeline.start_renders(
                db.session, user(), selection, template_id, samples=samples
            ),
            soft=True,
        )
        if result is not None:
            parts = [f"{len(result.started)} render(s) queued"]
            if result.held:
                parts.append(f"{len(result.held)} waiting for your approval of the samples")
            if result.skipped:
                parts.append(f"{len(result.skipped)} skipped (already rendering)")
            flash("; ".join(parts) + ".", "success")
            return redirect(url_for(".index"))
    count = None
    if not selection.is_empty():
        try:
            count = len(pipeline.select_leads(db.session, user(), selection))
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


@bp.app_template_global("lead_video")
def lead_video(lead_id: int) -> Video | None:
    """For ``videos/_lead_video.html``, included by the lead's page (which checked access)."""
    return pipeline.latest_video(db.session, lead_id)
