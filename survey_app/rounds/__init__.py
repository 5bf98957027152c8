"""Survey rounds: a criteria set, a questionnaire, units and a window."""
