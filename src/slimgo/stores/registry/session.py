"""One registry session per command: shared HTTP connections, a client per registry, the cache, blob locations."""

from __future__ import annotations

__all__ = ["RegistrySession"]

import threading
from collections.abc import Callable

from slimgo.oci.digest import Digest
from slimgo.stores.progress import BarsFactory, no_bars
from slimgo.stores.registry import credentials
from slimgo.stores.registry.cache import BlobCache
from slimgo.stores.registry.client import RegistryClient
from slimgo.stores.registry.credentials import Credentials
from slimgo.stores.registry.http import Http
from slimgo.stores.registry.options import RegistryOptions
from slimgo.stores.registry.reference import auth_key

CredentialSource = Callable[[str], Credentials | None]


class RegistrySession:
    """Everything a pull or push shares; reused across calls so connections and tokens are kept warm."""

    def __init__(self, options: RegistryOptions, http: Http | None = None,
                 credential_source: CredentialSource = credentials.lookup, bars: BarsFactory = no_bars) -> None:
        self.options = options
        self.bars = bars
        self.http = http or Http(options.retry, options.insecure, pool_size=options.jobs * 2)
        self.cache = BlobCache(options.cache_dir)
        self._credential_source = credential_source
        self._clients: dict[str, RegistryClient] = {}
        self._seen: dict[tuple[str, Digest], set[str]] = {}
        self._lock = threading.Lock()

    def client(self, registry: str) -> RegistryClient:
        """The client for ``registry`` (an API host such as registry-1.docker.io or localhost:5000)."""
        with self._lock:
            existing = self._clients.get(registry)
            if existing is None:
                key = auth_key(registry)
                existing = RegistryClient(registry, self.http, lambda: self._credential_source(key))
                self._clients[registry] = existing
            return existing

    def saw(self, registry: str, repository: str, digest: Digest) -> None:
        """Remember a repository that holds a blob, so a later push to the same registry can mount it.

        Kept in the cache as well (like skopeo's blob info cache), so the next command can mount it too.
        """
        with self._lock:
            known = self._seen.setdefault((registry, digest), set())
            if repository in known:
                return
            known.add(repository)
        self.cache.remember(registry, repository, digest)

    def known_in(self, registry: str, digest: Digest) -> set[str]:
        with self._lock:
            found = set(self._seen.get((registry, digest), ()))
        return found | self.cache.locations(registry, digest)
