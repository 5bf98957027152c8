"""Configuration: working defaults, and a start-up error that names a bad variable."""

from __future__ import annotations

import pytest

from survey_app.config import EMBEDDED_BROKER, ConfigError, load_config


def test_defaults_need_no_server_and_keep_a_generated_secret(tmp_path):
    first = load_config({}, str(tmp_path))
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'parindex.sqlite'}"
    assert first["BROKER_URL"] == EMBEDDED_BROKER
    assert len(first["SECRET_KEY"]) >= 32
    assert load_config({}, str(tmp_path))["SECRET_KEY"] == first["SECRET_KEY"]


def test_production_urls_are_accepted(tmp_path):
    cfg = load_config(
        {
            "PARINDEX_DATABASE_URL": "postgresql+psycopg://u@db/parindex",
            "PARINDEX_BROKER_URL": "redis://redis:6379/0",
            "PARINDEX_SECRET_KEY": "s" * 40,
        },
        str(tmp_path),
    )
    assert cfg["BROKER_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PARINDEX_DATABASE_URL", "mysql://x/y"),
        ("PARINDEX_DATABASE_URL", "::not a url::"),
        ("PARINDEX_BROKER_URL", "amqp://guest@localhost//"),
        ("PARINDEX_SECRET_KEY", "short"),
        ("PARINDEX_MAIL_PORT", "smtp"),
        ("PARINDEX_MAIL_USE_TLS", "maybe"),
        ("PARINDEX_LOG_LEVEL", "LOUD"),
        ("PARINDEX_BASE_URL", "ftp://x"),
        ("PARINDEX_DATABSE_URL", "sqlite:///x.db"),
    ],
)
def test_malformed_or_unknown_variable_stops_start_up_naming_it(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        load_config({name: value}, str(tmp_path))


def test_cli_reports_bad_configuration_in_one_line(tmp_path):
    from click.testing import CliRunner

    from survey_app.cli import main

    result = CliRunner().invoke(
        main,
        ["db", "upgrade"],
        env={"PARINDEX_BROKER_URL": "amqp://x", "PARINDEX_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.exit_code == 1
    assert "PARINDEX_BROKER_URL" in result.output
    assert "Traceback" not in result.output
