"""Open links: one shared link per round, unit and respondent group (weaker than invitations)."""
