"""Configuration: secrets, cookies and database URLs."""

from __future__ import annotations

import pytest

from agora import create_app
from agora.config import DEV_SECRET, normalise_database_url


def _app(tmp_path, **config):
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "INSTANCE_PATH": str(tmp_path), **config})


@pytest.mark.parametrize("secret", [None, DEV_SECRET, "too-short"])
def test_production_refuses_a_weak_or_missing_secret(tmp_path, monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("AGORA_ENV", raising=False)
    with pytest.raises(RuntimeError, match="refuses to start"):
        _app(tmp_path, SECRET_KEY=secret)


def test_production_sets_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.delenv("AGORA_ENV", raising=False)
    app = _app(tmp_path, SECRET_KEY="x" * 40)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_allows_the_dev_secret_over_http(tmp_path):
    app = _app(tmp_path, ENV="development")
    assert app.config["SECRET_KEY"] == DEV_SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_environment_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("AGORA_MIN_AGE", "18")
    monkeypatch.setenv("AGORA_CITY_NAME", "Leuven")
    monkeypatch.setenv("SECRET_KEY", "y" * 40)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["MIN_AGE"] == 18 and app.config["CITY_NAME"] == "Leuven"
    assert app.config["SECRET_KEY"] == "y" * 40


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"ENV": "development", "INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'agora.sqlite'}"


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_url_normalisation(url, expected):
    assert normalise_database_url(url) == expected
