"""One-time invitations and the respondent's saved drafts."""
