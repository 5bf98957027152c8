"""Rate limits: failed sign-ins and unknown links, per address, counted apart; Redis
holds the counters in production, a SQLite file in the instance folder in the embedded
mode and while Redis is down."""

from __future__ import annotations

import secrets

import pytest

from survey_app.config import load_config
from tests.assessments.conftest import EMAILS, PASSWORD
from tests.hardening.conftest import RESPONDENTS
from tests.rounds.conftest import invite

A, B = "198.51.100.7", "198.51.100.8"
ADMIN = EMAILS["admin"]


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, password: str):
    return client.post("/login?lang=en", data={"email": ADMIN, "password": password})


def _tokens(app, round_id: int, n: int) -> list[str]:
    # this round declares no weighting variable, so the list carries none (anonymity)
    rows = "".join(f"p{i}@x.vn,P{i},leader,C01,C01-leader,C01-D1\n" for i in range(n))
    with app.app_context():
        return invite(round_id, RESPONDENTS + rows)


def test_a_valid_respondent_link_does_not_unlock_a_locked_admin(world):
    attacker = _client(world.app, A)
    tokens = _tokens(world.app, world.round_id, 2)
    for _ in range(5):
        assert _login(attacker, "wrong password").status_code == 401
    assert attacker.get(f"/r/{tokens[0]}").status_code == 200  # its own counter
    refused = _login(attacker, PASSWORD)
    assert refused.status_code == 401 and "Wrong e-mail or password" in refused.text
    elsewhere = _login(_client(world.app, B), PASSWORD)  # the owner, elsewhere, gets in
    assert elsewhere.status_code == 302


def test_failed_sign_ins_from_one_address_are_limited_apart_from_links(world):
    attacker = _client(world.app, A)
    tokens = _tokens(world.app, world.round_id, 2)
    statuses = [_login(attacker, f"guess {i}").status_code for i in range(11)]
    assert statuses == [401] * 10 + [429]
    limited = _login(attacker, PASSWORD)
    assert limited.status_code == 429
    assert "Too many attempts" in limited.text and "Quá nhiều lần thử" in limited.text
    assert limited.headers["Retry-After"]
    assert attacker.get(f"/r/{tokens[0]}").status_code == 200  # respondents unaffected
    assert _login(attacker, PASSWORD).status_code == 429  # … and no reset by a valid link
    assert attacker.get("/login").status_code == 200  # only attempts are limited
    assert _login(_client(world.app, B), "wrong").status_code == 401  # other addresses


def test_unknown_links_are_limited_but_valid_links_are_never_counted(world):
    tokens = _tokens(world.app, world.round_id, 40)
    office = _client(world.app, A)  # forty colleagues behind one address
    assert {office.get(f"/r/{t}").status_code for t in tokens} == {200}
    guesser = _client(world.app, B)
    guesses = [guesser.get(f"/r/{secrets.token_urlsafe(24)}").status_code for _ in range(30)]
    guesses += [guesser.get(f"/o/{secrets.token_urlsafe(24)}").status_code]
    assert guesses == [404] * 30 + [429]  # /r/ and /o/ share one counter
    limited = guesser.get(f"/r/{tokens[0]}")
    assert limited.status_code == 429 and "Quá nhiều lần thử" in limited.text
    assert _login(guesser, PASSWORD).status_code == 302  # sign-in is counted apart


def test_the_storage_is_the_broker_redis_in_production_and_a_shared_file_embedded(tmp_path):
    embedded = load_config({}, str(tmp_path))
    assert embedded["RATELIMIT_STORAGE_URI"] == f"parindex-sqlite://{tmp_path}/ratelimits.sqlite"
    production = load_config({"PARINDEX_BROKER_URL": "redis://r:6379/0"}, str(tmp_path))
    assert production["RATELIMIT_STORAGE_URI"] == "redis://r:6379/0"
    own = load_config(
        {
            "PARINDEX_BROKER_URL": "redis://r:6379/0",
            "PARINDEX_RATELIMIT_STORAGE_URL": "redis://l/2",
        },
        str(tmp_path),
    )
    assert own["RATELIMIT_STORAGE_URI"] == "redis://l/2"


@pytest.mark.redis
def test_counters_live_in_redis_shared_by_every_worker(sqlite_app, redis_url):
    import redis

    from survey_app import create_app

    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    config = {**sqlite_app.config, "RATELIMIT_STORAGE_URI": redis_url}
    worker_one, worker_two = create_app(config), create_app(config)
    with worker_one.app_context():
        from survey_app.accounts.operations import create_user
        from survey_app.extensions import db

        create_user(ADMIN, "admin", PASSWORD)
        db.session.commit()
    store = redis.Redis.from_url(redis_url)
    try:
        for _ in range(10):
            assert _login(_client(worker_one, address), "wrong").status_code == 401
        keys = [k for k in store.scan_iter("*parindex-limits*") if address.encode() in k]
        assert keys  # the counter is in Redis …
        assert _login(_client(worker_two, address), PASSWORD).status_code == 429  # … shared
    finally:
        for key in store.scan_iter("*parindex-limits*"):
            if address.encode() in key:
                store.delete(key)


def test_link_guesses_are_still_counted_when_the_storage_is_down(sqlite_app):
    """A rate-limit Redis that does not answer: links keep working and guessing is still
    limited (in the instance's SQLite file), rather than every respondent being refused."""
    import socket

    from survey_app import create_app
    from tests.hardening.conftest import build_world

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    app = create_app({**sqlite_app.config, "RATELIMIT_STORAGE_URI": dead})
    world = build_world(app)
    tokens = _tokens(app, world.round_id, 2)
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    guesser = _client(app, address)
    assert guesser.get(f"/r/{tokens[0]}").status_code == 200
    guesses = [guesser.get(f"/r/{secrets.token_urlsafe(24)}").status_code for _ in range(31)]
    assert guesses == [404] * 30 + [429]
    assert _client(app, B).get(f"/r/{tokens[1]}").status_code == 200


def test_with_no_storage_at_all_everyone_is_served_and_the_failure_is_logged(
    sqlite_app, tmp_path, caplog
):
    """Counters that cannot be kept anywhere (the counters' file is a folder): links,
    unknown links and sign-ins are served as if unlimited, never refused, and each
    failure is logged, as Flask-Limiter's own limits do (``swallow_errors``)."""
    from survey_app import create_app
    from tests.hardening.conftest import build_world

    app = create_app(
        {**sqlite_app.config, "RATELIMIT_STORAGE_URI": f"parindex-sqlite://{tmp_path}"}
    )
    world = build_world(app)
    tokens = _tokens(app, world.round_id, 1)
    guesser = _client(app, A)
    guesses = {guesser.get(f"/r/{secrets.token_urlsafe(24)}").status_code for _ in range(35)}
    assert guesses == {404}
    assert guesser.get(f"/r/{tokens[0]}").status_code == 200
    assert {_login(guesser, "wrong password").status_code for _ in range(12)} == {401}
    assert _login(guesser, PASSWORD).status_code == 302
    failed = {
        r.getMessage() for r in caplog.records if "Rate-limit storage failed" in r.getMessage()
    }
    assert {
        "Rate-limit storage failed; link attempts not checked",
        "Rate-limit storage failed; link attempt not counted",
        "Rate-limit storage failed; sign-in lockout not checked",
        "Rate-limit storage failed; failed sign-in not counted",
    } <= failed
