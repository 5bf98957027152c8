"""Seeding a benchmark database: the demo questionnaire, criteria sets and units, one open
round, and ``n`` invitations whose tokens the benchmark keeps (stored as the app stores
them: only the keyed hash, ``survey_app.invitations.tokens.token_hash``)."""

from __future__ import annotations

import random

from sqlalchemy import insert

UNITS_PER_GROUP = ("leader", "official")


def seed_round(app, n: int, seed: int = 2024) -> tuple[int, list[str]]:
    """Migrate, load the reference data, open a round, insert ``n`` invitations.

    Returns the round id and the tokens (in random order)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        return _seed(n, seed)


def _seed(n: int, seed: int) -> tuple[int, list[str]]:
    from survey_app.core.db import utcnow
    from survey_app.criteria.operations import import_criteria_set
    from survey_app.demo.loader import _text
    from survey_app.extensions import db
    from survey_app.formats.criteria_yaml import parse_criteria_set
    from survey_app.formats.questionnaire_yaml import parse_questionnaire
    from survey_app.formats.units_csv import parse_units
    from survey_app.invitations.models import Invitation
    from survey_app.invitations.tokens import new_token, token_hash
    from survey_app.questionnaires.operations import import_questionnaire, known_item_codes
    from survey_app.rounds.operations import create_round, open_round
    from survey_app.units.operations import import_units

    import_questionnaire(parse_questionnaire(_text("questionnaire.yaml"), "q.yaml"), "q.yaml")
    for name in ("criteria_set_cuc.yaml", "criteria_set_vu.yaml"):
        import_criteria_set(parse_criteria_set(_text(name), name, known_item_codes()), name)
    import_units(parse_units(_text("units.csv"), "units.csv"))
    rnd = create_round("Benchmark", ["MIC-CUC-2018", "MIC-VU-2018"], "MIC-XHH-2018")
    open_round(rnd)
    db.session.commit()
    units = [(u.id, u.code) for u in rnd.units]
    rng = random.Random(seed)
    tokens = [new_token() for _ in range(n)]
    now = utcnow()
    for start in range(0, n, 5000):
        rows = []
        for token in tokens[start : start + 5000]:
            unit_id, code = rng.choice(units)
            group = rng.choice(UNITS_PER_GROUP)
            rows.append(
                {
                    "round_id": rnd.id,
                    "token_hash": token_hash(token),
                    "email": None,
                    "name": "Bench",
                    "group_code": group,
                    "unit_id": unit_id,
                    "stratum": f"{code}-{group}",
                    "psu": f"{code}-D{rng.randrange(1, 5)}",
                    "attributes": {"sex": rng.choice("FM")},
                    "created_at": now,
                    "is_used": False,
                    "is_revoked": False,
                }
            )
        db.session.execute(insert(Invitation.__table__), rows)
    db.session.commit()
    rng.shuffle(tokens)
    return rnd.id, tokens
