"""Log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import User, utcnow
from leadreel.security import hash_password, needs_rehash, verify_password
from leadreel.web.forms import ActionForm, LoginForm
from leadreel.web.ratelimit import client_address, login_limiter

bp = Blueprint("auth", __name__)
_DUMMY_HASH = hash_password("timing-equaliser")


def _safe_next(target: str | None) -> str:
    if (
        target
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("leads.index")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the login form and check the credentials."""
    if current_user.is_authenticated:
        return redirect(url_for("leads.index"))
    form = LoginForm()
    if form.validate_on_submit():
        address, email = client_address(), (form.email.data or "").strip().lower()
        limiter = login_limiter()
        if limiter.blocked(db.session, email, address):
            abort(429, "Too many failed logins. Wait a few minutes and try again.")
        user = db.session.scalar(select(User).where(User.email == email))
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, form.password.data or "")
        if user and ok and user.active:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data or "")
            user.last_login_at = utcnow()
            limiter.reset(db.session, email, address)
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")))
        limiter.record_failure(db.session, email, address)
        db.session.commit()
        flash("Wrong email or password, or the account is deactivated.", "error")
    return render_template("auth/login.html", form=form), 401 if form.is_submitted() else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """End the session (POST with CSRF, so a link cannot log you out)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
