"""Registry authentication: WWW-Authenticate challenges, Basic, and Bearer tokens cached per realm/service/scope."""

from __future__ import annotations

__all__ = ["AuthError", "Authenticator", "parse_challenges", "repository_scope"]

import base64
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from slimgo.errors import RegistryError
from slimgo.stores.registry.credentials import Credentials
from slimgo.stores.registry.http import Http

_PARAM = re.compile(r'\s*([a-zA-Z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')
# Refresh a token this long before the registry would start refusing it.
_EXPIRY_MARGIN = 10.0


class AuthError(RegistryError):
    """The registry (or its token server) refused the credentials, or needs some and has none."""


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" or "bearer", lower case
    params: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.params.get("scope", "").split(" ") if s]


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a WWW-Authenticate header (`Bearer realm="...",service="...",scope="..."`, `Basic realm=...`)."""
    challenges: list[Challenge] = []
    text = header.strip()
    while text:
        m = re.match(r"([A-Za-z][\w-]*)\s*", text)
        if not m:
            break
        scheme = m.group(1).lower()
        text = text[m.end():]
        params: dict[str, str] = {}
        while True:
            p = _PARAM.match(text)
            if not p:
                break
            value = p.group(2) if p.group(2) is not None else p.group(3)
            params[p.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            text = text[p.end():]
        challenges.append(Challenge(scheme, params))
        text = text.lstrip(", ")
    return challenges


def repository_scope(repository: str, actions: str) -> str:
    return f"repository:{repository}:{actions}"


def login_hint(registry: str) -> str:
    return f"run `slimgo login {registry}` with an account that may access it"


class Authenticator:
    """Produces the Authorization header for a registry, learning its challenge and caching tokens."""

    def __init__(self, registry: str, http: Http, credentials: Callable[[], Credentials | None]) -> None:
        self.registry = registry
        self.http = http
        self._credentials_source = credentials
        self._credentials: Credentials | None = None
        self._looked_up = False
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, str, tuple[str, ...]], tuple[str, float]] = {}
        self._lock = threading.Lock()

    @property
    def credentials(self) -> Credentials | None:
        with self._lock:
            if not self._looked_up:
                self._credentials = self._credentials_source()
                self._looked_up = True
            return self._credentials

    def learn(self, response: requests.Response) -> None:
        """Remember the challenge a 401 carried (Bearer preferred over Basic)."""
        found = parse_challenges(response.headers.get("WWW-Authenticate", ""))
        bearer = [c for c in found if c.scheme == "bearer"]
        basic = [c for c in found if c.scheme == "basic"]
        chosen = bearer[0] if bearer else basic[0] if basic else None
        if chosen is None:
            raise AuthError(self.registry, "answered 401 without a Basic or Bearer challenge",
                            "this registry uses an authentication scheme slimgo does not support")
        self.challenge = chosen

    def header(self, scopes: Sequence[str]) -> str | None:
        challenge = self.challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            creds = self.credentials
            if creds is None or creds.is_identity_token:
                return None
            raw = f"{creds.username}:{creds.secret}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        return "Bearer " + self._token(challenge, tuple(sorted(set(scopes))))

    def invalidate(self, scopes: Sequence[str]) -> None:
        """Forget the token for ``scopes`` (the registry said it expired or lacks a scope)."""
        key_scopes = tuple(sorted(set(scopes)))
        with self._lock:
            for key in [k for k in self._tokens if k[2] == key_scopes]:
                del self._tokens[key]

    def _token(self, challenge: Challenge, scopes: tuple[str, ...]) -> str:
        key = (challenge.realm, challenge.service, scopes)
        with self._lock:
            cached = self._tokens.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        token, lifetime = self._fetch_token(challenge, scopes)
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(lifetime - _EXPIRY_MARGIN, 1.0))
        return token

    def _fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> tuple[str, float]:
        if not challenge.realm.startswith(("https://", "http://")):
            raise AuthError(self.registry, f"sent a Bearer challenge with an unusable realm {challenge.realm!r}",
                            "check the registry's auth configuration")
        realm_host = urlsplit(challenge.realm).netloc.rsplit("@", 1)[-1]
        if challenge.realm.startswith("http://") and not self.http.plain_http(realm_host):
            # Credentials (Basic, or a refresh token) would cross the network in clear to that host.
            raise AuthError(self.registry, f"sends its token requests to a plain-HTTP realm on another host "
                            f"({challenge.realm.split('?', 1)[0]}); slimgo does not send credentials there",
                            "have the registry's token service use https, or pass --insecure-registry "
                            f"{realm_host} if plain HTTP to it is acceptable")
        creds = self.credentials
        headers: dict[str, str] = {}
        if creds is not None and creds.is_identity_token:
            form = {"grant_type": "refresh_token", "refresh_token": creds.secret, "client_id": "slimgo",
                    "service": challenge.service, "scope": " ".join(scopes)}
            body = "&".join(f"{k}={quote(v, safe='')}" for k, v in form.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = self.http.send("POST", challenge.realm, registry=self.registry, headers=headers, body=body)
        else:
            if creds is not None:
                raw = f"{creds.username}:{creds.secret}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
            query = [("service", challenge.service)] if challenge.service else []
            query += [("scope", s) for s in scopes]
            url = challenge.realm + ("&" if "?" in challenge.realm else "?") + "&".join(
                f"{k}={quote(v, safe='')}" for k, v in query)
            response = self.http.send("GET", url.rstrip("?"), registry=self.registry, headers=headers)
        with response:
            if response.status_code in (401, 403):
                raise self.rejected()
            if response.status_code != 200:
                raise AuthError(self.registry, f"its token server answered HTTP {response.status_code}",
                                "check that the registry's token service is healthy")
            try:
                data: Any = response.json()
            except ValueError:
                raise AuthError(self.registry, "its token server answered something that is not JSON",
                                "check the registry's token service") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(self.registry, "its token server answered without a token",
                            "check the registry's token service")
        lifetime = data.get("expires_in")
        return token, float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 60.0

    def rejected(self) -> AuthError:
        creds = self.credentials
        if creds is None:
            return AuthError(self.registry, "requires authentication and no credentials are stored for it",
                             login_hint(self.registry))
        who = "an identity token" if creds.is_identity_token else f"user {creds.username!r}"
        return AuthError(self.registry, f"rejected the credentials of {who}", login_hint(self.registry))

    def denied(self, repository: str, action: str) -> AuthError:
        creds = self.credentials
        who = "anonymous access" if creds is None else f"user {creds.username!r}"
        return AuthError(f"{self.registry}/{repository}", f"denied {action} to {who}", login_hint(self.registry))
