"""References parse and normalise like docker/distribution's ParseNormalizedNamed, and bad ones say what is wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slimgo.errors import InvalidReference
from slimgo.stores.registry.reference import Reference, is_local_host
from slimgo.stores.transport import Location

HEX = "a" * 64


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), [
    ("busybox", "docker.io", "library/busybox", None, None),
    ("busybox:1.36", "docker.io", "library/busybox", "1.36", None),
    ("docker.io/busybox", "docker.io", "library/busybox", None, None),
    ("index.docker.io/library/busybox", "docker.io", "library/busybox", None, None),
    ("user/app", "docker.io", "user/app", None, None),
    ("localhost/app", "localhost", "app", None, None),
    ("localhost:5000/team/app:1.2", "localhost:5000", "team/app", "1.2", None),
    ("127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", None, None),
    ("gcr.io/distroless/static-debian12:nonroot", "gcr.io", "distroless/static-debian12", "nonroot", None),
    (f"ghcr.io/o/app@sha256:{HEX}", "ghcr.io", "o/app", None, f"sha256:{HEX}"),
    (f"ghcr.io/o/app:v1@sha256:{HEX}", "ghcr.io", "o/app", "v1", f"sha256:{HEX}"),
    ("Registry.Example.com/app", "Registry.Example.com", "app", None, None),
    ("[::1]:5000/app", "[::1]:5000", "app", None, None),
    ("a.b/x__y/p-q--r.s", "a.b", "x__y/p-q--r.s", None, None),
])
def test_parses_like_docker(text: str, registry: str, repository: str, tag: str | None, digest: str | None) -> None:
    ref = Reference.parse(text)
    assert (ref.registry, ref.repository, ref.tag) == (registry, repository, tag)
    assert (str(ref.digest) if ref.digest else None) == digest
    assert Reference.parse(str(ref)) == ref  # the canonical form parses to itself


@pytest.mark.parametrize(("text", "complaint"), [
    ("", "is empty"),
    ("user/App", "must be lowercase"),
    ("example.com/App", "must be lowercase"),
    ("app:", "invalid tag"),
    ("app:-x", "invalid tag"),
    ("app:" + "x" * 129, "invalid tag"),
    ("app@sha256:abc", "invalid digest"),
    ("app@md5:" + HEX, "invalid digest"),
    ("app@", "invalid digest"),
    ("a//b", "empty path component"),
    ("a/b/", "empty path component"),
    ("host:99999/app", "invalid port"),
    ("-host.com/app", "invalid registry host"),
    ("app name", "whitespace"),
    (HEX, "64-hex-digit"),
    ("a/" + "b" * 260, "longer than 255"),
    ("app__-x", "invalid repository path component"),
    ("a@sha256:" + HEX + "@x", "more than one '@'"),
])
def test_bad_references_say_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(InvalidReference) as err:
        Reference.parse(text)
    assert complaint in err.value.cause
    assert repr(text) in err.value.subject
    assert err.value.fix


def test_transport_rejects_bad_docker_reference_at_parse_time() -> None:
    with pytest.raises(InvalidReference, match="must be lowercase"):
        Location.parse("docker://localhost:5000/Team/app")
    assert Location.parse("docker://localhost:5000/team/app:1").path == "localhost:5000/team/app:1"


def test_identifier_and_local_hosts() -> None:
    assert Reference.parse("x.io/a").identifier == "latest"
    assert Reference.parse(f"x.io/a:t@sha256:{HEX}").identifier == f"sha256:{HEX}"
    assert [is_local_host(h) for h in ("localhost:5000", "127.0.0.1", "127.0.0.2:1", "[::1]:5000",
                                       "example.com", "localhost.example.com")] == [True] * 4 + [False] * 2
    with pytest.raises(InvalidReference):
        Reference.parse("x.io/a").with_tag("bad tag")


_component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@given(host=st.sampled_from(["localhost:5000", "registry.example.com", "10.0.0.1:443", "docker.io"]),
       path=st.lists(_component, min_size=2, max_size=4), tag=st.one_of(st.none(), _tag))
def test_generated_references_round_trip(host: str, path: list[str], tag: str | None) -> None:
    text = f"{host}/{'/'.join(path)}" + (f":{tag}" if tag else "")
    ref = Reference.parse(text)
    assert ref.registry == host and ref.repository == "/".join(path) and ref.tag == tag
    assert Reference.parse(str(ref)) == ref
