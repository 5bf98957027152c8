"""Publishing and withdrawing a publication, each behind a confirmation page that says
which run, how many units, and what becomes frozen or public."""

from __future__ import annotations

from flask import flash, redirect, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey_app.core.confirm import confirm_or_act
from survey_app.core.times import format_datetime
from survey_app.extensions import db
from survey_app.i18n import gettext as _
from survey_app.results.models import AggregationRun, UnitResult
from survey_app.results.operations import ResultsError, publish_run, unpublish_round
from survey_app.results.queries import get_published_run, get_run_by_version
from survey_app.rounds.models import Round


def chosen_run(rnd: Round, version: int | None) -> AggregationRun | None:
    """The finished final run ``version`` of ``rnd``, or None."""
    run = get_run_by_version(rnd.id, version) if version is not None else None
    return run if run is not None and run.state == "done" and run.is_final else None


def _units(run: AggregationRun) -> int:
    return db.session.scalar(select(func.count()).where(UnitResult.run_id == run.id)) or 0


def _back(rnd: Round):
    return redirect(url_for("results.runs", round_id=rnd.id))


def publish(rnd: Round, run: AggregationRun):
    consequences = [
        _(
            "Run v{version} (final, finished {date}) will be published.",
            version=run.version,
            date=format_datetime(run.finished_at),
        ),
        _(
            "The figures of {n} units become public: ranking, scorecards, downloads and API.",
            n=_units(run),
        ),
        _(
            "The figures will be frozen: later runs never replace them, and scores can no longer "
            "change (appraisal, explanations, bonus and penalty)."
        ),
    ]
    if rnd.closed_at and run.finished_at and run.finished_at < rnd.closed_at:
        consequences.append(
            _(
                "This run was computed before the round was last closed: responses since then "
                "are not in it. Request a new final run to include them."
            )
        )

    def act():
        try:
            publish_run(rnd, run)
            db.session.commit()
            flash(_("The round is published; its figures are frozen."), "info")
        except (ResultsError, IntegrityError) as exc:
            db.session.rollback()
            message = (
                str(exc)
                if isinstance(exc, ResultsError)
                else ("This round is already published; its figures are frozen.")
            )
            flash(_(message), "error")
        return _back(rnd)

    return confirm_or_act(
        act,
        title=_("Publish the results of “{name}”?", name=rnd.name),
        consequences=consequences,
        action_label=_("Publish run v{version}", version=run.version),
        back_url=url_for("results.runs", round_id=rnd.id),
        action_url=url_for("results.publish", round_id=rnd.id, version=run.version),
    )


def unpublish(rnd: Round, form):
    run = get_published_run(rnd.id)
    if rnd.state != "published" or run is None:
        flash(_("This round is not published."), "error")
        return _back(rnd)

    def act():
        try:
            unpublish_round(rnd, form.reason.data)
        except ResultsError as exc:
            db.session.rollback()
            flash(_(str(exc)), "error")
            return _back(rnd)
        db.session.commit()
        flash(_("The publication is withdrawn; the round is closed again."), "info")
        return _back(rnd)

    return confirm_or_act(
        act,
        title=_("Withdraw the publication of “{name}”?", name=rnd.name),
        consequences=[
            _(
                "The figures of run v{version} ({n} units) will no longer be public: the ranking, "
                "scorecards, downloads and API treat the round as not published.",
                version=run.version,
                n=_units(run),
            ),
            _(
                "The round returns to “closed”: scores can change again, the round can be "
                "reopened, and a run can be published again."
            ),
            _("The reason is kept in the round's history."),
        ],
        action_label=_("Withdraw the publication"),
        back_url=url_for("results.runs", round_id=rnd.id),
        form=form,
    )
