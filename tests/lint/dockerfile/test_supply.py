"""What a build fetches: unverified downloads, plain-http repositories, final-stage upgrades, modules changed."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from tests.lint.dockerfile.cases import RUNTIME, good

D = "@sha256:" + "f" * 64


def _builder_run(script: str) -> str:
    return good("COPY . .\n", f"COPY . .\nRUN {script}\n")


def _rules(text: str, rule: str) -> list[str]:
    return [f.message for f in lint_dockerfile("Dockerfile", text) if f.rule == rule]


UNVERIFIED = [
    "curl -fsSLo /usr/local/bin/tool https://github.com/o/tool/releases/download/v1.2.3/tool-linux-amd64 && "
    "chmod +x /usr/local/bin/tool",
    "wget -q https://dl.example.com/tool-1.2.tar.gz && tar xzf tool-1.2.tar.gz",
    "wget -qO- https://example.com/archive.tar.xz | tar xJ -C /opt",
    "curl -sSL https://raw.githubusercontent.com/o/r/main/install.sh | bash -s -- -b /usr/local/bin",
    "curl https://example.com/get | sudo sh",
    "cd /tmp && curl -LO https://example.com/pkg.deb && dpkg -i pkg.deb",
    "curl -fsSL -o protoc.zip https://github.com/protocolbuffers/protobuf/releases/download/v27.0/protoc-27.0-linux-x86_64.zip"
    " && unzip protoc.zip",
]
VERIFIED_OR_NOT_A_PROGRAM = [
    "curl -fsSLo t.tgz https://example.com/t.tgz && echo \"${SUM}  t.tgz\" | sha256sum -c - && tar xzf t.tgz",
    "curl -fsSLO https://example.com/t.tgz && curl -fsSLO https://example.com/t.tgz.asc && gpg --verify t.tgz.asc",
    "curl -fsSLO https://example.com/t.tgz && shasum -a 256 -c t.tgz.sha256 && tar xzf t.tgz",
    "curl -fsSLO https://example.com/t.tgz && cosign verify-blob --key k.pub --signature t.sig t.tgz",
    "curl -fsS https://example.com/healthz",
    "curl -fsSL https://api.example.com/v1/config -o /etc/app/config.json",
    "wget -q --spider https://example.com/",
]


@pytest.mark.parametrize("script", UNVERIFIED)
def test_downloads_of_programs_without_a_check_are_reported(script: str) -> None:
    (message,) = _rules(_builder_run(script), "SG165")
    assert "without checking a checksum or signature" in message


@pytest.mark.parametrize("script", VERIFIED_OR_NOT_A_PROGRAM)
def test_verified_downloads_and_plain_requests_are_not(script: str) -> None:
    assert _rules(_builder_run(script), "SG165") == []


HTTP_REPOS = [
    "echo 'deb http://deb.example.com/debian bookworm main' > /etc/apt/sources.list.d/x.list",
    'echo "deb [signed-by=/usr/share/keyrings/x.gpg] http://repo.example.com/apt stable main" | tee /etc/apt/x.list',
    "apk add --no-cache --repository http://dl-cdn.alpinelinux.org/alpine/edge/testing tool",
    "apk add -X http://mirror.example.com/alpine/v3.20/main tool",
    "echo http://mirror.example.com/alpine/v3.20/main >> /etc/apk/repositories",
    "dnf config-manager --add-repo http://repo.example.com/x.repo",
    "printf '[x]\\nbaseurl=http://repo.example.com/el9\\n' > /etc/yum.repos.d/x.repo",
    "sed -i 's|https://deb.debian.org|http://mirror.example.com|' /etc/apt/sources.list.d/debian.sources",
]
HTTPS_REPOS = [
    "echo 'deb https://deb.example.com/debian bookworm main' > /etc/apt/sources.list.d/x.list",
    "apk add --no-cache --repository https://dl-cdn.alpinelinux.org/alpine/edge/testing tool",
    "curl -fsSL http://localhost:8080/ready",
    "sed -i 's|http://deb.debian.org|https://deb.debian.org|' /etc/apt/sources.list",
]


@pytest.mark.parametrize("script", HTTP_REPOS)
def test_repositories_over_plain_http_are_reported(script: str) -> None:
    assert _rules(_builder_run(script), "SG166")


@pytest.mark.parametrize("script", HTTPS_REPOS)
def test_https_repositories_are_not(script: str) -> None:
    assert _rules(_builder_run(script), "SG166") == []


@pytest.mark.parametrize(("base", "script"), [
    (f"alpine:3.22{D}", "apk upgrade --no-cache"), (f"alpine:3.22{D}", "apk add --no-cache --upgrade ca-certificates"),
    (f"debian:12-slim{D}", "apt-get update && apt-get upgrade -y"), (f"debian:12-slim{D}", "apt-get dist-upgrade -y"),
    (f"ubuntu:24.04{D}", "apt update && apt full-upgrade -y"), (f"fedora:40{D}", "dnf -y upgrade"),
    (f"registry.access.redhat.com/ubi9/ubi-minimal:9.4{D}", "microdnf update -y"),
])
def test_upgrades_in_the_final_stage_are_reported(base: str, script: str) -> None:
    text = good(f"FROM {RUNTIME}", f"FROM {base}\nRUN {script}")
    assert len(_rules(text, "SG167")) == 1


def test_upgrades_in_a_builder_and_updates_of_the_index_are_not() -> None:
    assert _rules(_builder_run("apt-get update && apt-get upgrade -y"), "SG167") == []
    assert _rules(good(f"FROM {RUNTIME}", f"FROM debian:12-slim{D}\nRUN apt-get update"), "SG167") == []


@pytest.mark.parametrize("script", ["go mod tidy", "go get ./...", "go get -u github.com/x/y@latest",
                                    "go mod download && go mod tidy && go build ./...",
                                    "/usr/local/go/bin/go get -d ."])
def test_module_changes_during_the_build_are_reported(script: str) -> None:
    assert _rules(_builder_run(script), "SG168")


@pytest.mark.parametrize("script", ["go mod download", "go mod verify", "go mod download -x && go mod graph",
                                    "go install golang.org/x/tools/cmd/stringer@v0.20.0", "echo go get"])
def test_reading_modules_is_not(script: str) -> None:
    assert _rules(_builder_run(script), "SG168") == []
