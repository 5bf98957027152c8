"""Saving drafts and submitting responses: each one short transaction.

Submitting an invitation is the one place where exactly-once matters. It is a single
transaction (as lean as ``../shared/bench/web_floor``): a conditional UPDATE of the
invitation ``… AND NOT is_used AND NOT is_revoked … RETURNING`` its design variables;
only if a row came back, the draft is deleted (returning its answers) if the invitation
says it has one, the response is inserted with its answers (one JSON object on the row),
and the transaction commits. A second submit of the same link finds ``is_used`` already
true (PostgreSQL re-checks it after waiting on the row lock; SQLite serialises writers
with BEGIN IMMEDIATE) and stores nothing.

When the posted answers are complete by themselves, the submit first tries all of that
with every value computed beforehand: on PostgreSQL as one statement (the UPDATE in a
WITH clause, ``… AND NOT has_draft``, feeding the INSERT), one round trip instead of five;
on SQLite as that UPDATE and an ``INSERT … SELECT`` from the row it used up, in one
``BEGIN IMMEDIATE`` transaction, so the write lock is held for the statements only. Saving
a draft sets ``has_draft`` on the invitation row under its lock, so this never stores a
response that should have merged a draft, however the two interleave; when it stores
nothing, the transaction above runs and says why.

Nothing here logs: no token, hash, name or answer reaches a log line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, exists, insert, select, update

from survey_app.core.db import utcnow
from survey_app.core.storable import check_values
from survey_app.extensions import db
from survey_app.invitations.models import Invitation, ResponseDraft
from survey_app.openlinks.models import OpenLink
from survey_app.openlinks.nonces import CONSUME_NONCE, nonce_hash
from survey_app.responses.answers import check_answers, merge
from survey_app.responses.driversql import (
    DriverStatement,
    DriverTransaction,
    compact_json,
    driver_transaction,
    loaded,
    session_turn,
)
from survey_app.responses.links import ANSWERED_HERE, BUSY, CLOSED, OK, Entry, invitation_status
from survey_app.responses.locks import LOCK_REFUSED, with_lock_retries
from survey_app.responses.models import Response, new_response_id
from survey_app.responses.structure import FormSpec
from survey_app.rounds.models import Round

_inv = Invitation.__table__
_drafts = ResponseDraft.__table__
_rounds = Round.__table__
_responses = Response.__table__
_links = OpenLink.__table__


@dataclass(frozen=True)
class Outcome:
    """``stored``, ``incomplete`` (see ``section``), ``empty``, ``unanswered`` (questions
    left empty and the submit not confirmed: nothing stored), or a link state (``used``,
    ``revoked``, ``closed``, ``unknown``)."""

    status: str
    section: int | None = None


#: This invitation, with this link, unanswered, unrevoked, its round open at ``now``.
_USABLE = and_(
    _inv.c.id == bindparam("b_invitation_id"),
    _inv.c.token_hash == bindparam("b_token_hash"),
    ~_inv.c.is_used,
    ~_inv.c.is_revoked,
    exists().where(_rounds.c.id == _inv.c.round_id, Round.accepts_answers(bindparam("now"))),
)
#: What a response copies from its invitation (the design variables). Both submit paths
#: copy these columns as stored: the invitation holds only the round's weighting variables,
#: coarsened to the minimum cell size when it was created (``formats/cells.py``).
_DESIGN = ("round_id", "unit_id", "group_code", "stratum", "psu", "attributes")
#: The statements of the submit, built once (SQLAlchemy then reuses their compiled form).


def _locked(*conditions):
    """The invitation's id if it is usable (and ``conditions`` hold), its row locked
    with NOWAIT on PostgreSQL: a request never waits, holding its pool connection, while
    another holds the row (a burst of submits of one link); it is refused at once
    (:func:`with_lock_retries`). SQLite has no row locks: BEGIN IMMEDIATE serialises."""
    return select(_inv.c.id).where(_USABLE, *conditions).with_for_update(nowait=True)


_USE_INVITATION = DriverStatement(
    update(_inv)
    .where(_inv.c.id.in_(_locked()))
    .values(is_used=True)
    .returning(*(_inv.c[name] for name in _DESIGN), _inv.c.has_draft)
)
#: Saving a draft: lock the invitation (while usable) and say that it has one.
_MARK_DRAFT = (
    update(_inv).where(_inv.c.id.in_(_locked())).values(has_draft=True).returning(_inv.c.id)
)
_TAKE_DRAFT = DriverStatement(
    delete(_drafts)
    .where(_drafts.c.invitation_id == bindparam("b_invitation_id"))
    .returning(_drafts.c.answers)
)
_INSERT_RESPONSE = DriverStatement(
    insert(_responses).values({c.name: bindparam(f"b_{c.name}") for c in _responses.columns})
)


#: Using up an invitation without a draft (while usable), the first half of a submit that
#: was prepared before its transaction began.
_USE_UNDRAFTED = update(_inv).where(_inv.c.id.in_(_locked(~_inv.c.has_draft))).values(is_used=True)


def _insert_response_from(source, *where):
    """INSERT of a response whose design variables are copied from ``source`` (the
    invitation's columns, or what using it up returned) and the rest bound."""
    given = {c.name: bindparam(f"b_{c.name}", type_=c.type) for c in _responses.columns}
    given.update({name: source.c[name] for name in _DESIGN})
    names = [c.name for c in _responses.columns]
    return insert(_responses).from_select(
        names, select(*(given[name] for name in names)).where(*where)
    )


def _submit_statement():
    """PostgreSQL: use the invitation and insert its response in one statement, for an
    invitation without a draft. The UPDATE in the WITH clause locks the row and re-checks
    it (``has_draft`` included) if another transaction changed it meanwhile; the INSERT
    takes the design variables from what it returns, so both happen or neither does."""
    used = _USE_UNDRAFTED.returning(*(_inv.c[name] for name in _DESIGN)).cte("used")
    return _insert_response_from(used).returning(_responses.c.id)


_SUBMIT_STATEMENT = DriverStatement(_submit_statement())
#: SQLite (no UPDATE in a WITH clause): the same two steps as two statements, in one
#: BEGIN IMMEDIATE transaction; the INSERT copies the design variables from the row the
#: UPDATE has just used up.
_USE_PREPARED = DriverStatement(_USE_UNDRAFTED.returning(_inv.c.id))
_INSERT_PREPARED = DriverStatement(
    _insert_response_from(_inv, _inv.c.id == bindparam("b_invitation_id"))
)
_CONSUME_NONCE = DriverStatement(CONSUME_NONCE)
_OPEN_LINK_DESIGN = DriverStatement(
    select(_links.c.round_id, _links.c.unit_id, _links.c.group_code, _links.c.stratum, _links.c.psu)
    .join(_rounds, _rounds.c.id == _links.c.round_id)
    .where(
        _links.c.id == bindparam("b_open_link_id"),
        _links.c.is_active,
        Round.accepts_answers(bindparam("now")),
    )
)


def _usable(entry: Entry) -> dict:
    return {"b_invitation_id": entry.id, "b_token_hash": bytes.fromhex(entry.h), "now": utcnow()}


def load_draft(entry: Entry) -> tuple[dict[str, int], int]:
    """Saved answers and page of an invitation (empty for a first visit)."""
    draft = db.session.get(ResponseDraft, entry.id)
    return (merge(draft.answers, {}), draft.section) if draft else ({}, 0)


def save_draft(entry: Entry, posted: dict[str, int], section: int) -> str:
    """Merge the posted answers into the saved ones and store them; refused (with the
    link state) once the link is unusable, so no draft can outlive the submit that
    deletes it. The invitation is locked before the draft is read, so two saves of one
    link (two tabs) merge and never overwrite each other; on SQLite the save waits for
    its turn in the writer queue, as a submit does."""
    with session_turn():
        return with_lock_retries(lambda: _save_draft(entry, posted, section), BUSY)


def _save_draft(entry: Entry, posted: dict[str, int], section: int) -> str:
    try:
        locked = db.session.execute(_MARK_DRAFT, _usable(entry)).first()
        if locked is None:
            db.session.rollback()
            return invitation_status(entry)
        saved, _ = load_draft(entry)
        db.session.execute(_upsert_draft(entry.id, merge(saved, posted), section))
        db.session.commit()
        return OK
    except BaseException:
        db.session.rollback()
        raise


def _upsert_draft(invitation_id: int, answers: dict[str, int], section: int):
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    values = {"answers": answers, "section": section, "updated_at": utcnow()}
    check_values(_drafts, values)  # the ORM writes' guard (core/storable.py)
    stmt = dialect_insert(_drafts).values(invitation_id=invitation_id, **values)
    return stmt.on_conflict_do_update(index_elements=[_drafts.c.invitation_id], set_=values)


def submit_invitation(
    entry: Entry, spec: FormSpec, posted: dict[str, int], *, confirmed: bool = False
) -> Outcome:
    """Store the response of an invitation exactly once (see the module docstring).
    Unless ``confirmed``, a response that leaves questions unanswered is not stored
    (``unanswered``: the respondent reviews them first)."""
    checked = check_answers(spec, posted)
    complete = confirmed or not checked.unanswered
    if checked.incomplete_section is None and checked.answers and complete:
        check_values(_responses, {"answers": checked.answers})  # the ORM writes' guard
        try:
            stored = _submit_prepared(_response_values(entry, checked.answers))
        except LOCK_REFUSED:
            stored = False
        if stored:
            return Outcome("stored")
        # used, revoked, closed, locked, or a draft to merge: the transaction says which
    return with_lock_retries(
        lambda: _submit_invitation(entry, spec, posted, confirmed), Outcome(BUSY)
    )


def _submit_prepared(values: dict) -> bool:
    """Use the invitation (if usable and without a draft) and store the response whose
    every value was computed beforehand: whether it was stored. PostgreSQL: one
    statement. SQLite: the UPDATE and the INSERT in one BEGIN IMMEDIATE transaction, so
    the write lock, which every other writer waits for, is held for the two statements
    and the commit only (no Python work on the answers in between)."""
    if db.engine.dialect.name == "postgresql":
        return _SUBMIT_STATEMENT.run_alone(values) is not None
    with driver_transaction() as tx:
        if tx.first(_USE_PREPARED, values) is None:
            tx.rollback()
            return False
        tx.run(_INSERT_PREPARED, values)
    return True


def _submit_invitation(entry: Entry, spec: FormSpec, posted: dict, confirmed: bool) -> Outcome:
    with driver_transaction() as tx:
        design = tx.first(_USE_INVITATION, _usable(entry))
        if design is not None:
            saved = None
            if design.has_draft:
                saved = tx.first(_TAKE_DRAFT, {"b_invitation_id": entry.id})
            given = merge(loaded(saved.answers) if saved else None, posted)
            outcome = _store(tx, spec, given, design._asdict(), "online", confirmed)
            if outcome.status != "stored":
                tx.rollback()
            return outcome
        tx.rollback()
    return Outcome(invitation_status(entry))


def _response_values(entry: Entry, answers: dict[str, int]) -> dict:
    return {**_usable(entry), **_new_response(answers, "online")}


def _new_response(answers: dict[str, int], channel: str, is_burst: bool = False) -> dict:
    """The values of a new response that do not come from its invitation or link."""
    return {
        "b_id": new_response_id(),
        "b_submitted_on": utcnow().date(),
        "b_channel": channel,
        "b_answers": compact_json(answers),
        "b_is_burst": is_burst,
    }


def submit_open_link(
    entry: Entry,
    spec: FormSpec,
    given: dict[str, int],
    *,
    confirmed: bool = False,
    is_burst: bool = False,
) -> Outcome:
    """Store a response that came through an open link (no invitation to use up), once
    per opening: the submit uses up the opening's nonce (``answered_here`` when it was
    used already: a replayed cookie stores nothing)."""
    return with_lock_retries(
        lambda: _submit_open_link(entry, spec, given, confirmed, is_burst), Outcome(BUSY)
    )


def _submit_open_link(entry, spec, given, confirmed: bool, is_burst: bool) -> Outcome:
    with driver_transaction() as tx:
        design = tx.first(_OPEN_LINK_DESIGN, {"b_open_link_id": entry.id, "now": utcnow()})
        if design is None:
            tx.rollback()
            return Outcome(CLOSED)
        used = {"b_nonce_hash": nonce_hash(entry.nonce), "b_open_link_id": entry.id}
        if not entry.nonce or tx.first(_CONSUME_NONCE, used) is None:
            tx.rollback()
            return Outcome(ANSWERED_HERE)
        design_values = {**design._asdict(), "attributes": {}}
        outcome = _store(tx, spec, given, design_values, "open_link", confirmed, is_burst)
        if outcome.status != "stored":
            tx.rollback()  # the nonce too: the respondent completes the form and submits
        return outcome


def _store(
    tx: DriverTransaction,
    spec: FormSpec,
    given: dict,
    design: dict,
    channel: str,
    confirmed: bool = False,
    is_burst: bool = False,
):
    checked = check_answers(spec, given)
    if checked.incomplete_section is not None:
        return Outcome("incomplete", checked.incomplete_section)
    if not checked.answers:
        return Outcome("empty", 0)
    if checked.unanswered and not confirmed:
        return Outcome("unanswered")
    copied = {f"b_{name}": design[name] for name in _DESIGN}
    if channel == "open_link":  # the respondent says who they are; an invitation's group wins
        copied["b_group_code"] = spec.answered_group(checked.answers) or copied["b_group_code"]
    copied["b_attributes"] = loaded(copied["b_attributes"])
    values = {**copied, **_new_response(checked.answers, channel, is_burst)}
    check_values(_responses, {"answers": checked.answers, "group_code": values["b_group_code"]})
    tx.run(_INSERT_RESPONSE, values)
    return Outcome("stored")
