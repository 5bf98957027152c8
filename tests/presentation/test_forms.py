"""Dates typed and shown day first in the ministry's time; the favicon answers."""

from __future__ import annotations

import datetime as dt

from survey_app.extensions import db
from survey_app.rounds.models import Round
from tests.assessments.conftest import world  # noqa: F401


def test_a_deadline_is_typed_and_shown_day_first_in_vietnam_time(world):  # noqa: F811
    admin = world.client("admin")
    url = f"/assessments/rounds/{world.round_id}"
    page = admin.get(url).text
    assert 'type="datetime-local"' not in page and 'class="datetime"' in page
    assert "Ngày/tháng/năm giờ:phút, ví dụ" in page and "(UTC+7)" in page

    saved = admin.post(url + "/deadline", data={"deadline": "15/01/2030 17:00", "reason": ""})
    assert saved.status_code == 302
    with world.app.app_context():
        stored = db.session.get(Round, world.round_id).self_deadline_at
        assert stored.replace(tzinfo=dt.UTC) == dt.datetime(2030, 1, 15, 10, 0, tzinfo=dt.UTC)
    assert 'value="15/01/2030 17:00"' in admin.get(url).text


def test_a_date_that_cannot_be_read_is_refused_and_kept_as_typed(world):  # noqa: F811
    admin = world.client("admin")
    url = f"/assessments/rounds/{world.round_id}"
    for typed in ("31/02/2030 17:00", "02/31/2030 5pm"):
        refused = admin.post(url + "/deadline", data={"deadline": typed, "reason": ""})
        assert refused.status_code == 400
        assert "Nhập ngày giờ theo dạng ngày/tháng/năm giờ:phút" in refused.text
        assert f'value="{typed}"' in refused.text
    with world.app.app_context():
        assert db.session.get(Round, world.round_id).self_deadline_at is None


def test_the_browsers_favicon_request_gets_the_icon(sqlite_app):
    client = sqlite_app.test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.data.startswith(b"<svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/login").text
