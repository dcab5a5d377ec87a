"""Image references parsed the way docker/distribution does (`[DOMAIN/]PATH[:TAG][@DIGEST]`, docker.io defaults)."""

from __future__ import annotations

__all__ = ["DOCKER_HUB", "DOCKER_HUB_API", "DOCKER_HUB_AUTH_KEY", "Reference", "auth_key", "is_local_host"]

import re
from dataclasses import dataclass

from slimgo.errors import InvalidReference
from slimgo.oci.digest import Digest

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
# The key docker itself writes into config.json for Docker Hub.
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
NAME_MAX = 255
_DOCKER_HUB_NAMES = frozenset({DOCKER_HUB, "index.docker.io", DOCKER_HUB_API})


def auth_key(registry: str) -> str:
    """The key of ``registry`` (a name as written, or an API host) in config.json's `auths` and `credHelpers`:
    every name of Docker Hub maps to the URL docker itself writes there."""
    return DOCKER_HUB_AUTH_KEY if registry in _DOCKER_HUB_NAMES else registry

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"^(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")
_FIX = "write it as [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. localhost:5000/team/app:1.2"


@dataclass(frozen=True)
class Reference:
    """A fully qualified reference: registry (a host, maybe with a port), repository, and a tag and/or digest."""

    registry: str
    repository: str
    tag: str | None = None
    digest: Digest | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Parse and normalise like `docker pull` (ParseNormalizedNamed): `busybox` is docker.io/library/busybox."""
        subject = f"reference {text!r}"
        if not text:
            raise InvalidReference(subject, "is empty", _FIX)
        if text != text.strip() or any(c.isspace() for c in text):
            raise InvalidReference(subject, "contains whitespace", _FIX)
        if _HEX64.match(text):
            raise InvalidReference(subject, "is a bare 64-hex-digit identifier, not a repository name",
                                   "name the repository and add @sha256:<hex> to pin a digest")
        name, digest = _split_digest(text, subject)
        name, tag = _split_tag(name, subject)
        registry, path = _split_domain(name)
        _check_domain(registry, subject)
        if registry in ("index.docker.io", DOCKER_HUB):
            registry = DOCKER_HUB
            if "/" not in path:
                path = f"library/{path}"
        _check_path(path, subject)
        if len(f"{registry}/{path}") > NAME_MAX:
            raise InvalidReference(subject, f"has a name longer than {NAME_MAX} characters", _FIX)
        return cls(registry, path, tag, digest)

    @property
    def api_host(self) -> str:
        """The host:port the HTTP API lives on (Docker Hub's API is not at docker.io)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def auth_key(self) -> str:
        """The key of this registry in config.json's `auths` and `credHelpers`."""
        return auth_key(self.registry)

    @property
    def identifier(self) -> str:
        """What to ask the manifests endpoint for: the digest when pinned, else the tag (default `latest`)."""
        if self.digest is not None:
            return str(self.digest)
        return self.tag or "latest"

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def with_tag(self, tag: str | None) -> Reference:
        if tag is not None and not _TAG.match(tag):
            raise InvalidReference(f"tag {tag!r}", "is not a valid tag",
                                   "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
        return Reference(self.registry, self.repository, tag, self.digest)

    def with_digest(self, digest: Digest | None) -> Reference:
        return Reference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def _split_digest(text: str, subject: str) -> tuple[str, Digest | None]:
    name, at, digest_text = text.partition("@")
    if not at:
        return text, None
    if "@" in digest_text:
        raise InvalidReference(subject, "has more than one '@'", _FIX)
    algorithm, colon, hex_part = digest_text.partition(":")
    if not colon or not algorithm or not hex_part:
        raise InvalidReference(subject, f"has an invalid digest {digest_text!r} (expected ALGORITHM:HEX)", _FIX)
    try:
        digest = Digest.parse(digest_text)
    except Exception:
        raise InvalidReference(subject, f"has an invalid digest {digest_text!r}",
                               "a digest is sha256: followed by 64 lowercase hex digits") from None
    if not name:
        raise InvalidReference(subject, "has a digest but no repository name", _FIX)
    return name, digest


def _split_tag(name: str, subject: str) -> tuple[str, str | None]:
    # A colon after the last slash starts the tag; one before it belongs to a port.
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon <= slash:
        return name, None
    tag = name[colon + 1:]
    if not _TAG.match(tag):
        raise InvalidReference(subject, f"has an invalid tag {tag!r}",
                               "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
    return name[:colon], tag


def _split_domain(name: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    # docker's rule: the first component is a registry only if it looks like a host (has '.', ':' or is localhost).
    if slash and ("." in first or ":" in first or first == "localhost" or first.startswith("[")
                  or first != first.lower()):
        return first, rest
    return DOCKER_HUB, name


def _check_domain(domain: str, subject: str) -> None:
    if not _DOMAIN.match(domain):
        raise InvalidReference(subject, f"has an invalid registry host {domain!r}", _FIX)
    tail = domain[domain.find("]") + 1:] if domain.startswith("[") else domain
    host, colon, port = tail.rpartition(":")
    if colon and (not port.isdigit() or not 0 < int(port) < 65536 or not (host or domain.startswith("["))):
        raise InvalidReference(subject, f"has an invalid port in {domain!r}", _FIX)


def _check_path(path: str, subject: str) -> None:
    if not path:
        raise InvalidReference(subject, "has no repository name", _FIX)
    for component in path.split("/"):
        if not component:
            raise InvalidReference(subject, f"has an empty path component in {path!r}", _FIX)
        if ":" in component:
            raise InvalidReference(subject, f"has a ':' inside the repository path ({component!r}): a port belongs "
                                   "to the registry host and a tag comes once, at the end", _FIX)
        if component != component.lower() and _PATH_COMPONENT.match(component.lower()):
            raise InvalidReference(subject, "repository name must be lowercase", _FIX)
        if not _PATH_COMPONENT.match(component):
            raise InvalidReference(subject, f"has an invalid repository path component {component!r}",
                                   "path components are lowercase letters and digits, separated by '.', '_', "
                                   "'__' or dashes")


def is_local_host(registry: str) -> bool:
    """Whether the registry is on this machine (where plain HTTP is allowed without asking).

    Only `localhost` and IP literals in 127.0.0.0/8 or ::1 are: a name such as `127.0.0.1.example` is not.
    """
    import ipaddress

    if registry.startswith("["):
        host = registry[1: registry.index("]")] if "]" in registry else registry
    else:
        host = registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
