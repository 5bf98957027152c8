"""User administration (admins): list, create, detail, deactivate/reactivate, reset links."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from survey_app.accounts.auth import restrict
from survey_app.accounts.operations import (
    AccountError,
    create_user,
    deactivate_user,
    reactivate_user,
)
from survey_app.accounts.passwords import generate_password
from survey_app.accounts.queries import ROLE_NAMES, get_user, list_users
from survey_app.accounts.resets import issue_reset_link
from survey_app.extensions import db
from survey_app.i18n import gettext as _
from survey_app.users.forms import ActionForm, ResetLinkForm, UserForm

bp = Blueprint("users", __name__, template_folder="templates", url_prefix="/admin/users")

#: Pages that show a password or a reset link once: never kept by a browser or proxy.
NO_STORE = {"Cache-Control": "no-store"}


restrict(bp, "admin")


@bp.context_processor
def _role_names():
    return {"role_names": ROLE_NAMES}


@bp.get("/")
def index():
    return render_template("users/list.html", users=list_users())


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = UserForm()
    if not form.validate_on_submit():
        return render_template("users/new.html", form=form), 400 if form.is_submitted() else 200
    typed = form.password_choice.data == "type"
    password = form.password.data if typed else generate_password()
    try:
        user = create_user(form.email.data, form.role.data, password, form.unit.data or None)
    except AccountError as exc:
        db.session.rollback()
        form.email.errors.append(_(exc.message, **exc.params))
        return render_template("users/new.html", form=form), 400
    db.session.commit()
    if typed:
        flash(_("The account {email} is created.", email=user.email), "info")
        return redirect(url_for(".detail", user_id=user.id), 303)
    return render_template("users/created.html", user=user, password=password), 200, NO_STORE


@bp.get("/<int:user_id>")
def detail(user_id: int):
    user = get_user(user_id)
    return render_template(
        "users/detail.html", user=user, reset=ResetLinkForm(), action=ActionForm()
    )


@bp.route("/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(user_id: int):
    user = get_user(user_id)
    if user.id == g.user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for(".detail", user_id=user.id), 303)
    if not user.is_active:
        return redirect(url_for(".detail", user_id=user.id), 303)
    if request.method == "POST" and request.form.get("confirmed") and ActionForm().validate():
        deactivate_user(user, by=g.user)
        db.session.commit()
        flash(_("The account {email} is deactivated.", email=user.email), "info")
        return redirect(url_for(".detail", user_id=user.id), 303)
    return render_template(
        "confirm.html",
        title=_("Deactivate {email}?", email=user.email),
        consequences=[
            _("{email} will no longer be able to sign in.", email=user.email),
            _("Every session they have open ends now."),
            _("Nothing they entered is deleted; you can reactivate the account later."),
        ],
        action_url=url_for(".deactivate", user_id=user.id),
        action_label=_("Deactivate the account"),
        back_url=url_for(".detail", user_id=user.id),
    )


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int):
    user = get_user(user_id)
    if ActionForm().validate_on_submit():
        reactivate_user(user)
        db.session.commit()
        flash(_("The account {email} can sign in again.", email=user.email), "info")
    return redirect(url_for(".detail", user_id=user.id), 303)


@bp.post("/<int:user_id>/reset-link")
def reset_link(user_id: int):
    user = get_user(user_id)
    form = ResetLinkForm()
    if not form.validate_on_submit() or not user.is_active:
        return redirect(url_for(".detail", user_id=user.id), 303)
    link, emailed = issue_reset_link(user, email=form.send_email.data)
    db.session.commit()
    page = render_template(
        "users/reset_link.html", user=user, link=link, emailed=emailed, asked=form.send_email.data
    )
    return page, 200, NO_STORE
