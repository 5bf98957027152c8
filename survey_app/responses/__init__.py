"""Anonymous responses: the respondent's link, form, drafts and submit (blueprint
``respond``), and responses imported from files."""
