"""Self-assessments, appraisal rounds, explanations and evidence."""
