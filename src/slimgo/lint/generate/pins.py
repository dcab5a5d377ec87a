"""The base images generated Dockerfiles pin, by tag and digest (bump both together, in one reviewed commit).

Names are fully qualified: buildah and podman refuse (or ask about) short names that BuildKit expands to
docker.io/library/..."""

from __future__ import annotations

__all__ = ["BUILDER_GO", "BUILDER_IMAGE", "RUNTIME_DIGEST", "RUNTIME_IMAGE", "RUNTIME_UID"]

# The Go toolchain image for the builder stage. Multi-arch index digest of golang:1.26-bookworm as
# published and referenced by public Dockerfiles (Dependabot-maintained) at the time of writing; it could not
# be re-resolved against the registry from the build machine, so refresh it with
# `skopeo inspect --raw docker://golang:1.26-bookworm | sha256sum` (or `crane digest`) when bumping.
BUILDER_TAG = "docker.io/library/golang:1.26-bookworm"
BUILDER_DIGEST = "sha256:b305420a68d0f229d91eb3b3ed9e519fcf2cf5461da4bef997bf927e8c0bfd2b"
BUILDER_GO = "1.26"

# The runtime: distroless static, Debian 12, nonroot (USER 65532). Multi-arch index digest of
# gcr.io/distroless/static-debian12:nonroot, taken the same way; refresh it the same way.
RUNTIME_TAG = "gcr.io/distroless/static-debian12:nonroot"
RUNTIME_DIGEST = "sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639"
RUNTIME_UID = 65532

BUILDER_IMAGE = f"{BUILDER_TAG}@{BUILDER_DIGEST}"
RUNTIME_IMAGE = f"{RUNTIME_TAG}@{RUNTIME_DIGEST}"
