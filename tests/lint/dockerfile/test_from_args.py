"""ARGs in FROM are resolved as BuildKit resolves them; what cannot be resolved is said, and the rest judged."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from slimgo.lint.dockerfile.parse import parse
from tests.lint.dockerfile.cases import BUILD_STAGE

D = "@sha256:" + "a" * 64


def _final(from_line: str, prelude: str = "") -> str:
    return (f"{prelude}{BUILD_STAGE}\n{from_line}\nCOPY --from=build /out/app /app\nUSER 65532:65532\n"
            "ENTRYPOINT [\"/app\"]\n")


def _found(text: str, **build_args: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in lint_dockerfile("Dockerfile", text, build_args or None):
        out.setdefault(f.rule, []).append(f.message)
    return out


@pytest.mark.parametrize(("prelude", "from_line", "image"), [
    ("ARG TAG=nonroot\n", "FROM gcr.io/distroless/static-debian12:${TAG}", "gcr.io/distroless/static-debian12:nonroot"),
    ("ARG ARCH\n", "FROM gcr.io/distroless/static:${ARCH:-amd64}", "gcr.io/distroless/static:amd64"),
    ("ARG V\n", "FROM alpine:3.${V:-20}", "alpine:3.20"),
    ("ARG V=1\n", "FROM alpine:3.${V:+22}", "alpine:3.22"),
    ("ARG R=gcr.io/distroless\nARG I=${R}/static\n", "FROM ${I}", "gcr.io/distroless/static"),
    ("ARG GOARCH\n", "FROM gcr.io/distroless/static:latest-${GOARCH}", "gcr.io/distroless/static:latest-${GOARCH}"),
    ("", "FROM debian:${UNDECLARED}", "debian:${UNDECLARED}"),
])
def test_from_is_expanded_with_global_args_and_their_defaults(prelude: str, from_line: str, image: str) -> None:
    assert parse(_final(from_line, prelude)).final.image == image


def test_build_args_apply_to_declared_args_only() -> None:
    text = _final("FROM gcr.io/distroless/static:latest-${GOARCH}", "ARG GOARCH\n")
    df = parse(text, {"GOARCH": "arm64", "OTHER": "x"})
    assert df.final.image == "gcr.io/distroless/static:latest-arm64"
    assert parse(_final("FROM debian:${V}"), {"V": "12"}).final.image == "debian:${V}"  # no ARG V: not applied
    staged = parse("ARG V=1\nFROM scratch\nARG V\nARG W=2\nRUN true\n", {"V": "9", "W": "8"})
    assert dict(staged.final.instructions[-1].env) == {"V": "9", "W": "8"}


def test_an_unresolved_latest_tag_is_still_latest_and_the_missing_arg_is_named() -> None:
    found = _found(_final("FROM gcr.io/distroless/static-debian12:latest-${GOARCH}", "ARG GOARCH\n"))
    assert "${GOARCH}" in found["SG104"][0] and ":latest" in found["SG104"][0]
    assert "ARG GOARCH has no default" in found["SG106"][0]


def test_given_a_build_arg_the_resolved_reference_is_judged() -> None:
    text = _final("FROM gcr.io/distroless/static-debian12:latest-${GOARCH}", "ARG GOARCH\n")
    found = _found(text, GOARCH="arm64")
    assert "SG106" not in found
    assert found["SG105"] == ["base image gcr.io/distroless/static-debian12:latest-arm64 is not pinned by digest: "
                              "a tag can be moved"]


@pytest.mark.parametrize(("prelude", "from_line", "rules", "absent"), [
    ("", "FROM debian:${UNDECLARED}", {"SG106"}, {"SG104", "SG105"}),
    ("ARG V\n", "FROM golang:1.26-${V}", {"SG106", "SG105"}, {"SG104"}),
    ("ARG V\n", f"FROM golang:1.26-${{V}}{D}", {"SG106"}, {"SG104", "SG105"}),
    ("ARG IMG\n", "FROM ${IMG}:latest", {"SG106"}, {"SG104", "SG105"}),
    ("", "FROM gcr.io/distroless/static-debian12:nonroot-${TARGETARCH}", {"SG105"}, {"SG106", "SG104"}),
])
def test_what_is_fixed_is_judged(prelude: str, from_line: str, rules: set[str], absent: set[str]) -> None:
    found = set(_found(_final(from_line, prelude)))
    assert rules <= found and not absent & found


def test_undeclared_args_are_named_as_such() -> None:
    (message,) = _found(_final("FROM debian:${UNDECLARED}"))["SG106"]
    assert "ARG UNDECLARED is not declared before the first FROM" in message
