"""Each Dockerfile rule: a Dockerfile that triggers it and one that must not."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import RULES, lint_dockerfile
from slimgo.lint.findings import Finding
from tests.lint.dockerfile.cases import BUILDER, GOOD, RUNTIME, good

DIGEST = "@sha256:" + "a" * 64
DEBUG_RUNTIME = f"gcr.io/distroless/static-debian12:debug-nonroot{DIGEST}"
BUILD_RUN = 'GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app'

# rule -> Dockerfiles that must trigger it
FAILING: dict[str, list[str]] = {
    "SG100": ["FROM scratch\nFOO bar\n", "FROM scratch\nENV A\n", "RUN echo\nFROM scratch\n", "FROM\n"],
    "SG101": [good(f"FROM {RUNTIME}", f"FROM golang:1.26{DIGEST}"), good(f"FROM {RUNTIME}", "FROM build")],
    "SG102": [good(f"FROM {RUNTIME}", f"FROM debian:12-slim{DIGEST}"),
              good(f"FROM {RUNTIME}", f"FROM alpine:3.20{DIGEST}")],
    "SG103": [f"FROM debian:12{DIGEST}\nRUN apt-get install -y golang && go build -o /app .\nUSER 1:1\n"],
    "SG104": [good(BUILDER, "golang"), good(BUILDER, "golang:latest")],
    "SG105": [good(BUILDER, "golang:1.26-bookworm")],
    "SG106": ["ARG GOARCH\n" + good(f"FROM {RUNTIME}", "FROM gcr.io/distroless/static-debian12:latest-${GOARCH}"),
              good(f"FROM {RUNTIME}", "FROM ${RUNTIME_IMAGE}")],
    "SG110": [good("ENV CGO_ENABLED=0\n"), good("ENV CGO_ENABLED=0", "ENV CGO_ENABLED=1"),
              good("ENV CGO_ENABLED=0", "RUN apt-get install -y libsqlite3-dev")],
    "SG111": [good('-ldflags="-s -w"', '-ldflags="-w"'), good('-ldflags="-s -w" ', "")],
    "SG112": [good("-trimpath ", "")],
    "SG120": [good("COPY go.mod go.sum ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\n"),
              good("COPY . .\n", "").replace("COPY go.mod go.sum ./\n", "COPY . .\n")],
    "SG121": [good("--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build ", ""),
              good("--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build",
                   "--mount=type=cache,target=/root/.cache/go-build"),
              good("RUN --mount=type=cache,target=/go/pkg/mod go mod download", "RUN go mod download")],
    "SG130": [good("WORKDIR /src\n", "WORKDIR /src\nARG NPM_TOKEN\n"), "ARG GITHUB_TOKEN\n" + GOOD,
              good("WORKDIR /src\n", "WORKDIR /src\nONBUILD ARG GITHUB_TOKEN\n")],
    "SG131": [good("WORKDIR /src\n", "WORKDIR /src\nENV DB_PASSWORD=hunter2\n")],
    "SG132": [good("COPY . .\n", "COPY . .\nCOPY id_rsa /root/.ssh/id_rsa\n"),
              good("COPY . .\n", "COPY . .\nCOPY .env ./\n"),
              good("COPY . .\n", "COPY . .\nCOPY .netrc /root/\n"),
              good("COPY . .\n", "COPY . .\nONBUILD COPY .netrc /root/\n")],
    "SG133": [good("COPY . .\n", "COPY . .\nRUN echo 'machine github.com login x password y' > /root/.netrc\n"),
              good("COPY . .\n", 'COPY . .\nRUN git config --global url."https://x:${TOKEN}@github.com/".insteadOf '
                   '"https://github.com/"\n')],
    "SG140": [good("USER 65532:65532\n").replace(f"FROM {RUNTIME}", "FROM scratch"),
              good("USER 65532:65532\n").replace(RUNTIME, f"debian:12{DIGEST}")],
    "SG141": [good("USER 65532:65532", "USER 0:0"), good("USER 65532:65532", "USER root")],
    "SG142": [good("USER 65532:65532", "USER nonroot:nonroot")],
    "SG150": [good(f"FROM {RUNTIME}", f"FROM {DEBUG_RUNTIME}").replace('ENTRYPOINT ["/app"]', "ENTRYPOINT /app"),
              good('ENTRYPOINT ["/app"]', 'ENTRYPOINT ["/app"]\nCMD serve --port=8080')],
    "SG151": [good('ENTRYPOINT ["/app"]', "ENTRYPOINT /app"), good('ENTRYPOINT ["/app"]', "CMD /app serve")],
    "SG160": [good("COPY . .\n", "COPY . .\nADD https://example.com/tool.tgz /tmp/\n")],
    "SG161": [good(f"FROM {RUNTIME}", f"FROM alpine:3.20{DIGEST}\nRUN apk add --no-cache ca-certificates")],
    "SG162": [good("COPY --from=build /out/app /app", "COPY --from=build / /")],
    "SG163": [good("COPY . .\n", "COPY . .\nRUN go install golang.org/x/tools/cmd/stringer@latest\n"),
              good("COPY . .\n", "COPY . .\nRUN go install honnef.co/go/tools/cmd/staticcheck\n")],
    "SG164": [good("COPY --from=build /out/app /app",
                   "COPY --from=build /out/app /app\nCOPY --from=build /go/bin/dlv /dlv"),
              good(f"FROM {RUNTIME}", f"FROM debian:12{DIGEST}\nRUN apt-get install -y curl strace")],
    "SG165": [good("COPY . .\n", "COPY . .\nRUN curl -fsSLo /tmp/t.tgz https://example.com/t.tgz && tar xzf t.tgz\n"),
              good("COPY . .\n", "COPY . .\nRUN curl -fsSL https://example.com/install | sh\n")],
    "SG166": [good("COPY . .\n", "COPY . .\nRUN echo 'deb http://deb.example.com/ stable main' > "
                   "/etc/apt/sources.list.d/x.list\n")],
    "SG167": [good(f"FROM {RUNTIME}", f"FROM alpine:3.20{DIGEST}\nRUN apk upgrade --no-cache")],
    "SG168": [good("COPY . .\n", "COPY . .\nRUN go mod tidy\n")],
    "SG169": [good(BUILD_RUN, "make build"), good(BUILD_RUN, "./scripts/build.sh")],
    "SG172": [good(f"FROM {RUNTIME}", f"FROM --platform=$BUILDPLATFORM {RUNTIME}"),
              good(f"FROM {RUNTIME}", f"FROM --platform=${{BUILDPLATFORM}} {RUNTIME} AS base\nFROM base")],
    "SG170": [good("FROM --platform=$BUILDPLATFORM ", "FROM ").replace("GOOS=$TARGETOS GOARCH=$TARGETARCH ", "")],
    "SG171": [good("GOOS=$TARGETOS GOARCH=$TARGETARCH ", ""), good("ARG TARGETOS TARGETARCH\n", ""),
              good("GOARCH=$TARGETARCH ", "")],
}

# rule -> Dockerfiles near the failing ones that must NOT trigger it
PASSING: dict[str, list[str]] = {
    "SG100": [GOOD, "# escape=`\nFROM scratch\nCOPY a `\n  b /\n",
              good('ENTRYPOINT ["/app"]', 'ENTRYPOINT ["/app"]\nCMD []')],
    "SG101": [GOOD, good(f"FROM {RUNTIME}", "FROM scratch")],
    "SG102": [GOOD, good(f"FROM {RUNTIME}", f"FROM cgr.dev/chainguard/static:latest{DIGEST}"),
              good(f"FROM {RUNTIME}", f"FROM debian:12{DIGEST} AS debug")],
    "SG103": [GOOD],
    "SG104": [GOOD, good(BUILDER, f"golang{DIGEST}"), good(BUILDER, "golang:${GO}").replace(
        "# syntax=docker/dockerfile:1\n", "# syntax=docker/dockerfile:1\nARG GO\n")],
    "SG105": [GOOD, good(f"FROM {RUNTIME}", "FROM scratch"), good(BUILDER, "golang:latest")],
    "SG106": [GOOD, "ARG GOARCH=amd64\n" + good(f"FROM {RUNTIME}", "FROM gcr.io/distroless/static:latest-${GOARCH}"),
              good(f"FROM {RUNTIME}", "FROM gcr.io/distroless/static-debian12:nonroot-${TARGETARCH}"),
              "ARG BASE\n" + good(f"FROM {RUNTIME}", "FROM ${BASE:-scratch}")],
    "SG110": [GOOD, good("ENV CGO_ENABLED=0\n").replace("GOOS=", "CGO_ENABLED=0 GOOS="),
              good("ENV CGO_ENABLED=0", "ARG CGO_ENABLED=0"),
              good("ENV CGO_ENABLED=0", "RUN apt-get install -y libsqlite3-dev").replace(
                  "static-debian12", "base-debian12")],
    "SG111": [GOOD, good('-ldflags="-s -w"', '-gcflags="all=-N -l"'),
              good('-ldflags="-s -w"', '-ldflags="$LDFLAGS"').replace(
        "ARG TARGETOS TARGETARCH", 'ARG TARGETOS TARGETARCH\nARG LDFLAGS="-w -s -X main.v=1"')],
    "SG112": [GOOD, good("-trimpath ", "").replace("ENV CGO_ENABLED=0", "ENV CGO_ENABLED=0 GOFLAGS=-trimpath")],
    "SG120": [GOOD, good("COPY go.mod go.sum ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\n")
              .replace("-trimpath", "-mod=vendor -trimpath")],
    "SG121": [GOOD, good("--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build",
                         "--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache")],
    "SG130": [GOOD, good("WORKDIR /src\n", "WORKDIR /src\nARG GOPRIVATE\nARG SSH_AUTH_SOCK\nARG KEY_FILE\n")],
    "SG131": [GOOD, good("WORKDIR /src\n", "WORKDIR /src\nENV PASSWORD_FILE=/run/secrets/db\n")],
    "SG132": [GOOD, good("COPY . .\n", "COPY . .\nCOPY id_rsa.pub config.env ./\n"),
              good("COPY . .\n", "COPY . .\nCOPY .env.example .env.sample ./\n")],
    "SG133": [GOOD, good("RUN --mount=type=cache,target=/go/pkg/mod go mod download",
                         "RUN --mount=type=secret,id=netrc,target=/root/.netrc go mod download"),
              good("COPY . .\n", "COPY . .\nRUN git clone ssh://git@example.com/repo.git\n"),
              good("COPY . .\n", "COPY . .\nRUN mkdir -p ~/.ssh && ssh-keyscan github.com >> ~/.ssh/known_hosts\n"),
              good("COPY . .\n", "COPY . .\nRUN printf 'Host *\\n' > /root/.ssh/config\n")],
    "SG140": [GOOD, good(f"FROM {RUNTIME}", "FROM scratch")],
    "SG141": [GOOD],
    "SG142": [GOOD, good("USER 65532:65532", "USER ${UID}").replace("WORKDIR", "ARG UID\nWORKDIR")],
    "SG150": [GOOD],
    "SG151": [GOOD, good('ENTRYPOINT ["/app"]', 'ENTRYPOINT ["/app"]\nCMD serve'),
              good("COPY --from=build /out/app /app", f"COPY --from=build /out/app /app\n"
                         f"COPY --from=busybox:1.36{DIGEST} /bin/sh /bin/sh").replace(
                             'ENTRYPOINT ["/app"]', "ENTRYPOINT /app")],
    "SG160": [GOOD, good("COPY . .\n", "COPY . .\nADD --checksum=sha256:" + "b" * 64 +
                         " https://example.com/tool.tgz /tmp/\n")],
    "SG161": [GOOD, good("WORKDIR /src\n", "WORKDIR /src\nRUN apt-get install -y git\n")],
    "SG162": [GOOD],
    "SG163": [GOOD, good("COPY . .\n", "COPY . .\nRUN go install golang.org/x/tools/cmd/stringer@v0.20.0\n"),
              good("COPY . .\n", "COPY . .\nRUN go install ./cmd/...\n")],
    "SG164": [GOOD, good(f"FROM {RUNTIME}", f"FROM {DEBUG_RUNTIME}").replace(
        "COPY --from=build /out/app /app", f"COPY --from=build /out/app /app\nCOPY --from=busybox:1.36{DIGEST} "
        "/bin/busybox /busybox")],
    "SG170": [GOOD],
    "SG165": [GOOD, good("COPY . .\n", "COPY . .\nRUN curl -fsSLo /tmp/t.tgz https://example.com/t.tgz && "
                         "echo \"$SUM  /tmp/t.tgz\" | sha256sum -c - && tar xzf /tmp/t.tgz\n")],
    "SG166": [GOOD, good("COPY . .\n", "COPY . .\nRUN echo 'deb https://deb.example.com/ stable main' > "
                         "/etc/apt/sources.list.d/x.list\n")],
    "SG167": [GOOD, good("COPY . .\n", "COPY . .\nRUN apt-get update && apt-get upgrade -y\n")],
    "SG168": [GOOD, good("COPY . .\n", "COPY . .\nRUN go mod download && go mod verify\n")],
    "SG169": [GOOD, good(BUILD_RUN, f"make generate && {BUILD_RUN}"),
              good(f"FROM {RUNTIME}", f"FROM debian:12{DIGEST} AS docs\nRUN make html\n\nFROM {RUNTIME}")],
    "SG172": [GOOD, good(f"FROM {RUNTIME}", f"FROM --platform=$TARGETPLATFORM {RUNTIME}"),
              good(f"FROM {RUNTIME}", f"FROM --platform=linux/arm64 {RUNTIME}")],
    "SG171": [GOOD, good("GOOS=$TARGETOS GOARCH=$TARGETARCH go build", "xx-go build"),
              good("GOOS=$TARGETOS GOARCH=$TARGETARCH ", "").replace(
                  "ENV CGO_ENABLED=0", "ARG TARGETOS TARGETARCH\nENV CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH")],
}


def _rules(text: str) -> set[str]:
    return {f.rule for f in lint_dockerfile("Dockerfile", text)}


def test_every_rule_has_passing_and_failing_cases() -> None:
    assert set(FAILING) == set(RULES) == set(PASSING)


def test_the_good_dockerfile_has_no_findings() -> None:
    assert lint_dockerfile("Dockerfile", GOOD) == []


@pytest.mark.parametrize(("rule", "text"), [(r, t) for r, ts in FAILING.items() for t in ts])
def test_rule_fires(rule: str, text: str) -> None:
    findings = [f for f in lint_dockerfile("Dockerfile", text) if f.rule == rule]
    assert findings, f"{rule} did not fire"
    for f in findings:
        assert f.severity is RULES[rule].severity
        assert f.line >= (0 if rule == "SG100" else 1)
        assert f.message and f.fix and "\n" not in f.fix


@pytest.mark.parametrize(("rule", "text"), [(r, t) for r, ts in PASSING.items() for t in ts])
def test_rule_stays_quiet(rule: str, text: str) -> None:
    assert rule not in _rules(text)


def test_parse_error_names_the_line() -> None:
    (f,) = lint_dockerfile("Dockerfile", "FROM scratch\nCOPY a /\nENV A\nUSER 1\n")
    assert (f.rule, f.line) == ("SG100", 3)
    (f,) = lint_dockerfile("Dockerfile", "FROM scratch\nRUN true\nFOO bar\n")
    assert (f.rule, f.line) == ("SG100", 3) and "FOO" in f.message


def test_findings_point_at_the_instruction() -> None:
    text = good("USER 65532:65532", "USER root")
    (f,) = [f for f in lint_dockerfile("Dockerfile", text) if f.rule == "SG141"]
    assert text.splitlines()[f.line - 1] == "USER root"


def test_secret_fix_names_the_variable() -> None:
    (f,) = [f for f in lint_dockerfile("x", "ARG GITHUB_TOKEN\n" + GOOD) if f.rule == "SG130"]
    assert f.line == 1 and "GITHUB_TOKEN" in f.fix


def _only(text: str, rule: str) -> list[Finding]:
    return [f for f in lint_dockerfile("Dockerfile", text) if f.rule == rule]


def test_no_user_on_a_nonroot_base_is_info_and_names_the_inherited_uid() -> None:
    for base in (RUNTIME, f"gcr.io/distroless/static:debug-nonroot{DIGEST}", f"cgr.dev/chainguard/static{DIGEST}"):
        (f,) = _only(good("USER 65532:65532\n").replace(RUNTIME, base), "SG140")
        assert f.severity.value == "info" and "65532" in f.message and f.fix == "state it: USER 65532:65532"
    # a :debug or plain tag of the same image runs as root: still a warning
    (f,) = _only(good("USER 65532:65532\n").replace(RUNTIME, f"gcr.io/distroless/static-debian12{DIGEST}"), "SG140")
    assert f.severity.value == "warning"


def test_shell_cmd_after_exec_entrypoint_says_what_the_entrypoint_receives() -> None:
    text = good('ENTRYPOINT ["/app"]', 'ENTRYPOINT ["/app"]\nCMD serve \\\n    --port=8080')
    (f,) = _only(text, "SG150")
    assert f.line == text.splitlines().index("CMD serve \\") + 1
    assert '"/bin/sh", "-c", "serve --port=8080"' in f.message
    assert f.fix.endswith('CMD ["serve", "--port=8080"]')


def test_one_run_that_downloads_and_builds_needs_both_caches() -> None:
    text = good("RUN --mount=type=cache,target=/go/pkg/mod go mod download\n", "").replace(
        "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\\n    ",
        "RUN go mod download && \\\n    ")
    (f,) = _only(text, "SG121")
    assert "build cache" in f.message and "module cache" in f.message


def test_build_stage_on_a_stage_that_downloaded_into_a_layer_needs_no_module_cache() -> None:
    text = f"""\
