"""A whole site for the hardening tests, filled through its own web forms, and helpers to
visit every page, fingerprint the database and pull CSRF tokens out of pages."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, text

from tests.assessments.conftest import EMAILS, PASSWORD, World, build_world
from tests.conftest import EXAMPLES

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
CSRF_FIELD = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
RESPONDENTS = "email,name,group,unit,stratum,psu\n"


@dataclass
class Site:
    """The world of the assessment tests, plus a second round made through the admin
    pages, invitations, a saved draft, evidence and an open link."""

    world: World
    ids: dict[str, object] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def app(self):
        return self.world.app

    def client(self, who: str):
        return self.world.client(who)


def csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def build_site(app, text_: str = "Nguyễn Văn An") -> Site:
    """Every kind of user text set to ``text_`` where a form or file accepts it; each
    step's status is kept (the text may be refused, with a 400 and a message)."""
    site = Site(build_world(app))
    admin, focal = site.client("admin"), site.client("focal")
    site.statuses["questionnaire"] = _upload_questionnaire(admin, text_).status_code
    imported = site.statuses["questionnaire"] == 303
    created = admin.post(
        "/admin/rounds/new",
        data={
            "name": text_,
            "criteria_sets": ["MIC-CUC-2018", "MIC-VU-2018"],
            "questionnaire": "HOSTILE-1" if imported else "MIC-XHH-2018",
            "closes": "2999-01-01T00:00",
        },
    )
    site.statuses["round"] = created.status_code
    round_id = (
        int(created.headers["Location"].rsplit("/", 1)[1])
        if created.status_code == 303
        else site.world.round_id
    )
    admin.post(f"/admin/rounds/{round_id}/open")
    site.ids.update(round_id=round_id, unit_id=site.world.units["C01"])
    listed = _invite(admin, round_id, text_)
    site.statuses["respondents"] = listed.status_code
    if listed.status_code == 400:  # refused: invite plain names to have links to open
        listed = _invite(admin, round_id, "Nguyễn Văn An")
    site.ids["tokens"] = re.findall(r"/r/([A-Za-z0-9_-]{20,})", listed.text)
    opened = admin.post(
        f"/admin/rounds/{round_id}/open-links",
        data={"unit": "C01", "group": "official"},
        follow_redirects=True,
    )
    site.ids["open_token"] = re.findall(r"/o/([A-Za-z0-9_-]{20,})", opened.text)[0]
    saved = focal.post(
        site.world.sheet_url(),
        data=site.world.full_sheet(action="save")
        | {k: text_ for k in site.world.full_sheet() if k.startswith("note_")},
    )
    site.statuses["notes"] = saved.status_code
    if saved.status_code == 400:  # refused: save a plain draft to have a score page
        focal.post(site.world.sheet_url(), data=site.world.full_sheet(action="save"))
    _evidence(site, focal, text_)
    _account(site)
    return site


def _account(site: Site) -> None:
    """An account other than the admin's for the users pages, and a reset link for it."""
    from survey_app.accounts.operations import get_user_by_email
    from survey_app.accounts.resets import make_reset_token

    with site.app.app_context():
        viewer = get_user_by_email(EMAILS["viewer"])
        site.ids["user_id"], site.ids["reset_token"] = viewer.id, make_reset_token(viewer)


def _invite(admin, round_id: int, name: str):
    listed = RESPONDENTS + (
        f"an@x.vn,{csv_cell(name)},leader,C01,C01-leader,C01-D1\n"
        "binh@x.vn,Bình,leader,C01,C01-leader,C01-D1\n"
    )
    return admin.post(
        f"/admin/rounds/{round_id}/invitations",
        data={"respondents": (io.BytesIO(listed.encode()), "list.csv"), "download": "y"},
    )


def _upload_questionnaire(admin, text_: str):
    yaml_text = (EXAMPLES / "questionnaire.yaml").read_text(encoding="utf-8")
    quoted = _yaml_quote(text_)
    yaml_text = yaml_text.replace("code: MIC-XHH-2018", "code: HOSTILE-1", 1)
    yaml_text = yaml_text.replace('en: "Unit leaders steer reform closely"', f"en: {quoted}", 1)
    yaml_text = yaml_text.replace(
        'en: "Survey on 2018 administrative reform results"', f"en: {quoted}", 1
    )
    return admin.post(
        "/admin/questionnaires/upload",
        data={"file": (io.BytesIO(yaml_text.encode("utf-8")), "hostile.yaml")},
    )


def _yaml_quote(value: str) -> str:
    """A YAML double-quoted scalar holding exactly ``value`` (JSON escapes are YAML's)."""
    import json

    return json.dumps(value, ensure_ascii=True)


