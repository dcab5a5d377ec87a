"""Dockerfiles for the rule tests: one that passes every rule, and small variations of it."""

from __future__ import annotations

BUILDER = "golang:1.26-bookworm@sha256:b305420a68d0f229d91eb3b3ed9e519fcf2cf5461da4bef997bf927e8c0bfd2b"
RUNTIME = (
    "gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639"
)

BUILD_STAGE = f"""\
FROM --platform=$BUILDPLATFORM {BUILDER} AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/app
"""

FINAL_STAGE = f"""\
FROM {RUNTIME}
COPY --from=build /out/app /app
USER 65532:65532
ENTRYPOINT ["/app"]
"""

GOOD = "# syntax=docker/dockerfile:1\n" + BUILD_STAGE + "\n" + FINAL_STAGE


def good(old: str = "", new: str = "") -> str:
    """GOOD with one piece of text replaced (the replaced text must be there)."""
    if not old:
        return GOOD
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)