FROM --platform=$BUILDPLATFORM {BUILDER} AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM deps AS build
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 {BUILD_RUN}

FROM {RUNTIME}
COPY --from=build /out/app /app
USER 65532:65532
ENTRYPOINT ["/app"]
"""
    assert [f.line for f in _only(text, "SG121")] == [4]  # the download itself, not the build


def test_missing_build_platform_points_at_the_from_that_names_the_image() -> None:
    text = f"""\
FROM {BUILDER} AS base
WORKDIR /src
FROM base AS build
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app .
FROM base AS tools
RUN go build -trimpath -ldflags="-s -w" -o /out/tool ./tool
FROM {RUNTIME}
COPY --from=build /out/app /app
USER 65532:65532
ENTRYPOINT ["/app"]
"""
    (f,) = _only(text, "SG170")
    assert f.line == 1 and "built FROM stage 'base'" in f.message
    assert f.fix.startswith(f"FROM --platform=$BUILDPLATFORM {BUILDER} AS base")


def test_latest_gets_one_finding_not_two() -> None:
    text = good(BUILDER, "golang:latest")
    assert [f.rule for f in lint_dockerfile("Dockerfile", text) if f.line == 2] == ["SG104"]


def test_onbuild_secret_says_onbuild() -> None:
    (f,) = _only(good("WORKDIR /src\n", "WORKDIR /src\nONBUILD ENV API_TOKEN=x\n"), "SG131")
    assert f.message.startswith("ONBUILD ENV API_TOKEN")


def test_final_stage_on_the_build_platform_points_at_the_from_that_says_so() -> None:
    text = good(f"FROM {RUNTIME}", f"FROM --platform=$BUILDPLATFORM {RUNTIME} AS base\nFROM base AS final")
    (f,) = _only(text, "SG172")
    assert text.splitlines()[f.line - 1].startswith("FROM --platform=$BUILDPLATFORM")
    assert f.fix == f"drop --platform from the final FROM: FROM {RUNTIME}"
