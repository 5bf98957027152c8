"""Loading the demo data into an empty database; a second run changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

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
from survey_app.formats.responses_csv import parse_responses
from survey_app.formats.self_csv import parse_self_assessment
from survey_app.formats.units_csv import parse_units
from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
from survey_app.responses.operations import import_responses, questionnaire_rules
from survey_app.rounds.models import Round
from survey_app.rounds.operations import create_round, open_round
from survey_app.units.models import Unit
from survey_app.units.operations import import_units, set_previous_result

DATA = Path(__file__).parent / "data"
ROUND_NAME = "Điều tra xã hội học CCHC 2018 (demo)"


def _text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def load_demo(admin_email: str) -> list[str]:
    """Load everything that is missing; returns lines to print (the password, once)."""
    report = _admin(admin_email)
    if db.session.scalar(select(Round.id).where(Round.name == ROUND_NAME)):
        return report + [f"demo round already loaded: {ROUND_NAME}"]
    import_questionnaire(
        parse_questionnaire(_text("questionnaire.yaml"), "questionnaire.yaml"), "questionnaire.yaml"
    )
    for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
        import_criteria_set(parse_criteria_set(_text(name), name, known_item_codes()), name)
    import_units(parse_units(_text("units.csv"), "units.csv"))
    _previous()
    rnd = _round()
    n = import_responses(
        rnd, parse_responses(_text("responses.csv"), "responses.csv", questionnaire_rules(rnd))
    )
    s = import_self_assessments(
        rnd,
        parse_self_assessment(
            _text("self_assessment.csv"), "self_assessment.csv", self_maxima(rnd)
        ),
    )
    links = _invitations(rnd)
    return report + [
        f"demo round loaded: {ROUND_NAME} (id {rnd.id}), {len(rnd.units)} units, "
        f"{n} responses, {s} self-assessed scores",
        f"{links}",
    ]


def _invitations(rnd: Round) -> str:
    """Invite the demo respondents; their links go to instance/demo_links.csv (0600)."""
    import os

    from flask import current_app

    from survey_app.formats.links_csv import links_csv
    from survey_app.formats.respondents import parse_respondents
    from survey_app.invitations.operations import create_invitations, links_rows, list_rules

    data = (DATA / "respondents.csv").read_bytes()
    issued = create_invitations(rnd, parse_respondents(data, "respondents.csv", list_rules(rnd)))
    rows = links_rows(issued, current_app.config["BASE_URL"])
    path = os.path.join(current_app.instance_path, "demo_links.csv")
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


def _round() -> Round:
    with (DATA / "frame.csv").open(encoding="utf-8") as fh:
        frame = {r["stratum"]: float(r["population"]) for r in csv.DictReader(fh)}
    now = utcnow()
    rnd = create_round(
        ROUND_NAME,
        ["MIC-CUC-2018", "MIC-VU-2018"],
        "MIC-XHH-2018",
        opens_at=now,
        closes_at=now + dt.timedelta(days=30),
        frame=frame,
    )
    open_round(rnd)
    return rnd
