"""The settings module read from the environment: production checks and email URLs."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "TANDEM_PRODUCTION": "1",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "tandem.example.org",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "STATIC_MANIFEST": "1",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "HTTPS"}}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_passes_with_production_values():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_debug():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "1"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_demo_data_is_refused_in_production():
    result = _manage("load_demo", env={**PRODUCTION_ENV, "TANDEM_DEMO": "1"})
    assert result.returncode != 0
    assert "never in production" in result.stderr


def test_email_url_configures_smtp_with_tls():
    code = (
        "from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER,"
        " s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS)"
    )
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"EMAIL_URL": "smtp://mailer:p%40ss@mail.example.org:587?tls=1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.org",
        "587",
        "mailer",
        "p@ss",
        "True",
    ]


def _site_url(env: dict[str, str]) -> str:
    code = "from django.conf import settings as s; print(s.SITE_URL)"
    clean = {"SITE_URL": "", "PORT": "", "TANDEM_DEMO": "", **env}
    result = _manage("shell", "--no-imports", "-c", code, env=clean)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_demo_site_url_follows_the_port():
    # `PORT=9000 make run` serves on 9000: the links in the demo's emails must point there.
    assert _site_url({"TANDEM_DEMO": "1", "PORT": "9000"}) == "http://127.0.0.1:9000"
    assert _site_url({"TANDEM_DEMO": "1"}) == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port():
    env = {"TANDEM_DEMO": "1", "PORT": "9000", "SITE_URL": "https://mentoring.example.org/"}
    assert _site_url(env) == "https://mentoring.example.org"
    # Outside the demo the port the server listens on says nothing about the public address.
    assert _site_url({"PORT": "9000"}) == "http://127.0.0.1:8000"
