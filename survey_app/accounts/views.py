"""Sign in and out, change one's own password, and set one from a reset link."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address

from survey_app.accounts.auth import (
    authenticate,
    login_user,
    logout_user,
    require_role,
    start_session,
)
from survey_app.accounts.forms import LoginForm, NewPasswordForm, PasswordChangeForm
from survey_app.accounts.lockout import ADDRESS_FAILURES
from survey_app.accounts.operations import change_own_password, set_password
from survey_app.accounts.resets import user_for_token
from survey_app.core.notices import notice
from survey_app.core.ratelimits import login_limit
from survey_app.extensions import db
from survey_app.i18n import gettext as _

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data, get_remote_address())
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_failed_sign_in(), "error")
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


def _failed_sign_in() -> str:
    """Said after every failed sign-in, whether the account exists, is paused or not."""
    pause = _(
        "After {attempts} failed attempts, signing in to an account from this connection "
        "pauses for up to {minutes} minutes.",
        attempts=ADDRESS_FAILURES,
        minutes=current_app.config["LOGIN_LOCK_MINUTES"],
    )
    return _("Wrong e-mail or password.") + " " + pause


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.home"))


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlparse(target).netloc
    ):
        return target
    return url_for("main.home")


@bp.route("/account/password", methods=["GET", "POST"])
@login_limit  # a wrong current password counts as a failed sign-in
@require_role()
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if change_own_password(g.user, form.current_password.data, form.new_password.data):
            db.session.commit()
            start_session(g.user)
            flash(_("Your password is changed. Your other sessions have ended."), "info")
            return redirect(url_for("main.home"))  # 302: not a failure for login_limit
        form.current_password.errors.append(_("The current password is wrong."))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """A reset link: a new password, then sign in with it (the link is then void)."""
    user = user_for_token(token)
    if user is None:
        return notice(
            "This link does not work",
            "This password reset link has expired, has already been used, or is not "
            "complete. Nothing was changed. Ask an administrator for a new link.",
            400,
        )
    form = NewPasswordForm()
    if form.validate_on_submit():
        set_password(user, form.new_password.data, "reset")
        db.session.commit()
        flash(_("Your new password is set. Sign in with it."), "info")
        return redirect(url_for(".login"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset.html", form=form, user=user), status
