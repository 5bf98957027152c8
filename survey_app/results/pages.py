"""What each results page shows: stored figures, charts and texts put together for a template."""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.i18n import LANGUAGES, get_language
from survey_app.results.access import Shown, is_admin
from survey_app.results.announcement import announcement
from survey_app.results.charts import NARROW, WIDE, Chart, index_chart, rank_chart
from survey_app.results.forms import PublishForm, RequestRunForm
from survey_app.results.presentation import legend
from survey_app.results.queries import count_burst_responses, get_progress, list_runs
from survey_app.results.tables import KindBlock, Scorecard, ranking
from survey_app.rounds.models import Round


@dataclass(frozen=True)
class KindView:
    """One unit kind on the ranking page."""

    block: KindBlock
    #: each chart laid out for desktops and for phones (the stylesheet shows one)
    index_charts: tuple[Chart, Chart]
    rank_charts: tuple[Chart, Chart]
    #: the announcement per language, the page's language first
    texts: list[tuple[str, list[str]]]


def _languages() -> list[str]:
    lang = get_language()
    return [lang] + [code for code in LANGUAGES if code != lang]


def ranking_page(shown: Shown) -> dict:
    lang = get_language()
    blocks = ranking(shown.run) if shown.run else []
    kinds = [
        KindView(
            block,
            (index_chart(block, lang, WIDE), index_chart(block, lang, NARROW)),
            (rank_chart(block, lang, WIDE), rank_chart(block, lang, NARROW)),
            [(code, announcement(block, code)) for code in _languages()],
        )
        for block in blocks
    ]
    flags = set().union(*(b.flags for b in blocks)) if blocks else set()
    return {"shown": shown, "kinds": kinds, "legend": legend(flags), "is_admin": is_admin()}


def scorecard_page(shown: Shown, card: Scorecard) -> dict:
    return {"shown": shown, "card": card, "legend": legend(card.flags), "is_admin": is_admin()}


def runs_page(rnd: Round) -> dict:
    runs = list_runs(rnd.id)
    publish = PublishForm()
    publish.set_runs(runs)
    return {
        "rnd": rnd,
        "runs": runs,
        "progress": get_progress(rnd.id),
        "request_form": RequestRunForm(),
        "bursts": count_burst_responses(rnd.id),
        "publish_form": publish,
    }
