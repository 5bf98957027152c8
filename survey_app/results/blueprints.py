"""The results feature's blueprints: pages, downloads and the JSON API."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from survey_app.results import api, export_views, views

    for module in (views, export_views, api):
        app.register_blueprint(module.bp)
