"""Cross-compilation on $BUILDPLATFORM is recognised in every spelling that makes GOARCH the target's."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from tests.lint.dockerfile.cases import BUILDER, RUNTIME

XX = "tonistiigi/xx:1.6.1@sha256:" + "c" * 64


def _dockerfile(build_lines: str, *, platform: str = "--platform=$BUILDPLATFORM ", xx: bool = False) -> str:
    head = f"FROM --platform=$BUILDPLATFORM {XX} AS xx\n" if xx else ""
    copy_xx = "COPY --from=xx / /\n" if xx else ""
    return (f"{head}FROM {platform}{BUILDER} AS build\n{copy_xx}WORKDIR /src\nENV CGO_ENABLED=0\nCOPY . .\n"
            f"{build_lines}\n"
            f"FROM {RUNTIME}\nCOPY --from=build /out/app /app\nUSER 65532:65532\nENTRYPOINT [\"/app\"]\n")


GO = 'go build -trimpath -ldflags="-s -w" -o /out/app .'

CROSS: list[tuple[str, bool]] = [
    (f"ARG TARGETOS TARGETARCH\nRUN GOOS=$TARGETOS GOARCH=$TARGETARCH {GO}", False),
    (f"ARG TARGETARCH\nRUN GOOS=linux GOARCH=$TARGETARCH {GO}", False),
    (f"ARG TARGETARCH\nRUN GOARCH=${{TARGETARCH}} {GO}", False),
    (f'ARG TARGETARCH\nRUN CGO_ENABLED=0 GOARCH="$TARGETARCH" {GO}', False),
    (f"ARG TARGETOS TARGETARCH\nENV GOOS=$TARGETOS GOARCH=$TARGETARCH\nRUN {GO}", False),
    (f"ARG TARGETARCH\nENV GOARCH=$TARGETARCH\nRUN --mount=type=cache,target=/root/.cache/go-build {GO}", False),
    (f"ARG TARGETARCH\nRUN export GOARCH=$TARGETARCH && {GO}", False),
    (f"ARG TARGETARCH\nRUN ARCH=$TARGETARCH; GOARCH=$ARCH {GO}", False),
    (f"ARG TARGETARCH\nRUN env GOARCH=$TARGETARCH {GO}", False),
    (f"ARG TARGETARCH\nRUN go env -w GOARCH=$TARGETARCH\nRUN {GO}", False),
    (f"ARG TARGETPLATFORM\nRUN GOARCH=$(echo $TARGETPLATFORM | cut -d/ -f2) {GO}", False),
    (f"ARG TARGETPLATFORM\nRUN GOARCH=${{TARGETPLATFORM#linux/}} {GO}", False),
    (f"ARG TARGETPLATFORM\nRUN export GOOS=$(xx-info os) && export GOARCH=$(xx-info arch) && {GO}", True),
    (f"ARG TARGETPLATFORM\nRUN GOOS=$(xx-info os) GOARCH=$(xx-info arch) {GO}", True),
    (f"ARG TARGETPLATFORM\nRUN xx-{GO}", True),
    (f"ARG TARGETARCH\nRUN xx-{GO}", True),
    (f"ARG TARGETPLATFORM\nRUN xx-go --wrap\nRUN {GO}", True),
    (f'ARG TARGETARCH\nRUN sh -c "GOARCH=$TARGETARCH {GO}"', False),
    (f"ARG TARGETARCH\nRUN if [ \"$TARGETARCH\" = arm ]; then export GOARM=7; fi && GOARCH=$TARGETARCH {GO}", False),
]


@pytest.mark.parametrize(("lines", "xx"), CROSS)
@pytest.mark.parametrize("platform", ["--platform=$BUILDPLATFORM ", "--platform=${BUILDPLATFORM} "])
def test_cross_compiling_builds_are_accepted(lines: str, xx: bool, platform: str) -> None:
    rules = {f.rule for f in lint_dockerfile("Dockerfile", _dockerfile(lines, platform=platform, xx=xx))}
    assert not rules & {"SG170", "SG171"}, rules


NATIVE: list[tuple[str, bool, str]] = [
    (f"RUN {GO}", False, "GOARCH does not come from an ARG TARGETARCH"),
    (f"RUN GOOS=linux GOARCH=amd64 {GO}", False, "GOARCH does not come from an ARG TARGETARCH"),
    (f"RUN GOARCH=$TARGETARCH {GO}", False, "GOARCH does not come from an ARG TARGETARCH"),  # no ARG: empty at build
    (f"ARG TARGETOS\nRUN GOOS=$TARGETOS {GO}", False, "GOARCH does not come from an ARG TARGETARCH"),
    (f"RUN GOARCH=$(xx-info arch) {GO}", True, "xx reads the target from ARG TARGETPLATFORM"),
    (f"RUN xx-{GO}", True, "xx reads the target from ARG TARGETPLATFORM"),
    (f"ARG TARGETARCH\nRUN $(GOARCH=$TARGETARCH true) && {GO}", False, "GOARCH does not come from"),
]


@pytest.mark.parametrize(("lines", "xx", "why"), NATIVE)
def test_builds_for_the_build_machine_are_reported(lines: str, xx: bool, why: str) -> None:
    found = [f for f in lint_dockerfile("Dockerfile", _dockerfile(lines, xx=xx)) if f.rule == "SG171"]
    assert len(found) == 1 and why in found[0].message, found


def test_a_builder_without_build_platform_is_emulated_not_wrong() -> None:
    found = {f.rule: f for f in lint_dockerfile("Dockerfile", _dockerfile(f"RUN {GO}", platform=""))}
    assert "SG170" in found and "SG171" not in found
