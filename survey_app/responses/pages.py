"""The pages shown instead of the form: a used, revoked, closed or unknown link …,
always in both languages (the respondent may not have chosen one yet)."""

from __future__ import annotations

from flask import render_template

from survey_app.i18n import gettext

#: state → (HTTP status, title, explanation: one text or paragraphs); English msgids,
#: Vietnamese in respond.json and respond_page.json.
PAGES = {
    "unknown": (
        404,
        "This link is not valid",
        "Check that you opened the whole link from your invitation. If you were sent "
        "a newer link, only the newest one works.",
    ),
    "used": (
        409,
        "Your answers have already been submitted",
        "This link has been used to submit answers. Thank you: nothing more is needed, "
        "and nothing more was stored.",
    ),
    "revoked": (
        410,
        "This link has been withdrawn",
        "The organisers have withdrawn this link. Contact them if you think this is a mistake.",
    ),
    "closed": (410, "This survey is closed", "The survey no longer accepts answers."),
    "not_open": (403, "This survey has not opened yet", "Please come back when the survey opens."),
    "no_session": (
        400,
        "No questionnaire is open in this browser",
        "Open the link from your invitation again; your saved answers are kept.",
    ),
    "limited": (429, "Too many answers from this connection", "Please try again later."),
    "busy": (
        409,
        "Your answers are being sent from another page",
        "This link is sending answers from another page or device right now. Wait a "
        "moment, then open your link again to see whether they arrived.",
    ),
    "answered_here": (
        409,
        "You have already answered from this browser",
        "Thank you: nothing more is needed.",
    ),
    "done": (
        200,
        "Thank you! Your answers have been received",
        (
            "What happens next: when the survey closes, the organisers compute the results "
            "from all answers and publish them as totals for each unit and group of "
            "respondents.",
            "Your answers are anonymous: they are stored without your name or address, and "
            "no one can see what you answered.",
            "Nothing more is needed: you can close this page.",
        ),
    ),
}


def state_page(state: str):
    """The page of ``state`` in both languages, with the respondent's header (no staff
    menu, no sign-in) and no footer."""
    status, title, text = PAGES[state]
    paragraphs = (text,) if isinstance(text, str) else text
    versions = [
        {
            "lang": lang,
            "title": gettext(title, lang=lang),
            "paragraphs": [gettext(p, lang=lang) for p in paragraphs],
        }
        for lang in ("vi", "en")
    ]
    page = render_template("respond/state.html", css_class=f"state-{state}", versions=versions)
    return page, status