def _evidence(site: Site, focal, text_: str) -> None:
    from survey_app.assessments.models import Evidence, SelfAssessment
    from survey_app.extensions import db

    with site.app.app_context():
        sa = db.session.scalar(select(SelfAssessment).order_by(SelfAssessment.id))
        site.ids["assessment_id"] = sa.id
    uploaded = focal.post(
        f"/assessments/items/{site.ids['assessment_id']}/evidence",
        data={"file": (io.BytesIO(PNG), f"{text_[:150]}.png")},
    )
    site.statuses["evidence"] = uploaded.status_code
    if uploaded.status_code == 400:  # refused: keep a download page to visit anyway
        focal.post(
            f"/assessments/items/{site.ids['assessment_id']}/evidence",
            data={"file": (io.BytesIO(PNG), "scan.png")},
        )
    with site.app.app_context():
        site.ids["evidence_id"] = db.session.scalar(select(Evidence.id))


@pytest.fixture
def world(sqlite_app) -> World:
    return build_world(sqlite_app)


@pytest.fixture
def site(sqlite_app) -> Site:
    return build_site(sqlite_app)


@pytest.fixture
def any_site(any_app) -> Site:
    return build_site(any_app)


# ---------------------------------------------------------------- visiting every page
#: Who can see each GET endpoint (the rest are pages for admins).
FOCAL_ONLY = {"assessments.import_unit"}
RESPONDENT = {"respond.invitation_link", "respond.open_link", "respond.page", "respond.done"}
SKIPPED = {"static", "assessments.static"}


def _catalogue_ids(site: Site) -> dict[str, int]:
    """A questionnaire's and a criteria set's id, for their admin pages."""
    from sqlalchemy import select

    from survey_app.criteria.models import CriteriaSet
    from survey_app.extensions import db
    from survey_app.questionnaires.models import Questionnaire

    with site.app.app_context():
        return {
            "questionnaire_id": db.session.scalar(select(Questionnaire.id).limit(1)),
            "criteria_set_id": db.session.scalar(select(CriteriaSet.id).limit(1)),
        }


def get_urls(site: Site) -> dict[str, str]:
    """One address for every GET endpoint of the app, with real ids."""
    values = {
        "round_id": site.ids["round_id"],
        "unit_id": site.ids["unit_id"],
        "assessment_id": site.ids["assessment_id"],
        "evidence_id": site.ids["evidence_id"],
        "user_id": site.ids["user_id"],
        **_catalogue_ids(site),
        "group": "leader",
        "page": 1,
        "fmt": "csv",
        "code": "C01",
    }
    urls = {}
    with site.app.test_request_context():
        from flask import url_for

        for rule in site.app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIPPED:
                continue
            args = {a: values[a] for a in rule.arguments if a in values}
            if rule.endpoint == "respond.invitation_link":
                args["token"] = site.ids["tokens"][0]
            elif rule.endpoint == "respond.open_link":
                args["token"] = site.ids["open_token"]
            elif rule.endpoint == "accounts.reset":
                args["token"] = site.ids["reset_token"]
            elif rule.endpoint == "assessments.sheet":
                args["round_id"] = site.world.round_id
            urls[rule.endpoint] = url_for(rule.endpoint, **args)
    return urls


def visit_all(site: Site) -> dict[str, object]:
    """Every GET page, each as the user who may see it (responses, by endpoint)."""
    admin, focal, respondent = site.client("admin"), site.client("focal"), site.app.test_client()
    seen = {}
    for endpoint, url in sorted(get_urls(site).items()):
        if endpoint in RESPONDENT:
            continue
        seen[endpoint] = (focal if endpoint in FOCAL_ONLY else admin).get(url)
    urls = get_urls(site)
    seen["respond.invitation_link"] = respondent.get(urls["respond.invitation_link"])
    seen["respond.page"] = respondent.get(urls["respond.page"])
    seen["respond.done"] = respondent.get(urls["respond.done"])
    seen["respond.open_link"] = site.app.test_client().get(urls["respond.open_link"])
    seen["accounts.login"] = site.app.test_client().get(urls["accounts.login"])
    return seen


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.found.append("<script> without src")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name} of <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script text")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


# ---------------------------------------------------------------- database fingerprints
def fingerprint(app) -> dict[str, str]:
    """table → SHA-256 of all its rows in key order (the whole database's state)."""
    from survey_app.extensions import db

    out = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            rows = db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(tuple(row)).encode())
            out[table.name] = digest.hexdigest()
        db.session.rollback()
    return out


def csrf_token(page_text: str) -> str:
    return CSRF_FIELD.search(page_text).group(1)


__all__ = ["EMAILS", "PASSWORD", "Site", "build_site", "fingerprint", "visit_all"]
