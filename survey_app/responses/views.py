"""Respondent views: a link is exchanged for a session entry and answers with the form
(no redirect: one request less on a slow phone); the form posts to, and lives on at, the
clean ``/respond`` URL, which a small script (``static/respond-address.js``) also puts in
the address bar, so the token is in no later address, Referer header or log."""

from __future__ import annotations

from dataclasses import replace

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from survey_app.core import fastpaths
from survey_app.core.dbtimeouts import deadlines
from survey_app.core.outages import OUTAGE_ERRORS, forget_session_state, retry_headers
from survey_app.core.ratelimits import link_limit
from survey_app.core.signing import csrf_session_secret, csrf_token
from survey_app.i18n import get_language
from survey_app.i18n import gettext as _
from survey_app.openlinks.nonces import issue_nonce
from survey_app.responses.answers import check_answers, merge
from survey_app.responses.entries import ANSWERED, way_of
from survey_app.responses.forms import make_section_form, plainly_valid, range_hint, raw_answers
from survey_app.responses.links import OK, USED, Entry, resolve_invitation, resolve_open_link
from survey_app.responses.pages import state_page
from survey_app.responses.structure import get_form_spec, page_items, required_codes

bp = Blueprint("respond", __name__, template_folder="templates")
#: respond/_items.html writes ranges with it, here and in the questionnaire preview
bp.add_app_template_global(range_hint, "range_hint")
ENTRY, SUBMITTED = "respond", "respond_submitted"
#: The second, explicit action that submits with unanswered questions after the review.
SUBMIT_ANYWAY = "submit_anyway"
#: The action of the form's first, hidden button, which Enter in a field or on a choice
#: "clicks" (implicit submission): answered with 204 No Content, so the browser stays on
#: the page as it is, and nothing is read or stored. (A disabled first button is not
#: enough: Chromium then clicks the next enabled one when Enter is pressed on a radio.)
STAY = "stay"


@bp.after_request
def _private(response):
    """Nothing of a respondent's page is kept or indexed (``Referrer-Policy:
    no-referrer`` is on every response: ``core/security.py``)."""
    headers = response.headers
    headers["Cache-Control"] = "no-store"
    headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/r/<token>")
@link_limit
def invitation_link(token: str):
    return _enter(*resolve_invitation(token))


@bp.get("/o/<token>")
@link_limit
def open_link(token: str):
    status, entry = resolve_open_link(token)
    if entry is not None and entry.id in session.get(ANSWERED, []):
        return state_page("answered_here")
    if entry is not None:
        entry = replace(entry, nonce=issue_nonce(entry.id))
    return _enter(status, entry)


def _enter(status: str, entry: Entry | None):
    if entry is None:
        return state_page(status)
    session[ENTRY] = entry.as_session()
    session.pop(SUBMITTED, None)
    # the CSRF secret now, so the form's token below leaves the session as it is
    if fastpaths.on("signing"):
        csrf_session_secret()
    else:
        generate_csrf()
    return page()  # the form itself, which posts to /respond and names no token


def _csrf_token() -> str:
    return csrf_token() if fastpaths.on("signing") else generate_csrf()


def _lang_arg() -> dict:
    if not request.query_string:  # most links: no need to parse the query
        return {}
    return {"lang": request.args["lang"]} if request.args.get("lang") in ("vi", "en") else {}


def _entry() -> Entry | None:
    return Entry.from_session(session.get(ENTRY) or {})


def _no_entry():
    """No link in this session: after a submit (a replayed POST) that means "already
    submitted"; otherwise the respondent must open their link again."""
    return state_page("used" if session.get(SUBMITTED) else "no_session")


@bp.get("/respond")
def page():
    entry = _entry()
    if entry is None:
        return _no_entry()
    status, saved, index = way_of(entry).open_page(entry)
    if status != OK:
        return _leave(status)
    spec = get_form_spec(entry.questionnaire_id, entry.group)
    args = request.args
    index = _clamp(args.get("s", index), spec)
    review = _review(spec, saved) if "review" in args else ()
    first = not saved and not review and g.user is None and "_flashes" not in session
    if first and fastpaths.on("page_cache"):
        return _first_visit(entry, spec, index)
    form = make_section_form(page_items(spec, index, saved), get_language(), data=saved)
    return _render(entry, spec, index, form, saved, review=review)


def _review(spec, saved: dict) -> tuple:
    """The questions that apply and are still unanswered, as ``(number, item, page)``,
    listed before a submit that leaves them empty (only the second action submits)."""
    checked = check_answers(spec, saved)
    by_code = {i.code: i for i in spec.items()}
    return tuple(
        (spec.numbers[code], by_code[code], spec.pages[code]) for code in checked.unanswered
    )


#: Stands in for the CSRF token while a first-visit page is rendered for the cache.
_TOKEN_SLOT = "\x00csrf\x00"


