"""Making, closing and flagging open links."""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from survey_app.core.audit import log_change
from survey_app.extensions import db
from survey_app.invitations.tokens import new_token, token_hash
from survey_app.openlinks.models import OpenLink
from survey_app.questionnaires.queries import list_respondent_groups
from survey_app.rounds.models import Round

log = logging.getLogger(__name__)


class OpenLinkError(ValueError):
    """An open link cannot be made as asked; the message says why."""


def create_open_link(
    rnd: Round, unit_code: str, group: str, stratum: str | None = None, psu: str = "open"
) -> tuple[OpenLink, str]:
    """A new open link (its token returned once); replaces the link of that unit and group."""
    unit = next((u for u in rnd.units if u.code == unit_code), None)
    if unit is None:
        raise OpenLinkError(f"unit '{unit_code}' is not in round {rnd.id}")
    groups = list_respondent_groups(rnd)
    if group not in groups:
        raise OpenLinkError(f"no item of the questionnaire is asked of group '{group}'")
    token = new_token()
    link = db.session.scalar(
        select(OpenLink).where(
            OpenLink.round_id == rnd.id, OpenLink.unit_id == unit.id, OpenLink.group_code == group
        )
    ) or OpenLink(round_id=rnd.id, unit_id=unit.id, group_code=group)
    link.stratum, link.psu = stratum or f"{unit_code}-{group}", psu
    link.token_hash, link.is_active = token_hash(token), True
    db.session.add(link)
    db.session.flush()
    log_change(
        "open_link.create",
        "open_link",
        link.id,
        round_id=rnd.id,
        unit_id=unit.id,
        new={"group": group},
    )
    return link, token


def close_open_link(link: OpenLink) -> None:
    link.is_active = False
    db.session.flush()
    log_change("open_link.close", "open_link", link.id, round_id=link.round_id)


def flag_burst(link_id: int) -> None:
    """Count a minute with a burst of submissions on the link (its own transaction)."""
    db.session.execute(
        update(OpenLink)
        .where(OpenLink.id == link_id)
        .values(suspicious_bursts=OpenLink.suspicious_bursts + 1)
    )
    db.session.commit()
    log.warning("open link %s: suspicious burst of submissions", link_id)


def list_open_links(rnd: Round) -> list[OpenLink]:
    return list(
        db.session.scalars(
            select(OpenLink).where(OpenLink.round_id == rnd.id).order_by(OpenLink.id)
        )
    )
