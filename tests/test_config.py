"""Configuration from the environment: secret key, database URL, SQLite settings."""

import os
import stat

import pytest
from sqlalchemy import text

from portal import config, create_app
from portal.extensions import db


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.load_secret_key(str(tmp_path))
    second = config.load_secret_key(str(tmp_path))
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.load_secret_key(str(tmp_path)) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_processes_sharing_an_instance_folder_share_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    first, second = create_app(), create_app()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/portal.sqlite3"
    assert (tmp_path / "secret_key").exists()
    with app.app_context():
        journal = db.session.execute(text("PRAGMA journal_mode")).scalar()
        timeout = db.session.execute(text("PRAGMA busy_timeout")).scalar()
        db.session.rollback()
        db.engine.dispose()
    assert journal == "wal"
    assert timeout == 5000


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example.com:5432/portal")
    monkeypatch.setenv("SECRET_KEY", "k")
    values = config.from_environment(str(tmp_path))
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example.com:5432/portal"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://a/b", "postgresql+psycopg://a/b"),
        ("postgresql://a/b", "postgresql+psycopg://a/b"),
        ("postgresql+psycopg://a/b", "postgresql+psycopg://a/b"),
        ("sqlite:////x.db", "sqlite:////x.db"),
    ],
)
def test_database_urls_use_psycopg3(url, expected):
    assert config.normalise_database_url(url) == expected


def test_https_setting_makes_cookies_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_HTTPS", "1")
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://support.example.com")
    values = config.from_environment(str(tmp_path))
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_NAME"] == "__Host-session"
    assert values["SESSION_COOKIE_PATH"] == "/"
    assert values["HTTPS"] is True


def test_plain_http_keeps_the_default_cookie(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_HTTPS", raising=False)
    monkeypatch.setenv("SECRET_KEY", "k")
    values = config.from_environment(str(tmp_path))
    assert "SESSION_COOKIE_NAME" not in values
    assert values["HTTPS"] is False


@pytest.mark.parametrize(
    ("name", "value", "key", "expected"),
    [
        ("PORTAL_SESSION_IDLE_MINUTES", "45", "SESSION_IDLE_MINUTES", 45),
        ("PORTAL_SESSION_MAX_AGE_MINUTES", "480", "SESSION_MAX_AGE_MINUTES", 480),
        ("PORTAL_PROXY_HOPS", "1", "PROXY_FIX_HOPS", 1),
        ("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0", "RATELIMIT_STORAGE_URI", None),
    ],
)
def test_security_settings_come_from_the_environment(
    tmp_path, monkeypatch, name, value, key, expected
):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv(name, value)
    values = config.from_environment(str(tmp_path))
    assert values[key] == (value if expected is None else expected)


def test_a_timeout_that_is_not_a_number_stops_the_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PORTAL_SESSION_IDLE_MINUTES", "half an hour")
    with pytest.raises(ValueError, match="PORTAL_SESSION_IDLE_MINUTES"):
        config.from_environment(str(tmp_path))


def test_postgresql_pool_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "20")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    options = config.from_environment(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_size": 20, "max_overflow": 0, "pool_pre_ping": True}


def test_sqlite_keeps_the_default_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.from_environment(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"] == {}


@pytest.mark.parametrize("name", ["PORTAL_SESSION_IDLE_MINUTES", "PORTAL_SESSION_MAX_AGE_MINUTES"])
@pytest.mark.parametrize("value", ["0", "00", "-5", "1.5", "١٥", "²", "15 minutes"])
def test_a_timeout_of_no_minutes_stops_the_start_naming_the_variable(
    tmp_path, monkeypatch, name, value
):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"^{name} must be a whole number of minutes from 1"):
        config.from_environment(str(tmp_path))


def test_a_one_minute_timeout_is_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PORTAL_SESSION_IDLE_MINUTES", " 1 ")
    assert config.from_environment(str(tmp_path))["SESSION_IDLE_MINUTES"] == 1


def test_a_production_start_without_a_secret_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_HTTPS", "1")
    monkeypatch.setenv("PORTAL_BASE_URL", "https://support.example.com")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    with pytest.raises(ValueError, match="^SECRET_KEY must be set in the environment"):
        create_app()
    assert not (tmp_path / "secret_key").exists()  # nothing generated behind its back
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


def test_a_whole_configuration_is_used_without_reading_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/environment.sqlite3")
    monkeypatch.setenv("PORTAL_SESSION_IDLE_MINUTES", "45")
    given = {"SECRET_KEY": "given", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/given.db"}
    whole = create_app(given, from_environment=False).config
    assert (whole["SECRET_KEY"], whole["SESSION_IDLE_MINUTES"]) == ("given", 30)
    assert whole["SQLALCHEMY_DATABASE_URI"] == given["SQLALCHEMY_DATABASE_URI"]
    # By default the environment is read and the mapping only overrides it, whatever it holds.
    over = create_app(given).config
    assert (over["SECRET_KEY"], over["SESSION_IDLE_MINUTES"]) == ("given", 45)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SQLALCHEMY_DATABASE_URI"])
def test_a_whole_configuration_needs_a_key_and_a_database(tmp_path, monkeypatch, missing):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    given = {"SECRET_KEY": "given", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/given.db"}
    del given[missing]
    with pytest.raises(ValueError, match=f"needs {missing}"):
        create_app(given, from_environment=False)


@pytest.mark.parametrize(
    ("name", "value", "key", "expected"),
    [
        ("MAIL_URL", "smtp://u:p@mail.example:587?starttls=true", "MAIL_URL", None),
        ("MAIL_URL", "file:///var/spool/portal", "MAIL_URL", None),
        ("MAIL_FROM", "Help Desk <help@example.com>", "MAIL_FROM", None),
        ("PORTAL_BASE_URL", "https://support.example.com", "PORTAL_BASE_URL", None),
        ("MAIL_BATCH_SIZE", "10", "MAIL_BATCH_SIZE", 10),
        ("MAIL_LEASE_SECONDS", "60", "MAIL_LEASE_SECONDS", 60),
    ],
)
def test_mail_settings_come_from_the_environment(tmp_path, monkeypatch, name, value, key, expected):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv(name, value)
    values = config.from_environment(str(tmp_path))
    assert values[key] == (value if expected is None else expected)


def test_mail_url_unset_means_the_file_transport(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("MAIL_URL", raising=False)
    assert config.from_environment(str(tmp_path))["MAIL_URL"] is None


@pytest.mark.parametrize("value", ["smtp.example.com", "http://mail.example", "ftp://x"])
def test_a_mail_url_of_no_known_kind_stops_the_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("MAIL_URL", value)
    with pytest.raises(ValueError, match="MAIL_URL"):
        config.from_environment(str(tmp_path))


def test_a_production_start_without_a_base_url_for_mail_links_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PORTAL_HTTPS", "1")
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="PORTAL_BASE_URL must be set with PORTAL_HTTPS"):
        config.from_environment(str(tmp_path))