def _first_visit(entry: Entry, spec, index: int) -> str:
    """A page with nothing answered yet, for a respondent who is not signed in, is the
    same for everyone who sees this page of this questionnaire in this language, except
    for the CSRF token: it is rendered once per process and the token filled in
    (questionnaires never change once imported). Most respondents only ever see this."""
    lang = get_language()
    key = (entry.questionnaire_id, entry.group, index, lang, entry.kind)
    cache = current_app.extensions.setdefault("parindex_first_pages", {})
    parts = cache.get(key)
    if parts is None:
        form = make_section_form(page_items(spec, index, {}), lang, data={})
        page = _render(entry, spec, index, form, {}, csrf_token=lambda: _TOKEN_SLOT)
        parts = cache[key] = tuple(page.split(_TOKEN_SLOT))
    return str(escape(_csrf_token())).join(parts)


@bp.post("/respond")
def page_post():
    formdata = request.form
    action = formdata.get("action", "save")
    if action == STAY:
        return "", 204
    entry = _entry()
    if entry is None:
        return _no_entry()
    if entry.blank_at:  # from now on the page shows what this browser saves
        entry = replace(entry, blank_at=0)
        session[ENTRY] = entry.as_session()
    spec = get_form_spec(entry.questionnaire_id, entry.group)
    index = _clamp(formdata.get("s", 0), spec)
    items = list(spec.sections[index].items)
    posted = raw_answers(formdata, items)
    checks = action in ("next", "submit", SUBMIT_ANYWAY)
    required = required_codes(spec, items, posted) if checks else set()
    vouched = fastpaths.on("plainly_valid") and plainly_valid(formdata, items, required, posted)
    if not vouched:
        form = make_section_form(items, get_language(), required=required, formdata=formdata)
        if not form.validate():
            saved, _index = way_of(entry).load(entry)
            return _render(entry, spec, index, form, merge(saved, posted))
    try:
        if action in ("submit", SUBMIT_ANYWAY):
            return _submit(entry, spec, index, posted, confirmed=action == SUBMIT_ANYWAY)
        return _move(entry, index, posted, action)
    except OUTAGE_ERRORS:
        return _not_stored(entry, spec, index, items, posted, action)


def _not_stored(entry: Entry, spec, index: int, items, posted: dict, action: str):
    """The database did not answer: nothing was stored (a submit's transaction never
    committed). The same page again, with the answers as posted, says so (503)."""
    forget_session_state()
    if action in ("submit", SUBMIT_ANYWAY) and deadlines.cut_here():
        # sent, then the database stopped answering: it may yet store them when it wakes
        message = _(
            "We could not confirm that your answers were stored; press submit again "
            "(they are never stored twice)."
        )
    elif action in ("submit", SUBMIT_ANYWAY):
        message = _("Your answers were not stored; press submit again.")
    else:
        message = _("Your answers on this page were not saved; press the button again.")
    flash(message, "error")
    form = make_section_form(items, get_language(), formdata=request.form)
    return _render(entry, spec, index, form, posted), 503, retry_headers()


def _move(entry: Entry, index: int, posted: dict, action: str):
    target = index + {"next": 1, "back": -1}.get(action, 0)
    status = way_of(entry).save(entry, posted, target)
    if status != OK:
        return _leave(status)
    if action == "save":
        flash(
            _(
                "Your answers are saved. You can close this page and come back later "
                "with the same link."
            ),
            "info",
        )
    return redirect(url_for(".page", s=target), 303)


def _submit(entry: Entry, spec, index: int, posted: dict, *, confirmed: bool):
    outcome = way_of(entry).submit(entry, spec, posted, confirmed)
    if outcome.status == "stored":
        return _stored()
    if outcome.status == "limited":
        return state_page("limited")
    if outcome.status == "unanswered":  # nothing stored: keep this page, list what is left
        status = way_of(entry).save(entry, posted, index)
        if status != OK:
            return _leave(status)
        return redirect(url_for(".page", s=index, review=1), 303)
    if outcome.status in ("incomplete", "empty"):
        way_of(entry).save(entry, posted, outcome.section)
        flash(
            _("Please answer the required questions on this page.")
            if outcome.status == "incomplete"
            else _("Please answer at least one question before submitting."),
            "error",
        )
        return redirect(url_for(".page", s=outcome.section), 303)
    return _leave(outcome.status)


def _stored():
    session.pop(ENTRY, None)
    session[SUBMITTED] = True
    return redirect(url_for(".done"), 303)


def _leave(status: str):
    """The link can no longer be answered: forget it in this browser, say why."""
    session.pop(ENTRY, None)
    return state_page(status if status != USED else "used")


@bp.get("/respond/done")
def done():
    return state_page("done")


def _clamp(raw, spec) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    return max(0, min(value, len(spec.sections) - 1))


def _render(entry: Entry, spec, index: int, form, saved: dict, **context):
    items = page_items(spec, index, saved)
    return render_template(
        "respond/form.html",
        spec=spec,
        index=index,
        section=spec.sections[index],
        items=items,
        items_html=_render_items(spec, items, form),
        form=form,
        can_save=way_of(entry).can_save,
        respondent=True,
        **context,
    )


def _render_items(spec, items, form) -> Markup:
    return Markup(
        render_template("respond/_items.html", items=items, form=form, numbers=spec.numbers)
    )
