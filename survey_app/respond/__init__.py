"""The respondent's side: one-time links, the questionnaire form, save, resume, submit."""
