"""Creating invitations, re-issuing and revoking their links.

Tokens exist only in memory: each operation that makes one returns it beside its
invitation, for a links file or an e-mail, and stores nothing but the keyed hash.
"""

from __future__ import annotations

import logging
from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.formats.cells import Cell
from survey_app.formats.respondents import ListRules, RespondentList, RespondentRow
from survey_app.invitations.models import Invitation
from survey_app.invitations.tokens import looks_like_token, new_token, token_hash
from survey_app.questionnaires.queries import list_respondent_groups
from survey_app.rounds.models import Round

log = logging.getLogger(__name__)

#: An invitation and the token of its current link (the token is never stored).
Issued = tuple[Invitation, str]


class InvitationError(ValueError):
    """Invitations cannot be changed as asked; the message says why."""


def list_rules(rnd: Round) -> ListRules:
    """What a respondent list for ``rnd`` may contain."""
    groups = list_respondent_groups(rnd)
    existing = db.session.execute(
        select(Invitation.email, Invitation.unit_id, Invitation.group_code).where(
            Invitation.round_id == rnd.id, Invitation.email.is_not(None)
        )
    )
    codes = {u.id: u.code for u in rnd.units}
    return ListRules(
        units=set(codes.values()),
        groups=groups,
        strata={s.stratum for s in rnd.frame} if rnd.frame else None,
        existing=frozenset((e, codes.get(u, ""), g) for e, u, g in existing),
        weighting=weighting_variables(rnd),
        cells=invitation_cells(rnd),
        min_cell=min_cell_size(),
    )


def min_cell_size() -> int:
    """``PARINDEX_MIN_CELL_SIZE``: the k of the anonymity rules (default 5)."""
    return int(current_app.config.get("MIN_CELL_SIZE", 5))


def weighting_variables(rnd: Round) -> dict[str, set[str]]:
    """The round's declared weighting variables (its population margins) and their levels."""
    declared: dict[str, set[str]] = {}
    for margin in rnd.margins:
        declared.setdefault(margin.variable, set()).add(margin.level)
    return declared


def invitation_cells(rnd: Round) -> Counter[Cell]:
    """People per combination of the values a response copies, over the round's
    invitations that can still be answered or have been (withdrawn ones hide no one)."""
    rows = db.session.execute(
        select(
            Invitation.unit_id,
            Invitation.group_code,
            Invitation.stratum,
            Invitation.psu,
            Invitation.attributes,
        ).where(Invitation.round_id == rnd.id, ~Invitation.is_revoked)
    )
    codes = {u.id: u.code for u in rnd.units}
    return Counter(
        (codes.get(u, ""), g, s, p, tuple(sorted((a or {}).items()))) for u, g, s, p, a in rows
    )


def list_small_groups(rnd: Round) -> list[tuple[str, str, int]]:
    """(unit, group, people) of every unit × group with fewer than k invited people: the
    limit of the anonymity rules, shown to the admin."""
    k = min_cell_size()
    counts = Counter()
    for (unit, group, *_rest), n in invitation_cells(rnd).items():
        counts[(unit, group)] += n
    return [(u, g, n) for (u, g), n in sorted(counts.items()) if n < k]


def create_invitations(rnd: Round, rows: RespondentList | list[RespondentRow]) -> list[Issued]:
    """One invitation per validated (and coarsened) row, each with a fresh link."""
    if isinstance(rows, RespondentList):
        rows = rows.rows
    if rnd.state not in ("draft", "open"):
        raise InvitationError(f"round {rnd.id} is {rnd.state}; invite while it is draft or open")
    units = {u.code: u.id for u in rnd.units}
    issued = []
    for row in rows:
        token = new_token()
        inv = Invitation(
            round_id=rnd.id,
            token_hash=token_hash(token),
            email=row.email,
            name=row.name,
            group_code=row.group,
            unit_id=units[row.unit],
            stratum=row.stratum,
            psu=row.psu,
            attributes=row.attributes,
        )
        db.session.add(inv)
        issued.append((inv, token))
    db.session.flush()
    log_change("invitations.create", "round", rnd.id, round_id=rnd.id, new={"count": len(rows)})
    log.info("round %s: %d invitations created", rnd.id, len(rows))
    return issued


def reissue_links(invitations: list[Invitation]) -> list[Issued]:
    """New tokens for unanswered, unrevoked invitations; their old links stop working."""
    issued = []
    for inv in invitations:
        if inv.is_used or inv.is_revoked:
            continue
        token = new_token()
        inv.token_hash = token_hash(token)
        issued.append((inv, token))
    db.session.flush()
    return issued


def reissue_round_links(rnd: Round) -> list[Issued]:
    """Re-issue every unanswered link of ``rnd`` (for a links file)."""
    issued = reissue_links(list_open_invitations(rnd))
    log_change("invitations.reissue", "round", rnd.id, round_id=rnd.id, new={"count": len(issued)})
    log.info("round %s: %d links re-issued", rnd.id, len(issued))
    return issued


def list_open_invitations(rnd: Round, *, email_only: bool = False) -> list[Invitation]:
    """Invitations of ``rnd`` not yet answered nor revoked, in list order."""
    stmt = select(Invitation).where(
        Invitation.round_id == rnd.id, ~Invitation.is_used, ~Invitation.is_revoked
    )
    if email_only:
        stmt = stmt.where(Invitation.email.is_not(None))
    return list(db.session.scalars(stmt.order_by(Invitation.id)))


def find_invitation(rnd: Round, *, email: str | None = None, link: str | None = None):
    """The invitation of ``rnd`` with this address (any case), or whose current link this
    is (a full link ``…/r/TOKEN`` or the token alone); None if there is none."""
    stmt = select(Invitation).where(Invitation.round_id == rnd.id)
    if email is not None:
        stmt = stmt.where(func.lower(Invitation.email) == email.strip().lower())
    else:
        token = (link or "").strip().rstrip("/").rsplit("/", 1)[-1]
        if not looks_like_token(token):
            return None
        stmt = stmt.where(Invitation.token_hash == token_hash(token))
    return db.session.scalars(stmt.order_by(Invitation.id)).first()


def revoke_invitation(inv: Invitation) -> None:
    """Withdraw a link (a wrong address, a person who left); a used one stays counted."""
    if inv.is_used:
        raise InvitationError("this invitation has been answered; it cannot be revoked")
    inv.is_revoked = True
    db.session.flush()
    log_change("invitation.revoke", "invitation", inv.id, round_id=inv.round_id)


def link_url(base_url: str, token: str) -> str:
    return f"{base_url}/r/{token}"


def links_rows(issued: list[Issued], base_url: str) -> list[dict[str, str]]:
    """Rows of the links file: ``email,name,group,unit,link`` (FORMATS.md)."""
    return [
        {
            "email": inv.email or "",
            "name": inv.name,
            "group": inv.group_code,
            "unit": inv.unit.code,
            "link": link_url(base_url, token),
        }
        for inv, token in issued
    ]
