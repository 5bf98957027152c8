"""The confirmation step of irreversible actions: GET shows what will happen, a POST acts
only with ``confirmed=1`` (an old one-click form gets the confirmation page instead)."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, request
from flask_wtf import FlaskForm


def is_confirmed(form: FlaskForm | None = None) -> bool:
    """A POST that confirms (and whose form, CSRF included, is valid)."""
    if request.method != "POST" or request.form.get("confirmed") != "1":
        return False
    return (form or FlaskForm()).validate_on_submit()


def confirm_or_act(
    act: Callable,
    *,
    title: str,
    consequences: list[str],
    action_label: str,
    back_url: str,
    form: FlaskForm | None = None,
    action_url: str | None = None,
):
    """``act()`` once confirmed; otherwise the shared confirmation page (400 when a
    confirming POST had form errors, so that they show)."""
    if is_confirmed(form):
        return act()
    page = render_template(
        "confirm.html",
        title=title,
        consequences=consequences,
        action_url=action_url or request.full_path.rstrip("?"),
        action_label=action_label,
        back_url=back_url,
        form=form,
    )
    return page, 400 if form is not None and form.errors else 200
