"""Version stamping in -ldflags (substitutions, quotes, continuations, earlier commands) is read as sh reads it."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from tests.lint.dockerfile.cases import good

OLD_RUN = 'GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app'

STAMPED = [
    'GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"'
    " -o /out/app ./cmd/app",
    'GOOS=$TARGETOS GOARCH=$TARGETARCH go build -ldflags "-s -w -X main.commit=`git rev-parse --short HEAD`" -trimpath'
    " -o /out/app ./cmd/app",
    'VERSION=$(if [ -f VERSION ]; then cat VERSION; else git describe --tags --always; fi) && '
    'GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/app .',
    "GOOS=$TARGETOS GOARCH=$TARGETARCH go build \\\n      -trimpath \\\n      -ldflags \"-s -w \\\n"
    "        -X 'main.built=$(date +%s)' \\\n        -X main.by=$(whoami)\" \\\n      -o /out/app .",
    'export LDFLAGS="-s -w -X main.v=$(git describe)" && GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath '
    '-ldflags "$LDFLAGS" -o /out/app .',
    "export GOFLAGS=\"-trimpath\" ; GOOS=$TARGETOS GOARCH=$TARGETARCH go build "
    "-ldflags=\"-X main.d=$(date '+%F %T') -s -w\" -o /out/app . 2>&1 | tee /tmp/build.log",
    'sh -c "GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags=\'-s -w -X main.v=$(cat VERSION)\' ."',
    'if [ -n "$DEBUG" ]; then echo debug; fi && GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath '
    '-ldflags "-s -w -X main.v=$(( $(date +%s) / 86400 ))" -o /out/app .',
]


@pytest.mark.parametrize("run", STAMPED)
def test_stripped_trimmed_stamped_builds_raise_nothing(run: str) -> None:
    text = good(OLD_RUN, run)
    assert {f.rule for f in lint_dockerfile("Dockerfile", text)} & {"SG111", "SG112"} == set()


UNSTRIPPED = [
    ('go build -trimpath -ldflags "-w -X main.date=$(date -u +%F)" .', "SG111", "-s"),
    ('go build -trimpath -ldflags "-X main.c=`git rev-parse HEAD` -s" .', "SG111", "-w"),
    ('V=$(git describe --tags) && go build -ldflags="-s -w -X main.v=$V" .', "SG112", ""),
    ('go build -ldflags "-X \'main.note=-s -w\'" -trimpath .', "SG111", "-s and -w"),  # inside -X's value
    ('echo "$(go build -trimpath -ldflags=-s .)"', "SG111", "-w"),  # a build inside a substitution counts too
]


@pytest.mark.parametrize(("run", "rule", "missing"), UNSTRIPPED)
def test_what_is_really_missing_is_still_reported(run: str, rule: str, missing: str) -> None:
    text = good(OLD_RUN, "GOOS=$TARGETOS GOARCH=$TARGETARCH " + run)
    found = [f for f in lint_dockerfile("Dockerfile", text) if f.rule == rule]
    assert found, run
    assert missing in found[0].message
