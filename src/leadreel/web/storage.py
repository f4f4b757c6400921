"""Storage (admins): connect Google Drive accounts, see their state, choose where videos go."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from leadreel.errors import LeadReelError
from leadreel.extensions import db
from leadreel.integrations.drive import DriveError
from leadreel.models import ImportBatch
from leadreel.services.delivery import drive, storage
from leadreel.web.csp import content_security_policy
from leadreel.web.forms import ActionForm
from leadreel.web.permissions import require

bp = Blueprint("storage", __name__, url_prefix="/storage")
_FLOW_KEY = "drive_oauth"


def _settings():  # type: ignore[no-untyped-def]
    return current_app.config["SETTINGS"]


def _callback_url() -> str:
    return url_for("storage.callback", _external=True)


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/")
@require("storage.manage")
def index():  # type: ignore[no-untyped-def]
    """Connected accounts, their state, and where videos go."""
    accounts = drive.list_accounts(db.session)
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).all()
    page = render_template(
        "storage/index.html",
        accounts=accounts,
        batches=batches,
        workspace=str(storage.workspace_destination(db.session)),
        configured=drive.google_config(_settings()).configured,
        needs_reconnect=[a for a in accounts if a.status == "reconnect_required"],
    )
    response = make_response(page)
    # The browser checks the Connect form's redirect against this page's form-action.
    response.headers["Content-Security-Policy"] = content_security_policy(
        _settings().google_auth_uri
    )
    return response


@bp.route("/connect", methods=["POST"])
@require("storage.manage")
def connect():  # type: ignore[no-untyped-def]
    """Send the admin to Google's consent page (offline access, drive.file)."""
    _checked()
    try:
        auth = drive.begin_connect(_settings(), current_user, _callback_url())
    except LeadReelError as exc:
        flash(str(exc), "error")
        return redirect(url_for("storage.index"))
    session[_FLOW_KEY] = {"state": auth.state, "verifier": auth.code_verifier}
    return redirect(auth.url)


@bp.route("/oauth/callback")
@require("storage.manage")
def callback():  # type: ignore[no-untyped-def]
    """Google sends the admin back here with a code (or an error)."""
    flow = session.pop(_FLOW_KEY, None) or {}
    if request.args.get("error"):
        flash(f"Google did not connect the account ({request.args['error']}).", "error")
        return redirect(url_for("storage.index"))
    db.for_writing()
    try:
        account = drive.complete_connect(
            db.session,
            _settings(),
            current_user,
            redirect_uri=_callback_url(),
            code=request.args.get("code", ""),
            state=request.args.get("state", ""),
            expected_state=flow.get("state"),
            code_verifier=flow.get("verifier", ""),
        )
        db.session.commit()
    except (LeadReelError, DriveError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("storage.index"))
    flash(f"Google Drive account {account.email} is connected.", "success")
    return redirect(url_for("storage.index"))


@bp.route("/accounts/<int:account_id>/disconnect", methods=["POST"])
@require("storage.manage")
def disconnect(account_id: int):  # type: ignore[no-untyped-def]
    """Revoke the account's token at Google and delete it here."""
    _checked()
    try:
        revoked = drive.disconnect(db.session, _settings(), current_user, account_id)
    except LeadReelError as exc:
        abort(404, str(exc))
    db.session.commit()
    flash(
        "The account is disconnected."
        + ("" if revoked else " Google did not confirm the revocation; its token is deleted here."),
        "success" if revoked else "info",
    )
    return redirect(url_for("storage.index"))


@bp.route("/destination", methods=["POST"])
@require("storage.manage")
def destination():  # type: ignore[no-untyped-def]
    """Choose where videos go, for the workspace or for one batch."""
    _checked()
    value = request.form.get("destination", "")
    batch_id = request.form.get("batch_id", type=int)
    try:
        if batch_id:
            batch = db.session.get(ImportBatch, batch_id)
            if batch is None:
                abort(404)
            chosen = None if value == "default" else storage.Destination.parse(value)
            storage.set_batch_destination(db.session, current_user, batch, chosen)
        else:
            storage.set_workspace_destination(
                db.session, current_user, storage.Destination.parse(value)
            )
        db.session.commit()
    except LeadReelError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("storage.index"))
    flash("Saved where videos go.", "success")
    return redirect(url_for("storage.index"))
