"""``python -m survey_app.cli``: the same as the ``parindex`` console script."""

from survey_app.cli import main

main(prog_name="parindex")
