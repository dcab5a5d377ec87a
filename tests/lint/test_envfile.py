"""A .env file is judged by what it holds: credentials are an error, settings alone a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.lint.dockerfile import lint_dockerfile
from slimgo.lint.envfile import judge_env
from tests.lint.dockerfile.cases import good

# what .env files of real projects hold when they hold no secret: versions, ports, switches, placeholders
HARMLESS = [
    "IMAGE=ghcr.io/acme/api:1.4.2", "GO_VERSION=1.26.1", "POSTGRES_VERSION=16-alpine", "PORT=8080",
    "HTTP_ADDR=0.0.0.0:8080", "DEBUG=false", "REPLICAS=3", "NODE_ENV=production", "LOG_LEVEL=debug",
    "COMPOSE_PROJECT_NAME=acme", "TZ=Europe/Berlin",
    "BASE_DIGEST=sha256:5f2b8c0e1d8a6b3f9e7c4a2d1b0f8e6c5a4d3b2c1e0f9a8b7c6d5e4f3a2b1c0d",
    "GIT_COMMIT=0123456789abcdef0123456789abcdef01234567", "VERSION=v1.2.3-rc.1+build.20240101",
    "DB_PASSWORD=", 'API_TOKEN=""', "SECRET_KEY=changeme", "GITHUB_TOKEN=<your token>", "AUTH_TOKEN=${AUTH_TOKEN}",
    "STRIPE_KEY=your-stripe-key-here", "SMTP_PASSWORD=xxxxxxxx", "JWT_SECRET_LENGTH=32", "TOKEN_TTL=3600",
    "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app", "REDIS_URL=redis://redis:6379/0",
    "PASSWORD_FILE=/run/secrets/db", "SSH_AUTH_SOCK=/tmp/agent.sock", "PUBLIC_KEY_URL=https://example.com/jwks",
    "export PATH_PREFIX=/api", "# DB_PASSWORD=hunter2 (commented out)", "",
]

SECRETS = [
    ("DB_PASSWORD=hunter2", "DB_PASSWORD"), ("export API_TOKEN='9f8e7d6c'", "API_TOKEN"),
    ('SECRET_KEY="django-insecure-abc"', "SECRET_KEY"), ("AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH", "AWS_ACCESS_KEY_ID"),
    ("GH=ghp_" + "a1B2" * 9, "GH"), ("SLACK=xoxb-1234567890-abcdefghij", "SLACK"),
    ("STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE"),
    ("DATABASE_URL=postgres://app:s3cr3tPw@db:5432/app", "DATABASE_URL"),
    ("SESSION_SEED=Zx8vQ2mN7pL4kR9tW1yB6cF3hJ5gD0sA", "SESSION_SEED"),
    ("OPENAI=sk-proj-AbCdEfGhIjKlMnOpQrStUvWx", "OPENAI"),
    ('TLS="-----BEGIN PRIVATE KEY-----\\nMIIE..."', "TLS"),
]


@pytest.mark.parametrize("line", HARMLESS)
def test_settings_and_placeholders_are_not_credentials(line: str) -> None:
    assert judge_env(line + "\n").secrets == ()


@pytest.mark.parametrize(("line", "name"), SECRETS)
def test_credentials_are_found_by_name_format_or_randomness(line: str, name: str) -> None:
    text = "\n".join([*HARMLESS[:5], line, *HARMLESS[5:]]) + "\n"
    verdict = judge_env(text)
    assert verdict.secrets == (name,)
    assert verdict.settings == len([h for h in HARMLESS if h and not h.startswith("#")]) + 1


def test_a_multiline_private_key_counts() -> None:
    assert judge_env('KEY="\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"\n').secrets


def _context(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "ctx"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / ".dockerignore").write_text(".git\n")
    return root


def _sg226(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, str]]:
    main(["context", str(root), "--json"])
    data = json.loads(capsys.readouterr().out)
    return {f["path"]: f for f in data["findings"] if f["rule"] == "SG226"}


def test_context_reports_a_settings_file_as_a_warning_and_a_secrets_file_as_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _context(tmp_path, {
        ".env": "\n".join(HARMLESS) + "\n",
        "deploy/.env.production": "PORT=80\nDB_PASSWORD=hunter2\nAPI_TOKEN=changeme\n",
        ".env.example": "DB_PASSWORD=hunter2\n",  # a template: not reported at all
        "main.go": "package main\n",
    })
    found = _sg226(root, capsys)
    assert set(found) == {".env", "deploy/.env.production"}
    assert found[".env"]["severity"] == "warning" and "no credential" in found[".env"]["message"]
    prod = found["deploy/.env.production"]
    assert prod["severity"] == "error" and "DB_PASSWORD" in prod["message"]
    assert "hunter2" not in json.dumps(found)  # names only, never values
    assert main(["context", str(root), "--fail-on", "error"]) == 1
    capsys.readouterr()
    (root / "deploy/.env.production").write_text("PORT=80\n")
    assert main(["context", str(root), "--fail-on", "error"]) == 0


def _copy_env(tmp_path: Path, env_text: str | None, src: str = ".env") -> list[tuple[str, str]]:
    if env_text is not None:
        (tmp_path / src).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / src).write_text(env_text)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(good("COPY . .\n", f"COPY . .\nCOPY {src} ./\n"))
    return [(f.severity.value, f.message) for f in lint_dockerfile(str(dockerfile), dockerfile.read_text())
            if f.rule == "SG132"]


def test_a_copied_env_file_of_settings_is_a_warning(tmp_path: Path) -> None:
    ((severity, message),) = _copy_env(tmp_path, "\n".join(HARMLESS) + "\n")
    assert severity == "warning" and "holds no credential now" in message


@pytest.mark.parametrize(("line", "name"), SECRETS[:4])
def test_a_copied_env_file_with_a_credential_is_an_error_naming_it(tmp_path: Path, line: str, name: str) -> None:
    ((severity, message),) = _copy_env(tmp_path, f"PORT=80\n{line}\n", "config/.env.production")
    assert severity == "error" and f"(it holds {name})" in message


def test_a_copied_env_file_that_cannot_be_read_stays_an_error_by_name(tmp_path: Path) -> None:
    ((severity, message),) = _copy_env(tmp_path, None)
    assert severity == "error" and "holds" not in message
