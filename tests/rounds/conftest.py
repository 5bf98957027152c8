"""Fixtures of the rounds tests: an open round built from the example files, and links."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES

RESPONDENTS_HEADER = "email,name,group,unit,stratum,psu,sex\n"


def load_examples() -> None:
    """Questionnaire, criteria sets and units of ``tests/data/examples`` (no round)."""
    from survey_app.criteria.operations import import_criteria_set
    from survey_app.formats.criteria_yaml import parse_criteria_set
    from survey_app.formats.questionnaire_yaml import parse_questionnaire
    from survey_app.formats.units_csv import parse_units
    from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
    from survey_app.units.operations import import_units

    text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    import_questionnaire(parse_questionnaire(text, "q.yaml"), "q.yaml")
    for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        import_criteria_set(parse_criteria_set(text, name, known_item_codes()), name)
    import_units(parse_units((EXAMPLES / "units.csv").read_text(encoding="utf-8"), "units.csv"))


def make_round(*, open_it: bool = True, questionnaire: str = "MIC-XHH-2018") -> int:
    from survey_app.rounds.operations import create_round, open_round

    # ``sex`` is the round's declared weighting variable: the lists of these tests carry it
    rnd = create_round(
        "Khảo sát thử",
        ["MIC-CUC-2018", "MIC-VU-2018"],
        questionnaire,
        margins={"sex": {"F": 600.0, "M": 400.0}},
    )
    if open_it:
        open_round(rnd)
    return rnd.id


def invite(round_id: int, csv_text: str) -> list[str]:
    """Create invitations from respondent-list text; returns their tokens in order."""
    from survey_app.extensions import db
    from survey_app.formats.respondents import parse_respondents
    from survey_app.invitations.operations import create_invitations, list_rules
    from survey_app.rounds.models import Round

    rnd = db.session.get(Round, round_id)
    rows = parse_respondents(csv_text.encode(), "list.csv", list_rules(rnd))
    issued = create_invitations(rnd, rows)
    db.session.commit()
    return [token for _, token in issued]


@pytest.fixture
def round_app(any_app):
    """(app, round id): an open round over the example units, on SQLite and PostgreSQL."""
    return _with_round(any_app)


@pytest.fixture
def sqlite_round(sqlite_app):
    return _with_round(sqlite_app)


def _with_round(app):
    from survey_app.extensions import db

    with app.app_context():
        load_examples()
        round_id = make_round()
        db.session.commit()
    return app, round_id


def answers(value: int = 3, codes=None) -> dict[str, str]:
    codes = codes or [f"Q{i:02d}" for i in range(1, 13)]
    return {code: str(value) for code in codes}
