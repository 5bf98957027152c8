"""Loading the demo data into an empty database; a second run changes nothing.

:func:`load_demo` is the plain data set (one open round, every score appraised and final),
which the tests' expected figures are computed from. ``parindex demo`` loads the fuller
story of :mod:`survey_app.demo.showcase`, built from the same files and helpers.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from survey_app.accounts.models import User
from survey_app.accounts.operations import create_user
from survey_app.accounts.passwords import generate_password
from survey_app.assessments.operations import import_self_assessments, self_maxima
from survey_app.core.db import utcnow
from survey_app.criteria.operations import import_criteria_set
from survey_app.extensions import db
from survey_app.formats.criteria_yaml import parse_criteria_set
from survey_app.formats.questionnaire_yaml import parse_questionnaire
from survey_app.formats.responses_csv import ResponseRow, parse_responses
from survey_app.formats.self_csv import SelfRow, parse_self_assessment
from survey_app.formats.units_csv import parse_units
from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
from survey_app.responses.operations import import_responses, questionnaire_rules
from survey_app.rounds.models import Round
from survey_app.rounds.operations import create_round, open_round
from survey_app.units.models import Unit
from survey_app.units.operations import import_units, set_previous_result

DATA = Path(__file__).parent / "data"
ROUND_NAME = "Điều tra xã hội học CCHC 2018 (demo)"
YEAR = 2018
CRITERIA_FILES = ("criteria_set_cuc.yaml", "criteria_set_vu.yaml")


def _text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def load_demo(admin_email: str) -> list[str]:
    """Load everything that is missing; returns lines to print (the password, once)."""
    report = _admin(admin_email)
    if find_round(ROUND_NAME):
        return report + [f"demo round already loaded: {ROUND_NAME}"]
    load_catalogues()
    import_units(parse_units(_text("units.csv"), "units.csv"))
    _previous()
    rnd = create_open_round(ROUND_NAME)
    n = import_responses(rnd, demo_responses(rnd))
    s = import_self_assessments(rnd, demo_self_rows(rnd))
    links = invite(rnd)
    return report + [
        f"demo round loaded: {ROUND_NAME} (id {rnd.id}), {len(rnd.units)} units, "
        f"{n} responses, {s} self-assessed scores",
        f"{links}",
    ]


def find_round(name: str) -> Round | None:
    return db.session.scalar(select(Round).where(Round.name == name))


def load_catalogues(year: int = YEAR) -> None:
    """The questionnaire and both criteria sets of ``year``. The files are this year's;
    another year's versions differ only in their codes, names and year (``2018`` → ``2017``)."""

    def text(name: str) -> str:
        return _text(name).replace(str(YEAR), str(year))

    import_questionnaire(
        parse_questionnaire(text("questionnaire.yaml"), "questionnaire.yaml"), "questionnaire.yaml"
    )
    for name in CRITERIA_FILES:
        import_criteria_set(parse_criteria_set(text(name), name, known_item_codes()), name)


def create_open_round(
    name: str, year: int = YEAR, opens_at: dt.datetime | None = None, days: int = 30
) -> Round:
    """A round over every demo unit with the sampling frame, open for ``days`` days."""
    with (DATA / "frame.csv").open(encoding="utf-8") as fh:
        frame = {r["stratum"]: float(r["population"]) for r in csv.DictReader(fh)}
    opens_at = opens_at or utcnow()
    rnd = create_round(
        name,
        [f"MIC-CUC-{year}", f"MIC-VU-{year}"],
        f"MIC-XHH-{year}",
        opens_at=opens_at,
        closes_at=opens_at + dt.timedelta(days=days),
        frame=frame,
    )
    open_round(rnd)
    return rnd


def demo_responses(rnd: Round) -> list[ResponseRow]:
    """The demo responses, checked against ``rnd``'s questionnaire."""
    return parse_responses(_text("responses.csv"), "responses.csv", questionnaire_rules(rnd))


def demo_self_rows(rnd: Round) -> list[SelfRow]:
    """The demo self-assessments (with their appraised points), checked against ``rnd``."""
    return parse_self_assessment(
        _text("self_assessment.csv"), "self_assessment.csv", self_maxima(rnd)
    )


def links_path() -> str:
    return os.path.join(current_app.instance_path, "demo_links.csv")


def invite(rnd: Round) -> str:
    """Invite the demo respondents; their links go to instance/demo_links.csv (0600)."""
    from survey_app.formats.links_csv import links_csv
    from survey_app.formats.respondents import parse_respondents
    from survey_app.invitations.operations import create_invitations, links_rows, list_rules

    data = (DATA / "respondents.csv").read_bytes()
    issued = create_invitations(rnd, parse_respondents(data, "respondents.csv", list_rules(rnd)))
    rows = links_rows(issued, current_app.config["BASE_URL"])
    path = links_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(links_csv(rows))
    return f"{len(rows)} invitations; their links are in {path}, e.g. {rows[0]['link']}"


def _admin(email: str) -> list[str]:
    if db.session.scalar(select(User.id).where(User.email == email)):
        return [f"admin account: {email} (password was shown when it was created)"]
    password = generate_password()
    create_user(email, "admin", password)
    return [f"admin account: {email}", f"admin password (shown once): {password}"]


def _previous() -> None:
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    with (DATA / "previous.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            set_previous_result(units[row["unit"]], int(row["year"]), float(row["index"]))
