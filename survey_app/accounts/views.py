"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for

from survey_app.accounts.auth import authenticate, login_user, logout_user
from survey_app.accounts.forms import LoginForm
from survey_app.core.ratelimits import login_limit
from survey_app.i18n import gettext as _

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user, reason = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        message = (
            "Too many failed attempts; try again in a few minutes."
            if reason == "locked"
            else "Wrong e-mail or password."
        )
        flash(_(message), "error")
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form)


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
