"""The Dockerfile rules: stable IDs, severity, what each checks and its one-line fix."""

from __future__ import annotations

__all__ = ["RULES", "Rule"]

from dataclasses import dataclass

from slimgo.lint.findings import Finding, Severity


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    fix: str

    def finding(self, path: str, line: int, message: str, fix: str | None = None) -> Finding:
        return Finding(path, line, self.id, self.severity, message, fix or self.fix)


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        Rule("SG100", E, "Dockerfile does not parse", "fix the instruction at this line"),
        Rule("SG101", E, "final stage is a toolchain (SDK) image",
             "build in a separate stage and ship FROM gcr.io/distroless/static-debian12:nonroot (or scratch)"),
        Rule("SG102", W, "final stage is a full distribution",
             "ship FROM gcr.io/distroless/static-debian12:nonroot, cgr.dev/chainguard/static or scratch"),
        Rule("SG103", E, "Go is built in the final stage",
             "move `go build` to a builder stage and COPY --from=builder only the binary"),
        Rule("SG104", W, "base image not pinned to a version",
             "name an exact tag (and a digest), e.g. golang:1.26-bookworm@sha256:..."),
        Rule("SG105", I, "base image not pinned by digest",
             "append @sha256:<digest> so a rebuild uses the same bytes (keep the tag for readers)"),
        Rule("SG106", I, "base image reference cannot be resolved",
             "give the ARG a default before the first FROM (or pass --build-arg)"),
        Rule("SG110", W, "cgo binary the final stage cannot run",
             "set CGO_ENABLED=0 for the build so the binary is static, or ship on a base with its C library"),
        Rule("SG111", I, "go build -ldflags without -s -w",
             "pass -ldflags=\"-s -w\" to drop the symbol table and DWARF (smaller binary)"),
        Rule("SG112", I, "go build without -trimpath",
             "pass -trimpath so build paths do not leak into the binary and builds reproduce"),
        Rule("SG120", W, "modules downloaded after COPY of the whole context",
             "COPY go.mod go.sum ./ and RUN go mod download before COPY . ."),
        Rule("SG121", I, "Go build or module cache not mounted",
             "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build ..."),
        Rule("SG130", W, "build ARG named like a secret",
             "pass it with RUN --mount=type=secret,id=... (build args end up in the image history)"),
        Rule("SG131", E, "ENV named like a secret",
             "pass it with RUN --mount=type=secret,id=...,env=NAME (ENV values ship in the image config)"),
        Rule("SG132", E, "credential file copied into the image",
             "use RUN --mount=type=secret (or --mount=type=ssh for keys) and .dockerignore the file"),
        Rule("SG133", E, "credentials written inside RUN",
             "mount them for that RUN only: --mount=type=secret,id=netrc,target=/root/.netrc or --mount=type=ssh"),
        Rule("SG140", W, "final stage sets no USER", "add USER 65532:65532 (a numeric, non-root user)"),
        Rule("SG141", E, "final stage runs as root", "use USER 65532:65532 (a numeric, non-root user)"),
        Rule("SG142", W, "final USER is not numeric",
             "use the numeric UID:GID (e.g. 65532:65532) so Kubernetes can verify runAsNonRoot"),
        Rule("SG150", W, "ENTRYPOINT/CMD in shell form",
             "use the exec form: ENTRYPOINT [\"/app\"] (signals reach the process, no shell needed)"),
        Rule("SG151", E, "shell-form ENTRYPOINT/CMD on a base without a shell",
             "use the exec form: ENTRYPOINT [\"/app\"]; this image has no /bin/sh, so it cannot start"),
        Rule("SG160", W, "ADD of a remote URL",
             "download in a builder stage and verify a checksum, or use ADD --checksum=sha256:..."),
        Rule("SG161", W, "package manager used in the final stage",
             "install in a builder stage and COPY --from only the files needed, on a minimal base"),
        Rule("SG162", W, "COPY --from of a whole filesystem",
             "COPY --from=stage only the binary and the files it needs, not /"),
        Rule("SG163", W, "go install without @version",
             "pin the tool: go install example.com/tool@v1.2.3"),
        Rule("SG164", W, "tools in a non-debug final stage",
             "keep tools the program does not run (strace, curl, busybox) in a separate :debug target"),
        Rule("SG165", W, "RUN downloads a program or archive without verifying it",
             "check it in the same RUN: echo \"<sha256>  file\" | sha256sum -c - (or verify its signature)"),
        Rule("SG166", W, "package repository over plain http",
             "use the repository's https:// URL"),
        Rule("SG167", W, "package upgrade in the final stage",
             "pin the base image by digest and move to a newer base (or digest) to get updates"),
        Rule("SG168", W, "go mod tidy or go get during the build",
             "run them before committing; build with the reviewed go.mod and go.sum (add -mod=readonly)"),
        Rule("SG169", I, "go build hidden behind make or a script",
             "lint from the Dockerfile's directory so the Makefile or script is read, or run go build in the RUN"),
        Rule("SG170", I, "builder stage runs under emulation on multi-arch builds",
             "FROM --platform=$BUILDPLATFORM golang:... AS build, and cross-compile with GOOS/GOARCH"),
        Rule("SG171", E, "stage on $BUILDPLATFORM builds Go for the build machine",
             "ARG TARGETOS TARGETARCH, then RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build ..."),
        Rule("SG172", E, "final stage on $BUILDPLATFORM",
             "drop --platform from the final FROM: it must be the target platform's image"),
    ]
}  # fmt: skip
