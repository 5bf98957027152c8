"""The round's irreversible actions, each behind a confirmation page that says, with the
numbers, what will happen: close, send invitations, send reminders, withdraw a link."""

from __future__ import annotations

from flask import Response, flash, redirect, url_for

from survey_app.core import jobs
from survey_app.core.audit import log_change
from survey_app.core.confirm import confirm_or_act
from survey_app.core.db import utcnow
from survey_app.extensions import db
from survey_app.i18n import gettext as _
from survey_app.invitations.operations import find_invitation, revoke_invitation
from survey_app.results.presentation import group_name
from survey_app.rounds.actions import form_refused, refused
from survey_app.rounds.operations import RoundError, close_round
from survey_app.rounds.queries import get_invitation_counts


def _tab(rnd, endpoint: str) -> Response:
    return redirect(url_for(endpoint, round_id=rnd.id), 303)


def close(rnd):
    if rnd.state != "open":
        flash(_("Only an open round can be closed."), "error")
        return _tab(rnd, "rounds.detail")
    counts = get_invitation_counts(rnd)
    consequences = [
        _(
            "{n} people who have not answered will no longer be able to answer.",
            n=counts.unanswered,
        ),
    ]
    if counts.open_links:
        consequences.append(_("{n} open links will stop working.", n=counts.open_links))
    consequences.append(
        _(
            "Until the results are published, the round can be reopened with a new closing "
            "time; the same links then work again."
        )
    )

    def act():
        try:
            close_round(rnd)
        except RoundError as exc:
            return refused(rnd, exc)
        db.session.commit()
        flash(_("The round is closed."), "info")
        return _tab(rnd, "rounds.detail")

    return confirm_or_act(
        act,
        title=_("Close the round “{name}”?", name=rnd.name),
        consequences=consequences,
        action_label=_("Close the round"),
        back_url=url_for("rounds.detail", round_id=rnd.id),
    )


def send(rnd, task: str):
    """E-mail everyone not yet written to (invitations) or everyone waiting (reminders)."""
    if rnd.state != "open":
        flash(_("Open the round before sending e-mail."), "error")
        return _tab(rnd, "rounds.invitations_tab")
    counts = get_invitation_counts(rnd)
    reminders = task == jobs.SEND_REMINDERS
    n = counts.to_remind if reminders else counts.to_invite
    if n == 0:
        flash(_("There is no one to e-mail: everyone with an address has been written to."))
        return _tab(rnd, "rounds.invitations_tab")
    if reminders:
        consequences = [
            _("{n} reminders will be sent.", n=n),
            _("Each reminder carries a new link; the person's earlier link stops working."),
        ]
    else:
        consequences = [
            _("{n} invitations will be sent.", n=n),
            _("Each e-mail carries a fresh link, which replaces any earlier link of that person."),
        ]
    consequences.append(_("E-mail that has gone out cannot be called back."))

    def act():
        slot = utcnow().strftime("%Y%m%d%H%M")
        jobs.enqueue(task, {"round_id": rnd.id}, dedupe_key=f"{task}:{rnd.id}:{slot}")
        action = "round.send_reminders" if reminders else "round.send_invitations"
        log_change(action, "round", rnd.id, round_id=rnd.id, new={"count": n})
        db.session.commit()
        flash(_("Reminders are being sent.") if reminders else _("Invitations are being sent."))
        return _tab(rnd, "rounds.invitations_tab")

    title = _("Send reminders?") if reminders else _("Send invitations?")
    label = _("Send {n} reminders", n=n) if reminders else _("Send {n} invitations", n=n)
    return confirm_or_act(
        act,
        title=title,
        consequences=consequences,
        action_label=label,
        back_url=url_for("rounds.invitations_tab", round_id=rnd.id),
    )


def revoke(rnd, form):
    """Withdraw one person's link, found by their address or their current link."""
    if not form.validate_on_submit():
        return form_refused(rnd, form)
    who = form.who.data.strip()
    by_email = "@" in who and "/" not in who
    inv = find_invitation(rnd, email=who) if by_email else find_invitation(rnd, link=who)
    problem = _withdraw_problem(inv)
    if problem:
        flash(*problem)
        return _tab(rnd, "rounds.invitations_tab")

    def act():
        revoke_invitation(inv)
        db.session.commit()
        flash(_("The link is withdrawn: it now shows a “withdrawn” page."), "info")
        return _tab(rnd, "rounds.invitations_tab")

    form.who.render_kw = {"readonly": True}  # the confirmation is about this person only
    person = inv.email or inv.name or _("this person")
    return confirm_or_act(
        act,
        title=_("Withdraw a link"),
        consequences=[
            _(
                "1 link will be withdrawn: {who} ({unit}, {group}).",
                who=person,
                unit=inv.unit.code if inv.unit else "",
                group=group_name(inv.group_code),
            ),
            _("That person will no longer be able to answer, and gets no reminder."),
        ],
        action_label=_("Withdraw the link"),
        back_url=url_for("rounds.invitations_tab", round_id=rnd.id),
        form=form,
    )


def _withdraw_problem(inv) -> tuple[str, str] | None:
    if inv is None:
        return (
            _(
                "No invitation of this round has that address or link (links change when "
                "they are re-issued)."
            ),
            "error",
        )
    if inv.is_revoked:
        return _("That link was already withdrawn."), "info"
    if inv.is_used:
        return _("That invitation has been answered; it cannot be withdrawn."), "error"
    return None
