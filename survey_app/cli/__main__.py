"""``python -m survey_app.cli`` runs the ``parindex`` console script."""

from survey_app.cli import main

main()
