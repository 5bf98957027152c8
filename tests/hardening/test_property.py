"""Property-based (Hypothesis): whatever a client posts to the submission and upload
endpoints, the answer is never a 5xx, and a refused request leaves the database as it was.

Generated inputs: arbitrary field names (real item codes, ``s``, ``action``, random text)
with arbitrary values (text with any Unicode including NUL and RTL overrides, integers
far outside the scale, negative, fractional, empty, repeated fields); uploads of random
bytes, of CSV-shaped text with random cells and of random file names.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.conftest import PNG, build_site, fingerprint
from tests.rounds.conftest import RESPONDENTS_HEADER, invite

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CODES = [f"Q{i:02d}" for i in range(1, 13)]
value = st.one_of(
    st.text(max_size=40),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["1", "2", "3", "4", "9", "0", "-1", "5", "3.5", "1e3", " 2", "", "\x00"]),
)
field_name = st.one_of(st.sampled_from([*CODES, "s", "action", "csrf_token"]), st.text(max_size=12))
form = st.one_of(
    st.lists(st.tuples(field_name, value), max_size=20),
    st.lists(st.tuples(st.sampled_from(CODES), value), min_size=10, max_size=14),
)
action = st.sampled_from(["submit", "save", "next", "back", "", "delete", "x" * 300])


def _multidict(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


@pytest.fixture
def respondents(any_app):
    """(app, fresh tokens) on an open round; each example uses its own link."""
    from tests.rounds.conftest import _with_round

    app, round_id = _with_round(any_app)
    rows = "".join(f"p{i}@x.vn,P{i},leader,C01,C01-leader,C01-D1,F\n" for i in range(70))
    with app.app_context():
        return app, invite(round_id, RESPONDENTS_HEADER + rows)


def test_no_submission_gives_a_5xx_and_no_refused_one_changes_the_database(respondents):
    app, tokens = respondents
    seen = []

    @SETTINGS
    @given(pairs=form, act=action, section=value)
    def check(pairs, act, section):
        client = app.test_client()
        assert client.get(f"/r/{tokens.pop()}").status_code == 200
        before = fingerprint(app)
        posted = _multidict([*pairs, ("action", act), ("s", section)])
        response = client.post("/respond", data=posted)
        assert response.status_code < 500, response.status_code
        seen.append(response.status_code)
        if response.status_code != 303:  # refused: the page again, with why; nothing stored
            assert fingerprint(app) == before

    check()
    assert {303, 200} <= set(seen)  # some were stored or saved, some refused


filename = st.tuples(
    st.text(max_size=30), st.sampled_from([".csv", ".xlsx", ".yaml", ".png", ".pdf", "", ".exe"])
).map("".join)
cell = st.text(alphabet=st.characters(codec="utf-8"), max_size=20).map(
    lambda s: '"' + s.replace('"', '""') + '"'
)
csv_body = st.lists(st.lists(cell, min_size=1, max_size=8), max_size=6).map(
    lambda rows: "\n".join(",".join(r) for r in rows)
)
content = st.one_of(
    st.binary(max_size=300),
    csv_body.map(lambda b: (RESPONDENTS_HEADER + b).encode()),
    csv_body.map(lambda b: ("unit,subcriterion,self_points,note\n" + b).encode()),
    csv_body.map(lambda b: ("code: X\nsections: [" + b + "]").encode()),
    st.just(PNG),
)


@pytest.fixture
def uploads(any_app):
    site = build_site(any_app)
    return site, site.client("admin"), site.client("focal")


def _upload_targets(site) -> dict[str, tuple[str, str, str, set[int]]]:
    """name → (who, url, field, statuses that mean "accepted")."""
    r, u, a = site.ids["round_id"], site.ids["unit_id"], site.ids["assessment_id"]
    return {
        "respondents": ("admin", f"/admin/rounds/{r}/invitations", "respondents", {303}),
        "questionnaire": ("admin", "/admin/questionnaires/upload", "file", {303}),
        "evidence": ("focal", f"/assessments/items/{a}/evidence", "file", {302}),
        "self_unit": (
            "focal",
            f"/assessments/rounds/{site.world.round_id}/units/{u}/import",
            "file",
            {302},
        ),
        "self_round": ("admin", f"/assessments/rounds/{site.world.round_id}/import", "file", {302}),
    }


@pytest.mark.parametrize(
    "target", ["respondents", "questionnaire", "evidence", "self_unit", "self_round"]
)
def test_no_upload_gives_a_5xx_and_no_refused_one_changes_the_database(uploads, target):
    site, admin, focal = uploads
    who, url, field, accepted = _upload_targets(site)[target]
    client = admin if who == "admin" else focal
    seen = []

    @settings(SETTINGS, max_examples=40)
    @given(data=content, name=filename)
    def check(data, name):
        before = fingerprint(site.app)
        response = client.post(url, data={field: (io.BytesIO(data), name)})
        assert response.status_code < 500, response.status_code
        seen.append(response.status_code)
        if response.status_code not in accepted:
            assert fingerprint(site.app) == before

    check()
    assert 400 in seen  # the refusals were exercised


# ---------------------------------------------------------------- the form's pre-check
_raw_value = st.one_of(
    st.sampled_from(["", "1", "2", "3", "9", " 3", "3 ", "+3", "-1", "03", "３", "٣", "1e1"]),
    st.text(max_size=6),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    values=st.lists(st.sampled_from([-1, 0, 1, 2, 3, 4, 9]), min_size=1, max_size=5, unique=True),
    flags=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=4),
    posted=st.lists(st.lists(_raw_value, max_size=2), min_size=4, max_size=4),
)
def test_the_pre_check_never_vouches_for_a_post_the_form_refuses(sqlite_app, values, flags, posted):
    """``plainly_valid`` lets a post skip the WTForms validation: it must only do so
    when WTForms would accept the post too (in both languages)."""
    from werkzeug.datastructures import MultiDict

    from survey_app.responses.forms import make_section_form, plainly_valid, raw_answers
    from survey_app.responses.structure import FormItem, Level

    levels = tuple(Level(v, f"v{v}", f"e{v}", v == 9) for v in values)
    items = [
        FormItem(f"Q{i}", f"Câu {i}", f"Item {i}", required, None, levels, frozenset({"g"}))
        for i, (required, _) in enumerate(flags)
    ]
    required = frozenset(item.code for item, (_, req) in zip(items, flags, strict=True) if req)
    formdata = MultiDict(
        [(item.code, raw) for item, raws in zip(items, posted, strict=False) for raw in raws]
    )
    with sqlite_app.test_request_context("/respond", method="POST"):
        for lang in ("vi", "en"):
            form = make_section_form(items, lang, required=required, formdata=formdata)
            if plainly_valid(formdata, items, required, raw_answers(formdata, items)):
                assert form.validate(), (dict(formdata.lists()), form.errors)
