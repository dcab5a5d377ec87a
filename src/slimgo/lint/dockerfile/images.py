"""What a base image reference says about the image: minimal runtime, distro or SDK; shell, libc, debug."""

from __future__ import annotations

__all__ = ["ImageFacts", "Kind", "classify", "default_user", "has_c_compiler", "libc_of", "parse_ref"]

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    SCRATCH = "scratch"
    MINIMAL = "minimal"  # distroless, chainguard static and friends: no shell, no package manager
    DISTRO = "distro"  # a full distribution: shell, package manager, libc
    SDK = "sdk"  # a toolchain image (golang, gcc, ...): everything a build needs, far too much to ship
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into repository (normalized), tag and digest."""

    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path element: ``static-debian12`` for ``gcr.io/distroless/static-debian12``."""
        return self.repository.rsplit("/", 1)[-1]


def parse_ref(text: str) -> ImageRef:
    """Split ``registry/repo:tag@digest``; a ``:port`` in the registry is not a tag."""
    rest, _, digest = text.partition("@")
    tag: str | None = None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    repo = rest.lower()
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if repo.startswith(prefix):
            repo = repo[len(prefix) :]
            break
    if repo.startswith("library/"):
        repo = repo[len("library/") :]
    return ImageRef(repo, tag, digest or None)


# Minimal runtimes, by repository pattern: (pattern, has_libc)
_MINIMAL = [
    (re.compile(r"(^|/)distroless/static(-[a-z0-9]+)?$"), False),
    (re.compile(r"(^|/)distroless/(base|base-nossl|cc|java[0-9]*|python3|nodejs[0-9]*)(-[a-z0-9]+)?$"), True),
    (re.compile(r"(^|/)chainguard/static$"), False),
    (re.compile(r"(^|/)chainguard/glibc-dynamic$"), True),
    (re.compile(r"(^|/)paketobuildpacks/run-tiny"), True),
    (re.compile(r"(^|/)ubi[0-9]*-micro$"), True),
]
_SDK = re.compile(
    r"(^|/)(golang|go|gcc|buildpack-deps|rust|maven|gradle|openjdk|node|python|tinygo|sdk|"
    r"go-fips|golang-fips|go-toolset|bazel|kaniko|[a-z0-9-]*-sdk|sdk-[a-z0-9-]*)$"
)
_DISTRO = re.compile(
    r"(^|/)(debian|ubuntu|alpine|busybox|centos|fedora|rockylinux|almalinux|amazonlinux|oraclelinux|"
    r"archlinux|opensuse/leap|opensuse/tumbleweed|photon|clearlinux|ubi[0-9]*|ubi[0-9]*-minimal|ubi[0-9]*-init|"
    r"wolfi-base|chainguard/wolfi-base|kalilinux/kali-rolling|mageia|gentoo/stage3)$"
)


@dataclass(frozen=True)
class ImageFacts:
    """What matters about a base for the final stage."""

    kind: Kind
    has_shell: bool | None  # None: cannot tell from the name
    has_libc: bool | None
    debug: bool


_NONROOT_BY_DEFAULT = re.compile(r"(^|/)chainguard/(static|glibc-dynamic)$")


def default_user(ref_text: str) -> str | None:
    """The numeric non-root USER a well-known base image sets itself, or None when unknown or root.

    Distroless ``:nonroot``/``:debug-nonroot`` tags and Chainguard's static images run as 65532.
    """
    ref = parse_ref(ref_text)
    tag = (ref.tag or "").lower()
    if re.search(r"(^|/)distroless/", ref.repository) and "nonroot" in tag:
        return "65532"
    if _NONROOT_BY_DEFAULT.search(ref.repository) and "dev" not in tag:
        return "65532"
    return None


def classify(ref_text: str) -> ImageFacts:
    """Classify a base image by its reference alone (no registry access: lint must be fast and offline)."""
    if ref_text.strip().lower() == "scratch":
        return ImageFacts(Kind.SCRATCH, has_shell=False, has_libc=False, debug=False)
    ref = parse_ref(ref_text)
    debug = bool(ref.tag and "debug" in ref.tag.lower())
    for pattern, libc in _MINIMAL:
        if pattern.search(ref.repository):
            # distroless :debug variants carry a busybox shell
            return ImageFacts(Kind.MINIMAL, has_shell=debug, has_libc=libc, debug=debug)
    if _SDK.search(ref.repository):
        return ImageFacts(Kind.SDK, has_shell=True, has_libc=True, debug=debug)
    if _DISTRO.search(ref.repository) or ref.repository.endswith("-slim"):
        return ImageFacts(Kind.DISTRO, has_shell=True, has_libc=ref.name != "busybox", debug=debug)
    return ImageFacts(Kind.UNKNOWN, has_shell=None, has_libc=None, debug=debug)


_GLIBC_MINIMAL = re.compile(r"(^|/)(distroless/(base|cc|java[0-9]*|python3|nodejs[0-9]*)|chainguard/glibc-dynamic|"
                            r"paketobuildpacks/run-tiny|ubi[0-9]*-micro)")


def libc_of(ref_text: str) -> str | None:
    """The C library a base image provides: "glibc", "musl", or None when it has none or the name does not say."""
    facts = classify(ref_text)
    if facts.has_libc is False:
        return None
    ref = parse_ref(ref_text)
    if "alpine" in ref.repository or "alpine" in (ref.tag or "").lower():
        return "musl"
    if facts.kind is Kind.MINIMAL:
        return "glibc" if _GLIBC_MINIMAL.search(ref.repository) else None
    if facts.kind in (Kind.DISTRO, Kind.SDK):
        return "glibc"
    return None


def has_c_compiler(ref_text: str) -> bool | None:
    """Whether a builder image ships a C compiler (so cgo is on unless CGO_ENABLED=0); None when unknown.

    The official golang images carry gcc except their alpine variants; gcc and buildpack-deps are compilers;
    a plain distribution has none until one is installed.
    """
    ref = parse_ref(ref_text)
    if ref.repository == "golang":
        return "alpine" not in (ref.tag or "").lower()
    if ref.repository in {"gcc", "buildpack-deps"}:
        return True
    if classify(ref_text).kind in (Kind.DISTRO, Kind.MINIMAL, Kind.SCRATCH):
        return False
    return None
