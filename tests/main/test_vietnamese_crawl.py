"""Every page reachable by links from "/" as each role and as the public, in Vietnamese:
no English UI word is left in the visible text (outside elements marked ``lang="en"``).

The data is `parindex demo` (the showcase: rounds in every state, published results,
assessments, audit entries). Downloads are skipped. Fast: Flask's test client, no browser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner

from survey_app import create_app
from survey_app.accounts.operations import create_user
from survey_app.cli import main
from survey_app.extensions import db

PASSWORD = "crawl-password-123"
ROLES = {
    "admin": ("crawl.admin@x.vn", "admin", None),
    "appraiser": ("crawl.appraiser@x.vn", "appraiser", None),
    "focal": ("crawl.focal@x.vn", "focal", "C01"),
    "viewer": ("crawl.viewer@x.vn", "viewer", None),
    "public": None,
}
#: Links that download a file, change the language, sign out or spend a link.
SKIP = re.compile(
    r"(\.(csv|xlsx|sav|dta|json|zip|pdf|txt|svg|png|ico)$)|/export|/download|/api/|^/r/"
    r"|^/o/|/evidence/|/static/|/logout"
)
MAX_PAGES = 150

#: Tell-tale English UI words and phrases (whole words, case-sensitive where a capital is
#: what betrays a label). Unit names, codes and e-mails are not UI words.
ENGLISH = [
    r"\bthe\b",
    r"\bThe\b",
    r"\band\b",
    r"\bof\b",
    r"\bwith\b",
    r"\bfrom\b",
    r"\bnot\b",
    r"\bSave\b",
    r"\bSubmit\b",
    r"\bRound\b",
    r"\bround\b",
    r"\bUnit\b",
    r"\bunits\b",
    r"\bPoints\b",
    r"\bpoints\b",
    r"\bIndex\b",
    r"\bproblem\(s\)",
    r"\bimported\b",
    r"\bappraised\b",
    r"\bself:",
    r"\bstate:",
    r"\bSE\b",
    r"\bload\b",
    r"\bmap\b",
    r"\breduce\b",
    r"\bleader\b",
    r"\bofficial\b",
    r"\bcitizen\b",
    r"\bfinal\b",
    r"\bprovisional\b",
    r"\bdraft\b",
    r"\bopen\b",
    r"\bclosed\b",
    r"\bpublished\b",
    r"\bqueued\b",
    r"\brunning\b",
    r"\bdone\b",
    r"\bfailed\b",
    r"\bpending\b",
    r"\bSign in\b",
    r"\bSign out\b",
    r"\bEdit\b",
    r"\bDelete\b",
    r"\bBack\b",
    r"\bNext\b",
    r"\bRank\b",
    r"\bScore\b",
    r"\bSelf\b",
    r"\bAppraised\b",
    r"\bnone\b",
    r"\bYes\b",
    r"\bNo\b",
    r"\bPage\b",
    r"\bError\b",
    r"\bnot found\b",
    r"\bsubmitted\b",
    r"\bexplained\b",
    r"\bresults\b",
    r"\bResults\b",
    r"\bquestionnaire\b",
    r"\bcriteria\b",
    r"\bsystem\b",
    r"\bweight\b",
    r"\bfile\b",
    r"\bpoint\b",
]
ENGLISH_RE = re.compile("|".join(ENGLISH))


class VisibleText(HTMLParser):
    """The text a reader sees, without <script>/<style>/<title> and without elements marked
    ``lang="en"``; the links of the page."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its text hidden?
        self.chunks: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])
        if tag in self.VOID:
            return
        hidden = bool(self.stack and self.stack[-1])
        hidden = hidden or tag in ("script", "style", "template") or attrs.get("lang") == "en"
        self.stack.append(hidden)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.chunks.append(data)

    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.chunks))


def _english_words(text: str) -> list[str]:
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
    found = []
    for m in ENGLISH_RE.finditer(text):
        start, end = max(0, m.start() - 40), m.end() + 40
        found.append(f"{m.group(0)!r} in …{text[start:end]}…")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    instance = tmp_path_factory.mktemp("vi-crawl") / "instance"
    env = {
        "PARINDEX_INSTANCE_PATH": str(instance),
        "PARINDEX_SECRET_KEY": "s" * 40,
        "PARINDEX_DATABASE_URL": None,
        "PARINDEX_BROKER_URL": None,
    }
    result = CliRunner().invoke(main, ["demo"], env=env)
    assert result.exit_code == 0, result.output
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'parindex.sqlite'}",
            "SECRET_KEY": "s" * 40,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "BROKER_URL": "embedded://",
        }
    )
    with app.app_context():
        for spec in ROLES.values():
            if spec:
                create_user(spec[0], spec[1], PASSWORD, spec[2])
        db.session.commit()
    yield SimpleNamespace(app=app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _pattern(path: str) -> str:
    """Pages that differ only by ids or unit codes are one page for this test; each round
    is crawled (the demo has rounds in different states)."""
    path = re.sub(r"(?<!/rounds)(?<!/results)/\d+", "/N", path)
    return re.sub(r"/units/[^/?]+", "/units/X", path)


def crawl(app, who: str) -> tuple[list[str], list[str]]:
    client = app.test_client()
    if ROLES[who]:
        response = client.post("/login", data={"email": ROLES[who][0], "password": PASSWORD})
        assert response.status_code in (302, 303), f"{who} could not sign in"
    client.get("/?lang=vi")
    seen, queue, visited, problems = set(), ["/"], [], []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        if _pattern(path) in seen:
            continue
        seen.add(_pattern(path))
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        visited.append(path)
        parser = VisibleText()
        parser.feed(response.get_data(as_text=True))
        problems += [f"{who} {path}: {w}" for w in _english_words(parser.text())]
        for href in parser.links:
            url = urlsplit(urljoin("http://localhost" + path, href))
            if url.netloc != "localhost" or "lang=" in url.query or SKIP.search(url.path):
                continue
            queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return visited, problems


@pytest.mark.parametrize("who", list(ROLES))
def test_no_english_ui_words_on_vietnamese_pages(demo, who):
    visited, problems = crawl(demo.app, who)
    assert len(visited) >= (2 if who == "public" else 5), visited
    assert not problems, f"{len(problems)} English word(s) on {len(visited)} pages:\n" + (
        "\n".join(problems)
    )


def test_the_word_list_catches_a_leftover():
    parser = VisibleText()
    parser.feed(
        '<p>Đợt khảo sát: 3 problem(s), nothing imported</p><p lang="en">the English form</p>'
        "<script>var the = 1</script><p>thao@bo.gov.vn</p>"
    )
    found = _english_words(parser.text())
    assert [f.split(" in ")[0] for f in found] == ["'problem(s)'", "'imported'"]
